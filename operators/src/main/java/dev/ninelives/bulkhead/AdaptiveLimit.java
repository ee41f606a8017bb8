package dev.ninelives.bulkhead;

import dev.ninelives.internal.Check;

import java.time.Duration;
import java.util.Locale;

/**
 * How a bulkhead moves its own limit of concurrent calls from the latency it observes: an
 * immutable specification given to {@link BulkheadBuilder#adaptiveLimit(AdaptiveLimit)}. Every
 * {@code withX}-style method returns a new specification and leaves this one as it was, so one
 * specification can be shared by many bulkheads.
 *
 * <pre>{@code
 * Bulkhead bulkhead = Bulkhead.builder("payments")
 *     .adaptiveLimit(AdaptiveLimit.aimd()
 *         .minLimit(5).maxLimit(200).initialLimit(20)
 *         .latencyThreshold(Duration.ofMillis(250)))
 *     .maxWait(Duration.ofMillis(50))
 *     .build();
 * }</pre>
 *
 * <h2>Samples and windows</h2>
 * Each call that held a permit is one sample: the time from the permit being taken to the call's
 * outcome (measured with the bulkhead's ticker), and whether it ended with an error (a
 * <em>drop</em>). A call cancelled before its outcome gives no sample. Samples collect into a
 * window that closes after {@link #windowSize} samples or, once it holds at least one sample,
 * when {@link #windowDuration} has passed since it opened; the call that closes it recomputes
 * the limit on its own thread (no background thread), within {@code [minLimit, maxLimit]}, and
 * sets it as the bulkhead's limit. The limit is the bulkhead's own: waiting, queue order,
 * metrics and listeners of {@link BulkheadConfig#maxConcurrent()} all see it.
 *
 * <h2>Algorithms</h2>
 * <ul>
 *   <li>{@link Algorithm#AIMD}: additive increase, multiplicative decrease. A window with a drop,
 *       or whose mean latency exceeds {@link #latencyThreshold}, multiplies the limit by
 *       {@link #backoffRatio}; a window in which the bulkhead was at some point at least half used adds one.
 *       Predictable and robust; it needs a latency threshold to see overload that does not fail.</li>
 *   <li>{@link Algorithm#GRADIENT}: compares the window's mean latency with the lowest latency
 *       seen (the latency without queueing). The gradient {@code tolerance * lowest / mean},
 *       clamped to [0.5, 1], scales the limit, plus a headroom of {@code sqrt(limit)} so that it
 *       keeps probing upwards; the result is smoothed by {@link #smoothing}. It needs no
 *       threshold, but its lowest latency is learned only from calls that did not queue (a
 *       service that starts under light load, or a limit below the capacity at some point).</li>
 * </ul>
 * Netflix's concurrency-limits library showed the way for both; this is an independent,
 * lock-free implementation.
 */
public final class AdaptiveLimit {

    /** The algorithms, by name (see {@link #named(String)}). */
    public enum Algorithm {
        /** Additive increase, multiplicative decrease on drops or latency above a threshold. */
        AIMD,
        /** Scales the limit by the ratio of the lowest latency to the current latency. */
        GRADIENT
    }

    /** The largest window, in samples. */
    public static final int MAX_WINDOW_SIZE = 10_000;

    final Algorithm algorithm;
    final int minLimit;
    final int maxLimit;
    final int initialLimit;
    final int windowSize;
    final Duration windowDuration;
    final double backoffRatio;
    final Duration latencyThreshold;
    final double tolerance;
    final double smoothing;
    /** {@link #windowDuration} and {@link #latencyThreshold} in nanoseconds, for the limiter. */
    final long windowNanos;
    final long thresholdNanos;

    private AdaptiveLimit(Algorithm algorithm, int minLimit, int maxLimit, int initialLimit, int windowSize,
                          Duration windowDuration, double backoffRatio, Duration latencyThreshold,
                          double tolerance, double smoothing) {
        this.algorithm = algorithm;
        this.minLimit = minLimit;
        this.maxLimit = maxLimit;
        this.initialLimit = initialLimit;
        this.windowSize = windowSize;
        this.windowDuration = windowDuration;
        this.backoffRatio = backoffRatio;
        this.latencyThreshold = latencyThreshold;
        this.tolerance = tolerance;
        this.smoothing = smoothing;
        this.windowNanos = Check.nanos(windowDuration);
        this.thresholdNanos = Check.nanos(latencyThreshold);
    }

    /**
     * AIMD with its defaults: limits 1 to 1000 starting at 20, windows of 50 samples or 1 s,
     * backoff ratio 0.9, no latency threshold (only drops lower the limit).
     *
     * @return a new specification
     */
    public static AdaptiveLimit aimd() {
        return new AdaptiveLimit(Algorithm.AIMD, 1, 1000, 20, 50, Duration.ofSeconds(1), 0.9, Duration.ZERO, 1.0, 0.2);
    }

