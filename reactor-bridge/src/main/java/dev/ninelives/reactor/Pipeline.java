package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Text;
import dev.ninelives.retry.Retry;
import reactor.core.scheduler.Scheduler;

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
 *     .breaker(breaker)            // each attempt asks the breaker
 *     .retry(retry)                // up to N attempts per call
 *     .bulkhead(bulkhead)          // one permit per call, across its attempts
 *     .build();
 *
 * Mono<Stock> stock = client.stock(sku).transform(NineLives.pipeline(inventory));
 * Flux<Item> items = client.items(order).transform(NineLives.pipeline(inventory));
 * System.out.println(inventory.explain());
 * }</pre>
 *
 * <h2>The order</h2>
 * A call meets the stages in this order, from the outside in: the bulkhead (one permit per call,
 * held from its first attempt to its last, through the backoffs), the retry (the attempts), the
 * circuit breaker (each attempt asks it for a permit and has its outcome recorded), then the
 * source. {@link #explain()} says it in words. The site's "Composing" page shows with tests what
 * goes wrong in every other order: a breaker outside the retry sees one call where the
 * dependency saw three; a bulkhead inside the retry queues again between attempts and lets a
 * retrying call lose its place.
 *
 * <h2>Sharing</h2>
 * A pipeline is immutable and holds no per-call state: build one per dependency and apply it to
 * every call to that dependency, whatever the calls' element types, from any thread. The policies
 * it holds keep their own state (the breaker's window, the bulkhead's permits) and may also be used
 * on their own, by other pipelines or by plain operators.
 */
public final class Pipeline {

    private final String name;
    private final Bulkhead bulkhead;
    private final Retry retry;
    private final CircuitBreaker breaker;
    private final Scheduler scheduler;
    /** The attempts of a fused call: the retry, or one attempt when there is none. */
    final Retry attempts;

    private Pipeline(Builder b) {
        this.name = b.name;
        this.bulkhead = b.bulkhead;
        this.retry = b.retry;
        this.breaker = b.breaker;
        this.scheduler = b.scheduler;
        this.attempts = retry != null ? retry : Retry.builder(name).maxAttempts(1).noBackoff().build();
    }

    /** How many stages a call goes through, the source not counted. */
    int stageCount() {
        return (bulkhead != null ? 1 : 0) + (retry != null ? 1 : 0) + (breaker != null ? 1 : 0);
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
     * Returns the pipeline's name.
     *
     * @return the name given to the builder
     */
    public String name() {
        return name;
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
        if (bulkhead != null) {
            var c = bulkhead.config();
            lines.add("bulkhead '" + bulkhead.name() + "': one permit per call, held across its attempts; at most "
                    + c.maxConcurrent() + " at once, "
                    + (c.maxWait().isZero() ? "the others refused at once"
                    : "the others wait up to " + Text.duration(c.maxWait()) + " (" + c.queueOrder() + ", at most "
                            + c.maxQueued() + " waiting)"));
        }
        if (retry != null) {
            String policy = retry.toString();
            lines.add("retry '" + retry.name() + "': " + policy.substring(policy.indexOf(": ") + 2)
                    + "; each attempt goes through the stages below");
        }
        if (breaker != null) {
            lines.add("circuit breaker '" + breaker.name() + "': a permit per attempt, its outcome recorded; "
                    + describe(breaker.config()));
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
     *   4. the source
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
        private Bulkhead bulkhead;
        private Retry retry;
        private CircuitBreaker breaker;
        private Scheduler scheduler;

        private Builder(String name) {
            Check.notNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
            }
            this.name = name;
        }

        /**
         * Adds the bulkhead stage: at most {@code maxConcurrent} calls through the pipeline at
         * once, one permit per call, held across its attempts and backoffs.
         *
         * @param bulkhead the bulkhead, usually shared by every call to the dependency
         * @return this builder
         * @throws NullPointerException  if {@code bulkhead} is null
         * @throws IllegalStateException if a bulkhead was already set
         */
        public Builder bulkhead(Bulkhead bulkhead) {
            Check.notNull(bulkhead, "bulkhead");
            once(this.bulkhead, "bulkhead", bulkhead.name());
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
         * @throws IllegalStateException if a retry was already set
         */
        public Builder retry(Retry retry) {
            Check.notNull(retry, "retry");
            once(this.retry, "retry", retry.name());
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
         * @throws IllegalStateException if a breaker was already set
         */
        public Builder breaker(CircuitBreaker breaker) {
            Check.notNull(breaker, "breaker");
            once(this.breaker, "breaker", breaker.name());
            this.breaker = breaker;
            return this;
        }

        /**
         * Runs the retry delays and the bulkhead's wait timeouts on {@code scheduler} instead of
         * {@code Schedulers.parallel()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Check.notNull(scheduler, "scheduler");
            return this;
        }

        private void once(Object current, String stage, String newName) {
            if (current != null) {
                throw new IllegalStateException("pipeline '" + name + "' already has a " + stage
                        + " stage; a second one ('" + newName + "') would be ambiguous: compose two pipelines instead");
            }
        }

        /**
         * Builds the pipeline. A builder can go on to build others; each is independent.
         *
         * @return a new pipeline
         */
        public Pipeline build() {
            return new Pipeline(this);
        }
    }
}
