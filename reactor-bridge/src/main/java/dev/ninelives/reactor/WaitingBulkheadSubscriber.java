package dev.ninelives.reactor;

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
 * Nothing blocks: waiting is being in the queue.
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
    long queuedAt;

    WaitingBulkheadSubscriber(CoreSubscriber<? super T> actual, BulkheadPlan<T> plan) {
        super(actual, plan, WAITING);
    }

    /** Signals onSubscribe, arms the timeout and takes the place admit() counted. */
    void await() {
        queuedAt = plan.bulkhead.config().ticker().read();
        try {
            actual.onSubscribe(this);
        } catch (Throwable e) {
            // a subscriber that throws from onSubscribe (Reactive Streams rule 2.13 forbids it)
            // still gives its place back
            if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
                plan.permits.leave(false);
                plan.permits.enqueue(this);
                actual.onError(Operators.onOperatorError(e, actual.currentContext()));
            } else {
                plan.permits.enqueue(this);
            }
            return;
        }
        if (state == WAITING) {                        // not cancelled inside onSubscribe
            try {
                timer = plan.timer().add(this);
            } catch (Throwable rejected) {
                refused(rejected);
            }
        }
        // Always take the place admit() counted, even as a waiter that already left: leave()
        // counted it among the dead, and the drain uncounts it when it skips or purges the node.
        plan.permits.enqueue(this);
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

    /** Lets the timer drop this waiter's entry without keeping the waiter until its deadline. */
    private void stopTiming() {
        WaitTimer.Node n = timer;
        if (n != null) {
            n.waiter = null;
        }
    }

    /** The Scheduler refused to time the wait: the call ends with Reactor's rejection error. */
    void refused(Throwable rejected) {
        if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
            plan.permits.leave(false);
            actual.onError(Operators.onRejectedExecution(rejected, actual.currentContext()));
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

    /** The wait timed out. */
    @Override
    public void run() {
        if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
            plan.permits.leave(true);
            actual.onError(plan.permits.rejection(-1));
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
            plan.permits.leave(false);
            stopTiming();
            return;
        }
        if (claimOnCancel()) {
            releasePermit();
        }
        Subscription a = (Subscription) S.getAndSet(this, Operators.cancelledSubscription());
        if (a != null && a != Operators.cancelledSubscription()) {
            a.cancel();
        }
    }

    @Override
    void subscribeFailed(Throwable e) {
        if (S.getVolatile(this) == null) {
            onSubscribe(Operators.emptySubscription());
        }
        onError(operatorError(e));
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
