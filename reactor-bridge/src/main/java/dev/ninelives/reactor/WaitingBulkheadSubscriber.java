package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import dev.ninelives.internal.Waiter;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A bulkhead subscriber that waits in the queue: it is both the call and the queue's Waiter.
 *
 * Before the permit. The subscriber signals onSubscribe at once, so downstream can request and
 * cancel while it waits, then has the operator's WaitTimer time its wait and offers itself to
 * the bulkhead. It leaves WAITING by exactly one CAS: the bulkhead's claim (to HELD, then
 * granted() subscribes the source), the timeout (to TERMINATED, then onError
 * WAIT_TIMED_OUT), or cancel (to CANCELLED). The timeout and cancel tell the bulkhead with
 * leave(), which uncounts the place; the node stays in the queue, dead, and the drain skips it.
 * Nothing blocks: waiting is being in the queue. A call whose Context carries a deadline that
 * has already passed (NineLives.deadline) does not queue: it ends with the deadline's error at
 * once, like a cancel for the bulkhead's counts. One that passes during the wait cancels the
 * call from the deadline's own operator, downstream, so a waiter never waits past its deadline. A claim is followed by granted() or, when the
 * permitted listeners fail with a JVM-fatal error, by withdraw() (HELD to TERMINATED, unless a
 * cancel won) and failed(), which ends the call with that error: the permit went back to the
 * bulkhead and the source is never subscribed.
 *
 * Errors that get through. leave() may run the bulkhead's drain, and a timeout's leave() tells
 * the rejected listeners; a JVM-fatal error from either comes out of it once the bulkhead is
 * whole. Whatever it throws, the waiter's own ending still happens (try/finally): a timed-out
 * waiter gets onError(WAIT_TIMED_OUT), a refused one its rejection, a cancelled one drops its
 * timer entry, and await() always takes the place admit() counted. The timer, in turn, times
 * every other waiter and re-arms before it rethrows.
 *
 * Where the source is subscribed. granted() runs on the thread that handed the permit over:
 * the thread on which an earlier call returned its permit (its terminal signal, a Mono's value,
 * or a cancel), or the thread of a resize. That thread is already running this dependency's
 * signals, so no hop to another thread is paid, and the bulkhead's drain loop makes a long
 * queue of synchronous calls a loop instead of a deep stack. To run the source elsewhere, put
 * subscribeOn before the operator (on the source): one after it moves only the request for a
 * permit, not a call that waited.
 *
 * Demand before the source exists. request(n) adds to `requested` until the source's
 * Subscription arrives; onSubscribe publishes it (CAS) and then takes whatever was requested,
 * and a request that raced it re-reads the Subscription after adding, so every request reaches
 * the source exactly once (the deferred-subscription pattern of Reactor's Operators). A cancel
 * swaps in Operators.cancelledSubscription(), and a source arriving later is cancelled at once.
 */
final class WaitingBulkheadSubscriber<T> extends BulkheadSubscriber<T> implements Waiter, Runnable {

    static final int WAITING = 4;

    private static final VarHandle S;
    private static final VarHandle REQUESTED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            S = l.findVarHandle(BulkheadSubscriber.class, "s", Subscription.class);
            REQUESTED = l.findVarHandle(WaitingBulkheadSubscriber.class, "requested", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long requested;
    volatile WaitTimer.Node timer;    // this waiter's entry in the bulkhead's WaitTimer
    long waitNanos;                   // the wait it started with, quoted if it times out; published by add()
    long queuedAt;
    long startedAt;                   // when the permit came, for an adaptive limit

    WaitingBulkheadSubscriber(CoreSubscriber<? super T> actual, BulkheadPlan<T> plan) {
        super(actual, plan, WAITING);
    }

    /** Signals onSubscribe, arms the timeout and takes the place admit() counted. */
    void await() {
        boolean ticked = false;
        try {
            try {
                queuedAt = plan.bulkhead.config().ticker().read();
                ticked = true;
                actual.onSubscribe(this);
            } catch (Throwable e) {
                // a ticker that throws, or a subscriber that throws from onSubscribe (Reactive
                // Streams rule 2.13 forbids it): the call ends, and its place is given back
                failedBeforeWaiting(e, ticked);
                return;
            }
            if (state == WAITING) {                    // not cancelled inside onSubscribe
                Deadline d = Deadline.in(actual.currentContext());
                if (d != null && d.remainingNanos() <= 0) {
                    outOfTime(d);                      // no time left to wait for
                } else {
                    WaitTimer t = plan.timer();
                    waitNanos = t.maxWaitNanos;        // before add(): the timer may time this waiter out at once
                    timer = t.add(this);               // a refusal to time it refuses this waiter
                }
            }
        } finally {
            // Always take the place admit() counted, even as a waiter that already left: leave()
            // counted it among the dead, and the drain uncounts it when it skips or purges the node.
            plan.permits.enqueue(this);
        }
    }

    /**
     * The call's deadline (NineLives.deadline) has passed before it could wait: it ends with the
     * deadline's error instead of queueing, and gives back the place admit() counted (as a
     * cancel does: the bulkhead did not refuse it). A deadline that passes while the call waits
     * needs nothing here: the operator that set it cancels the call, which leaves the queue.
     */
    private void outOfTime(Deadline d) {
        if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
            try {
                plan.permits.leave(false);
            } finally {
                actual.onError(d.exceeded());
            }
        }
    }

    /**
     * Ends a call whose ticker or whose subscriber's onSubscribe threw before it could wait. The
     * error goes through Reactor's onOperatorError; a fatal one, which that rethrows, is signalled
     * as it is and then rethrown.
     */
    private void failedBeforeWaiting(Throwable e, boolean onSubscribeCalled) {
        if (!STATE.compareAndSet(this, WAITING, TERMINATED)) {
            return;                                    // cancelled inside onSubscribe: nothing owed
        }
        Throwable error;
        RuntimeException fatalException = null;
        Error fatalError = null;
        try {
            error = Operators.onOperatorError(e, actual.currentContext());
        } catch (RuntimeException t) {                 // Reactor rethrows only unchecked throwables
            error = fatalException = t;
        } catch (Error t) {
            error = fatalError = t;
        }
        try {
            plan.permits.leave(false);
        } finally {
            if (onSubscribeCalled) {
                actual.onError(error);
            } else {
                Operators.error(actual, error);
            }
        }
        if (fatalException != null) {
            throw fatalException;
        }
        if (fatalError != null) {
            throw fatalError;
        }
    }

    // ---------------------------------------------------------------- Waiter

    @Override
    public boolean claim() {
        return STATE.compareAndSet(this, WAITING, HELD);
    }

    @Override
    public void granted() {
        stopTiming();
        subscribeSource();
    }

    @Override
    void started() {
        if (plan.timed) {
            startedAt = plan.permits.callStarted();
        }
    }

    @Override
    void releaseOutcome(boolean failed) {
        if (plan.timed) {
            plan.permits.release(startedAt, failed);
        } else {
            plan.bulkhead.release();
        }
    }

    @Override
    public boolean withdraw() {
        stopTiming();
        return STATE.compareAndSet(this, HELD, TERMINATED);   // fails only if a cancel took the permit back
    }

    @Override
    public void failed(Throwable error) {
        actual.onError(error);
    }

    /** Lets the timer drop this waiter's entry without keeping the waiter until its deadline. */
    private void stopTiming() {
        WaitTimer.Node n = timer;
        if (n != null) {
            n.waiter = null;
        }
    }

    /**
     * The Scheduler refused to time the wait: the call ends with Reactor's rejection error (or
     * with the Scheduler's own error, if that was JVM-fatal).
     */
    void refused(Throwable rejected) {
        if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
            try {
                plan.permits.leave(false);
            } finally {
                actual.onError(Guard.isFatal(rejected) ? rejected
                        : Operators.onRejectedExecution(rejected, actual.currentContext()));
            }
        }
    }

    @Override
    public boolean isWaiting() {
        return state == WAITING;
    }

    @Override
    public long queuedAtNanos() {
        return queuedAt;
    }

    /** The wait timed out: counted and announced as a refusal, and the subscriber gets WAIT_TIMED_OUT whatever a listener throws. */
    @Override
    public void run() {
        if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
            try {
                plan.permits.leave(true);
            } finally {
                actual.onError(plan.permits.timedOut(waitNanos));
            }
        }
    }

    // ---------------------------------------------------------------- Reactive Streams

    @Override
    public void onSubscribe(Subscription s) {
        if (!S.compareAndSet(this, null, s)) {
            s.cancel();                                // cancelled before the source arrived
            if (S.getVolatile(this) != Operators.cancelledSubscription()) {
                Operators.reportSubscriptionSet();
            }
            return;
        }
        long r = (long) REQUESTED.getAndSet(this, 0L);
        if (r != 0L) {
            s.request(r);
        }
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        Subscription a = (Subscription) S.getVolatile(this);
        if (a != null) {
            a.request(n);
            return;
        }
        for (;;) {
            long r = requested;
            if (REQUESTED.compareAndSet(this, r, Operators.addCap(r, n))) {
                break;
            }
        }
        a = (Subscription) S.getVolatile(this);
        if (a != null) {
            long r = (long) REQUESTED.getAndSet(this, 0L);
            if (r != 0L) {
                a.request(r);
            }
        }
    }

    @Override
    public void cancel() {
        if (state == WAITING && STATE.compareAndSet(this, WAITING, CANCELLED)) {
            try {
                plan.permits.leave(false);
            } finally {
                stopTiming();
            }
            return;
        }
        try {
            if (claimOnCancel()) {
                releasePermit();
            }
        } finally {
            Subscription a = (Subscription) S.getAndSet(this, Operators.cancelledSubscription());
            if (a != null && a != Operators.cancelledSubscription()) {
                a.cancel();
            }
        }
    }

    @Override
    void subscribeFailed(Throwable e) {
        try {
            if (S.getVolatile(this) == null) {
                onSubscribe(Operators.emptySubscription());
            }
        } finally {
            onError(operatorError(e));
        }
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return S.getVolatile(this);
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            return requested;
        }
        return super.scanUnsafe(key);
    }
}
