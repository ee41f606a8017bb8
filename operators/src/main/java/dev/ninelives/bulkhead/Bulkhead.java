package dev.ninelives.bulkhead;

import java.time.Duration;

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
 * <h2 id="listeners">Listeners that throw</h2>
 * Listeners run on the thread that caused the event, inside the call to the bulkhead. What one
 * throws never corrupts the bulkhead:
 * <ul>
 *   <li>A <b>non-fatal</b> throwable (any {@link RuntimeException}, and any {@link Error} that is
 *       not JVM-fatal, such as an {@link AssertionError}) is logged at WARNING through
 *       {@code System.getLogger("dev.ninelives")}, the other listeners still run, and the call
 *       carries on as if the listener had not thrown.</li>
 *   <li>A <b>JVM-fatal</b> error ({@link VirtualMachineError} such as {@link StackOverflowError}
 *       or {@link OutOfMemoryError}, or {@link LinkageError}) is rethrown to that thread, but only
 *       once the other listeners have run and the bulkhead's state is whole: every permit is
 *       accounted for, the counts are right, and the waiters owed a permit have it. Each
 *       registration method says what that means for its event.</li>
 * </ul>
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
     * Returns the configuration this bulkhead was built with; its limit of concurrent calls is
     * the one in force (see {@link BulkheadConfig#maxConcurrent()}).
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
     * Returns a permit, as {@link #release()} does, and reports how the call went to the
     * bulkhead's {@linkplain BulkheadBuilder#adaptiveLimit(AdaptiveLimit) adaptive limit}: the
     * way for code that is not a Reactor pipeline to feed the limit (the Reactor operators time
     * their calls themselves). Without an adaptive limit it is {@link #release()}. Call it, or
     * {@code release()} for a call that tells nothing of the dependency (a cancel), exactly once
     * per permit taken.
     *
     * <pre>{@code
     * if (bulkhead.tryAcquire()) {
     *     long start = System.nanoTime();
     *     boolean failed = true;
     *     try {
     *         call();
     *         failed = false;
     *     } finally {
     *         bulkhead.release(Duration.ofNanos(System.nanoTime() - start), failed);
     *     }
     * }
     * }</pre>
     *
     * @param latency how long the call held its permit, zero or more
     * @param failed  true if the call failed (a drop, for the limit's algorithm)
     * @throws NullPointerException     if {@code latency} is null; the permit is returned first
     * @throws IllegalArgumentException if {@code latency} is negative; the permit is returned first
     */
    void release(Duration latency, boolean failed);

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
     * <p>The limit is an {@link dev.ninelives.core.Adaptive} setting, and this method sets it:
     * the adaptive given to {@link BulkheadBuilder#maxConcurrent(dev.ninelives.core.Adaptive)}
     * (so every policy bound to it and its listeners see the change too), or the bulkhead's own
     * when it was built with an int. Both ways take the same path and never disagree.
     *
     * @param maxConcurrent the new limit, 1 to {@link BulkheadBuilder#MAX_CONCURRENT}
     * @throws IllegalArgumentException      if {@code maxConcurrent} is out of range, or another
     *                                       policy bound to the same adaptive refuses it; nothing changed
     * @throws UnsupportedOperationException if the limit is bound to a read-only view
     *                                       ({@link dev.ninelives.core.Adaptive#map}): change its source
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
     * (for a waiter, the thread that released the permit, or the one that grew the limit). Only
     * when at least one listener is registered does an event get allocated.
     *
     * <p>If it throws (see <a href="#listeners">Listeners that throw</a>): a
     * non-fatal throwable is logged and the call starts as usual. A JVM-fatal error means the call
     * does <em>not</em> start: its permit goes back (to the next waiter, or to the pool), and
     * then the error propagates: {@link #tryAcquire()} throws it holding no permit; with Reactor
     * the subscriber gets {@code onError} with that error, and the error is rethrown from
     * {@code subscribe} or, for a waiter, on the thread that handed the permit over, after that
     * thread's own call got its signal.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onPermitted(Consumer<? super BulkheadEvent> listener);

    /**
     * Registers a listener called when a call is refused or its wait times out, on the thread
     * that was refused (for a timeout, the Scheduler thread that timed the wait).
     *
     * <p>If it throws (see <a href="#listeners">Listeners that throw</a>): a
     * non-fatal throwable is logged and the refusal goes on as usual. A JVM-fatal error does not
     * change the refusal, which is counted before the listener runs: with Reactor the subscriber
     * still gets {@code onError(BulkheadFullException)} (a timed-out waiter its
     * {@code WAIT_TIMED_OUT}), the other waits still time out at their deadlines, and only then
     * is the error rethrown, from {@code subscribe} or to the Scheduler that ran the timeout;
     * {@link #tryAcquire()} throws it instead of returning false.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onRejected(Consumer<? super BulkheadEvent> listener);

    /**
     * Registers a listener called when a call ends and its permit is returned, on the thread
     * that ended the call, once the permit is back (and handed to the next waiter, if one waits).
     *
     * <p>If it throws (see <a href="#listeners">Listeners that throw</a>): a
     * non-fatal throwable is logged. A JVM-fatal error is rethrown from {@link #release()}, with
     * the permit already returned; with Reactor the subscriber still gets the signal that ended
     * the call (and the source the cancel) before the error propagates from that signal.
     *
     * @param listener the listener
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
