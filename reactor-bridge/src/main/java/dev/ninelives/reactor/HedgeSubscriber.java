package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.HedgeGate;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/*
 * One hedged call: the downstream's Subscription and the first attempt's subscriber at once, so
 * a call answered before its delay allocates this object alone (32 bytes: actual, plan, s, race,
 * state). A call still unanswered when its first attempt's subscribe returns arms the delay: a
 * Race (start time, timer, the hedges' subscribers) and one task on the Scheduler, which issues a
 * hedge at its tick and re-arms itself for the next one, up to maxHedges (one-shot tasks, not a
 * periodic one: see Race.rearm).
 *
 * The state word, one int changed by CAS:
 *   bits 0-3   running:  attempts subscribed and not ended (the first one counts from the start)
 *   bits 4-7   launched: hedges claimed by the timer
 *   REQUESTED  the downstream asked for the value: each attempt is requested unbounded
 *   DONE       the call has ended (answer, error, cancel, fatal error): nothing else is signalled
 *   ANSWERED   it ended with an answer (a value, or an empty completion)
 *   CANCELLED  it ended with the downstream's cancel
 * Who races: the attempts' signals (each attempt serialized, different attempts on any threads),
 * the timer's claim of a new hedge, the downstream's request and cancel. Exactly one CAS sets
 * DONE; whoever sets it signals the downstream and cancels the other attempts and the timer. The
 * timer claims a hedge only while DONE is clear; it then publishes the hedge's subscriber in the
 * Race's array and reads the state again: if DONE is set by then, it does not subscribe the
 * hedge (the winner may have scanned the array before the publication); otherwise the winner's
 * scan, which follows its DONE CAS, sees the hedge and cancels it. An attempt's error ends the
 * call only when it is the last attempt running (the timer's claim of a hedge, made before, keeps
 * it from being the last) or the error-ends-race predicate says so.
 *
 * Each attempt's subscription is set once, by CAS from null, against a cancel that swaps in the
 * CANCELLED_S marker: a cancel before the attempt's onSubscribe cancels it there.
 */
final class HedgeSubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable {

    static final int RUN_ONE = 1;
    static final int RUNNING = 0xF;
    static final int LAUNCH_ONE = 1 << 4;
    static final int LAUNCHED_SHIFT = 4;
    static final int REQUESTED = 1 << 8;
    static final int DONE = 1 << 9;
    static final int ANSWERED = 1 << 10;
    static final int CANCELLED = 1 << 11;

    static final Subscription CANCELLED_S = Operators.cancelledSubscription();

