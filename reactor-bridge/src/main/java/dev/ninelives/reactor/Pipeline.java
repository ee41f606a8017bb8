package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Text;
import dev.ninelives.retry.Retry;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The protection of one dependency, declared once: the policies every call to it goes through,
 * in the one order that works, whatever order they were given in.
 *
 * <pre>{@code
 * Pipeline inventory = Pipeline.builder("inventory")
 *     .breaker(breaker)                           // each attempt asks the breaker
 *     .attemptTimeout(Duration.ofMillis(300))     // each attempt may take 300 ms
 *     .retry(retry)                               // up to N attempts per call
 *     .timeout(Duration.ofSeconds(1))             // the whole call, attempts and backoffs, 1 s
 *     .bulkhead(bulkhead)                         // one permit per call, across its attempts
 *     .rateLimiter(limiter)                       // at most N calls per period, before anything else
 *     .build();
 *
 * Mono<Stock> stock = client.stock(sku).transform(NineLives.pipeline(inventory));
 * Mono<Stock> orCached = client.stock(sku)
 *     .transform(NineLives.pipeline(inventory, Fallback.toValue(Stock.UNKNOWN)));
 * Flux<Item> items = client.items(order).transform(NineLives.pipeline(inventory));
 * System.getLogger("inventory").log(System.Logger.Level.INFO, inventory.explain());   // the plan, once
 * }</pre>
 *
 * <h2>The order</h2>
 * A call meets the stages in this order, from the outside in: the rate limiter (one permit per
 * call; outermost, so that a call refused for rate never takes a bulkhead permit, and a call
 * that waits for its rate permit waits holding no bulkhead permit and no other resource, and its
 * wait does not count against the total timeout, as a bulkhead wait does not), the bulkhead (one permit per call,
 * held from its first attempt to its last, through the backoffs), the total timeout (its clock
 * starts once the permit is held; its deadline goes into the Context, so no backoff is started
 * that would end past it and the source can read what is left with
 * {@link Deadline#remaining(reactor.util.context.ContextView)}), the retry (the attempts), the
 * hedge (a slow attempt is raced by hedges: each one is an attempt of its own below, asks the
 * breaker for its own permit and the hedge's budget for a token, so an open breaker or a spent
 * budget refuses hedges and an outage is not multiplied; inside the retry, so a retry follows an
 * attempt whose hedges all failed; outside the attempt timeout, so each hedge has its own; Mono
 * only: a pipeline with a hedge refuses a Flux at assembly), the
 * circuit breaker (each attempt asks it for a permit and has its outcome recorded), the attempt
 * timeout (so the breaker records a hung attempt as a failure, and the retry may try again), then
 * the source. A fallback, given at the call site with
 * {@link NineLives#pipeline(Pipeline, Fallback)}, is outside all of them. {@link #explain()} says
 * it in words. The site's "Composing" page shows with tests what goes wrong in other orders: a
 * breaker outside the retry sees one call where the dependency saw three; a bulkhead inside the
 * retry queues again between attempts and lets a retrying call lose its place; a timeout outside
 * the breaker hides hung calls from it.
 *
 * <h2>Sharing</h2>
 * A pipeline is immutable and holds no per-call state: build one per dependency and apply it to
 * every call to that dependency, whatever the calls' element types, from any thread. The policies
 * it holds keep their own state (the breaker's window, the bulkhead's permits) and may also be used
 * on their own, by other pipelines or by plain operators.
 */
public final class Pipeline {

    private final String name;
    private final RateLimiter rateLimiter;
    private final Bulkhead bulkhead;
    private final Retry retry;
    private final CircuitBreaker breaker;
    private final Hedge hedge;
    private final Scheduler scheduler;
    private final Duration timeout;
    private final Duration attemptTimeout;
    /** The attempts of a fused call: the retry, or one attempt when there is none. */
    final Retry attempts;

    private Pipeline(Builder b) {
        this.name = b.name;
        this.rateLimiter = b.rateLimiter;
        this.bulkhead = b.bulkhead;
        this.retry = b.retry;
        this.breaker = b.breaker;
        this.hedge = b.hedge;
        this.scheduler = b.scheduler;
        this.timeout = b.timeout;
        this.attemptTimeout = b.attemptTimeout;
        this.attempts = retry != null ? retry : Retry.builder(name).maxAttempts(1).noBackoff().build();
    }

    /**
     * Starts a builder for a pipeline with the given name.
     *
     * @param name the pipeline's name, usually the dependency's, used by {@link #explain()}
     * @return a new builder, with no stage yet
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Returns a new builder for a pipeline named {@code name} with every stage of this one: the
     * same policy instances (a pipeline holds policies, it does not copy them, so the copy shares
     * their state), the same timeouts and scheduler. Each stage it starts with may be set once
     * more on the builder, which replaces it; changing the builder never changes this pipeline.
     *
     * <pre>{@code
     * Pipeline reports = inventory.toBuilder("reports").timeout(Duration.ofSeconds(5)).build();
     * }</pre>
     *
     * @param name the new pipeline's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder toBuilder(String name) {
        Builder b = new Builder(name);
        b.rateLimiter = rateLimiter;
        b.bulkhead = bulkhead;
        b.retry = retry;
        b.breaker = breaker;
        b.hedge = hedge;
        b.scheduler = scheduler;
        b.timeout = timeout;
        b.attemptTimeout = attemptTimeout;
        b.copied = true;
        return b;
    }

    /**
     * Returns the pipeline's name.
     *
     * @return the name given to the builder
     */
    public String name() {
        return name;
    }

    /**
     * Returns the rate limiter stage.
     *
     * @return the rate limiter, if the pipeline has one
     */
    public Optional<RateLimiter> rateLimiter() {
        return Optional.ofNullable(rateLimiter);
    }

    /**
     * Returns the bulkhead stage.
     *
     * @return the bulkhead, if the pipeline has one
     */
    public Optional<Bulkhead> bulkhead() {
        return Optional.ofNullable(bulkhead);
    }

    /**
     * Returns the retry stage.
     *
     * @return the retry policy, if the pipeline has one
     */
    public Optional<Retry> retry() {
        return Optional.ofNullable(retry);
    }

    /**
     * Returns the circuit breaker stage.
     *
     * @return the breaker, if the pipeline has one
     */
    public Optional<CircuitBreaker> breaker() {
        return Optional.ofNullable(breaker);
    }

    /**
     * Returns the hedge stage.
     *
     * @return the hedge policy, if the pipeline has one
     */
    public Optional<Hedge> hedge() {
        return Optional.ofNullable(hedge);
    }

    /**
     * Returns the total timeout: how long a call may take from the moment it holds its bulkhead
     * permit (or from its subscription, without a bulkhead) to its end, across its attempts and
     * backoffs.
     *
     * @return the total timeout, if the pipeline has one
     */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * Returns the attempt timeout: how long each attempt may take.
     *
     * @return the attempt timeout, if the pipeline has one
     */
    public Optional<Duration> attemptTimeout() {
        return Optional.ofNullable(attemptTimeout);
    }

    /**
     * Returns the scheduler the pipeline's delays and waits run on.
     *
     * @return the scheduler given to the builder, or empty for {@code Schedulers.parallel()},
     *     resolved at each subscription (so {@code StepVerifier.withVirtualTime} drives it)
     */
    public Optional<Scheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    /** The stages in the order a call meets them, with a line each. */
    List<String> stages() {
        List<String> lines = new ArrayList<>();
        if (rateLimiter != null) {
            var c = rateLimiter.config();
            lines.add("rate limiter '" + rateLimiter.name() + "': one permit per call, before any other stage (a call refused"
                    + " for rate takes no other permit, one that waits holds none); " + c.limitForPeriod() + " per "
                    + Text.duration(c.period()) + ", bursts of " + c.burst() + ", "
                    + (c.maxWait().isZero() ? "the others refused at once" : "the others wait up to " + Text.duration(c.maxWait())
                    + " in arrival order"));
        }
        if (bulkhead != null) {
            var c = bulkhead.config();
            lines.add("bulkhead '" + bulkhead.name() + "': one permit per call, held across its attempts; at most "
                    + c.maxConcurrent() + " at once, "
                    + (c.maxWait().isZero() ? "the others refused at once"
                    : "the others wait up to " + Text.duration(c.maxWait()) + " (" + c.queueOrder() + ", at most "
                            + c.maxQueued() + " waiting)"));
        }
        if (timeout != null) {
            lines.add("total timeout: " + Text.duration(timeout) + " for the whole call, attempts and backoffs"
                    + (bulkhead != null ? ", from the moment it holds its permit" : "")
                    + "; its deadline goes into the Context, so no backoff that would end past it is started");
        }
        if (retry != null) {
            String policy = retry.toString();
            lines.add("retry '" + retry.name() + "': " + policy.substring(policy.indexOf(": ") + 2)
                    + "; each attempt goes through the stages below");
        }
        if (hedge != null) {
            var c = hedge.config();
            lines.add("hedge '" + hedge.name() + "': an attempt with no answer after "
                    + (c.adaptive() ? "the p" + Text.percent(c.percentile()).replace("%", "") + " of recent latency (at least "
                    + Text.duration(c.minDelay()) + ")" : Text.duration(c.delay()))
                    + " is raced by a hedge, up to " + c.maxHedges() + ", the first answer wins and the others are cancelled;"
                    + " each hedge needs a token of the budget (" + Text.percent(c.budgetRatio() * 100) + " of the calls, burst "
                    + c.budgetBurst() + ")" + (breaker != null ? " and a permit of the breaker below" : "")
                    + "; Mono calls only");
        }
        if (breaker != null) {
            lines.add("circuit breaker '" + breaker.name() + "': a permit per attempt, its outcome recorded; "
                    + describe(breaker.config()));
        }
        if (attemptTimeout != null) {
            lines.add("attempt timeout: " + Text.duration(attemptTimeout) + " per attempt; an attempt that takes longer is"
                    + " cancelled and fails with a TimeoutExceededException"
                    + (breaker != null ? ", which the breaker records as a failure" : "")
                    + (retry != null ? " and the retry may retry" : ""));
        }
        lines.add("the source");
        return Collections.unmodifiableList(lines);
    }

    private static String describe(CircuitBreakerConfig c) {
        StringBuilder sb = new StringBuilder("opens at ").append(Text.percent(c.failureRateThreshold())).append(" failures");
        if (c.slowCallDetection()) {
            sb.append(" or ").append(Text.percent(c.slowCallRateThreshold())).append(" calls slower than ")
                    .append(Text.duration(c.slowCallDuration()));
        }
        sb.append(c.windowType() == CircuitBreakerConfig.WindowType.COUNT_BASED
                ? " over the last " + c.windowSize() + " calls"
                : " over the last " + Text.duration(c.windowDuration()));
        sb.append(" (at least ").append(c.minimumNumberOfCalls()).append("), stays open ")
                .append(Text.duration(c.openDuration()));
        if (c.openDurationMultiplier() != 1.0) {
            sb.append(" x").append(c.openDurationMultiplier()).append(" per reopening up to ")
                    .append(Text.duration(c.maxOpenDuration()));
        }
        return sb.append(", then admits ").append(c.permittedCallsInHalfOpen()).append(" trial call")
                .append(c.permittedCallsInHalfOpen() == 1 ? "" : "s").toString();
    }

    /**
     * Returns the plan as text: one line per stage, with its configuration, in the order a call
     * meets them, the source last. For logs, for a startup banner, for a reviewer.
     *
     * <pre>{@code
     * pipeline 'inventory': a call meets, in this order,
     *   1. bulkhead 'inventory': one permit per call, held across its attempts; at most 10 at once, the others wait up to 100ms (FIFO, at most 100 waiting)
     *   2. retry 'inventory': up to 3 attempts, delays of 100ms x2.0 up to 1s; each attempt goes through the stages below
     *   3. circuit breaker 'inventory': a permit per attempt, its outcome recorded; opens at 50% failures over the last 100 calls (at least 100), stays open 1m, then admits 10 trial calls
     *   4. attempt timeout: 300ms per attempt; an attempt that takes longer is cancelled and fails with a TimeoutExceededException, which the breaker records as a failure and the retry may retry
     *   5. the source
     * }</pre>
     *
     * @return the plan, several lines
     */
    public String explain() {
        StringBuilder sb = new StringBuilder("pipeline '").append(name).append("': a call meets, in this order,");
        List<String> stages = stages();
        for (int i = 0; i < stages.size(); i++) {
            sb.append("\n  ").append(i + 1).append(". ").append(stages.get(i));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return explain();
    }

    /**
     * Builds a {@link Pipeline}. The order of the calls does not matter: the pipeline always runs
     * its stages in the order described on {@link Pipeline}. Each stage can be set once; every
     * method checks its argument at the call.
     */
    public static final class Builder {
        private final String name;
        private RateLimiter rateLimiter;
        private Bulkhead bulkhead;
        private Retry retry;
        private CircuitBreaker breaker;
        private Hedge hedge;
        private Scheduler scheduler;
        private Duration timeout;
        private Duration attemptTimeout;
        /** Stages copied by toBuilder, which may each be replaced once: bits of the stages set since. */
        private boolean copied;
        private int replaced;

        private Builder(String name) {
            Check.notNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
            }
            this.name = name;
        }

        /**
         * Adds the rate limiter stage: at most its limit of calls per period through the
         * pipeline, one permit per call (not per attempt), outermost: before the bulkhead, so a
         * call refused for rate never takes a bulkhead permit and a call waiting for its instant
         * holds none.
         *
         * @param rateLimiter the rate limiter, usually shared by every call to the dependency
         * @return this builder
         * @throws NullPointerException  if {@code rateLimiter} is null
         * @throws IllegalStateException if a rate limiter was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder rateLimiter(RateLimiter rateLimiter) {
            Check.notNull(rateLimiter, "rateLimiter");
            once(this.rateLimiter, 32, "rate limiter", rateLimiter.name());
            this.rateLimiter = rateLimiter;
            return this;
        }

        /**
         * Adds the bulkhead stage: at most {@code maxConcurrent} calls through the pipeline at
         * once, one permit per call, held across its attempts and backoffs.
         *
         * @param bulkhead the bulkhead, usually shared by every call to the dependency
         * @return this builder
         * @throws NullPointerException  if {@code bulkhead} is null
         * @throws IllegalStateException if a bulkhead was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder bulkhead(Bulkhead bulkhead) {
            Check.notNull(bulkhead, "bulkhead");
            once(this.bulkhead, 1, "bulkhead", bulkhead.name());
            this.bulkhead = bulkhead;
            return this;
        }

        /**
         * Adds the retry stage: each call gets the policy's attempts; each attempt goes through
         * the breaker.
         *
         * @param retry the retry policy
         * @return this builder
         * @throws NullPointerException  if {@code retry} is null
         * @throws IllegalStateException if a retry was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder retry(Retry retry) {
            Check.notNull(retry, "retry");
            once(this.retry, 2, "retry", retry.name());
            this.retry = retry;
            return this;
        }

        /**
         * Adds the circuit breaker stage: each attempt asks it for a permit, and its outcome is
         * recorded.
         *
         * @param breaker the circuit breaker, usually shared by every call to the dependency
         * @return this builder
         * @throws NullPointerException  if {@code breaker} is null
         * @throws IllegalStateException if a breaker was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder breaker(CircuitBreaker breaker) {
            Check.notNull(breaker, "breaker");
            once(this.breaker, 4, "breaker", breaker.name());
            this.breaker = breaker;
            return this;
        }

        /**
         * Adds the hedge stage: an attempt with no answer after the hedge's delay is raced by a
         * hedge (the source subscribed again), up to its {@code maxHedges}; the first answer
         * wins and the others are cancelled. It sits inside the retry (a call whose attempt and
         * hedges all fail may be retried, and its backoff is not raced) and outside the breaker
         * (each hedge asks the breaker for a permit of its own and is recorded as a call; an open
         * breaker refuses hedges, so an outage is not multiplied) and the attempt timeout (each
         * hedge has its own). Each hedge also needs a token of the hedge's budget. A pipeline with
         * a hedge protects a Mono only: applied to a Flux it throws {@link IllegalArgumentException}
         * at assembly.
         *
         * @param hedge the hedge policy, usually shared by every call to the dependency
         * @return this builder
         * @throws NullPointerException  if {@code hedge} is null
         * @throws IllegalStateException if a hedge was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder hedge(Hedge hedge) {
            Check.notNull(hedge, "hedge");
            once(this.hedge, 64, "hedge", hedge.name());
            this.hedge = hedge;
            return this;
        }

        /**
         * Adds the total timeout stage: a call may take at most {@code timeout}, all its attempts
         * and backoffs included, counted from the moment it holds its bulkhead permit (a wait for
         * the permit is bounded by the bulkhead's own {@code maxWait}). When it runs out, the
         * attempt in flight is cancelled and the call fails with a
         * {@link TimeoutExceededException} of stage {@code TOTAL_TIMEOUT}. Its deadline goes into
         * the call's Context: the retry starts no backoff that would end past it (the call ends
         * with the last attempt's error instead), and the source can read what is left with
         * {@link Deadline#remaining(reactor.util.context.ContextView)}. A tighter deadline already
         * in the Context ({@link NineLives#deadline(Duration)} outside) wins.
         *
         * @param timeout how long a call may take, positive
         * @return this builder
         * @throws NullPointerException     if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         * @throws IllegalStateException    if a total timeout was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder timeout(Duration timeout) {
            Check.positive(timeout, "timeout");
            once(this.timeout, 8, "total timeout", Text.duration(timeout));
            this.timeout = timeout;
            return this;
        }

        /**
         * Adds the attempt timeout stage: each attempt may take at most {@code attemptTimeout}
         * from its subscription to its end (for a Flux, its whole stream). An attempt that takes
         * longer is cancelled and fails with a {@link TimeoutExceededException} of stage
         * {@code ATTEMPT_TIMEOUT}; the stage sits inside the breaker, so the breaker records it
         * (a failure by default) and the retry may retry it (it does by default).
         *
         * @param attemptTimeout how long each attempt may take, positive
         * @return this builder
         * @throws NullPointerException     if {@code attemptTimeout} is null
         * @throws IllegalArgumentException if {@code attemptTimeout} is zero or negative
         * @throws IllegalStateException    if an attempt timeout was already set (one copied by {@link Pipeline#toBuilder} may be replaced once)
         */
        public Builder attemptTimeout(Duration attemptTimeout) {
            Check.positive(attemptTimeout, "attemptTimeout");
            once(this.attemptTimeout, 16, "attempt timeout", Text.duration(attemptTimeout));
            this.attemptTimeout = attemptTimeout;
            return this;
        }

        /**
         * Runs the retry delays, the bulkhead's wait timeouts and the timeouts on
         * {@code scheduler} instead of {@code Schedulers.parallel()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Check.notNull(scheduler, "scheduler");
            return this;
        }

        private void once(Object current, int bit, String stage, String newName) {
            if (copied && (replaced & bit) == 0) {
                replaced |= bit;                       // a copied stage (or an empty one) may be set once
                return;
            }
            if (current != null) {
                throw new IllegalStateException("pipeline '" + name + "' already has a " + stage
                        + " stage; a second one ('" + newName + "') would be ambiguous: compose two pipelines instead");
            }
        }

        /**
         * Builds the pipeline. A builder can go on to build others; each is independent.
         *
         * @return a new pipeline
         * @throws IllegalArgumentException if the attempt timeout is not shorter than the total
         *                                  timeout (it could never fire)
         */
        public Pipeline build() {
            if (timeout != null && attemptTimeout != null && attemptTimeout.compareTo(timeout) >= 0) {
                throw new IllegalArgumentException("pipeline '" + name + "': attemptTimeout (" + Text.duration(attemptTimeout)
                        + ") must be shorter than timeout (" + Text.duration(timeout) + "), or it could never fire");
            }
            return new Pipeline(this);
        }
    }
}
