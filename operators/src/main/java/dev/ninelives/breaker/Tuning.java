package dev.ninelives.breaker;

/**
 * The settings of one breaker that may change while it runs, as one immutable snapshot: the
 * breaker and its windows read it with one volatile load ({@link CircuitBreakerConfig#tuning()})
 * and a change of any of them installs a new snapshot (a CAS in
 * {@link CircuitBreakerConfig#retune}). Allocation happens on a change only.
 */
final class Tuning {

    /** The failure rate, in percent, at or above which the breaker opens. */
    final float failureRate;
    /** The slow-call rate, in percent, at or above which the breaker opens; NaN when slow calls are off. */
    final float slowRate;
    /** From this duration on a call is slow; {@link Long#MAX_VALUE} when slow calls are off. */
    final long slowNanos;
    /** The number of trial calls HALF_OPEN admits. */
    final int permits;
    /** How long the first consecutive opening lasts. */
    final long openNanos;
    /** The size of a count-based window (read when a window is made, never per call). */
    final int windowSize;

    Tuning(float failureRate, float slowRate, long slowNanos, int permits, long openNanos, int windowSize) {
        this.failureRate = failureRate;
        this.slowRate = slowRate;
        this.slowNanos = slowNanos;
        this.permits = permits;
        this.openNanos = openNanos;
        this.windowSize = windowSize;
    }

    Tuning withFailureRate(float v) {
        return v == failureRate ? this : new Tuning(v, slowRate, slowNanos, permits, openNanos, windowSize);
    }

    Tuning withSlowRate(float v) {
        return v == slowRate ? this : new Tuning(failureRate, v, slowNanos, permits, openNanos, windowSize);
    }

    Tuning withSlowNanos(long v) {
        return v == slowNanos ? this : new Tuning(failureRate, slowRate, v, permits, openNanos, windowSize);
    }

    Tuning withPermits(int v) {
        return v == permits ? this : new Tuning(failureRate, slowRate, slowNanos, v, openNanos, windowSize);
    }

    Tuning withOpenNanos(long v) {
        return v == openNanos ? this : new Tuning(failureRate, slowRate, slowNanos, permits, v, windowSize);
    }

    Tuning withWindowSize(int v) {
        return v == windowSize ? this : new Tuning(failureRate, slowRate, slowNanos, permits, openNanos, v);
    }
}
