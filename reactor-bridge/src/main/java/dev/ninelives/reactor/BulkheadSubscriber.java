package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The per-subscription half of the bulkhead operators: it holds one permit and returns it
 * exactly once.
 *
 * Protocol. `state` is the permit and the once-gate. HELD is a live permit; the signal that
 * ends it swaps in another value:
 *   VALUE       a Mono's value returned the permit; the Mono has not terminated yet
 *   TERMINATED  onComplete / onError arrived
 *   CANCELLED   cancel arrived
 * Who races: onNext / onComplete / onError (serialized among themselves by the Reactive
 * Streams rules) against cancel (any thread). Each claims the state with a CAS or getAndSet
 * from HELD; exactly one claim sees HELD and releases the permit, so a permit is never returned
 * twice and never leaks. Later markers may overwrite earlier ones; they only serve the `done`
 * checks and Scannable. WaitingBulkheadSubscriber adds the states before the permit (waiting,
 * left).
 *
 * A Mono returns its permit at its first value, before passing the value on: downstream work
 * does not hold the dependency's permit. A Flux returns it at its terminal signal or cancel and
 * its elements cost one plain read.
 *
 * Errors that get through. Returning a permit runs the bulkhead's finished listeners and may hand
 * the permit to a waiter, whose call then starts on this thread; a JVM-fatal error from either
 * comes back out of release(), after the bulkhead made its state whole. The signal that returned
 * the permit is still passed on (try/finally), so that operators downstream end their call and
 * return their own permits before the error propagates. A source whose subscribe throws a
 * fatal error gets the same treatment: permit back, subscriber signalled, then rethrown.
 *
 * Layout: actual, plan, s and the int state keep the subscriber of a call that did not wait at
 * 32 bytes with compressed oops; what waiting needs lives in the subclass, and so does the
 * start time of a call whose bulkhead has an adaptive limit (TimedBulkheadSubscriber): a
 * bulkhead with a fixed limit pays no field and no ticker read.
 */
class BulkheadSubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable {

    static final int HELD = 0;
    static final int VALUE = 1;
    static final int TERMINATED = 2;
    static final int CANCELLED = 3;

    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(BulkheadSubscriber.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreSubscriber<? super T> actual;
    final BulkheadPlan<T> plan;
    Subscription s;
    volatile int state;

    BulkheadSubscriber(CoreSubscriber<? super T> actual, BulkheadPlan<T> plan, int state) {
        this.actual = actual;
        this.plan = plan;
        STATE.set(this, state);   // plain: published by the subscribe call that hands `this` on
    }

    /** Subscribes the source; if its subscribe throws, the permit still returns exactly once. */
    final void subscribeSource() {
        try {
            started();
            plan.source.subscribe(this);
        } catch (Throwable e) {
            subscribeFailed(e);
        }
    }

    void subscribeFailed(Throwable e) {
        try {
            if (s == null) {
                onSubscribe(Operators.emptySubscription());
            }
        } finally {
            onError(operatorError(e));
        }
    }

    /**
     * Reactor's handling of an operator error. A fatal one, which Reactor rethrows, returns the
     * permit and ends the call with that error before it propagates.
     */
    final Throwable operatorError(Throwable e) {
        try {
            return Operators.onOperatorError(e, actual.currentContext());
        } catch (Throwable fatal) {
            int p = (int) STATE.getAndSet(this, TERMINATED);
            try {
                if (p == HELD) {
                    releaseOutcome(true);
                }
            } finally {
                if (p == HELD || p == VALUE) {         // not terminated, not cancelled: the subscriber still waits
                    actual.onError(fatal);
                }
            }
            throw fatal;
        }
    }

    /** The call starts, holding its permit: a timed subscriber reads the bulkhead's ticker. */
    void started() {
    }

    /** Returns the permit of a call cancelled before its outcome: no sample for an adaptive limit. */
    final void releasePermit() {
        plan.bulkhead.release();
    }

    /**
     * Returns the permit at the call's outcome; a timed subscriber records the call's latency
     * (and whether it failed) for the bulkhead's adaptive limit.
     */
    void releaseOutcome(boolean failed) {
        plan.bulkhead.release();
    }

    /**
     * Returns the permit of a call that ended with {@code error}; a timed subscriber records it
     * as a failed call, unless the error says the dependency was never asked (see
     * {@link TimedBulkheadSubscriber}).
     */
    void releaseFailed(Throwable error) {
        releaseOutcome(true);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(this.s, s)) {
            this.s = s;
            actual.onSubscribe(this);
        }
    }

    @Override
    public final void onNext(T t) {
        int p = (int) STATE.get(this);                 // plain: only this signalling thread writes TERMINATED
        if (p == TERMINATED) {
            Operators.onNextDropped(t, actual.currentContext());
            return;
        }
        if (plan.mono && p == HELD && STATE.compareAndSet(this, HELD, VALUE)) { // fails only if cancel took the permit
            try {
                releaseOutcome(false);
            } finally {
                actual.onNext(t);
            }
            return;
        }
        actual.onNext(t);
    }

    @Override
    public final void onError(Throwable t) {
        int p = (int) STATE.getAndSet(this, TERMINATED);
        if (p == TERMINATED) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        if (p == HELD) {
            try {
                releaseFailed(t);
            } finally {
                actual.onError(t);
            }
            return;
        }
        actual.onError(t);
    }

    @Override
    public final void onComplete() {
        int p = (int) STATE.getAndSet(this, TERMINATED);
        if (p == TERMINATED) {
            return;
        }
        if (p == HELD) {
            try {
                releaseOutcome(false);
            } finally {
                actual.onComplete();
            }
            return;
        }
        actual.onComplete();
    }

    @Override
    public void request(long n) {
        s.request(n);
    }

    @Override
    public void cancel() {
        try {
            if (claimOnCancel()) {
                releasePermit();
            }
        } finally {
            s.cancel();
        }
    }

    /** Moves the state to CANCELLED; true if this cancel took a live permit. */
    final boolean claimOnCancel() {
        for (;;) {
            int p = (int) STATE.getVolatile(this);
            if (p == TERMINATED || p == CANCELLED) {
                return false;
            }
            if (STATE.compareAndSet(this, p, CANCELLED)) { // lost only to a terminal signal or a Mono value
                return p == HELD;
            }
        }
    }

    @Override
    public final Context currentContext() {
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
        if (key == Attr.TERMINATED) {
            return state == TERMINATED;
        }
        if (key == Attr.CANCELLED) {
            return state == CANCELLED;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.NAME) {
            return plan.bulkhead.name();
        }
        return null;
    }
}
