package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The immutable configuration of a circuit breaker, frozen by
 * {@link CircuitBreakerBuilder#build()}. Reusing or changing the builder afterwards never
 * changes a built breaker. Each accessor documents the builder method that sets it.
 */
public final class CircuitBreakerConfig {

    /** How the sliding window of outcomes is measured. */
    public enum WindowType {
        /** The last N calls. */
        COUNT_BASED,
        /** The calls of the last D of time, kept in buckets. */
        TIME_BASED
    }

    private final WindowType windowType;
    private final int windowSize;
    private final Duration windowDuration;
    private final int windowBuckets;
    private final int minimumNumberOfCalls;
    private final float failureRateThreshold;
    private final Duration slowCallDuration;
    private final float slowCallRateThreshold;
    private final Duration openDuration;
    private final double openDurationMultiplier;
    private final Duration maxOpenDuration;
    private final int permittedCallsInHalfOpen;
    private final Predicate<? super Throwable> recordFailure;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;

    CircuitBreakerConfig(CircuitBreakerBuilder b) {
        this.windowType = b.windowType;
        this.windowSize = b.windowSize;
        this.windowDuration = b.windowDuration;
        this.windowBuckets = b.windowBuckets;
        this.minimumNumberOfCalls = b.windowType == WindowType.COUNT_BASED
                ? Math.min(b.minimumNumberOfCalls, b.windowSize) : b.minimumNumberOfCalls;
        this.failureRateThreshold = b.failureRateThreshold;
        this.slowCallDuration = b.slowCallDuration;
        this.slowCallRateThreshold = b.slowCallRateThreshold;
        this.openDuration = b.openDuration;
        this.openDurationMultiplier = b.openDurationMultiplier;
        this.maxOpenDuration = b.maxOpenDuration;
        this.permittedCallsInHalfOpen = b.permittedCallsInHalfOpen;
        this.recordFailure = b.recordFailure;
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
    }

    /**
     * The kind of sliding window; see {@link CircuitBreakerBuilder#slidingWindow(int)} and
     * {@link CircuitBreakerBuilder#slidingTimeWindow(Duration, int)}.
     *
     * @return the window type
     */
    public WindowType windowType() {
        return windowType;
    }

    /**
     * The number of calls a count-based window holds.
     *
     * @return the window size in calls (meaningful for {@link WindowType#COUNT_BASED})
     */
    public int windowSize() {
        return windowSize;
    }

    /**
     * The span of time a time-based window covers.
     *
     * @return the window duration (meaningful for {@link WindowType#TIME_BASED})
     */
    public Duration windowDuration() {
        return windowDuration;
    }

    /**
     * The number of buckets a time-based window is divided into.
     *
     * @return the bucket count (meaningful for {@link WindowType#TIME_BASED})
     */
    public int windowBuckets() {
        return windowBuckets;
    }

    /**
     * The minimum number of recorded calls before rates are evaluated; for a count-based
     * window, capped at the window size.
     *
     * @return the minimum number of calls
     */
    public int minimumNumberOfCalls() {
        return minimumNumberOfCalls;
    }

    /**
     * The failure rate, in percent, at or above which the breaker opens.
     *
     * @return the threshold in (0, 100]
     */
    public float failureRateThreshold() {
        return failureRateThreshold;
    }

    /**
     * Whether slow calls are detected; only then does a call's duration matter.
     *
     * @return true when a slow-call duration was configured
     */
    public boolean slowCallDetection() {
        return slowCallDuration != null;
    }

    /**
     * The duration from which a call counts as slow.
     *
     * @return the slow-call duration, or null when slow calls are not detected
     */
    public Duration slowCallDuration() {
        return slowCallDuration;
    }

    /**
     * The slow-call rate, in percent, at or above which the breaker opens.
     *
     * @return the threshold in (0, 100]
     */
    public float slowCallRateThreshold() {
        return slowCallRateThreshold;
    }

    /**
     * How long the breaker stays OPEN after its first consecutive opening.
     *
     * @return the base open duration
     */
    public Duration openDuration() {
        return openDuration;
    }

    /**
     * The factor the open duration grows by with each consecutive opening (1 = constant).
     *
     * @return the multiplier, at least 1
     */
    public double openDurationMultiplier() {
        return openDurationMultiplier;
    }

    /**
     * The cap on the growing open duration.
     *
     * @return the longest open duration
     */
    public Duration maxOpenDuration() {
        return maxOpenDuration;
    }

    /**
     * The number of trial calls HALF_OPEN admits.
     *
     * @return the number of permitted calls in HALF_OPEN
     */
    public int permittedCallsInHalfOpen() {
        return permittedCallsInHalfOpen;
    }

    /**
     * The predicate that decides which errors count as failures; others release the permit.
     *
     * @return the failure predicate
     */
    public Predicate<? super Throwable> recordFailure() {
        return recordFailure;
    }

    /**
     * The source of time.
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Whether each rejection gets a fresh exception with a stack trace.
     *
     * @return true when rejection stack traces are on
     */
    public boolean rejectionStackTraces() {
        return rejectionStackTraces;
    }

    /**
     * Returns how long the breaker stays open after its {@code openings}-th consecutive opening
     * (1 for the first): the open duration times the multiplier to the power of
     * {@code openings - 1}, capped at the maximum.
     *
     * @param openings the number of consecutive openings, at least 1
     * @return the open duration in nanoseconds
     */
    public long openDurationNanos(int openings) {
        long base = nanos(openDuration);
        if (openings <= 1 || openDurationMultiplier == 1.0) {
            return base;
        }
        double grown = base * Math.pow(openDurationMultiplier, openings - 1);
        long cap = nanos(maxOpenDuration);
        return grown >= cap ? cap : (long) grown;
    }

    private static long nanos(Duration d) {
        return dev.ninelives.internal.Check.nanos(d);
    }

    @Override
    public String toString() {
        return "CircuitBreakerConfig{"
                + (windowType == WindowType.COUNT_BASED
                        ? "window=last " + windowSize + " calls"
                        : "window=last " + windowDuration + " in " + windowBuckets + " buckets")
                + ", minimumNumberOfCalls=" + minimumNumberOfCalls
                + ", failureRateThreshold=" + failureRateThreshold + "%"
                + (slowCallDuration == null ? ", slowCalls=off"
                        : ", slowCallDuration=" + slowCallDuration + ", slowCallRateThreshold=" + slowCallRateThreshold + "%")
                + ", openDuration=" + openDuration
                + (openDurationMultiplier == 1.0 ? "" : " x" + openDurationMultiplier + " up to " + maxOpenDuration)
                + ", permittedCallsInHalfOpen=" + permittedCallsInHalfOpen
                + ", ticker=" + ticker + "}";
    }
}