    /**
     * The gradient algorithm with its defaults: limits 1 to 1000 starting at 20, windows of 50
     * samples or 1 s, tolerance 1.0, smoothing 0.2.
     *
     * @return a new specification
     */
    public static AdaptiveLimit gradient() {
        return new AdaptiveLimit(Algorithm.GRADIENT, 1, 1000, 20, 50, Duration.ofSeconds(1), 0.9, Duration.ZERO, 1.0, 0.2);
    }

    /**
     * The algorithm of that name with its defaults: {@code "aimd"} or {@code "gradient"}, in any
     * case (the form a properties file uses).
     *
     * @param algorithm the name
     * @return a new specification
     * @throws NullPointerException     if {@code algorithm} is null
     * @throws IllegalArgumentException if no algorithm has that name
     */
    public static AdaptiveLimit named(String algorithm) {
        Check.notNull(algorithm, "algorithm");
        switch (algorithm.trim().toLowerCase(Locale.ROOT)) {
            case "aimd":
                return aimd();
            case "gradient":
                return gradient();
            default:
                throw new IllegalArgumentException("algorithm must be 'aimd' or 'gradient', but was '" + algorithm + "'");
        }
    }

    private AdaptiveLimit with(int min, int max, int initial, int size, Duration duration, double backoff,
                               Duration threshold, double tol, double smooth) {
        return new AdaptiveLimit(algorithm, min, max, initial, size, duration, backoff, threshold, tol, smooth);
    }

