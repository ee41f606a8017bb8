package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/*
 * The per-subscription half of the timeout and deadline operators: it is the call and its own
 * entry in the shared TimeoutTimer, so a call allocates this subscriber and nothing else.
 *
 * When the clock starts. The entry is armed once the subscription has reached downstream
 * (after actual.onSubscribe returns), as Reactor's own timeout does, and only if the call is
 * still running then: a source that completes inside onSubscribe (Mono.just, a cached value, a
 * synchronous Flux requested in full) never touches the timer. A deadline's instant is fixed at
 * subscribe, when it is written into the Context, and armed at that instant.
 *
 * Protocol. `state` is the once-gate between the call's own ending and the timer:
 *   RUNNING     no outcome yet; the timer may fire
 *   EMITTING    a Flux element is being delivered: the timer must not signal downstream now
 *   FIRED       the timer fired during an element: the element's thread delivers the timeout
 *               error once onNext returns
 *   REFUSED     the same, for a Scheduler that refused to run the timer
 *   VALUE       a Mono's value ended the timeout; its completion still passes through
 *   TERMINATED  onComplete / onError delivered, or the timeout delivered
 *   CANCELLED   cancel arrived
 * Who races: the source's signals (serialized among themselves), cancel (any thread) and the
 * timer (its own thread). Each leaves RUNNING with one CAS; exactly one wins, so downstream gets
 * one terminal signal and the timeout fires only for a call that is still running. A Mono pays
 * one CAS, at its value. A Flux element pays two (RUNNING to EMITTING and back): the timer
 * cannot signal onError while onNext runs on another thread, so it leaves the error to that
 * thread (FIRED), which delivers it as soon as the element is through. The upstream is cancelled
 * by whoever delivers the timeout, right before onError.
 *
 * Errors. There is no user callback here. A downstream that throws from onNext is left to the
 * upstream, as Reactor does. A source whose subscribe throws ends the call with that error; a
 * JVM-fatal one is signalled downstream (so that outer operators return their permits) and then
 * rethrown.
 *
 * Layout: the entry's slots, index and deadline, then actual, plan, context, s and the int
 * state: 48 bytes with compressed oops.
 */
final class TimeoutSubscriber<T> implements TimeoutTimer.Entry, CoreSubscriber<T>, Subscription, Scannable {

    static final int RUNNING = 0;
    static final int EMITTING = 1;
    static final int FIRED = 2;
    static final int REFUSED = 3;
    static final int VALUE = 4;
    static final int TERMINATED = 5;
    static final int CANCELLED = 6;

    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(TimeoutSubscriber.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // where the timer holds this entry, once armed (see TimeoutTimer.Entry#armed)
    private Object[] slots;
    private int index;
    private long deadline;

    final CoreSubscriber<? super T> actual;
    final TimeoutPlan<T> plan;
    /** Null for a timeout (the Context is actual's); for a deadline, actual's with the deadline in it. */
    final Context context;
    Subscription s;
    volatile int state;

    /**
     * @param deadline for a deadline, the instant written into {@code context}; unused for a timeout
     */
    TimeoutSubscriber(CoreSubscriber<? super T> actual, TimeoutPlan<T> plan, Context context, long deadline) {
        this.actual = actual;
        this.plan = plan;
        this.context = context;
        this.deadline = deadline;
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(this.s, s)) {
            this.s = s;
            actual.onSubscribe(this);
            arm();
        }
    }

    /** Starts the clock, unless the call ended inside onSubscribe. */
    private void arm() {
        int st = state;
        if (st != RUNNING && st != EMITTING) {
            return;
        }
        Scheduler clock;
        long at;
        if (context == null) {
            clock = plan.scheduler();
            at = Deadline.plus(clock.now(TimeUnit.NANOSECONDS), plan.nanos);
        } else {
            clock = Deadline.in(context).clock;
            at = deadline;
        }
        plan.timer(clock).arm(this, at);
        if (state >= VALUE) {
            // the call ended on another thread while this one armed: let the timer forget it now
            // (should that end have missed the slot too, the timer drops the entry at its deadline)
            disarm();
        }
    }

    @Override
    public void armed(Object[] slots, int index, long deadline) {
        this.slots = slots;
        this.index = index;
        this.deadline = deadline;
    }

    @Override
    public long deadline() {
        return deadline;
    }

    /** Lets the timer forget this entry (see {@link TimeoutTimer#disarm}). */
    private void disarm() {
        TimeoutTimer.disarm(slots, index);
    }

    // ---------------------------------------------------------------- signals

    @Override
    public void onNext(T t) {
        if (plan.mono) {
            if (STATE.compareAndSet(this, RUNNING, VALUE)) {
                disarm();
                actual.onNext(t);
            } else {
                dropped(t);
            }
            return;
        }
        if (!STATE.compareAndSet(this, RUNNING, EMITTING)) {
            dropped(t);
            return;
        }
        actual.onNext(t);
        if (!STATE.compareAndSet(this, EMITTING, RUNNING)) {
            afterRacedElement();
        }
    }

