package dev.ninelives.internal;

/**
 * A caller waiting in a bulkhead's queue for a permit. Not API: implemented by the Reactor
 * bridge's waiting subscriber.
 *
 * <p>A waiter leaves the queue in exactly one of two ways, decided by one CAS on its own state:
 * the bulkhead {@linkplain #claim() claims} it to hand it a permit, or the waiter gives up
 * (cancel, wait timeout) and tells the bulkhead through {@link WaitingBulkhead#leave(boolean)}. A
 * waiter that gave up stays in the queue as a dead node until the bulkhead skips or purges it;
 * it can never be handed a permit.
 */
public interface Waiter {

    /**
     * Moves the waiter from waiting to granted, if it is still waiting.
     *
     * @return true if the bulkhead now owes this waiter {@link #granted()}; false if it left
     */
    boolean claim();

    /**
     * Starts the call that now holds a permit. Called once after a successful {@link #claim()},
     * on the thread that handed the permit over.
     */
    void granted();

    /**
     * Tells whether the waiter is still waiting (neither claimed nor gone).
     *
     * @return true while it waits
     */
    boolean isWaiting();

    /**
     * Returns the bulkhead ticker's reading when the waiter was queued, for the wait time of
     * the permitted event.
     *
     * @return a ticker reading in nanoseconds
     */
    long queuedAtNanos();
}
