package dev.ninelives.retry;

/**
 * The budget's intended semantics, sequentially and without bit packing: tokens in thousandths,
 * the last accrual in whole milliseconds since the build, accrual applied lazily before a take and a read.
 * Shared by the property test and the Lincheck specification.
 */
final class RetryBudgetModel {

    private final long capacity;
    private final long deposit;
    private final long perSecond;
    private final long startNanos;
    private long tokens;
    private long lastMillis;

    /**
     * @param ratio      the configured ratio
     * @param perSecond  minRetriesPerSecond
     * @param capacity   the capacity in tokens
     * @param startNanos the ticker's reading when the budget was built
     */
    RetryBudgetModel(double ratio, int perSecond, int capacity, long startNanos) {
        this.capacity = capacity * 1000L;
        this.deposit = ratio > 0 ? Math.max(1, Math.round(ratio * 1000)) : 0;
        this.perSecond = perSecond;
        this.tokens = this.capacity;
        this.startNanos = startNanos;
    }

    void onCall() {
        tokens = Math.min(capacity, tokens + deposit);
    }

    boolean tryAcquireRetry(long nowNanos) {
        accrue(nowNanos);
        if (tokens < 1000) {
            return false;
        }
        tokens -= 1000;
        return true;
    }

    double availableTokens(long nowNanos) {
        accrue(nowNanos);
        return tokens / 1000.0;
    }

    /** r tokens a second is r thousandths a millisecond. */
    private void accrue(long nowNanos) {
        long nowMillis = Math.floorDiv(nowNanos - startNanos, 1_000_000L);   // whole ms since the budget was built
        if (nowMillis > lastMillis) {
            tokens = Math.min(capacity, tokens + (nowMillis - lastMillis) * perSecond);
            lastMillis = nowMillis;
        }
    }
}
