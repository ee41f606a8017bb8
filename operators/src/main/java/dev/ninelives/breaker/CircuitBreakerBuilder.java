package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Builds a {@link CircuitBreaker}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} freezes an
 * immutable {@link CircuitBreakerConfig}, so reusing the builder never changes a built breaker.
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
    Duration windowDuration = Duration.ofSeconds(60);
    int windowBuckets = 60;
    int minimumNumberOfCalls = 100;
    float failureRateThreshold = 50f;
    Duration slowCallDuration;
    float slowCallRateThreshold = 100f;
    Duration openDuration = Duration.ofSeconds(60);
    double openDurationMultiplier = 1.0;
    Duration maxOpenDuration = Duration.ofSeconds(60);
    int permittedCallsInHalfOpen = 10;
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
        if (openDurationMultiplier == 1.0 || maxOpenDuration.compareTo(duration) < 0) {
            this.maxOpenDuration = duration;
        }
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
        if (max.compareTo(openDuration) < 0) {
            throw new IllegalArgumentException("openDurationBackoff max must be at least openDuration ("
                    + openDuration + "), but was " + max);
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