    /**
     * The lowest the limit goes.
     *
     * @param calls 1 to {@link BulkheadBuilder#MAX_CONCURRENT}
     * @return a new specification
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public AdaptiveLimit minLimit(int calls) {
        Check.inRange(calls, 1, BulkheadBuilder.MAX_CONCURRENT, "minLimit");
        return with(calls, maxLimit, initialLimit, windowSize, windowDuration, backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * The highest the limit goes.
     *
     * @param calls 1 to {@link BulkheadBuilder#MAX_CONCURRENT}
     * @return a new specification
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public AdaptiveLimit maxLimit(int calls) {
        Check.inRange(calls, 1, BulkheadBuilder.MAX_CONCURRENT, "maxLimit");
        return with(minLimit, calls, initialLimit, windowSize, windowDuration, backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * The limit the bulkhead starts with; it must lie within {@code [minLimit, maxLimit]} when
     * the bulkhead is built.
     *
     * @param calls 1 to {@link BulkheadBuilder#MAX_CONCURRENT}
     * @return a new specification
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public AdaptiveLimit initialLimit(int calls) {
        Check.inRange(calls, 1, BulkheadBuilder.MAX_CONCURRENT, "initialLimit");
        return with(minLimit, maxLimit, calls, windowSize, windowDuration, backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * How many samples close a window (the smoothing window of the algorithm's input).
     *
     * @param samples 1 to {@link #MAX_WINDOW_SIZE}
     * @return a new specification
     * @throws IllegalArgumentException if {@code samples} is out of range
     */
    public AdaptiveLimit windowSize(int samples) {
        Check.inRange(samples, 1, MAX_WINDOW_SIZE, "windowSize");
        return with(minLimit, maxLimit, initialLimit, samples, windowDuration, backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * How long a window may stay open before the next sample closes it, even with fewer than
     * {@link #windowSize} samples.
     *
     * @param duration positive
     * @return a new specification
     * @throws NullPointerException     if {@code duration} is null
     * @throws IllegalArgumentException if {@code duration} is zero or negative
     */
    public AdaptiveLimit windowDuration(Duration duration) {
        Check.positive(duration, "windowDuration");
        return with(minLimit, maxLimit, initialLimit, windowSize, duration, backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * AIMD: the factor a window with a drop or a slow mean applies to the limit.
     *
     * @param ratio greater than 0 and less than 1
     * @return a new specification
     * @throws IllegalArgumentException if {@code ratio} is out of range
     */
    public AdaptiveLimit backoffRatio(double ratio) {
        if (!(ratio > 0.0 && ratio < 1.0)) {
            throw new IllegalArgumentException("backoffRatio must be greater than 0 and less than 1, but was " + ratio);
        }
        return with(minLimit, maxLimit, initialLimit, windowSize, windowDuration, ratio, latencyThreshold, tolerance, smoothing);
    }

    /**
     * AIMD: a window whose mean latency is above this counts as overload, like a drop; zero
     * (the default) turns it off.
     *
     * @param threshold zero or positive
     * @return a new specification
     * @throws NullPointerException     if {@code threshold} is null
     * @throws IllegalArgumentException if {@code threshold} is negative
     */
    public AdaptiveLimit latencyThreshold(Duration threshold) {
        Check.notNull(threshold, "latencyThreshold");
        if (threshold.isNegative()) {
            throw new IllegalArgumentException("latencyThreshold must be zero or positive, but was " + threshold);
        }
        return with(minLimit, maxLimit, initialLimit, windowSize, windowDuration, backoffRatio, threshold, tolerance, smoothing);
    }

    /**
     * Gradient: how much slower than the lowest latency a window may be before the limit
     * shrinks (1.0: not at all; 2.0: twice as slow).
     *
     * @param ratio 1.0 to 10.0
     * @return a new specification
     * @throws IllegalArgumentException if {@code ratio} is out of range
     */
    public AdaptiveLimit tolerance(double ratio) {
        if (!(ratio >= 1.0 && ratio <= 10.0)) {
            throw new IllegalArgumentException("tolerance must be between 1.0 and 10.0, but was " + ratio);
        }
        return with(minLimit, maxLimit, initialLimit, windowSize, windowDuration, backoffRatio, latencyThreshold, ratio, smoothing);
    }

    /**
     * Gradient: the weight of a window's new limit against the current one (1.0: no smoothing).
     *
     * @param weight greater than 0 and at most 1
     * @return a new specification
     * @throws IllegalArgumentException if {@code weight} is out of range
     */
    public AdaptiveLimit smoothing(double weight) {
        if (!(weight > 0.0 && weight <= 1.0)) {
            throw new IllegalArgumentException("smoothing must be greater than 0 and at most 1, but was " + weight);
        }
        return with(minLimit, maxLimit, initialLimit, windowSize, windowDuration, backoffRatio, latencyThreshold, tolerance, weight);
    }

    /**
     * Returns the algorithm.
     *
     * @return the algorithm
     */
    public Algorithm algorithm() {
        return algorithm;
    }

    /**
     * Returns the lowest limit.
     *
     * @return the lowest limit
     */
    public int minLimit() {
        return minLimit;
    }

    /**
     * Returns the highest limit.
     *
     * @return the highest limit
     */
    public int maxLimit() {
        return maxLimit;
    }

    /**
     * Returns the starting limit.
     *
     * @return the starting limit
     */
    public int initialLimit() {
        return initialLimit;
    }

    /**
     * Returns the samples that close a window.
     *
     * @return the window size
     */
    public int windowSize() {
        return windowSize;
    }

    /**
     * Returns how long a window may stay open.
     *
     * @return the window duration
     */
    public Duration windowDuration() {
        return windowDuration;
    }

    /**
     * Returns AIMD's backoff ratio (kept, unused, by the gradient algorithm).
     *
     * @return the ratio
     */
    public double backoffRatio() {
        return backoffRatio;
    }

    /**
     * Returns AIMD's latency threshold; zero when off.
     *
     * @return the threshold
     */
    public Duration latencyThreshold() {
        return latencyThreshold;
    }

    /**
     * Returns the gradient's tolerance (kept, unused, by AIMD).
     *
     * @return the tolerance
     */
    public double tolerance() {
        return tolerance;
    }

    /**
     * Returns the gradient's smoothing weight (kept, unused, by AIMD).
     *
     * @return the weight
     */
    public double smoothing() {
        return smoothing;
    }

    /** Refuses an inconsistent combination; run when a bulkhead is built with it. */
    void validate() {
        checkLimits(null);
        if (initialLimit < minLimit || initialLimit > maxLimit) {
            throw new IllegalArgumentException("initialLimit must be between minLimit (" + minLimit + ") and maxLimit ("
                    + maxLimit + "), but was " + initialLimit);
        }
    }

    /**
     * Refuses limits that cross; the check a running bulkhead makes of a new specification (its
     * initial limit does not matter any more).
     *
     * @param bulkhead the name of the bulkhead to blame, or null
     */
    void checkLimits(String bulkhead) {
        if (minLimit > maxLimit) {
            throw new IllegalArgumentException("minLimit (" + minLimit + ") must not exceed maxLimit (" + maxLimit + ")"
                    + (bulkhead == null ? "" : " in the adaptive limit of bulkhead '" + bulkhead + "', but was " + this));
        }
    }

    /**
     * Tells whether {@code o} is a specification with the same algorithm and settings.
     *
     * @param o the other object
     * @return true if equal
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof AdaptiveLimit a && a.algorithm == algorithm && a.minLimit == minLimit
                && a.maxLimit == maxLimit && a.initialLimit == initialLimit && a.windowSize == windowSize
                && a.windowDuration.equals(windowDuration) && Double.compare(a.backoffRatio, backoffRatio) == 0
                && a.latencyThreshold.equals(latencyThreshold) && Double.compare(a.tolerance, tolerance) == 0
                && Double.compare(a.smoothing, smoothing) == 0;
    }

    /**
     * Returns a hash of the algorithm and the settings.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(algorithm, minLimit, maxLimit, initialLimit, windowSize, windowDuration,
                backoffRatio, latencyThreshold, tolerance, smoothing);
    }

    /** Shows the algorithm and its settings. */
    @Override
    public String toString() {
        return "AdaptiveLimit{" + algorithm + ", limits=[" + minLimit + ", " + maxLimit + "], initial=" + initialLimit
                + ", window=" + windowSize + " samples or " + windowDuration
                + (algorithm == Algorithm.AIMD ? ", backoffRatio=" + backoffRatio + ", latencyThreshold=" + latencyThreshold
                : ", tolerance=" + tolerance + ", smoothing=" + smoothing) + '}';
    }
}
