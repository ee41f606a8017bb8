package dev.ninelives.bulkhead;

import dev.ninelives.core.Ticker;

import java.time.Duration;

/**
 * The immutable configuration of a bulkhead, frozen by {@link BulkheadBuilder#build()}. Each
 * accessor names the builder method that sets it. {@link #maxConcurrent()} is the limit the
 * bulkhead was built with; {@link Bulkhead#changeMaxConcurrent(int)} changes the live limit,
 * which {@link Bulkhead#metrics()} reports.
 */
public final class BulkheadConfig {

    private final String name;
    private final int maxConcurrent;
    private final Duration maxWait;
    private final int maxQueued;
    private final Bulkhead.QueueOrder queueOrder;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;

    BulkheadConfig(BulkheadBuilder b) {
        this.name = b.name;
        this.maxConcurrent = b.maxConcurrent;
        this.maxWait = b.maxWait;
        this.maxQueued = b.maxQueued;
        this.queueOrder = b.queueOrder;
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
    }

    /**
     * Returns the bulkhead's name ({@link Bulkhead#builder(String)}).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the initial limit of concurrent calls ({@link BulkheadBuilder#maxConcurrent(int)}).
     *
     * @return the limit at build time
     */
    public int maxConcurrent() {
        return maxConcurrent;
    }

    /**
     * Returns how long a caller waits for a permit ({@link BulkheadBuilder#maxWait(Duration)}).
     *
     * @return the maximum wait, zero when waiting is off
     */
    public Duration maxWait() {
        return maxWait;
    }

    /**
     * Returns how many callers may wait ({@link BulkheadBuilder#maxQueued(int)}).
     *
     * @return the queue limit
     */
    public int maxQueued() {
        return maxQueued;
    }

    /**
     * Returns which waiter a released permit goes to ({@link BulkheadBuilder#queueOrder}).
     *
     * @return FIFO or LIFO
     */
    public Bulkhead.QueueOrder queueOrder() {
        return queueOrder;
    }

    /**
     * Returns the clock that measures waits ({@link BulkheadBuilder#ticker(Ticker)}).
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Returns whether each refusal gets a fresh exception with a stack trace
     * ({@link BulkheadBuilder#rejectionStackTraces(boolean)}).
     *
     * @return true for fresh exceptions
     */
    public boolean rejectionStackTraces() {
        return rejectionStackTraces;
    }

    @Override
    public String toString() {
        return "BulkheadConfig{" + name + ", maxConcurrent=" + maxConcurrent + ", maxWait=" + maxWait
                + ", maxQueued=" + maxQueued + ", " + queueOrder + '}';
    }
}
