package dev.ninelives.bulkhead;

/**
 * A snapshot of a bulkhead's permits and queue. The free permits and the queue length are read
 * together from one state word, so they agree at one instant; the limit and the refusal count
 * are read beside them.
 */
public final class BulkheadMetrics {

    private final int maxConcurrent;
    private final int availablePermits;
    private final int queued;
    private final long rejectedCalls;

    BulkheadMetrics(int maxConcurrent, int availablePermits, int queued, long rejectedCalls) {
        this.maxConcurrent = maxConcurrent;
        this.availablePermits = availablePermits;
        this.queued = queued;
        this.rejectedCalls = rejectedCalls;
    }

    /**
     * Returns the current limit of concurrent calls (it may have changed since the build).
     *
     * @return the limit
     */
    public int maxConcurrent() {
        return maxConcurrent;
    }

    /**
     * Returns the permits free now. Negative after the limit shrank below the calls in flight,
     * until enough of them have ended.
     *
     * @return the free permits
     */
    public int availablePermits() {
        return availablePermits;
    }

    /**
     * Returns the calls holding a permit now.
     *
     * @return {@code maxConcurrent - availablePermits}
     */
    public int inFlight() {
        return maxConcurrent - availablePermits;
    }

    /**
     * Returns the callers waiting for a permit now (cancelled and timed-out ones are not counted).
     *
     * @return the queue length
     */
    public int queued() {
        return queued;
    }

    /**
     * Returns the calls refused since the bulkhead was built: full, queue full, or timed out.
     *
     * @return the count
     */
    public long rejectedCalls() {
        return rejectedCalls;
    }

    @Override
    public String toString() {
        return "BulkheadMetrics{maxConcurrent=" + maxConcurrent + ", inFlight=" + inFlight()
                + ", queued=" + queued + ", rejected=" + rejectedCalls + '}';
    }
}
