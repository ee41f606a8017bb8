package dev.ninelives.retry;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Builds a {@link Retry}. Every method checks its argument at the call and throws an exception
 * that names the parameter and quotes the value; {@link #build()} freezes an immutable policy,
 * so a reused builder never changes a built one.
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
    Backoff backoff = Backoff.EXPONENTIAL;
    long initialNanos = Duration.ofMillis(100).toNanos();
    long incrementNanos;
    double multiplier = 2.0;
    long maxNanos = Duration.ofSeconds(10).toNanos();
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
        return this;
    }

    /**
     * Retries at once, with no delay. Immediate retries run in a loop, never deeper on the stack.
     *
     * @return this builder
     */
    public RetryBuilder noBackoff() {
        this.backoff = Backoff.NONE;
        return this;
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
        this.initialNanos = nonNegative(delay, "constantBackoff delay");
        this.maxNanos = initialNanos;
        this.backoff = Backoff.CONSTANT;
        return this;
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
        long i = nonNegative(initial, "linearBackoff initial");
        long inc = nonNegative(increment, "linearBackoff increment");
        long m = nonNegative(max, "linearBackoff max");
        atLeast(m, i, max, initial, "linearBackoff max");
        this.initialNanos = i;
        this.incrementNanos = inc;
        this.maxNanos = m;
        this.backoff = Backoff.LINEAR;
        return this;
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
        long i = Check.nanos(Check.positive(initial, "exponentialBackoff initial"));
        if (!(multiplier >= 1.0 && multiplier <= 100.0)) {
            throw new IllegalArgumentException("exponentialBackoff multiplier must be between 1 and 100, but was " + multiplier);
        }
        long m = nonNegative(max, "exponentialBackoff max");
        atLeast(m, i, max, initial, "exponentialBackoff max");
        this.initialNanos = i;
        this.multiplier = multiplier;
        this.maxNanos = m;
        this.backoff = Backoff.EXPONENTIAL;
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
        this.backoff = Backoff.CUSTOM;
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
     * Freezes the configuration.
     *
     * @return a new immutable policy
     */
    public Retry build() {
        return new Retry(this);
    }

    private static long nonNegative(Duration d, String name) {
        Check.notNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, but was " + d);
        }
        return Check.nanos(d);
    }

    private static void atLeast(long value, long floor, Duration max, Duration initial, String name) {
        if (value < floor) {
            throw new IllegalArgumentException(name + " must be at least the initial delay (" + initial
                    + "), but was " + Objects.toString(max));
        }
    }
}
