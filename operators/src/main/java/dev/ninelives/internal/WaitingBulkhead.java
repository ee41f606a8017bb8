package dev.ninelives.internal;

import dev.ninelives.bulkhead.BulkheadFullException;

/**
 * The waiting side of a bulkhead, for the Reactor bridge. Not API: every
 * {@link dev.ninelives.bulkhead.Bulkhead} implements it.
 *
 * <p>The protocol: {@link #admit()} decides in one CAS between a permit now, a place in the
 * queue and a rejection, and counts it; {@link #announce(int)} then tells the listeners, so that
 * the caller can signal its subscriber whatever a listener throws. A caller given {@link #QUEUED}
 * has a place counted but not yet taken: it signals its subscriber, arms its timeout, then calls
 * {@link #enqueue(Waiter)} exactly once, from which point a released permit may be handed to it
 * on any thread. It enqueues even if it gave up before (say, cancelled inside onSubscribe):
 * {@link #leave(boolean)} counted it among the dead waiters, and the drain uncounts it only when
 * it skips or purges the node. A waiter that gives up wins the CAS on its own state and calls
 * {@link #leave(boolean)}; one that was granted calls
 * {@link dev.ninelives.bulkhead.Bulkhead#release()} when its call ends.
 *
 * <p>Errors. Listeners run through {@link Guard}: only a JVM-fatal error (or a failure of the
 * logger) gets out of one. Every method here completes the bulkhead's own state first (the
 * permit given back or handed on, the counts right, every waiter the drain owed a permit
 * served) and only then rethrows such an error, or the first error a granted waiter's
 * {@link Waiter#granted()} threw. The caller then still owes its own subscriber a signal.
 */
public interface WaitingBulkhead {

    /** {@link #admit()}: a permit is held; release it when the call ends. */
    int PERMITTED = 0;
    /** {@link #admit()}: a place in the queue is counted; call {@link #enqueue(Waiter)}. */
    int QUEUED = 1;
    /** {@link #admit()}: refused, every permit is taken and waiting is off. */
    int REJECTED_FULL = 2;
    /** {@link #admit()}: refused, the queue is full. */
    int REJECTED_QUEUE_FULL = 3;

    /**
     * Takes a permit, or counts a place in the queue, or refuses (and counts the refusal). Never
     * blocks, never allocates, calls no listener and never throws: call {@link #announce(int)}
     * next, unless it returned {@link #QUEUED}.
     *
     * @return {@link #PERMITTED}, {@link #QUEUED}, {@link #REJECTED_FULL} or {@link #REJECTED_QUEUE_FULL}
     */
    int admit();

    /**
     * Tells the listeners what {@link #admit()} decided: the permitted listeners for
     * {@link #PERMITTED}, the rejected listeners for a refusal. If a permitted listener throws a
     * JVM-fatal error, the permit is given back (to the next waiter, or to the pool) before the
     * error is rethrown: the caller must not start its call, and ends it with that error.
     *
     * @param admitted what {@link #admit()} returned, not {@link #QUEUED}
     * @throws IllegalArgumentException for {@link #QUEUED} or a code admit() never returns
     */
    void announce(int admitted);

    /**
     * Puts a waiter into the place {@link #admit()} counted for it; a free permit is handed to
     * it at once, on this thread, if it is next in line.
     *
     * @param waiter the waiter
     */
    void enqueue(Waiter waiter);

    /**
     * A waiter that won the CAS on its own state gave up: its place is no longer counted.
     *
     * @param timedOut true for a wait timeout (counted and announced as a rejection), false for
     *                 a cancel
     */
    void leave(boolean timedOut);

    /**
     * Returns the wait limit in force, zero when waiting is off. It may change at any time (the
     * bulkhead's maxWait is adaptive): a caller reads it once, when its wait starts, and keeps
     * that deadline.
     *
     * @return the maximum wait in nanoseconds
     */
    long maxWaitNanos();

    /**
     * Returns the exception for a wait that timed out after {@code maxWaitNanos}, the wait the
     * caller started with, so that its message quotes the wait it had. The shared instance when
     * that is the wait in force (no allocation), a new one for a wait that started before a
     * change.
     *
     * @param maxWaitNanos the caller's wait, as {@link #maxWaitNanos()} returned it
     * @return the exception to signal
     */
    BulkheadFullException timedOut(long maxWaitNanos);

    /**
     * Returns what the bridge keeps with this bulkhead to time its waits (one timer shared by
     * every operator on the bulkhead), or null.
     *
     * @return the bridge's object, opaque here
     */
    Object waitTimer();

    /**
     * Replaces what {@link #waitTimer()} returns, if it is still {@code expected}.
     *
     * @param expected the object read before
     * @param timer    the new one
     * @return true if replaced
     */
    boolean casWaitTimer(Object expected, Object timer);

    /**
     * Returns the exception for a refusal.
     *
     * @param admitted the refusal code from {@link #admit()}, or {@code -1} for a wait timeout
     *                 of the wait in force (see {@link #timedOut(long)})
     * @return the exception to signal
     */
    BulkheadFullException rejection(int admitted);

    /**
     * Returns true if the bulkhead's limit is adaptive and the caller must time its calls:
     * {@link #callStarted()} when the permit is taken and {@link #release(long, boolean)}
     * instead of {@code release()}. A fixed limit returns false, and its callers pay nothing.
     *
     * @return whether calls are timed
     */
    boolean timesCalls();

    /**
     * Reads the bulkhead's ticker when a call takes its permit; only if {@link #timesCalls()}.
     *
     * @return the reading to give to {@link #release(long, boolean)}
     */
    long callStarted();

    /**
     * Returns a permit and records the call's latency and outcome for the adaptive limit (which
     * may move the limit on this thread); only if {@link #timesCalls()}. A cancelled call, which
     * gives no sample, calls {@code release()}. Errors as for {@code release()}: the permit is
     * back, and the sample recorded, before anything is rethrown.
     *
     * @param startedAt what {@link #callStarted()} returned
     * @param failed    true if the call ended with an error (a drop)
     */
    void release(long startedAt, boolean failed);
}