    private static final VarHandle STATE;
    private static final VarHandle S;
    private static final VarHandle RACE;
    private static final VarHandle INNER_S;
    private static final VarHandle TIMER;
    private static final VarHandle INNERS = MethodHandles.arrayElementVarHandle(Inner[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(HedgeSubscriber.class, "state", int.class);
            S = l.findVarHandle(HedgeSubscriber.class, "s", Subscription.class);
            RACE = l.findVarHandle(HedgeSubscriber.class, "race", Race.class);
            INNER_S = l.findVarHandle(Inner.class, "s", Subscription.class);
            TIMER = l.findVarHandle(Race.class, "timer", Disposable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreSubscriber<? super T> actual;
    final HedgePlan<T> plan;
    /** The first attempt's subscription. */
    volatile Subscription s;
    /** Null until the delay is armed. */
    volatile Race<T> race;
    volatile int state;

    HedgeSubscriber(CoreSubscriber<? super T> actual, HedgePlan<T> plan) {
        this.actual = actual;
        this.plan = plan;
        STATE.set(this, RUN_ONE);                      // plain: published by onSubscribe
    }

    boolean ended() {
        return (state & DONE) != 0;
    }

    // ------------------------------------------------------------------ the first attempt

    @Override
    public void onSubscribe(Subscription s) {
        if (setOnce(S, this, s) && (state & REQUESTED) != 0) {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(T t) {
        value(0, t, s == CANCELLED_S);
    }

    @Override
    public void onError(Throwable t) {
        error(0, t);
    }

    @Override
    public void onComplete() {
        empty(0);
    }

    /** The first attempt's subscribe threw. */
    void subscribeFailed(Throwable e) {
        Throwable t;
        try {
            t = Operators.onOperatorError(e, actual.currentContext());
        } catch (Throwable fatal) {
            fail(fatal);
            throw fatal;
        }
        error(0, t);
    }

    // ------------------------------------------------------------------ the downstream's Subscription

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        for (;;) {
            int st = state;
            if ((st & REQUESTED) != 0) {
                return;                                // a Mono: the first request asks every attempt for all
            }
            if (STATE.compareAndSet(this, st, st | REQUESTED)) {
                break;
            }
        }
        requestMax(s);
        Race<T> r = race;
        if (r != null) {
            for (int i = 0; i < r.inners.length; i++) {
                Inner<T> inner = (Inner<T>) INNERS.getVolatile(r.inners, i);
                if (inner != null) {
                    requestMax(inner.s);
                }
            }
        }
    }

    private static void requestMax(Subscription p) {
        if (p != null && p != CANCELLED_S) {
            p.request(Long.MAX_VALUE);                 // twice, racing the attempt's onSubscribe, is harmless
        }
    }

    @Override
    public void cancel() {
        for (;;) {
            int st = state;
            if ((st & DONE) != 0) {
                return;
            }
            if (STATE.compareAndSet(this, st, st | DONE | CANCELLED)) {
                break;
            }
        }
        cancelOthers(-1);
    }

    // ------------------------------------------------------------------ the race

    /**
     * Arms the delay once the first attempt's subscribe has returned, unless the call has ended
     * already (a synchronous answer schedules nothing), or a Context deadline leaves no more than
     * the delay (a hedge would start too late to help).
     */
    void arm(long start) {
        int st = state;
        HedgeGate g = plan.gate;
        if ((st & DONE) != 0) {
            if ((st & ANSWERED) != 0 && g.adaptive()) {
                g.answered(g.ticker().read() - start);
            }
            return;
        }
        long delay = g.delayNanos();
        Deadline d = Deadline.in(actual.currentContext());
        if (d != null && d.remainingNanos() <= delay) {
            return;
        }
        Race<T> r = new Race<>(this, start, g.maxHedges(), delay);
        RACE.setVolatile(this, r);
        if (ended()) {
            return;                                    // the answer came meanwhile: schedule nothing
        }
        Disposable t;
        try {
            t = plan.scheduler().schedule(r, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException noTimer) {
            return;                                    // a scheduler without timers: the first attempt goes on alone
        }
        if (!TIMER.compareAndSet(r, null, t)) {
            t.dispose();                               // the call ended (or the hedges ran out, or the tick re-armed) meanwhile
        }
    }

    /**
     * A value from attempt {@code attempt}: the first one wins. After the end, a cancelled
     * attempt's value is discarded (it lost a race); any other's breaks the protocol (a value
     * after its own answer or error) and is dropped.
     */
    void value(int attempt, T t, boolean cancelled) {
        if (!end(ANSWERED)) {
            if (cancelled) {
                Operators.onDiscard(t, actual.currentContext());
            } else {
                Operators.onNextDropped(t, actual.currentContext());
            }
            return;
        }
        try {
            won(attempt);
        } finally {
            actual.onNext(t);
            actual.onComplete();
        }
    }

    /** An empty completion from attempt {@code attempt}: an answer too, unless it follows this attempt's winning value. */
    void empty(int attempt) {
        if (!end(ANSWERED)) {
            return;
        }
        try {
            won(attempt);
        } finally {
            actual.onComplete();
        }
    }

    /** Sets DONE (and {@code flags}) unless set already; true for the one caller that set it. */
    private boolean end(int flags) {
        for (;;) {
            int st = state;
            if ((st & DONE) != 0) {
                return false;
            }
            if (STATE.compareAndSet(this, st, st | DONE | flags)) {
                return true;
            }
        }
    }

    /** The winner's bookkeeping: the others cancelled, the latency recorded, a hedge's win counted. */
    private void won(int attempt) {
        HedgeGate g = plan.gate;
        try {
            cancelOthers(attempt);
        } finally {
            Race<T> r = race;
            if (r != null && g.adaptive()) {
                g.answered(g.ticker().read() - r.start);
            }
            if (attempt > 0) {
                g.won(attempt);
            }
        }
    }

    /** An error from attempt {@code attempt}: dropped while another attempt runs, unless it ends the race. */
    void error(int attempt, Throwable e) {
        if (ended()) {
            return;                                    // a cancelled loser's, or one after the call ended
        }
        boolean ends;
        Throwable failure = e;
        Throwable fatal = null;
        try {
            ends = plan.gate.errorEndsRace(e);
        } catch (Throwable t) {
            ends = true;                               // documented: the predicate's throwable ends the call
            if (t != e) {
                t.addSuppressed(e);
            }
            failure = t;
            fatal = Guard.isFatal(t) ? t : null;
        }
        for (;;) {
            int st = state;
            if ((st & DONE) != 0) {
                if (fatal != null) {
                    throw (Error) fatal;
                }
                return;
            }
            boolean last = (st & RUNNING) == RUN_ONE;
            int next = st - RUN_ONE;
            if (ends || last) {
                next |= DONE;
            }
            if (STATE.compareAndSet(this, st, next)) {
                if (!ends && !last) {
                    return;                            // the others go on
                }
                break;
            }
        }
        try {
            cancelOthers(attempt);
        } finally {
            actual.onError(failure);
        }
        if (fatal != null) {
            throw (Error) fatal;
        }
    }

    /** A JVM-fatal error of a listener or of Reactor's hooks: the call ends with it (if it has not ended). */
    void fail(Throwable fatal) {
        if (!end(0)) {
            return;
        }
        try {
            cancelOthers(-1);
        } finally {
            actual.onError(fatal);
        }
    }

    /**
     * Disposes the timer and cancels every attempt but {@code winner} (-1: all). Each cancel runs
     * even if one before threw; a JVM-fatal error then propagates, anything else is dropped.
     */
    private void cancelOthers(int winner) {
        Throwable fatal = null;
        Race<T> r = race;
        if (r != null) {
            fatal = r.dispose();
        }
        if (winner != 0) {
            fatal = cancel((Subscription) S.getAndSet(this, CANCELLED_S), fatal);
        }
        if (r != null) {
            for (int i = 0; i < r.inners.length; i++) {
                Inner<T> inner = (Inner<T>) INNERS.getVolatile(r.inners, i);
                if (inner != null && inner.attempt != winner) {
                    fatal = cancel((Subscription) INNER_S.getAndSet(inner, CANCELLED_S), fatal);
                }
            }
        }
        if (fatal != null) {
            throw (Error) fatal;
        }
    }

    private Throwable cancel(Subscription p, Throwable fatal) {
        if (p == null || p == CANCELLED_S) {
            return fatal;
        }
        try {
            p.cancel();
        } catch (Throwable t) {
            if (Guard.isFatal(t)) {
                return fatal != null ? fatal : t;
            }
            Operators.onErrorDropped(t, actual.currentContext());
        }
        return fatal;
    }

    /** Sets an attempt's subscription once; false (and {@code s} cancelled) if it was cancelled or set before. */
    private static boolean setOnce(VarHandle handle, Object owner, Subscription s) {
        if (handle.compareAndSet(owner, null, s)) {
            return true;
        }
        s.cancel();
        if (handle.getVolatile(owner) != CANCELLED_S) {
            Operators.reportSubscriptionSet();
        }
        return false;
    }

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        int st = state;
        if (key == Attr.PARENT) {
            return s;
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            return (st & DONE) != 0 && (st & CANCELLED) == 0;
        }
        if (key == Attr.CANCELLED) {
            return (st & CANCELLED) != 0;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.NAME) {
            return plan.hedge.name();
        }
        return null;
    }

    // ------------------------------------------------------------------ the timer and the hedges

    /** The state of a call whose delay is armed; the task that issues its hedges, one tick at a time. */
    static final class Race<T> implements Runnable {
        static final Disposable DISPOSED = Disposables.disposed();

        final HedgeSubscriber<T> parent;
        final long start;
        final Inner<T>[] inners;
        /** The delay between two hedges, in nanoseconds. */
        final long delay;
        /** The pending tick: null until stored by arm (or a first tick), DISPOSED once no more hedges are due. */
        volatile Disposable timer;

        @SuppressWarnings("unchecked")
        Race(HedgeSubscriber<T> parent, long start, int maxHedges, long delay) {
            this.parent = parent;
            this.start = start;
            this.inners = new Inner[maxHedges];
            this.delay = delay;
        }

        /**
         * Schedules the next tick, a one-shot task: a periodic task's dispose takes the
         * executor queue's lock in a way BlockHound reports as blocking (and its error, thrown
         * out of the lock's wait, leaves the queue's lock unusable), where a one-shot task's does
         * not. Loses to a dispose that came first: the new task is then disposed at once.
         */
        void rearm() {
            Disposable current = timer;
            if (current == DISPOSED) {
                return;
            }
            Disposable next;
            try {
                next = parent.plan.scheduler().schedule(this, delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException noTimer) {
                dispose();                             // the scheduler refuses timers now: no more hedges
                return;
            }
            if (!TIMER.compareAndSet(this, current, next)) {
                next.dispose();                        // disposed meanwhile (the call ended, or no more hedges)
            }
        }

        /** Stops the timer; returns a JVM-fatal error of the dispose, or null. */
        Throwable dispose() {
            Disposable d = (Disposable) TIMER.getAndSet(this, DISPOSED);
            if (d != null && d != DISPOSED) {
                try {
                    d.dispose();
                } catch (Throwable t) {
                    if (Guard.isFatal(t)) {
                        return t;
                    }
                    Operators.onErrorDropped(t, parent.actual.currentContext());
                }
            }
            return null;
        }

        /** A tick of the delay: issue the next hedge, if the budget (and the breaker) allow it. */
        @Override
        public void run() {
            HedgeSubscriber<T> p = parent;
            if (p.ended()) {
                return;
            }
            HedgePlan<T> plan = p.plan;
            HedgeGate g = plan.gate;
            int hedge = ((p.state >>> LAUNCHED_SHIFT) & 0xF) + 1;
            if (hedge > inners.length) {
                dispose();
                return;
            }
            if (!g.tryToken()) {
                dispose();                             // refused: the attempts in flight go on alone
                announce(p, () -> g.refusedByBudget(hedge));
                return;
            }
            long permit = -1L;
            CircuitBreaker b = plan.breaker;
            if (b != null) {
                permit = b.tryAcquire();
                if (permit < 0) {
                    g.refundToken();
                    dispose();
                    announce(p, () -> g.refusedByBreaker(hedge));
                    return;
                }
            }
            for (;;) {                                 // claim the hedge while the call is on
                int st = p.state;
                if ((st & DONE) != 0) {
                    g.refundToken();
                    plan.releasePermit(permit);
                    return;
                }
                if (STATE.compareAndSet(p, st, st + LAUNCH_ONE + RUN_ONE)) {
                    break;
                }
            }
            if (hedge == inners.length) {
                dispose();                             // the last one: no more ticks
            } else {
                rearm();                               // the next hedge, one delay from now
            }
            Inner<T> inner = new Inner<>(p, hedge);
            INNERS.setVolatile(inners, hedge - 1, inner);
            if (p.ended()) {
                g.refundToken();                       // the winner may have scanned before the publication
                plan.releasePermit(permit);
                return;
            }
            HedgePlan.subscribeHedge(plan, inner, permit);
            announce(p, () -> g.issued(hedge));
        }

        private static void announce(HedgeSubscriber<?> p, Runnable counted) {
            try {
                counted.run();
            } catch (Throwable fatal) {                // only a listener's JVM-fatal error comes out of the gate
                p.fail(fatal);
                throw fatal;
            }
        }
    }

    /** A hedge's subscriber: its signals go to the call's one subscriber, tagged with its number. */
    static final class Inner<T> implements CoreSubscriber<T>, Scannable {
        final HedgeSubscriber<T> parent;
        final int attempt;
        volatile Subscription s;

        Inner(HedgeSubscriber<T> parent, int attempt) {
            this.parent = parent;
            this.attempt = attempt;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (setOnce(INNER_S, this, s) && (parent.state & REQUESTED) != 0) {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(T t) {
            parent.value(attempt, t, s == CANCELLED_S);
        }

        @Override
        public void onError(Throwable t) {
            parent.error(attempt, t);
        }

        @Override
        public void onComplete() {
            parent.empty(attempt);
        }

        @Override
        public Context currentContext() {
            return parent.actual.currentContext();
        }

        @Override
        @SuppressWarnings("rawtypes") // Scannable declares the raw type
        public Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return s;
            }
            if (key == Attr.ACTUAL) {
                return parent;
            }
            if (key == Attr.CANCELLED) {
                return s == CANCELLED_S;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            if (key == Attr.NAME) {
                return parent.plan.hedge.name();
            }
            return null;
        }
    }
}
