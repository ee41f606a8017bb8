package dev.ninelives.ratelimit;

/**
 * A snapshot of a rate limiter, computed from its one state word and the ticker's reading: the
 * permits that may be taken now without waiting, the reservations still waiting for their
 * instant, and the refusals so far.
 */
public final class RateLimiterMetrics {

    private final int limitForPeriod;
    private final int availablePermits;
    private final int waiting;
    private final long refusedCalls;

    RateLimiterMetrics(int limitForPeriod, int availablePermits, int waiting, long refusedCalls) {
        this.limitForPeriod = limitForPeriod;
        this.availablePermits = availablePermits;
        this.waiting = waiting;
        this.refusedCalls = refusedCalls;
    }

    /**
     * Returns the limit per period in force.
     *
     * @return the limit
     */
    public int limitForPeriod() {
        return limitForPeriod;
    }

    /**
     * Returns how many permits could be taken now, one after the other, without waiting: the
     * burst after an idle spell, zero while callers wait.
     *
     * @return zero to the burst
     */
    public int availablePermits() {
        return availablePermits;
    }

    /**
     * Returns how many granted reservations are still waiting for their instant (a cancelled one
     * whose permit went back is not counted; one whose permit was forfeit still is, until its instant).
     *
     * @return zero or more
     */
    public int waiting() {
        return waiting;
    }

    /**
     * Returns the calls refused since the limiter was built.
     *
     * @return the count
     */
    public long refusedCalls() {
        return refusedCalls;
    }

    @Override
    public String toString() {
        return "RateLimiterMetrics{limitForPeriod=" + limitForPeriod + ", available=" + availablePermits
                + ", waiting=" + waiting + ", refused=" + refusedCalls + '}';
    }
}
