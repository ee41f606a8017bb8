package dev.ninelives.reactor;

import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryOnResultException;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/*
 * One subscriber runs every attempt of one call: it resubscribes the source itself, with no
 * companion publisher, and keeps downstream demand exact across attempts.
 *
 * Attempts. The first attempt and every retry go through resubscribe(), a trampoline: a
 * retry asked for while an attempt is still inside source.subscribe (an immediate retry of a
 * synchronous source) only increments `attempts`, and the loop that is already running
 * subscribes again once the current subscribe returns. Ten thousand immediate retries are ten
 * thousand loop turns, never ten thousand stack frames. The first attempt enters the loop with
 * a plain (release) store, and a call that ends inside subscribe leaves the loop without
 * touching the counter again: a synchronous success pays no atomic for the trampoline. A delayed retry is one task on the
 * Scheduler resolved at subscription (virtual time drives it); cancel disposes it through
 * `pending`, and a task that still runs finds `cancelled` and subscribes nothing.
 *
 * Signals of one attempt are serialized (Reactive Streams 1.3) and handed to the next attempt
 * through the trampoline's atomic counter or the scheduler, so the per-call bookkeeping
 * (attempt number, last delay, earlier errors, `produced`, `done`) is plain fields. What only
 * a failure needs lives in a `Cold` object allocated at the first failure (or at subscription,
 * for a deadline or a result predicate), so a call that succeeds allocates this subscriber
 * alone.
 *
 * Retrying a Mono's value abandons an attempt that may still signal (a source may complete
 * after it was cancelled). Such a policy subscribes each attempt through its own small
 * `ResultAttempt`, and the parent ignores every attempt but the current one.
 *
 * Demand. The arbiter is the classic multi-subscription drain (`wip` + missed request /
 * subscription / produced): request(n) from any thread, a new attempt's Subscription, and the
 * number of elements the failed attempt delivered are folded by whichever thread wins `wip`,
 * so the next attempt is asked exactly for what downstream requested and has not received.
 * Elements cost one plain increment of `produced`, reconciled once per failed attempt.
 */
final class RetrySubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable, Runnable {

    private static final VarHandle WIP;
    private static final VarHandle MISSED_REQUESTED;
    private static final VarHandle MISSED_PRODUCED;
    private static final VarHandle MISSED_SUBSCRIPTION;
    private static final VarHandle ATTEMPTS;
    private static final VarHandle PENDING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WIP = l.findVarHandle(RetrySubscriber.class, "wip", int.class);
            MISSED_REQUESTED = l.findVarHandle(RetrySubscriber.class, "missedRequested", long.class);
            MISSED_PRODUCED = l.findVarHandle(RetrySubscriber.class, "missedProduced", long.class);
            MISSED_SUBSCRIPTION = l.findVarHandle(RetrySubscriber.class, "missedSubscription", Subscription.class);
            ATTEMPTS = l.findVarHandle(RetrySubscriber.class, "attempts", int.class);
            PENDING = l.findVarHandle(RetrySubscriber.class, "pending", Disposable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Disposable CANCELLED = Disposables.disposed();

    final CoreSubscriber<? super T> actual;
    final RetryPlan<T> plan;

    // the arbiter: plain fields owned by whoever holds `wip`
    Subscription subscription;
    long requested;
    boolean unbounded;
    volatile int wip;
    volatile long missedRequested;
    volatile long missedProduced;
    volatile Subscription missedSubscription;

    // the attempts
    volatile int attempts;            // resubscriptions asked for and not yet made (the trampoline)
    volatile Disposable pending;      // the scheduled retry, or CANCELLED
    volatile boolean cancelled;

    // per-call bookkeeping, handed between attempts by `attempts` or the scheduler
    long produced;                    // elements of the current attempt not yet counted against demand
    boolean emitted;
    boolean done;
    Cold cold;

    /** What only failures, deadlines and result predicates need. */
    static final class Cold {
        int attempt = 1;
        long lastDelay;
        long start;
        Throwable[] earlier;
        int earlierCount;
        Subscription attemptSubscription;
        volatile Object current;      // the attempt whose signals count (result predicates only)
    }

    RetrySubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan) {
        this.actual = actual;
        this.plan = plan;
    }

    private Cold cold() {
        Cold c = cold;
        if (c == null) {
            c = cold = new Cold();
        }
        return c;
    }

    /** Signals onSubscribe downstream and makes the first attempt. */
    void start() {
        Retry retry = plan.retry;
        if (retry.deadlineNanos() > 0) {
            cold().start = retry.ticker().read();
        }
        if (plan.testsResults) {
            cold();
        }
        RetryBudget budget = retry.budget();
        if (budget != null) {
            budget.onCall();
        }
        actual.onSubscribe(this);
        ATTEMPTS.setRelease(this, 1);                  // the first attempt: nobody else can see us yet
        attemptLoop();
    }

