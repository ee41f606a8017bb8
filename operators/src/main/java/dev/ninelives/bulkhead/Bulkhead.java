package dev.ninelives.bulkhead;

import java.util.function.Consumer;

/**
 * A bulkhead: it lets at most {@code maxConcurrent} calls run at once, so one slow dependency
 * cannot take every connection, thread or buffer of a service. A caller that finds every permit
 * taken is refused at once or, with a {@code maxWait}, waits in a queue; with Reactor the wait
 * never blocks a thread.
 *
 * <pre>{@code
 * Bulkhead bulkhead = Bulkhead.builder("payments")
 *     .maxConcurrent(20)
 *     .maxWait(Duration.ofMillis(100))
 *     .build();
 *
 * // With Reactor (ninelives-reactor): at most 20 charges in flight, the 21st waits up to 100 ms
 * Mono<Receipt> receipt = client.charge(order).transform(NineLives.bulkhead(bulkhead));
 * }</pre>
 *
 * <h2>Fairness</h2>
 * A released permit goes straight to the next waiting caller (the oldest in
 * {@link QueueOrder#FIFO}, the newest in {@link QueueOrder#LIFO}); a newcomer never takes a
 * permit while someone waits. A waiter that was cancelled or timed out is skipped and can never
 * take a permit with it.
 *
 * <h2>Without Reactor</h2>
 * <pre>{@code
 * if (!bulkhead.tryAcquire()) throw bulkhead.rejection();
 * try {
 *     return call();
 * } finally {
 *     bulkhead.release();
 * }
 * }</pre>
 * Every successful {@link #tryAcquire()} must be followed by exactly one {@link #release()}.
 * Waiting is offered through the Reactor operator only, where it costs no thread.
 *
 * <p>All methods are thread-safe and lock-free; acquiring and releasing never allocate.
 */
public sealed interface Bulkhead permits LockFreeBulkhead {

    /**
     * Starts a builder for a bulkhead with the given name.
     *
     * @param name the bulkhead's name, used in exceptions, events and metrics
     * @return a new builder with the defaults described on {@link BulkheadBuilder}
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static BulkheadBuilder builder(String name) {
        return new BulkheadBuilder(name);
    }

    /**
     * Returns a bulkhead with the default configuration (see {@link BulkheadBuilder}).
     *
     * @param name the bulkhead's name
     * @return a new bulkhead
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static Bulkhead ofDefaults(String name) {
        return builder(name).build();
    }

    /**
     * Returns the name given to the builder.
     *
     * @return the bulkhead's name
     */
    String name();

    /**
     * Returns the immutable configuration this bulkhead was built with.
     *
     * @return the configuration
     */
    BulkheadConfig config();

    /**
     * Takes a permit if one is free and nobody is waiting for one; never waits. A refusal is
     * counted and announced to the {@linkplain #onRejected rejection listeners} as
     * {@link BulkheadFullException.Reason#FULL}.
     *
     * @return true if the caller now holds a permit and must {@link #release()} it
     */
    boolean tryAcquire();

    /**
     * Returns a permit: to the next waiting caller if there is one, else to the pool. Call it
     * exactly once per permit taken.
     */
    void release();

    /**
     * Returns the exception that describes a refusal because every permit is taken. By default
     * the instance is shared and has no stack trace.
     *
     * @return the exception for {@link BulkheadFullException.Reason#FULL}
     */
    BulkheadFullException rejection();

    /**
     * Changes the limit of concurrent calls while the bulkhead runs. Growing hands the new
     * permits to waiting callers at once. Shrinking below the calls in flight takes permits back
     * as those calls end; no call is interrupted. No permit is lost or invented, whatever the
     * calls racing the change.
     *
     * @param maxConcurrent the new limit, 1 to {@link BulkheadBuilder#MAX_CONCURRENT}
     * @throws IllegalArgumentException if {@code maxConcurrent} is out of range
     */
    void changeMaxConcurrent(int maxConcurrent);

    /**
     * Returns a snapshot of the permits and the queue.
     *
     * @return a new snapshot
     */
    BulkheadMetrics metrics();

    /**
     * Registers a listener called when a call gets a permit, on the thread that handed it over
     * (for a waiter, the thread that released the permit). Only when at least one listener is
     * registered does an event get allocated.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    void onPermitted(Consumer<? super BulkheadEvent> listener);

    /**
     * Registers a listener called when a call is refused or its wait times out.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    void onRejected(Consumer<? super BulkheadEvent> listener);

    /**
     * Registers a listener called when a call ends and its permit is returned.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    void onFinished(Consumer<? super BulkheadEvent> listener);

    /** Which waiting caller a released permit goes to. */
    enum QueueOrder {
        /** The caller that has waited longest. */
        FIFO,
        /** The caller that started waiting last: under overload the newest are served and the oldest time out. */
        LIFO
    }
}
