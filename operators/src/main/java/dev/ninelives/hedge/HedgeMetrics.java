package dev.ninelives.hedge;

import java.time.Duration;

/**
 * A snapshot of a hedge policy's counters since it was built, and the delay in force. The
 * counters are read one after the other, not atomically together: a snapshot taken while calls
 * run may be a call or two apart between counters.
 */
public final class HedgeMetrics {

    private final long calls;
    private final long hedgesIssued;
    private final long hedgesWon;
    private final long refusedByBudget;
    private final long refusedByBreaker;
    private final long delayNanos;
    private final double budgetTokens;

    HedgeMetrics(long calls, long hedgesIssued, long hedgesWon, long refusedByBudget, long refusedByBreaker,
                 long delayNanos, double budgetTokens) {
        this.calls = calls;
        this.hedgesIssued = hedgesIssued;
        this.hedgesWon = hedgesWon;
        this.refusedByBudget = refusedByBudget;
        this.refusedByBreaker = refusedByBreaker;
        this.delayNanos = delayNanos;
        this.budgetTokens = budgetTokens;
    }

    /**
     * Returns the calls that went through the hedge (each one's first attempt).
     *
     * @return the count
     */
    public long calls() {
        return calls;
    }

    /**
     * Returns the hedges subscribed: attempts beyond each call's first.
     *
     * @return the count
     */
    public long hedgesIssued() {
        return hedgesIssued;
    }

    /**
     * Returns the hedges that answered before every other attempt of their call.
     *
     * @return the count, at most {@link #hedgesIssued()}
     */
    public long hedgesWon() {
        return hedgesWon;
    }

    /**
     * Returns the hedges that were due but found no token in the budget.
     *
     * @return the count
     */
    public long refusedByBudget() {
        return refusedByBudget;
    }

    /**
     * Returns the hedges that were due but refused a permit by the circuit breaker of the pipeline
     * they run in.
     *
     * @return the count
     */
    public long refusedByBreaker() {
        return refusedByBreaker;
    }

    /**
     * Returns the delay in force: the fixed delay, or the percentile of the last closed window
     * (never below the minimum delay), or the minimum delay before the first window closes.
     *
     * @return the delay
     */
    public Duration delay() {
        return Duration.ofNanos(delayNanos);
    }

    /**
     * Returns the tokens in the budget now: how many hedges may still be issued before more
     * calls earn new ones.
     *
     * @return zero to the budget's burst, with a fractional part
     */
    public double budgetTokens() {
        return budgetTokens;
    }

    @Override
    public String toString() {
        return "HedgeMetrics{calls=" + calls + ", issued=" + hedgesIssued + ", won=" + hedgesWon + ", refusedByBudget="
                + refusedByBudget + ", refusedByBreaker=" + refusedByBreaker + ", delay=" + delay() + ", tokens="
                + String.format(java.util.Locale.ROOT, "%.2f", budgetTokens) + '}';
    }
}
