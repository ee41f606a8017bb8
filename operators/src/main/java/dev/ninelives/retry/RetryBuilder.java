package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Builds a {@link Retry}. Every method checks its argument at the call and throws an exception
 * that names the parameter and quotes the value; {@link #build()} freezes the policy's
 * configuration, so a reused builder never changes a built one. Two settings may instead follow an
 * {@link Adaptive} at run time: {@link #maxAttempts(Adaptive)} and {@link #backoff(Adaptive)} (and a
 * budget's ratio, {@link RetryBudgetBuilder#ratio(Adaptive)}).
 *
 * <p>Defaults: 3 attempts (the first call and two retries), exponential backoff from 100 ms
 * doubling up to 10 s, no jitter, every {@link Exception} retried except a circuit breaker's
 * refusal, no result predicate, no deadline, no budget, the last error on exhaustion, Flux
 * elements re-emitted by a retry as Reactor's own retry does.
 *
 * <pre>{@code
 * Retry retry = Retry.builder("quotes")
 *     .maxAttempts(4)
 *     .exponentialBackoff(Duration.ofMillis(50), 2.0, Duration.ofSeconds(2))
 *     .jitter(Jitter.FULL)
 *     .retryIf(e -> e instanceof IOException)
 *     .deadline(Duration.ofSeconds(5))
 *     .budget(sharedBudget)
 *     .build();
 * }</pre>
 *
 * <p>The callbacks a policy is given (the {@link #retryIf retryIf} and
 * {@link #retryOnResult retryOnResult} predicates, the {@link #backoff backoff} function, the
 * jitter's {@link #random random} generator) may throw: each method says what that does to the
 * call. A JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) from any of them
 * ends the call with that error, announced {@link RetryEvent.Type#FAILED FAILED}, and then
 * propagates to the thread that called the callback.
 */
public final class RetryBuilder {

    /** The most attempts a policy allows. */
    public static final int MAX_ATTEMPTS = 1_000_000;

    final String name;
    int maxAttempts = 3;
    Adaptive<Integer> maxAttemptsSetting;
    /** The backoff: a fixed value, an adaptive one, or a function; exactly one is set. */
    Backoff backoff = Backoff.DEFAULT;
    Adaptive<Backoff> backoffSetting;
    BiFunction<Integer, Throwable, Duration> delayFunction;
    Jitter jitter = Jitter.NONE;
    double jitterFactor;
    RandomGenerator random;
    Predicate<? super Throwable> retryIf = e -> e instanceof Exception;
    boolean retryOnCallNotPermitted;
    Class<?> resultType;
    Predicate<Object> retryOnResult;
    long deadlineNanos;
    RetryBudget budget;
    boolean exhaustedException;
    boolean retryAfterElements = true;
    boolean resetOnElement;
    Ticker ticker = Ticker.system();

    RetryBuilder(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    /**
     * Sets how many attempts a call gets, the first one included: 1 means no retry.
     *
     * @param attempts 1 to {@value #MAX_ATTEMPTS}
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is out of range
     */
    public RetryBuilder maxAttempts(int attempts) {
        this.maxAttempts = Check.inRange(attempts, 1, MAX_ATTEMPTS, "maxAttempts");
        this.maxAttemptsSetting = null;
        return this;
    }

    /**
     * Binds the number of attempts to an adaptive setting: the policy starts from its value at
     * {@link #build()} and follows every later change at the next decision, keeping its state. A
     * call already retrying compares its attempts with the value in force at its next failure:
     * lowered to 2, a call that has failed twice ends at once (announced
     * {@link RetryEvent.Type#EXHAUSTED EXHAUSTED}); raised, a call on its last attempt gets the
     * extra ones. From then on the adaptive refuses a value out of 1 to {@value #MAX_ATTEMPTS}
     * with an {@link IllegalArgumentException} that names this policy, and nothing changes.
     * Every policy built from this builder follows the same adaptive. A failed attempt reads it
     * once (one volatile load); a call that succeeds never does.
     *
     * <pre>{@code
     * Adaptive<Integer> attempts = Adaptive.of(3);
     * Retry retry = Retry.builder("quotes").maxAttempts(attempts).build();
     * attempts.set(1);   // the dependency is overloaded: stop retrying it
     * }</pre>
     *
     * <p>The adaptive holds on to the policy (to check its changes) for as long as the adaptive
     * itself is reachable, or until a {@code NineLivesRegistry} removes or replaces the policy,
     * which releases the binding.
     *
     * @param attempts the adaptive number of attempts; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code attempts} is null
     */
    public RetryBuilder maxAttempts(Adaptive<Integer> attempts) {
        this.maxAttemptsSetting = Check.notNull(attempts, "maxAttempts");
        return this;
    }

    /**
     * Retries at once, with no delay. Immediate retries run in a loop, never deeper on the stack.
     *
     * @return this builder
     */
    public RetryBuilder noBackoff() {
        return fixed(Backoff.none());
    }

    /**
     * Waits the same delay before every retry.
     *
     * @param delay the delay, zero or positive
     * @return this builder
     * @throws NullPointerException     if {@code delay} is null
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public RetryBuilder constantBackoff(Duration delay) {
        return fixed(Backoff.constant(delay, "constantBackoff delay"));
    }

    /**
     * Waits {@code initial}, then {@code initial + increment}, {@code initial + 2 * increment}
     * and so on, at most {@code max}.
     *
     * @param initial   the delay before the first retry, zero or positive
     * @param increment added for each further retry, zero or positive
     * @param max       the cap, at least {@code initial}
     * @return this builder
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if an argument is negative or {@code max < initial}
     */
    public RetryBuilder linearBackoff(Duration initial, Duration increment, Duration max) {
        return fixed(Backoff.linear(initial, increment, max, "linearBackoff"));
    }

    /**
     * Waits {@code initial}, then multiplies the delay by {@code multiplier} for each further
     * retry, at most {@code max}.
     *
     * @param initial    the delay before the first retry, positive
     * @param multiplier the growth factor, from 1 to 100
     * @param max        the cap, at least {@code initial}
     * @return this builder
     * @throws NullPointerException     if a duration is null
     * @throws IllegalArgumentException if an argument is out of range
     */
    public RetryBuilder exponentialBackoff(Duration initial, double multiplier, Duration max) {
        return fixed(Backoff.exponential(initial, multiplier, max, "exponentialBackoff"));
    }

    /**
     * Sets the backoff from a {@link Backoff} value: {@code backoff(Backoff.constant(d))} is
     * {@link #constantBackoff(Duration) constantBackoff(d)}, and so on.
     *
     * @param backoff the backoff
     * @return this builder
     * @throws NullPointerException if {@code backoff} is null
     */
    public RetryBuilder backoff(Backoff backoff) {
        return fixed(Check.notNull(backoff, "backoff"));
    }

    /**
     * Binds the backoff to an adaptive setting: each retry's delay is computed from the backoff
     * in force when its attempt failed (one volatile load per failure; a call that succeeds never
     * reads it). A change applies to the next delay of every call, calls already retrying
     * included; a retry already scheduled keeps its delay. The initial delay, the growth and the
     * cap change together, as one value, and every {@link Backoff} was checked when it was made,
     * so the policy accepts any value. Jitter, set here on the builder, applies to each backoff.
     * A decorrelated jitter grows from the delay a call waited last, whatever backoff gave it.
     *
     * <pre>{@code
     * Adaptive<Backoff> backoff = Adaptive.of(Backoff.constant(Duration.ofMillis(100)));
     * Retry retry = Retry.builder("quotes").backoff(backoff).build();
     * backoff.set(Backoff.exponential(Duration.ofMillis(200), 2.0, Duration.ofSeconds(5)));
     * }</pre>
     *
     * <p>Why one adaptive for the whole backoff rather than one per duration: a change of the
     * initial delay and of the cap must be seen together (raising both past the old cap would
     * otherwise need an order of {@code set} calls, and a call could see one without the other).
     *
     * @param backoff the adaptive backoff; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code backoff} is null
     */
    public RetryBuilder backoff(Adaptive<Backoff> backoff) {
        this.backoffSetting = Check.notNull(backoff, "backoff");
        this.delayFunction = null;
        return this;
    }

    private RetryBuilder fixed(Backoff b) {
        this.backoff = b;
        this.backoffSetting = null;
        this.delayFunction = null;
        return this;
    }

    /**
     * Computes each delay with a function of the failed attempt's number (1 for the first call)
     * and its error; for instance to honour a server's Retry-After carried in an exception. A
     * {@code null} result means "do not retry": the call ends with that error. A negative
     * result ends the call with an {@link IllegalStateException}. Jitter still applies, with the
     * returned delay as its base (and its maximum, for decorrelated jitter).
     *
     * <p>A function that throws ends the call with what it threw, the attempt's error attached
     * as suppressed, announced {@link RetryEvent.Type#FAILED FAILED}; no retry is scheduled. A
     * JVM-fatal error ends the call the same way (as it is, nothing attached), then propagates.
     *
     * @param function (attempt, error) to the delay before the next attempt
     * @return this builder
     * @throws NullPointerException if {@code function} is null
     */
    public RetryBuilder backoff(BiFunction<Integer, Throwable, Duration> function) {
        this.delayFunction = Check.notNull(function, "backoff function");
        this.backoffSetting = null;
        return this;
    }

    /**
     * Randomizes each delay: {@link Jitter#FULL}, {@link Jitter#EQUAL} or
     * {@link Jitter#DECORRELATED} (or {@link Jitter#NONE}). For a plus-or-minus factor use
     * {@link #jitter(double)}.
     *
     * @param jitter the kind of jitter
     * @return this builder
     * @throws NullPointerException     if {@code jitter} is null
     * @throws IllegalArgumentException for {@link Jitter#PROPORTIONAL}, which needs a factor
     */
    public RetryBuilder jitter(Jitter jitter) {
        Check.notNull(jitter, "jitter");
        if (jitter == Jitter.PROPORTIONAL) {
            throw new IllegalArgumentException("jitter PROPORTIONAL needs a factor: use jitter(double)");
        }
        this.jitter = jitter;
        return this;
    }

    /**
     * Randomizes each delay by a factor drawn uniformly from {@code [1 - factor, 1 + factor]}.
     *
     * @param factor between 0 and 1
     * @return this builder
     * @throws IllegalArgumentException if {@code factor} is out of range or NaN
     */
    public RetryBuilder jitter(double factor) {
        if (!(factor >= 0.0 && factor <= 1.0)) {
            throw new IllegalArgumentException("jitter factor must be between 0 and 1, but was " + factor);
        }
        this.jitter = Jitter.PROPORTIONAL;
        this.jitterFactor = factor;
        return this;
    }

    /**
     * Sets the source of randomness for jitter. Default: {@code ThreadLocalRandom.current()} of
     * the thread that schedules the retry. A seeded generator makes delays exact in tests; it
     * is then called from the threads that schedule retries, so share one only if it is
     * thread-safe or the calls do not overlap.
     *
     * <p>A generator that throws ends the call as a {@link #backoff backoff} function that throws
     * does: with what it threw, the attempt's error attached as suppressed, announced
     * {@link RetryEvent.Type#FAILED FAILED}; a JVM-fatal error then propagates.
     *
     * @param random the generator
     * @return this builder
     * @throws NullPointerException if {@code random} is null
     */
    public RetryBuilder random(RandomGenerator random) {
        this.random = Check.notNull(random, "random");
        return this;
    }

    /**
     * Sets which errors are retried. Errors the JVM cannot recover from
     * ({@link VirtualMachineError}, {@link LinkageError}) are never retried, and the predicate
     * never sees them. Default: every {@link Exception}.
     *
     * <p>A predicate that throws counts as "no": the call ends with the attempt's error, what the
     * predicate threw attached to it as suppressed, announced {@link RetryEvent.Type#FAILED FAILED}.
     * A JVM-fatal error from the predicate ends the call with that error instead, announced
     * FAILED, then propagates.
     *
     * @param predicate true for errors worth another attempt
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     */
    public RetryBuilder retryIf(Predicate<? super Throwable> predicate) {
        this.retryIf = Check.notNull(predicate, "retryIf predicate");
        return this;
    }

    /**
     * Whether a circuit breaker's refusal ({@code CallNotPermittedException}) is retried. Off by
     * default: retrying into an open breaker only adds load and delay.
     *
     * @param retry true to let {@link #retryIf} decide for refusals too
     * @return this builder
     */
    public RetryBuilder retryOnCallNotPermitted(boolean retry) {
        this.retryOnCallNotPermitted = retry;
        return this;
    }

    /**
     * Retries a Mono whose value is an instance of {@code type} and matches {@code predicate}, as
     * if it had failed: the attempt is cancelled and the policy retries as after an error. Values
     * of other types are never tested and never retried, so the predicate sees only values of
     * its own type. When the attempts run out, the last value is emitted. Flux elements are never
     * tested. A primitive type stands for its wrapper ({@code int.class} for {@link Integer}).
     *
     * <pre>{@code
     * Retry untilPriced = Retry.builder("quotes")
     *     .retryOnResult(Quote.class, quote -> quote.status() == Status.PENDING)
     *     .build();
     * }</pre>
     *
     * <p>A predicate that throws cancels the attempt and ends the call with
     * {@code onError(what it threw)}, announced {@link RetryEvent.Type#FAILED FAILED}; a JVM-fatal
     * error ends it the same way, then propagates.
     *
     * @param type      the type of the values to test
     * @param predicate true for values worth another attempt
     * @param <R>       the type of the values to test
     * @return this builder
     * @throws NullPointerException if {@code type} or {@code predicate} is null
     */
    @SuppressWarnings("unchecked") // only instances of `type` reach the predicate
    public <R> RetryBuilder retryOnResult(Class<R> type, Predicate<? super R> predicate) {
        Check.notNull(type, "retryOnResult type");
        Check.notNull(predicate, "retryOnResult predicate");
        this.resultType = MethodType.methodType(type).wrap().returnType();
        this.retryOnResult = (Predicate<Object>) predicate;
        return this;
    }

    /**
     * Bounds the whole call, all attempts and delays, measured with the ticker from the first
     * subscription: no retry is scheduled whose delay would end past the deadline.
     *
     * @param deadline positive
     * @return this builder
     * @throws NullPointerException     if {@code deadline} is null
     * @throws IllegalArgumentException if {@code deadline} is zero or negative
     */
    public RetryBuilder deadline(Duration deadline) {
        this.deadlineNanos = Check.nanos(Check.positive(deadline, "deadline"));
        return this;
    }

    /**
     * Shares a {@link RetryBudget}: each call deposits into it, each retry takes from it, and a
     * retry it refuses ends the call with its last error.
     *
     * @param budget the budget, usually shared by many policies
     * @return this builder
     * @throws NullPointerException if {@code budget} is null
     */
    public RetryBuilder budget(RetryBudget budget) {
        this.budget = Check.notNull(budget, "budget");
        return this;
    }

    /**
     * On exhaustion, signals a {@link RetryExhaustedException} (the last error as its cause)
     * instead of the last error itself. Either way the earlier attempts' errors are attached as
     * suppressed exceptions (at most {@value Retry#MAX_SUPPRESSED}).
     *
     * @param enabled true for a {@link RetryExhaustedException}
     * @return this builder
     */
    public RetryBuilder exhaustedException(boolean enabled) {
        this.exhaustedException = enabled;
        return this;
    }

    /**
     * Whether a Flux that has already emitted elements is retried. Default true: it is
     * resubscribed and may emit them again, as Reactor's {@code retry} does. False: only a Flux
     * that failed before its first element is retried.
     *
     * @param enabled false to retry only while nothing has been emitted
     * @return this builder
     */
    public RetryBuilder retryAfterElements(boolean enabled) {
        this.retryAfterElements = enabled;
        return this;
    }

    /**
     * Starts the attempt count and the backoff again once an element arrives after an error,
     * so a long-lived Flux that recovered gets its full retries for the next failure.
     *
     * @param enabled true to reset on an element
     * @return this builder
     */
    public RetryBuilder resetOnElement(boolean enabled) {
        this.resetOnElement = enabled;
        return this;
    }

    /**
     * Sets the clock of the deadline. With Reactor, {@code NineLives.schedulerTicker()} makes
     * it follow virtual time.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public RetryBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Freezes the configuration. The settings bound to an adaptive (the attempts, the backoff)
     * keep following it; a fixed value gets an adaptive of the policy's own, so a reused builder
     * never links two policies.
     *
     * @return a new policy
     * @throws IllegalArgumentException if the adaptive given to {@link #maxAttempts(Adaptive)}
     *     holds a value out of range (nothing is bound then)
     */
    public Retry build() {
        return new Retry(this);
    }
}