    /** The timer fired (or was refused) while an element was delivered: deliver that now. Or downstream cancelled. */
    private void afterRacedElement() {
        int st = state;
        if ((st == FIRED || st == REFUSED) && STATE.compareAndSet(this, st, TERMINATED)) {
            timedOut(st, null);
        }
    }

    private void dropped(T t) {
        if (state == CANCELLED) {
            Operators.onDiscard(t, currentContext());
        } else {
            Operators.onNextDropped(t, currentContext());
        }
    }

    @Override
    public void onError(Throwable t) {
        for (;;) {
            int st = state;
            if (st == RUNNING || st == EMITTING || st == VALUE) {
                if (STATE.compareAndSet(this, st, TERMINATED)) {
                    if (st != VALUE) {
                        disarm();
                    }
                    actual.onError(t);
                    return;
                }
            } else if (st == FIRED || st == REFUSED) {
                // the timer fired during an element whose onNext threw: its error came first
                if (STATE.compareAndSet(this, st, TERMINATED)) {
                    Operators.onErrorDropped(t, currentContext());
                    timedOut(st, null);
                    return;
                }
            } else {
                Operators.onErrorDropped(t, currentContext());   // timed out, terminated or cancelled
                return;
            }
        }
    }

    @Override
    public void onComplete() {
        for (;;) {
            int st = state;
            if (st == RUNNING || st == EMITTING || st == VALUE) {
                if (STATE.compareAndSet(this, st, TERMINATED)) {
                    if (st != VALUE) {
                        disarm();
                    }
                    actual.onComplete();
                    return;
                }
            } else if (st == FIRED || st == REFUSED) {
                if (STATE.compareAndSet(this, st, TERMINATED)) {
                    timedOut(st, null);
                    return;
                }
            } else {
                return;
            }
        }
    }

    @Override
    public void request(long n) {
        s.request(n);
    }

    @Override
    public void cancel() {
        for (;;) {
            int st = state;
            if (st == TERMINATED || st == CANCELLED) {
                break;
            }
            if (STATE.compareAndSet(this, st, CANCELLED)) {   // lost only to a signal or the timer
                if (st != VALUE) {
                    disarm();
                }
                break;
            }
        }
        s.cancel();
    }

    // ---------------------------------------------------------------- the timer

    /** The deadline passed: time out the call, or leave it to the thread delivering an element. */
    @Override
    public void expired() {
        interrupt(FIRED, null);
    }

    /**
     * The Scheduler refused the timer: the call ends with Reactor's rejection error (a JVM-fatal
     * refusal is signalled as it is, and the timer then rethrows it), as a timeout would end it.
     */
    @Override
    public void refused(Throwable rejected) {
        interrupt(REFUSED, rejected);
    }

    /**
     * Ends a running call from the timer's side: at once if no element is being delivered,
     * otherwise through the element's thread ({@code pending} is FIRED or REFUSED). A call that
     * ended first is left alone: the timeout is moot.
     */
    private void interrupt(int pending, Throwable rejected) {
        for (;;) {
            int st = state;
            if (st == RUNNING) {
                if (STATE.compareAndSet(this, RUNNING, TERMINATED)) {
                    timedOut(pending, rejected);
                    return;
                }
            } else if (st == EMITTING) {
                if (STATE.compareAndSet(this, EMITTING, pending)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** Cancels the upstream and signals the timeout (or the refusal), whatever the cancel throws. */
    private void timedOut(int why, Throwable rejected) {
        try {
            s.cancel();
        } finally {
            actual.onError(why == FIRED ? plan.exceeded() : rejection(rejected, currentContext()));
        }
    }

    /**
     * The error of a call whose timer the Scheduler refused: the refusal itself if JVM-fatal,
     * otherwise Reactor's rejection error through its hook.
     */
    static Throwable rejection(Throwable rejected, Context context) {
        if (rejected != null && Guard.isFatal(rejected)) {
            return rejected;
        }
        return Operators.onRejectedExecution(rejected != null ? rejected : Exceptions.failWithRejected(), context);
    }

    // ---------------------------------------------------------------- subscribe failed

    /**
     * The source's subscribe threw: the call ends with that error, through Reactor's
     * onOperatorError. A JVM-fatal error, which that hook rethrows, ends the call too (so
     * operators outside return their permits), then propagates.
     */
    void subscribeFailed(Throwable e) {
        if (s == null) {
            s = Operators.emptySubscription();
            actual.onSubscribe(this);
        }
        Throwable error;
        try {
            error = Operators.onOperatorError(e, currentContext());
        } catch (Throwable fatal) {
            onError(fatal);
            throw fatal;
        }
        onError(error);
    }

    // ---------------------------------------------------------------- Reactor plumbing

    @Override
    public Context currentContext() {
        Context c = context;
        return c != null ? c : actual.currentContext();
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
            return plan.stage.label();
        }
        return null;
    }
}