    // ---------------------------------------------------------------- attempts

    @Override
    public void run() {
        resubscribe();
    }

    void resubscribe() {
        if ((int) ATTEMPTS.getAndAdd(this, 1) != 0) {
            return;                                    // the running loop will make this attempt
        }
        attemptLoop();
    }

    private void attemptLoop() {
        do {
            if (cancelled) {
                return;
            }
            CoreSubscriber<T> attempt = this;
            if (plan.testsResults) {
                ResultAttempt<T> r = new ResultAttempt<>(this);
                cold.current = r;
                attempt = r;
            }
            try {
                plan.source.subscribe(attempt);
            } catch (Throwable e) {
                attempt.onError(Operators.onOperatorError(e, actual.currentContext()));
            }
            if (done) {
                return;                                // ended within subscribe: no attempt can follow, leave the counter
            }
        } while ((int) ATTEMPTS.getAndAdd(this, -1) != 1);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (plan.testsResults) {
            cold.attemptSubscription = s;
        }
        set(s);
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, actual.currentContext());
            return;
        }
        if (plan.testsResults && plan.retry.isRetryableResult(t)) {
            Cold c = cold;
            c.current = null;                         // the rest of this attempt is ignored
            c.attemptSubscription.cancel();
            failed(new RetryOnResultException(t));
            return;
        }
        produced++;
        actual.onNext(t);
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        failed(t);
    }

    @Override
    public void onComplete() {
        if (done) {
            return;
        }
        done = true;
        actual.onComplete();
    }

    /** One attempt of a Mono whose values are tested; forwards only while it is the current attempt. */
    static final class ResultAttempt<T> implements CoreSubscriber<T> {
        final RetrySubscriber<T> parent;

        ResultAttempt(RetrySubscriber<T> parent) {
            this.parent = parent;
        }

        private boolean current() {
            return parent.cold.current == this;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (current()) {
                parent.onSubscribe(s);
            } else {
                s.cancel();
            }
        }

        @Override
        public void onNext(T t) {
            if (current()) {
                parent.onNext(t);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (current()) {
                parent.onError(t);
            } else {
                Operators.onErrorDropped(t, parent.actual.currentContext());
            }
        }

        @Override
        public void onComplete() {
            if (current()) {
                parent.onComplete();
            }
        }

        @Override
        public Context currentContext() {
            return parent.actual.currentContext();
        }
    }

    private void failed(Throwable t) {
        long p = produced;
        Retry retry = plan.retry;
        Cold c = cold();
        if (p != 0) {
            produced = 0;
            produced(p);
            emitted = true;
            if (retry.resetOnElement()) {
                c.attempt = 1;                         // an element arrived since the last error
                c.lastDelay = 0;
            }
        }
        if (cancelled) {
            return;
        }
        if (!retry.isRetryable(t) || (!plan.mono && emitted && !retry.retryAfterElements())) {
            end(t, false);
            return;
        }
        int attempt = c.attempt;
        if (attempt >= retry.maxAttempts()) {
            retry.announce(RetryEvent.Type.EXHAUSTED, attempt, 0L, t);
            end(t, true);
            return;
        }
        long delay;
        try {
            delay = retry.delayNanos(attempt, t, c.lastDelay);
        } catch (RuntimeException e) {
            e.addSuppressed(t);
            end(e, false);
            return;
        }
        if (delay == Retry.NO_RETRY) {
            end(t, false);
            return;
        }
        long deadline = retry.deadlineNanos();
        if (deadline > 0 && retry.ticker().read() - c.start > deadline - delay) {
            retry.announce(RetryEvent.Type.EXHAUSTED, attempt, delay, t);
            end(t, true);
            return;
        }
        RetryBudget budget = retry.budget();
        if (budget != null && !budget.tryAcquireRetry()) {
            retry.announce(RetryEvent.Type.BUDGET_REFUSED, attempt, delay, t);
            end(t, false);
            return;
        }
        retry.announce(RetryEvent.Type.RETRY, attempt, delay, t);
        remember(c, t);
        c.attempt = attempt + 1;
        c.lastDelay = delay;
        if (delay == 0) {
            resubscribe();
        } else {
            schedule(delay);
        }
    }

    private void schedule(long delay) {
        Disposable current = pending;
        if (current == CANCELLED) {
            return;
        }
        Disposable task;
        try {
            task = plan.scheduler().schedule(this, delay, TimeUnit.NANOSECONDS);
        } catch (Throwable rejected) {
            end(Operators.onRejectedExecution(rejected, actual.currentContext()), false);
            return;
        }
        if (!PENDING.compareAndSet(this, current, task)) {
            task.dispose();                            // cancelled meanwhile
        }
    }

    private static void remember(Cold c, Throwable t) {
        if (t instanceof RetryOnResultException) {
            return;
        }
        Throwable[] e = c.earlier;
        if (e == null) {
            e = c.earlier = new Throwable[Retry.MAX_SUPPRESSED];
        }
        if (c.earlierCount < e.length && (c.earlierCount == 0 || e[c.earlierCount - 1] != t)) {
            e[c.earlierCount++] = t;
        }
    }

    /** Ends the call: the value of a retried result, or the (possibly wrapped) error. */
    private void end(Throwable t, boolean exhausted) {
        done = true;
        if (t instanceof RetryOnResultException) {
            @SuppressWarnings("unchecked")
            T value = (T) ((RetryOnResultException) t).value();
            actual.onNext(value);
            actual.onComplete();
            return;
        }
        Cold c = cold();
        actual.onError(plan.retry.finalError(t, c.earlier, c.earlierCount, c.attempt, exhausted));
    }

    // ---------------------------------------------------------------- downstream

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        Disposable p = (Disposable) PENDING.getAndSet(this, CANCELLED);
        if (p != null) {
            p.dispose();
        }
        drain();
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n) || unbounded) {
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            long r = requested;
            if (r != Long.MAX_VALUE) {
                r = Operators.addCap(r, n);
                requested = r;
                if (r == Long.MAX_VALUE) {
                    unbounded = true;
                }
            }
            Subscription a = subscription;
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            if (a != null) {
                a.request(n);
            }
            return;
        }
        addCap(MISSED_REQUESTED, n);
        drain();
    }

    /** A new attempt's subscription: ask it for everything still outstanding. */
    private void set(Subscription s) {
        if (cancelled) {
            s.cancel();
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            subscription = s;
            long r = requested;
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            if (r != 0L) {
                s.request(r);
            }
            return;
        }
        MISSED_SUBSCRIPTION.setVolatile(this, s);
        drain();
    }

    /** Elements a failed attempt delivered: they count against what downstream requested. */
    private void produced(long n) {
        if (unbounded) {
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            long r = requested;
            if (r != Long.MAX_VALUE) {
                requested = Math.max(0L, r - n);
            }
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            return;
        }
        addCap(MISSED_PRODUCED, n);
        drain();
    }

    private void addCap(VarHandle field, long n) {
        for (;;) {
            long r = (long) field.getVolatile(this);
            long u = Operators.addCap(r, n);
            if (field.compareAndSet(this, r, u)) {
                return;
            }
        }
    }

    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;
        }
        drainLoop();
    }

    private void drainLoop() {
        int missed = 1;
        long requestAmount = 0L;
        Subscription requestTarget = null;
        for (;;) {
            Subscription ms = missedSubscription;
            if (ms != null) {
                ms = (Subscription) MISSED_SUBSCRIPTION.getAndSet(this, null);
            }
            long mr = missedRequested;
            if (mr != 0L) {
                mr = (long) MISSED_REQUESTED.getAndSet(this, 0L);
            }
            long mp = missedProduced;
            if (mp != 0L) {
                mp = (long) MISSED_PRODUCED.getAndSet(this, 0L);
            }
            Subscription a = subscription;
            if (cancelled) {
                if (a != null) {
                    a.cancel();
                    subscription = null;
                }
                if (ms != null) {
                    ms.cancel();
                }
            } else {
                long r = requested;
                if (r != Long.MAX_VALUE) {
                    long u = Operators.addCap(r, mr);
                    if (u != Long.MAX_VALUE) {
                        u = Math.max(0L, u - mp);
                    } else {
                        unbounded = true;
                    }
                    r = u;
                    requested = r;
                }
                if (ms != null) {
                    subscription = ms;
                    if (r != 0L) {
                        requestAmount = Operators.addCap(requestAmount, r);
                        requestTarget = ms;
                    }
                } else if (mr != 0L && a != null) {
                    requestAmount = Operators.addCap(requestAmount, mr);
                    requestTarget = a;
                }
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                if (requestAmount != 0L) {
                    requestTarget.request(requestAmount);
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- Reactor plumbing

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return subscription;
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            return done;
        }
        if (key == Attr.CANCELLED) {
            return cancelled;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.NAME) {
            return plan.retry.name();
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            return requested;
        }
        return null;
    }
}
