package dev.ninelives.internal;

import dev.ninelives.core.Ticker;
import dev.ninelives.ratelimit.RequestNotPermittedException;

/**
 * The allocation-free side of a rate limiter, for the Reactor bridge. Not API: every
 * {@link dev.ninelives.ratelimit.RateLimiter} is one.
 *
 * <p>The protocol: read the {@link Rate} in force ({@link #rate()}), then {@link #reserve} with
 * it. A reservation is the instant its permit is the caller's (now or later: wait
 * {@code instant - now}). The caller keeps the rate and the instant to give the permit back ({@link #giveBack}) if it gives up before that
 * instant. {@link #REFUSED} means nothing was reserved: the caller then asks for the refusal
 * ({@link #refuse}), which counts it and returns the exception, then {@link #announceRefused()}. A granted
 * reservation is announced with {@link #announce(Rate, long, long)}.
 */
public abstract class RateGate {

    /** What {@link #reserve} returns when the wait would exceed the caller's maximum. */
    public static final long REFUSED = Long.MIN_VALUE;
    /** The largest burst tolerance, about 73 years: keeps every difference of instants in range. */
    public static final long MAX_TOLERANCE = 1L << 61;

    /** For the one implementation, in {@code dev.ninelives.ratelimit}. */
    protected RateGate() {
    }

    /**
     * The emission interval and the burst tolerance in force, immutable: a change of the limit or
     * the period publishes a new one, which applies to the reservations made after it.
     */
    public static final class Rate {
        /** Nanoseconds between two permits at the steady rate: {@code ceil(period / limit)}. */
        public final long intervalNanos;
        /** {@code (burst - 1) * intervalNanos}, saturated: how far behind now a permit's instant may lie after an idle spell. */
        public final long toleranceNanos;
        /** The limit the interval was computed from, for metrics and messages. */
        public final int limitForPeriod;
        /** The period the interval was computed from, in nanoseconds. */
        public final long periodNanos;
        /** The burst, in permits. */
        public final int burst;

        /**
         * Computes a rate.
         *
         * @param limitForPeriod permits per period, at least 1
         * @param periodNanos    the period, at least 1
         * @param burst          permits that may be taken at once after an idle spell, at least 1
         */
        public Rate(int limitForPeriod, long periodNanos, int burst) {
            this.limitForPeriod = limitForPeriod;
            this.periodNanos = periodNanos;
            this.burst = burst;
            long interval = periodNanos / limitForPeriod + (periodNanos % limitForPeriod == 0 ? 0 : 1);
            this.intervalNanos = Math.max(1L, interval);
            long b = intervalNanos * (burst - 1L);
            this.toleranceNanos = Math.multiplyHigh(intervalNanos, burst - 1L) != 0 || b < 0 || b > MAX_TOLERANCE ? MAX_TOLERANCE : b;
        }
    }

    /**
     * Returns the rate in force.
     *
     * @return the rate
     */
    public abstract Rate rate();

    /**
     * Returns the limiter's ticker.
     *
     * @return the ticker
     */
    public abstract Ticker ticker();

    /**
     * Returns the maximum wait configured now, in nanoseconds.
     *
     * @return zero or more
     */
    public abstract long maxWaitNanos();

    /**
     * Reserves the next permit if the caller would wait at most {@code maxWaitNanos} for it. One
     * CAS at most per attempt; never allocates, never calls a listener, never throws.
     *
     * @param rate         the rate read with {@link #rate()}
     * @param now          the ticker's reading
     * @param maxWaitNanos the longest wait the caller accepts
     * @return the instant the permit is the caller's (wait {@code instant - now} if positive),
     *         or {@link #REFUSED}
     */
    public abstract long reserve(Rate rate, long now, long maxWaitNanos);

    /**
     * Gives back the permit of a reservation whose instant has not come, if no later reservation
     * was made since (see {@code RateLimiter}'s class javadoc for why only then).
     *
     * @param rate the rate the reservation was made with
     * @param instant what {@link #reserve} returned
     * @return true if the permit is back
     */
    public abstract boolean giveBack(Rate rate, long instant);

    /**
     * Counts a refusal and returns the exception to signal; calls no listener, never throws:
     * call {@link #announceRefused()} next.
     *
     * @param rate         the rate the attempt used
     * @param now          the ticker's reading of the attempt
     * @param maxWaitNanos the longest wait the caller accepted
     * @return the exception (shared while the state does not move, unless stack traces are on)
     */
    public abstract RequestNotPermittedException refuse(Rate rate, long now, long maxWaitNanos);

    /**
     * Tells the rejected listeners about a refusal already counted.
     *
     * @throws Error a listener's JVM-fatal error; the caller must still signal its subscriber
     */
    public abstract void announceRefused();

    /**
     * Tells the permitted listeners about a granted reservation; a listener's JVM-fatal error is
     * rethrown once the permit has been given back (if it still can be).
     *
     * @param rate      the rate of the reservation
     * @param instant   the reservation
     * @param waitNanos how long the caller waits for it
     * @throws Error a listener's JVM-fatal error: the call must not start
     */
    public abstract void announce(Rate rate, long instant, long waitNanos);
}
