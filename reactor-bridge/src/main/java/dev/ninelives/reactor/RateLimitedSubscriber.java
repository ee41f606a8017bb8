package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import dev.ninelives.internal.RateGate;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/*
 * A call that reserved a permit for a later instant: it waits holding no thread, as a task on
 * the Scheduler, then subscribes the source and passes its signals through untouched.
 *
 * Protocol. `state` leaves WAITING by exactly one CAS: the task's run() (to SUBSCRIBED, then the
 * source is subscribed on the Scheduler's thread), cancel (to CANCELLED: the task is disposed and
 * the reservation given back, which succeeds if no later reservation was made, see RateLimiter),
 * or a Scheduler that refuses the task (to TERMINATED: reservation given back, onError with
 * Reactor's rejection error). The subscriber gets onSubscribe before the task is scheduled, so
 * it can request and cancel while it waits; a cancel that comes before the task is stored (inside
 * onSubscribe, or racing schedule()) is seen by the re-check after the store, which disposes it.
 * A Context deadline that passes during the wait cancels the call from the deadline's operator,
 * downstream, which is the cancel above; a deadline that would pass before the instant refused
 * the call at subscription (RateLimiterPlan).
 *
 * Demand before the source exists: the deferred-subscription pattern (as in
 * WaitingBulkheadSubscriber): request(n) adds to `requested` until the Subscription is published
 * (CAS on `s`), which then takes what was requested; a request racing it re-reads `s`. A cancel
 * swaps in Operators.cancelledSubscription(), so a source arriving later is cancelled at once.
 *
 * Signals from the source go to `actual` as they come: the permit was spent when the source was
 * subscribed, so no outcome is recorded and nothing is returned. `done` guards against a source
 * that signals after its terminal signal.
 */
final class RateLimitedSubscriber<T> implements CoreSubscriber<T>, Subscription, Runnable, Scannable {

    static final int WAITING = 0;
    static final int SUBSCRIBED = 1;
    static final int CANCELLED = 2;
    static final int TERMINATED = 3;

    private static final VarHandle STATE;
    private static final VarHandle S;
    private static final VarHandle REQUESTED;
    private static final VarHandle TASK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(RateLimitedSubscriber.class, "state", int.class);
            S = l.findVarHandle(RateLimitedSubscriber.class, "s", Subscription.class);
            REQUESTED = l.findVarHandle(RateLimitedSubscriber.class, "requested", long.class);
            TASK = l.findVarHandle(RateLimitedSubscriber.class, "task", Disposable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreSubscriber<? super T> actual;
    final RateLimiterPlan<T> plan;
    final RateGate.Rate rate;
    final long instant;
    volatile int state;
    volatile Subscription s;
    volatile long requested;
    volatile Disposable task;
    boolean done;

    RateLimitedSubscriber(CoreSubscriber<? super T> actual, RateLimiterPlan<T> plan, RateGate.Rate rate, long instant) {
        this.actual = actual;
        this.plan = plan;
        this.rate = rate;
        this.instant = instant;
    }

    /** Signals onSubscribe, then schedules the subscription to the source {@code waitNanos} from now. */
    void await(long waitNanos) {
        try {
            actual.onSubscribe(this);
        } catch (Throwable e) {                        // Reactive Streams rule 2.13 forbids it; end the call
            if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
                try {
                    plan.gate.giveBack(rate, instant);
                } finally {
                    actual.onError(Operators.onOperatorError(e, actual.currentContext()));
                }
            }
            return;
        }
        if (state != WAITING) {
            return;                                    // cancelled inside onSubscribe: the permit is back
        }
        Disposable t;
        try {
            t = plan.scheduler().schedule(this, waitNanos, TimeUnit.NANOSECONDS);
        } catch (Throwable rejected) {
            if (STATE.compareAndSet(this, WAITING, TERMINATED)) {
                try {
                    plan.gate.giveBack(rate, instant);
                } finally {
                    actual.onError(Guard.isFatal(rejected) ? rejected
                            : Operators.onRejectedExecution(rejected, actual.currentContext()));
                }
            }
            if (Guard.isFatal(rejected)) {
                throw rejected;
            }
            return;
        }
        TASK.setRelease(this, t);
        if (state == CANCELLED) {
            t.dispose();                               // a cancel raced the store: it may not have seen the task
        }
    }

    /** The reserved instant has come: subscribe the source on this (the Scheduler's) thread. */
    @Override
    public void run() {
        if (STATE.compareAndSet(this, WAITING, SUBSCRIBED)) {
            try {
                plan.source.subscribe(this);
            } catch (Throwable e) {
                if (S.getVolatile(this) == null) {
                    onSubscribe(Operators.emptySubscription());
                }
                onError(Operators.onOperatorError(e, actual.currentContext()));
            }
        }
    }

    // ---------------------------------------------------------------- Reactive Streams

    @Override
    public void onSubscribe(Subscription sub) {
        if (!S.compareAndSet(this, null, sub)) {
            sub.cancel();                              // cancelled before the source arrived
            if (S.getVolatile(this) != Operators.cancelledSubscription()) {
                Operators.reportSubscriptionSet();
            }
            return;
        }
        long r = (long) REQUESTED.getAndSet(this, 0L);
        if (r != 0L) {
            sub.request(r);
        }
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, actual.currentContext());
            return;
        }
        actual.onNext(t);
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        done = true;
        state = TERMINATED;
        actual.onError(t);
    }

    @Override
    public void onComplete() {
        if (done) {
            return;
        }
        done = true;
        state = TERMINATED;
        actual.onComplete();
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        Subscription a = s;
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
        a = s;
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
                Disposable t = (Disposable) TASK.getAcquire(this);
                if (t != null) {
                    t.dispose();
                }
            } finally {
                plan.gate.giveBack(rate, instant);     // back unless a later reservation was made
            }
            return;
        }
        Subscription a = (Subscription) S.getAndSet(this, Operators.cancelledSubscription());
        if (a != null && a != Operators.cancelledSubscription()) {
            a.cancel();
        }
    }

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return s;
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.CANCELLED) {
            return state == CANCELLED || s == Operators.cancelledSubscription();
        }
        if (key == Attr.TERMINATED) {
            return done || state == TERMINATED;
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            return requested;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.NAME) {
            return plan.limiter.name();
        }
        return null;
    }
}
