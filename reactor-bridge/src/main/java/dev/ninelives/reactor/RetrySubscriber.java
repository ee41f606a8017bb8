package dev.ninelives.reactor;

import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryOnResultException;
import org.reactivestreams.Subscription;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
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
 * thousand loop turns, never ten thousand stack frames. A delayed retry is one task on the
 * Scheduler resolved at subscription (virtual time drives it); cancel disposes it through
 * `pending`, and a task that still runs finds `cancelled` and subscribes nothing.
 *
 * Signals of one attempt are serialized (Reactive Streams 1.3) and handed to the next attempt
 * through the trampoline's atomic counter or the scheduler, so the per-call bookkeeping
 * (attempt number, last delay, earlier errors, `produced`, `done`) is plain fields.
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
    final CorePublisher<? extends T> source;
    final Retry retry;
    final Scheduler scheduler;
    final boolean mono;

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
    Subscription attemptSubscription;
    long produced;
    boolean emitted;
    boolean done;
    boolean abandoned;                // a Mono value is being retried: ignore the rest of that attempt
    int attempt = 1;
    long lastDelay;
    long start;
    Throwable[] earlier;
    int earlierCount;

    RetrySubscriber(CoreSubscriber<? super T> actual, CorePublisher<? extends T> source, Retry retry,
                    Scheduler scheduler, boolean mono) {
        this.actual = actual;
        this.source = source;
        this.retry = retry;
        this.scheduler = scheduler;
        this.mono = mono;
    }

    /** Signals onSubscribe downstream and makes the first attempt. */
    void start() {
        if (retry.deadlineNanos() > 0) {
            start = retry.ticker().read();
        }
        RetryBudget budget = retry.budget();
        if (budget != null) {
            budget.onCall();
        }
        actual.onSubscribe(this);
        resubscribe();
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
        do {
            if (cancelled) {
                return;
            }
            abandoned = false;
            try {
                source.subscribe(this);
            } catch (Throwable e) {
                onError(Operators.onOperatorError(e, actual.currentContext()));
            }
        } while ((int) ATTEMPTS.getAndAdd(this, -1) != 1);
    }

    @Override
    public void onSubscribe(Subscription s) {
        attemptSubscription = s;
        set(s);
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, actual.currentContext());
            return;
        }
        if (abandoned) {
            return;
        }
        if (mono && retry.testsResults() && retry.isRetryableResult(t)) {
            abandoned = true;
            attemptSubscription.cancel();
            failed(new RetryOnResultException(t));
            return;
        }
        if (attempt > 1 && retry.resetOnElement()) {
            attempt = 1;
            lastDelay = 0;
        }
        emitted = true;
        produced++;
        actual.onNext(t);
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        if (abandoned) {
            return;
        }
        failed(t);
    }

    @Override
    public void onComplete() {
        if (done || abandoned) {
            return;
        }
        done = true;
        actual.onComplete();
    }

    private void failed(Throwable t) {
        long p = produced;
        if (p != 0) {
            produced = 0;
            produced(p);
        }
        if (cancelled) {
            return;
        }
        if (!retry.isRetryable(t) || (!mono && emitted && !retry.retryAfterElements())) {
            end(t, false);
            return;
        }
        if (attempt >= retry.maxAttempts()) {
            retry.announce(RetryEvent.Type.EXHAUSTED, attempt, 0L, t);
            end(t, true);
            return;
        }
        long delay;
        try {
            delay = retry.delayNanos(attempt, t, lastDelay);
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
        if (deadline > 0 && retry.ticker().read() - start > deadline - delay) {
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
        remember(t);
        attempt++;
        lastDelay = delay;
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
            task = scheduler.schedule(this, delay, TimeUnit.NANOSECONDS);
        } catch (Throwable rejected) {
            end(Operators.onRejectedExecution(rejected, actual.currentContext()), false);
            return;
        }
        if (!PENDING.compareAndSet(this, current, task)) {
            task.dispose();                            // cancelled meanwhile
        }
    }

    private void remember(Throwable t) {
        if (t instanceof RetryOnResultException) {
            return;
        }
        Throwable[] e = earlier;
        if (e == null) {
            e = earlier = new Throwable[Retry.MAX_SUPPRESSED];
        }
        if (earlierCount < e.length && (earlierCount == 0 || e[earlierCount - 1] != t)) {
            e[earlierCount++] = t;
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
        actual.onError(retry.finalError(t, earlier, earlierCount, attempt, exhausted));
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
            return attemptSubscription;
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
            return retry.name();
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            return requested;
        }
        return null;
    }
}
