package dev.ninelives.breaker;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Builds a {@link CircuitBreaker}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} freezes a
 * {@link CircuitBreakerConfig}, so reusing the builder never changes a built breaker (only the
 * adaptive settings it was given change it, by design).
 *
 * <p>Defaults: a count-based window of the last 100 calls, a minimum of 100 calls, a 50 %
 * failure-rate threshold, no slow-call detection, 60 s open duration that does not grow, 10
 * trial calls in HALF_OPEN, every {@link Exception} recorded as a failure (errors such as
 * {@link OutOfMemoryError} are released unrecorded), the system ticker, no rejection stack
 * traces.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.builder("inventory")
 *     .slidingTimeWindow(Duration.ofSeconds(10), 10)   // the last 10 s, in 1 s buckets
 *     .minimumNumberOfCalls(20)
 *     .failureRateThreshold(25)
 *     .slowCallDuration(Duration.ofMillis(500))
 *     .slowCallRateThreshold(50)
 *     .openDuration(Duration.ofSeconds(5))
 *     .openDurationBackoff(2.0, Duration.ofMinutes(2)) // 5 s, 10 s, 20 s ... up to 2 min
 *     .permittedCallsInHalfOpen(3)
 *     .recordFailureIf(e -> !(e instanceof IllegalArgumentException))
 *     .build();
 * }</pre>
 *
 * <p>Six settings can change while the breaker runs, keeping its state: the failure-rate and
 * slow-call rate thresholds, the slow-call duration, the open duration, the number of trial
 * calls in HALF_OPEN and the size of a count-based window. Each has an overload that binds it to an {@link Adaptive}; see
 * {@link #failureRateThreshold(Adaptive)}. A fixed value given to the other overload becomes an
 * adaptive of the breaker's own at each {@link #build()}, so two breakers never share one by
 * accident.
 */
public final class CircuitBreakerBuilder {

    /** The largest count-based window. */
    public static final int MAX_WINDOW_SIZE = 8_191;
    /** The largest number of buckets of a time-based window. */
    public static final int MAX_WINDOW_BUCKETS = 128;
    /** The largest number of trial calls in HALF_OPEN (they are counted inside the state word). */
    public static final int MAX_PERMITTED_CALLS_IN_HALF_OPEN = 1023;

    final String name;
    CircuitBreakerConfig.WindowType windowType = CircuitBreakerConfig.WindowType.COUNT_BASED;
    int windowSize = 100;
    Adaptive<Integer> windowSizeSetting;
    Duration windowDuration = Duration.ofSeconds(60);
    int windowBuckets = 60;
    int minimumNumberOfCalls = 100;
    float failureRateThreshold = 50f;
    Adaptive<Float> failureRateThresholdSetting;
    Duration slowCallDuration;
    Adaptive<Duration> slowCallDurationSetting;
    float slowCallRateThreshold = 100f;
    Adaptive<Float> slowCallRateThresholdSetting;
    Duration openDuration = Duration.ofSeconds(60);
    Adaptive<Duration> openDurationSetting;
    double openDurationMultiplier = 1.0;
    Duration maxOpenDuration = Duration.ofSeconds(60);
    int permittedCallsInHalfOpen = 10;
    Adaptive<Integer> permittedCallsInHalfOpenSetting;
    Predicate<? super Throwable> recordFailure = DefaultFailure.INSTANCE;
    Ticker ticker = Ticker.system();
    boolean rejectionStackTraces;

    CircuitBreakerBuilder(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    /**
     * Uses a count-based sliding window: the outcomes of the last {@code calls} calls.
     *
     * @param calls the number of calls the window holds, 1 to {@value #MAX_WINDOW_SIZE}
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public CircuitBreakerBuilder slidingWindow(int calls) {
        this.windowSize = Check.inRange(calls, 1, MAX_WINDOW_SIZE, "slidingWindow calls");
        this.windowSizeSetting = null;
        this.windowType = CircuitBreakerConfig.WindowType.COUNT_BASED;
        return this;
    }

    /**
     * Uses a count-based sliding window whose size is bound to an adaptive setting (see
     * {@link #failureRateThreshold(Adaptive)} for how a breaker follows one). A resize keeps the
     * newest outcomes, never an empty window: shrunk, the window keeps the newest outcomes that
     * fit and forgets the older ones (their counts leave the totals); grown, it keeps every
     * outcome and fills up with the next calls. The rates are then judged at once over what it
     * kept, so a shrink that leaves mostly failures opens the breaker before {@link Adaptive#set}
     * returns. A {@link #minimumNumberOfCalls(int) minimum} above the new size acts as the new
     * size, as at build time. Calls that end while the window is being replaced (a few
     * nanoseconds) may go uncounted. A resize made while the breaker is not CLOSED applies to
     * the next CLOSED window. The adaptive refuses a size out of 1 to {@value #MAX_WINDOW_SIZE}.
     *
     * @param calls the adaptive number of calls the window holds
     * @return this builder
     * @throws NullPointerException if {@code calls} is null
     */
    public CircuitBreakerBuilder slidingWindow(Adaptive<Integer> calls) {
        this.windowSizeSetting = Check.notNull(calls, "slidingWindow calls");
        this.windowType = CircuitBreakerConfig.WindowType.COUNT_BASED;
        return this;
    }

    /**
     * Uses a time-based sliding window: the outcomes of the calls of the last {@code duration},
     * kept in {@code buckets} buckets of {@code duration / buckets} each. The window slides a
     * bucket at a time. Recording reads the ticker.
     *
     * @param duration the span of time the window covers, positive
     * @param buckets  the number of buckets, 1 to {@value #MAX_WINDOW_BUCKETS}, at most one per
     *                 millisecond of {@code duration}
     * @return this builder
     * @throws NullPointerException     if {@code duration} is null
     * @throws IllegalArgumentException if either is out of range
     */
    public CircuitBreakerBuilder slidingTimeWindow(Duration duration, int buckets) {
        Check.positive(duration, "slidingTimeWindow duration");
        Check.inRange(buckets, 1, MAX_WINDOW_BUCKETS, "slidingTimeWindow buckets");
        if (Check.nanos(duration) / buckets < 1_000_000L) {
            throw new IllegalArgumentException("slidingTimeWindow buckets must be at least 1 ms long, but "
                    + duration + " in " + buckets + " buckets gives " + Check.nanos(duration) / buckets + " ns");
        }
        this.windowDuration = duration;
        this.windowBuckets = buckets;
        this.windowType = CircuitBreakerConfig.WindowType.TIME_BASED;
        return this;
    }

    /**
     * Uses a time-based sliding window of {@code duration} in one-second buckets, or in
     * {@value #MAX_WINDOW_BUCKETS} buckets for a longer window, or in millisecond buckets for a
     * window shorter than a second: see {@link #slidingTimeWindow(Duration, int)}.
     *
     * @param duration the span of time the window covers, at least 1 ms
     * @return this builder
     * @throws NullPointerException     if {@code duration} is null
     * @throws IllegalArgumentException if {@code duration} is shorter than 1 ms
     */
    public CircuitBreakerBuilder slidingTimeWindow(Duration duration) {
        Check.positive(duration, "slidingTimeWindow duration");
        long seconds = duration.getSeconds();
        int buckets = seconds >= 1 ? (int) Math.min(seconds, MAX_WINDOW_BUCKETS)
                : (int) Math.max(1, Math.min(Check.nanos(duration) / 1_000_000L, MAX_WINDOW_BUCKETS));
        return slidingTimeWindow(duration, buckets);
    }

    /**
     * Sets how many calls the window must hold before any rate is evaluated. For a count-based
     * window a minimum above the window size acts as the window size.
     *
     * @param calls the minimum, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is below 1
     */
    public CircuitBreakerBuilder minimumNumberOfCalls(int calls) {
        this.minimumNumberOfCalls = Check.inRange(calls, 1, Integer.MAX_VALUE, "minimumNumberOfCalls");
        return this;
    }

    /**
     * Sets the failure rate, in percent of recorded calls, at or above which the breaker opens.
     *
     * @param percent the threshold, in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is out of range or NaN
     */
    public CircuitBreakerBuilder failureRateThreshold(float percent) {
        this.failureRateThreshold = Check.percentage(percent, "failureRateThreshold");
        this.failureRateThresholdSetting = null;
        return this;
    }

    /**
     * Binds the failure-rate threshold to an adaptive setting: the breaker starts from its value
     * at {@link #build()} and follows every later change, keeping its state (the window's
     * outcomes, the trial calls in HALF_OPEN, the OPEN deadline). The new threshold judges the
     * window at once, as it stands, when the change is made: lowered to or below the window's
     * failure rate (with at least {@link #minimumNumberOfCalls(int) minimum} calls recorded), it
     * opens a CLOSED breaker before {@link Adaptive#set} returns; raised, it keeps the breaker
     * CLOSED for the next outcomes. In HALF_OPEN the decision, taken when the last trial call
     * ends, uses the threshold in force then. From then on the adaptive refuses a value out of
     * (0, 100] with an {@link IllegalArgumentException} that names the setting and this breaker,
     * and nothing changes.
     *
     * <pre>{@code
     * Adaptive<Float> threshold = Adaptive.of(50f);
     * CircuitBreaker breaker = CircuitBreaker.builder("inventory").failureRateThreshold(threshold).build();
     * threshold.set(25f);    // stricter from now on: opens at once if a quarter of the window failed
     * threshold.set(150f);   // IllegalArgumentException: nothing changes
     * }</pre>
     *
     * <p>Every breaker built from this builder follows the same adaptive; the adaptive holds on
     * to each of them (to tell it about changes) for as long as it is reachable, or until a
     * {@code NineLivesRegistry} removes or replaces the breaker, which releases its bindings: the
     * breaker then keeps the values in force.
     *
     * @param percent the adaptive threshold, in percent; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code percent} is null
     */
    public CircuitBreakerBuilder failureRateThreshold(Adaptive<Float> percent) {
        this.failureRateThresholdSetting = Check.notNull(percent, "failureRateThreshold");
        return this;
    }

    /**
     * Turns on slow-call detection: a call that takes {@code duration} or longer, from
     * subscription to outcome, counts as slow. Off by default, and only then is the clock read
     * per call.
     *
     * @param duration the slow-call duration, positive
     * @return this builder
     * @throws NullPointerException     if {@code duration} is null
     * @throws IllegalArgumentException if {@code duration} is zero or negative
     */
    public CircuitBreakerBuilder slowCallDuration(Duration duration) {
        this.slowCallDuration = Check.positive(duration, "slowCallDuration");
        this.slowCallDurationSetting = null;
        return this;
    }

    /**
     * Turns on slow-call detection with a slow-call duration bound to an adaptive setting (see
     * {@link #failureRateThreshold(Adaptive)} for how a breaker follows one). A change applies
     * to the calls that end after it, whenever they started; the outcomes already in the window
     * keep the verdict they were recorded with. The adaptive refuses a duration that is zero or
     * negative.
     *
     * @param duration the adaptive slow-call duration
     * @return this builder
     * @throws NullPointerException if {@code duration} is null
     */
    public CircuitBreakerBuilder slowCallDuration(Adaptive<Duration> duration) {
        this.slowCallDurationSetting = Check.notNull(duration, "slowCallDuration");
        return this;
    }

    /**
     * Sets the slow-call rate, in percent, at or above which the breaker opens; has an effect
     * only with {@link #slowCallDuration(Duration)}. Default 100.
     *
     * @param percent the threshold, in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException if {@code percent} is out of range or NaN
     */
    public CircuitBreakerBuilder slowCallRateThreshold(float percent) {
        this.slowCallRateThreshold = Check.percentage(percent, "slowCallRateThreshold");
        this.slowCallRateThresholdSetting = null;
        return this;
    }

    /**
     * Binds the slow-call rate threshold to an adaptive setting; it behaves like
     * {@link #failureRateThreshold(Adaptive)} (judges the window at once when it changes) and
     * has an effect only with a slow-call duration. The adaptive refuses a value out of (0, 100].
     *
     * @param percent the adaptive threshold, in percent
     * @return this builder
     * @throws NullPointerException if {@code percent} is null
     */
    public CircuitBreakerBuilder slowCallRateThreshold(Adaptive<Float> percent) {
        this.slowCallRateThresholdSetting = Check.notNull(percent, "slowCallRateThreshold");
        return this;
    }

    /**
     * Sets how long the breaker stays OPEN before it admits trial calls.
     *
     * @param duration the open duration, positive
     * @return this builder
     * @throws NullPointerException     if {@code duration} is null
     * @throws IllegalArgumentException if {@code duration} is zero or negative
     */
    public CircuitBreakerBuilder openDuration(Duration duration) {
        this.openDuration = Check.positive(duration, "openDuration");
        this.openDurationSetting = null;
        if (openDurationMultiplier == 1.0 || maxOpenDuration.compareTo(duration) < 0) {
            this.maxOpenDuration = duration;
        }
        return this;
    }

    /**
     * Binds the open duration to an adaptive setting (see {@link #failureRateThreshold(Adaptive)}
     * for how a breaker follows one). A change applies from the next opening: an OPEN breaker
     * keeps the deadline it computed when it opened, so shortening the duration never lets
     * trial calls in early and lengthening it never holds them back longer than announced
     * (its rejections name that deadline). With {@link #openDurationBackoff}, the cap never
     * shortens the base: a base longer than the cap is used as it is. The adaptive refuses a
     * duration that is zero or negative.
     *
     * @param duration the adaptive open duration
     * @return this builder
     * @throws NullPointerException if {@code duration} is null
     */
    public CircuitBreakerBuilder openDuration(Adaptive<Duration> duration) {
        this.openDurationSetting = Check.notNull(duration, "openDuration");
        return this;
    }

    /**
     * Makes the open duration grow with consecutive openings (HALF_OPEN trials that fail and
     * open the breaker again): the n-th consecutive opening lasts
     * {@code openDuration * multiplier^(n-1)}, at most {@code max}. Closing the breaker starts
     * the count again.
     *
     * @param multiplier the growth factor, from 1 (constant) to 100
     * @param max        the cap, at least the open duration
     * @return this builder
     * @throws NullPointerException     if {@code max} is null
     * @throws IllegalArgumentException if {@code multiplier} is out of range or NaN, or
     *                                  {@code max} is shorter than the open duration
     */
    public CircuitBreakerBuilder openDurationBackoff(double multiplier, Duration max) {
        if (!(multiplier >= 1.0 && multiplier <= 100.0)) {
            throw new IllegalArgumentException("openDurationBackoff multiplier must be between 1 and 100, but was " + multiplier);
        }
        Check.positive(max, "openDurationBackoff max");
        Duration base = openDurationSetting != null ? openDurationSetting.get() : openDuration;
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("openDurationBackoff max must be at least openDuration ("
                    + base + "), but was " + max);
        }
        this.openDurationMultiplier = multiplier;
        this.maxOpenDuration = max;
        return this;
    }

    /**
     * Sets the number of trial calls HALF_OPEN admits; all of them must end before the
     * breaker decides to close or to open again.
     *
     * @param calls the number of trial calls, 1 to {@value #MAX_PERMITTED_CALLS_IN_HALF_OPEN}
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public CircuitBreakerBuilder permittedCallsInHalfOpen(int calls) {
        this.permittedCallsInHalfOpen = Check.inRange(calls, 1, MAX_PERMITTED_CALLS_IN_HALF_OPEN, "permittedCallsInHalfOpen");
        this.permittedCallsInHalfOpenSetting = null;
        return this;
    }

    /**
     * Binds the number of trial calls in HALF_OPEN to an adaptive setting (see
     * {@link #failureRateThreshold(Adaptive)} for how a breaker follows one). A change made
     * while HALF_OPEN keeps the trial calls already admitted, which end and count as usual; the
     * new number applies from the next admission, so no trial is ever admitted beyond the number
     * in force when it was admitted. HALF_OPEN decides once every admitted trial has ended and
     * at least the number in force have recorded an outcome: raised, it admits more trials
     * before deciding; lowered below the trials already admitted, it admits no more and decides
     * when those have ended (over all of their outcomes), at once if they all have. The adaptive
     * refuses a value out of 1 to {@value #MAX_PERMITTED_CALLS_IN_HALF_OPEN}.
     *
     * @param calls the adaptive number of trial calls
     * @return this builder
     * @throws NullPointerException if {@code calls} is null
     */
    public CircuitBreakerBuilder permittedCallsInHalfOpen(Adaptive<Integer> calls) {
        this.permittedCallsInHalfOpenSetting = Check.notNull(calls, "permittedCallsInHalfOpen");
        return this;
    }

    /**
     * Sets which errors count as failures. An error the predicate rejects releases the permit
     * unrecorded, as a cancellation does. If the predicate itself throws, the error counts as a
     * failure and the predicate's exception is logged.
     *
     * @param predicate true for errors that count as failures
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     */
    public CircuitBreakerBuilder recordFailureIf(Predicate<? super Throwable> predicate) {
        this.recordFailure = Check.notNull(predicate, "recordFailureIf predicate");
        return this;
    }

    /**
     * Sets the source of time (open durations, time-based windows, slow calls).
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public CircuitBreakerBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Gives each rejection a fresh {@link CallNotPermittedException} with a stack trace, which
     * helps to find the caller but allocates per refused call. Off by default.
     *
     * @param enabled true for a stack trace per rejection
     * @return this builder
     */
    public CircuitBreakerBuilder rejectionStackTraces(boolean enabled) {
        this.rejectionStackTraces = enabled;
        return this;
    }

    /**
     * Freezes the configuration and builds the breaker, CLOSED.
     *
     * @return a new breaker
     * @throws IllegalArgumentException if an adaptive setting holds a value its setting refuses
     *     (the message names the setting and quotes the value); nothing is bound then
     */
    public CircuitBreaker build() {
        return new LockFreeCircuitBreaker(name, new CircuitBreakerConfig(this));
    }

    /** Records every {@link Exception}; errors (OutOfMemoryError, assertion errors ...) are released. */
    private enum DefaultFailure implements Predicate<Throwable> {
        INSTANCE;

        @Override
        public boolean test(Throwable t) {
            return t instanceof Exception;
        }

        @Override
        public String toString() {
            return "every Exception";
        }
    }
}
