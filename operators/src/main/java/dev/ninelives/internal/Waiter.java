package dev.ninelives.internal;

/**
 * A caller waiting in a bulkhead's queue for a permit. Not API: implemented by the Reactor
 * bridge's waiting subscriber.
 *
 * <p>A waiter leaves the queue in exactly one of two ways, decided by one CAS on its own state:
 * the bulkhead {@linkplain #claim() claims} it to hand it a permit, or the waiter gives up
 * (cancel, wait timeout) and tells the bulkhead through {@link WaitingBulkhead#leave(boolean)}. A
 * waiter that gave up stays in the queue as a dead node until the bulkhead skips or purges it;
 * it can never be handed a permit. A claimed waiter is either {@linkplain #granted() granted} or,
 * when announcing its permit fails with a JVM-fatal error, {@linkplain #withdraw() withdrawn}
 * and {@linkplain #failed(Throwable) failed}.
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
     * Takes back the permit just {@linkplain #claim() claimed} for this waiter, before
     * {@link #granted()}: announcing it to the permitted listeners failed with a JVM-fatal error,
     * and the call must not start. Called once, on the thread that claimed the waiter.
     *
     * @return true if the waiter gave the permit up, and the bulkhead now takes it back and then
     *     calls {@link #failed(Throwable)}; false if the waiter's own cancel, which raced the
     *     claim, has returned the permit already
     */
    boolean withdraw();

    /**
     * Ends the call whose permit was {@linkplain #withdraw() withdrawn}, with {@code error}, once
     * the permit is back in the bulkhead.
     *
     * @param error the listener's JVM-fatal error
     */
    void failed(Throwable error);

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
