package dev.ninelives.reactor;

import dev.ninelives.internal.RetryRules;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryOnResultException;
import org.reactivestreams.Publisher;
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
 * `slot`, and a task that still runs finds the slot CANCELLED and subscribes nothing.
 *
 * The slot. One volatile reference holds what a cancel must stop: the scheduled retry while a
 * delay runs, the current attempt's Subscription while it runs (MonoRetrySubscriber keeps it
 * there; FluxRetrySubscriber keeps it in its arbiter), and finally CANCELLED. The two are never
 * live at once, so one field serves both and cancel is one getAndSet. Keeping the subscriber to
 * four references and one int (the trampoline's count, with the Mono arbiter's
 * request bit beside it; `done` is `cold` set to TERMINATED) holds a Mono's subscriber at 32 bytes (compressed
 * oops), the same as the breaker's.
 *
 * Signals of one attempt are serialized (Reactive Streams 1.3) and handed to the next attempt
 * through the trampoline's atomic counter or the scheduler, so the per-call bookkeeping
 * (attempt number, last delay, earlier errors, `produced`, `done`) is plain fields. What only
 * a failure needs lives in a `Cold` object allocated at the first failure (or at subscription,
 * for a deadline or a result predicate), so a call that succeeds allocates this subscriber
 * alone.
 *
 * One onSubscribe per attempt (rule 2.5). A second Subscription within one attempt is cancelled
 * and reported, and the first keeps running: the subclasses' set() tells a second one from the
 * next attempt's first, attemptFailed() telling them when an attempt is over.
 *
 * Retrying a Mono's value abandons an attempt that may still signal (a source may complete
 * after it was cancelled). Such a policy subscribes each attempt through its own small
 * `ResultAttempt`, and the parent ignores every attempt but the current one.
 *
 * Endings. A call ends once, and the policy's listeners hear how: SUCCEEDED at a Mono's value
 * (downstream is completed right behind it: a Mono has nothing after its value, so the call is
 * over and a late error of that attempt is dropped, never retried into a second value) or at a
 * completion; FAILED for an error that is not retried; EXHAUSTED or BUDGET_REFUSED from the retry
 * decision. RetryRules.announce reads the listener array before anything else, so while nobody
 * listens an ending allocates nothing and the subscriber needs no field for it: the attempt
 * number is 1 without a Cold, the Cold's otherwise. A deadline in the Context
 * (NineLives.deadline) counts like the policy's own: a backoff that would end at or past it
 * ends the call EXHAUSTED. It is looked up once per failure, when a retry is decided, so a call
 * that succeeds never looks.
 *
 * Callbacks that throw. The policy calls user code: the retryIf and result predicates, the
 * backoff function, the jitter's generator, the deadline's ticker, the listeners. Whatever one of
 * them throws, the call's state is complete before anything propagates: a decision callback's
 * throwable ends the call (FAILED, onError downstream, the attempt cancelled if it was a value's
 * test), a listener's runs in a try whose finally does what the event announced (end the call,
 * deliver the value, or schedule the retry). Only a JVM-fatal error then propagates, to the
 * thread that signalled: up through the source into attemptLoop for a synchronous source (which
 * rethrows it once the loop stops), into the scheduler's task otherwise. A listener's fatal error
 * on RETRY propagates while the call goes on; `Cold.rethrown` marks it, so that attemptLoop does
 * not take it for an error of the source's own subscribe, which ends the call. Should it then
 * leave through subscribe with the call still going (a delayed retry pending), start() ends the
 * call first (abort): whoever called subscribe, an outer bulkhead say, takes a throw for the end
 * of the call and would otherwise return its permit while the retry runs, and drop its outcome.
 *
 * Demand across attempts is the subclasses' business: FluxRetrySubscriber runs the classic
 * multi-subscription arbiter, MonoRetrySubscriber a two-field one (a Mono wants one value).
 */
abstract class RetrySubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable, Runnable {

    static final VarHandle ATTEMPTS;
    static final VarHandle SLOT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ATTEMPTS = l.findVarHandle(RetrySubscriber.class, "attempts", int.class);
            SLOT = l.findVarHandle(RetrySubscriber.class, "slot", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final Disposable CANCELLED = Disposables.disposed();

    /** The low bits of {@code attempts}: the trampoline's count. */
    static final int COUNT = (1 << 30) - 1;
    /** A bit of {@code attempts} a subclass may use (the Mono arbiter's "downstream asked"). */
    static final int FLAG = 1 << 30;

    /** {@code cold} once the call has ended: the {@code done} flag of a Reactor operator. */
    static final Cold TERMINATED = new Cold();

    final CoreSubscriber<? super T> actual;
    final RetryPlan<T> plan;

    // the attempts
    volatile int attempts;            // COUNT: resubscriptions asked for and not yet made (the trampoline); FLAG: the subclass's
    volatile Object slot;             // the scheduled retry, a Mono's current attempt, or CANCELLED

    // per-call bookkeeping, handed between attempts by `attempts` or the scheduler
    Cold cold;                        // null, the failure state once needed, or TERMINATED

    /** What only failures, deadlines and result predicates need. */
    static final class Cold {
        int attempt = 1;
        long lastDelay;
        long start;
        Throwable[] earlier;
        int earlierCount;
        boolean emitted;              // a Flux delivered an element before some error
        Throwable rethrown;           // a listener's JVM-fatal error rethrown while the call goes on
        volatile Object current;      // the attempt whose signals count (result predicates only)
        boolean timed;                // a pipeline's breaker measures this attempt's duration...
        long attemptStart;            // ...from this ticker reading
        Throwable refusal;            // a pipeline without a retry: its breaker refused before onSubscribe
    }

    RetrySubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan) {
        this.actual = actual;
        this.plan = plan;
    }

    final Cold cold() {
        Cold c = cold;
        if (c == null) {
            c = cold = new Cold();
        }
        return c;
    }

    /** Signals onSubscribe downstream and makes the first attempt. */
    void start() {
        RetryRules rules = plan.rules;
        if (rules.deadlineNanos() > 0) {
            cold().start = rules.ticker().read();
        }
        if (plan.testsResults) {
            cold();
        }
        RetryBudget budget = rules.budget();
        if (budget != null) {
            budget.onCall();
        }
        try {
            beforeOnSubscribe();                       // a pipeline without a retry asks its breaker first
        } catch (Throwable fatal) {                    // only a JVM-fatal error gets out of the breaker
            try {
                callEnding();
            } finally {
                Operators.error(actual, fatal);
            }
            throw fatal;
        }
        ATTEMPTS.setRelease(this, 1);                  // the first attempt, before downstream can see us and set FLAG
        actual.onSubscribe(this);
        subscribed();                                  // a pipeline's total timeout starts its clock
        try {
            attemptLoop();
        } catch (Throwable escaping) {                 // a JVM-fatal error, or one Reactor bubbles up on purpose
            if (cold != TERMINATED && !isCancelled()) {
                abort(escaping);
            }
            throw escaping;
        }
    }

    /**
     * An error is about to leave through {@code subscribe} while the call goes on (its retry
     * scheduled, or an attempt running): a listener's JVM-fatal error on RETRY, typically.
     * Whoever called {@code subscribe} (an outer operator, Reactor's own subscribe) takes a throw
     * for the end of the call; so the call ends here first: the pending retry disposed or the
     * running attempt cancelled, then FAILED and {@code onError(error)} downstream.
     */
    private void abort(Throwable error) {
        Cold c = cold();
        cancel();
        ended(RetryEvent.Type.FAILED, Math.max(1, c.attempt - 1), 0L, error, false);
    }

    // ---------------------------------------------------------------- attempts

    @Override
    public void run() {
        resubscribe();
    }

    void resubscribe() {
        if (((int) ATTEMPTS.getAndAdd(this, 1) & COUNT) != 0) {
            return;                                    // the running loop will make this attempt
        }
        attemptLoop();
    }

    private void attemptLoop() {
        Throwable fatal = null;
        do {
            if (isCancelled() || cold == TERMINATED) {
                break;
            }
            CoreSubscriber<T> attempt = nextAttempt();
            try {
                CoreSubscriber<T> started = attemptStarts(attempt);   // a pipeline's breaker may refuse the attempt instead
                if (started != null) {
                    attempt = started;
                    plan.source.subscribe(attempt);
                }
            } catch (Throwable e) {
                Throwable f = subscribeThrew(attempt, e);
                if (fatal == null) {
                    fatal = f;
                }
            }
            if (cold == TERMINATED) {
                break;                                 // ended within subscribe: no attempt can follow, leave the counter
            }
        } while (((int) ATTEMPTS.getAndAdd(this, -1) & COUNT) != 1);
        if (fatal != null) {
            throw (Error) fatal;                       // the call's state is complete: now it may propagate
        }
    }

    /**
     * The subscriber of the next attempt: this one, or for a policy that tests a Mono's values a
     * {@link ResultAttempt} of its own (the pipeline with an attempt timeout has its own rule).
     */
    CoreSubscriber<T> nextAttempt() {
        if (plan.testsResults) {
            ResultAttempt<T> r = new ResultAttempt<>(this);
            cold.current = r;
            return r;
        }
        return this;
    }

    /**
     * The source's subscribe threw. A non-fatal error is the attempt's failure, through Reactor's
     * operator-error hook. A JVM-fatal error is returned for the loop to rethrow once it stops;
     * first, unless the call has ended or it is a listener's error this subscriber rethrew itself
     * while the call goes on, it is the attempt's failure too, which ends the call (a fatal error
     * is never retried).
     */
    private Throwable subscribeThrew(CoreSubscriber<T> attempt, Throwable e) {
        if (!RetryRules.isFatal(e)) {
            attempt.onError(Operators.onOperatorError(e, currentContext()));
            return null;
        }
        Cold c = cold;
        if (c != null && c != TERMINATED && c.rethrown == e) {
            c.rethrown = null;                         // ours: the retry it interrupted is under way
        } else if (c != TERMINATED) {
            attempt.onError(e);
        }
        return e;
    }

    @Override
    public void onSubscribe(Subscription s) {
        set(s);
    }

    /**
     * A Mono's value (FluxRetrySubscriber overrides this): it ends the call. The value is the
     * call's success, so the retry is done: downstream gets the value and its completion now,
     * and the attempt's own completion, which follows, finds the call TERMINATED. (A Mono that
     * signalled an error after its value would otherwise be retried and emit a second value.)
     */
    @Override
    public void onNext(T t) {
        Cold c = cold;
        if (c == TERMINATED) {
            Operators.onNextDropped(t, currentContext());
            return;
        }
        try {
            attemptValue();                            // a pipeline's breaker records the attempt's success
        } finally {
            if (!(plan.testsResults && retriedResult(c, t))) {
                cold = TERMINATED;
                try {
                    succeeded(c);
                } finally {                            // a listener's fatal error propagates after these
                    deliver(t);
                }
            }
        }
    }

    /** Delivers a Mono's value and completes: the call's outcome (a pipeline's bulkhead returns its permit first). */
    private void deliver(T t) {
        if (!callEnds()) {
            Operators.onNextDropped(t, currentContext());   // a pipeline's total timeout ended the call first
            return;
        }
        try {
            callEnding();
        } finally {
            actual.onNext(t);
            actual.onComplete();
        }
    }

    /**
     * Tests a Mono's value with the result predicate: true if the value is retried, or if the
     * predicate threw and so ended the call (the attempt cancelled, onError with what it threw).
     */
    private boolean retriedResult(Cold c, T t) {
        boolean retry;
        try {
            retry = plan.rules.isRetryableResult(t);
        } catch (Throwable e) {
            abandonAttempt(c);
            callbackThrew(RetryRules.isFatal(e) ? e : Operators.onOperatorError(null, e, t, currentContext()), c.attempt);
            return true;
        }
        if (!retry) {
            return false;
        }
        abandonAttempt(c);
        failed(new RetryOnResultException(t));
        return true;
    }

    /**
     * Ignores the rest of the current attempt and cancels it. Result predicates test Monos only,
     * and a Mono's running attempt is the Subscription in the slot.
     */
    private void abandonAttempt(Cold c) {
        c.current = null;
        Object s = slot;
        if (s instanceof Subscription) {
            ((Subscription) s).cancel();
        }
    }

    @Override
    public void onError(Throwable t) {
        if (cold == TERMINATED) {
            Operators.onErrorDropped(t, currentContext());
            return;
        }
        try {
            attemptError(t);                           // a pipeline's breaker records the attempt's failure
        } finally {
            failed(t);
        }
    }

    /** A Flux's completion, or an empty Mono's: the call succeeded. */
    @Override
    public void onComplete() {
        Cold c = cold;
        if (c == TERMINATED) {
            return;
        }
        try {
            attemptComplete();                         // a pipeline's breaker records the attempt's success
        } finally {
            cold = TERMINATED;
            try {
                succeeded(c);
            } finally {
                if (callEnds()) {
                    try {
                        callEnding();
                    } finally {
                        actual.onComplete();
                    }
                }
            }
        }
    }

    /**
     * Announces the call's success. Without a listener this is a volatile read and a length
     * check in {@link RetryRules#announce}: no allocation. A call that never failed has no Cold
     * and made one attempt.
     */
    private void succeeded(Cold c) {
        plan.rules.announce(RetryEvent.Type.SUCCEEDED, c == null ? 1 : c.attempt, 0L, null);
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
                Operators.onErrorDropped(t, parent.currentContext());
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
            return parent.currentContext();
        }
    }

    private void failed(Throwable t) {
        RetryRules rules = plan.rules;
        Cold c = cold();
        if (attemptFailed()) {
            c.emitted = true;
            if (rules.resetOnElement()) {
                c.attempt = 1;                         // an element arrived since the last error
                c.lastDelay = 0;
            }
        }
        if (isCancelled()) {
            return;
        }
        int attempt = c.attempt;
        boolean retryable;
        try {
            retryable = rules.isRetryable(t);
        } catch (Throwable fatal) {                    // only a JVM-fatal error of the retryIf predicate gets here
            callbackThrew(fatal, attempt);
            return;
        }
        if (!retryable || (!plan.mono && c.emitted && !rules.retryAfterElements())) {
            ended(RetryEvent.Type.FAILED, attempt, 0L, t, false);
            return;
        }
        if (attempt >= rules.maxAttempts()) {
            ended(RetryEvent.Type.EXHAUSTED, attempt, 0L, t, true);
            return;
        }
        long delay;
        boolean late;
        boolean refused;
        try {
            delay = rules.delayNanos(attempt, t, c.lastDelay);
            long deadline = rules.deadlineNanos();
            late = delay != RetryRules.NO_RETRY && (deadline > 0 && rules.ticker().read() - c.start > deadline - delay
                    || pastContextDeadline(delay));
            RetryBudget budget = rules.budget();
            refused = delay != RetryRules.NO_RETRY && !late && budget != null && !budget.tryAcquireRetry();
        } catch (Throwable e) {                        // the backoff function, the jitter's generator or a ticker threw
            callbackThrew(RetryRules.isFatal(e) ? e : Operators.onOperatorError(null, e, t, currentContext()), attempt);
            return;
        }
        if (delay == RetryRules.NO_RETRY) {
            ended(RetryEvent.Type.FAILED, attempt, 0L, t, false);
        } else if (late) {
            ended(RetryEvent.Type.EXHAUSTED, attempt, delay, t, true);
        } else if (refused) {
            ended(RetryEvent.Type.BUDGET_REFUSED, attempt, delay, t, false);
        } else {
            try {
                rules.announce(RetryEvent.Type.RETRY, attempt, delay, t);
            } catch (Throwable fatal) {                // a listener's JVM-fatal error: the retry still happens
                c.rethrown = fatal;
                retry(c, t, attempt, delay);
                throw fatal;
            }
            retry(c, t, attempt, delay);
        }
    }

    /**
     * Whether a backoff of {@code delay} would end at or past the deadline the call carries in
     * its Context ({@link NineLives#deadline}): then the next attempt would start with no time
     * left, and the call ends as if its own deadline had passed. One Context lookup per failure.
     */
    private boolean pastContextDeadline(long delay) {
        Deadline d = Deadline.in(currentContext());
        return d != null && delay >= d.remainingNanos();
    }

    private void retry(Cold c, Throwable t, int attempt, long delay) {
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
        Object current = slot;
        if (current == CANCELLED) {
            return;
        }
        Disposable task;
        try {
            task = plan.scheduler().schedule(this, delay, TimeUnit.NANOSECONDS);
        } catch (Throwable rejected) {
            // the retry was announced and counted: the failed attempt is the one before it
            callbackThrew(RetryRules.isFatal(rejected) ? rejected
                    : Operators.onRejectedExecution(rejected, currentContext()), cold.attempt - 1);
            return;
        }
        if (!SLOT.compareAndSet(this, current, task)) {
            // cancelled meanwhile (dispose it), or the task already ran and its attempt took the
            // slot (disposing a task that ran is a no-op)
            task.dispose();
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

    /**
     * A callback threw while the policy decided about attempt {@code attempt}: the call ends
     * with {@code error}, announced FAILED, and a JVM-fatal error then propagates.
     */
    private void callbackThrew(Throwable error, int attempt) {
        ended(RetryEvent.Type.FAILED, attempt, 0L, error, false);
        if (RetryRules.isFatal(error)) {
            throw (Error) error;
        }
    }

    /**
     * Announces how the call ends (FAILED, EXHAUSTED or BUDGET_REFUSED) and ends it, even if a
     * listener throws a JVM-fatal error, which then propagates.
     */
    private void ended(RetryEvent.Type type, int attempt, long delay, Throwable t, boolean exhausted) {
        try {
            plan.rules.announce(type, attempt, delay, t);
        } finally {
            end(t, exhausted);
        }
    }

    /** Ends the call: the value of a retried result, or the (possibly wrapped) error. */
    private void end(Throwable t, boolean exhausted) {
        Cold c = cold();
        cold = TERMINATED;
        if (t instanceof RetryOnResultException) {
            @SuppressWarnings("unchecked")
            T value = (T) ((RetryOnResultException) t).value();
            deliver(value);
            return;
        }
        Throwable error = plan.rules.finalError(t, c.earlier, c.earlierCount, c.attempt, exhausted);
        if (!callEnds()) {
            Operators.onErrorDropped(error, currentContext());   // a pipeline's total timeout ended the call first
            return;
        }
        boolean whole = false;
        try {
            callEnding();
            whole = true;
        } finally {
            if (!whole || !fellBack(error)) {
                actual.onError(error);
            }
        }
    }

    /**
     * A pipeline call's fused fallback: the call has ended with {@code error} (every stage's
     * state is final: the bulkhead's permit is back, the breaker's outcome recorded, the retry's
     * ending announced), and instead of signalling it, the subscriber switches downstream over to
     * the fallback publisher, as the fallback operator around the stacked stages would. The
     * fallback's Subscription takes the place of an attempt's, so downstream's requests and
     * cancel reach it, with exactly the demand still outstanding; its signals go straight
     * downstream through a small {@link FallbackAttempt}, allocated only here.
     *
     * @return false if there is no fallback, it does not apply, or downstream cancelled: the
     *     caller signals the error
     */
    private boolean fellBack(Throwable error) {
        Fallback<? extends T> f = plan.fallback;
        if (f == null || isCancelled()) {
            return false;
        }
        Publisher<? extends T> next;
        try {
            next = f.resume(error, currentContext());
        } catch (Throwable fatal) {                    // JVM-fatal, from the predicate or the function
            actual.onError(fatal);
            throw fatal;
        }
        if (next == null) {
            return false;
        }
        new FallbackAttempt<>(this, error).subscribeTo(next, plan.mono);
        return true;
    }

    /** The fallback publisher's subscriber: its Subscription takes an attempt's place in the arbiter. */
    static final class FallbackAttempt<T> extends FallbackInner<T> {
        final RetrySubscriber<T> parent;

        FallbackAttempt(RetrySubscriber<T> parent, Throwable original) {
            super(parent.actual, original);
            this.parent = parent;
        }

        @Override
        void installed() {
            parent.setFallback(s);
        }

        @Override
        boolean cancelled() {
            return parent.isCancelled();
        }

        @Override
        Scannable owner() {
            return parent;
        }
    }

    // ---------------------------------------------------------------- downstream

    @Override
    public final void cancel() {
        if (slot == CANCELLED) {
            return;
        }
        try {
            callCancelled();                           // a pipeline's bulkhead returns its permit first
        } finally {
            cancelAttempts();
        }
    }

    /** Stops the attempts: the slot CANCELLED, the running attempt or the pending retry cancelled. */
    final void cancelAttempts() {
        Object previous = SLOT.getAndSet(this, CANCELLED);
        if (previous == CANCELLED) {
            return;
        }
        try {
            attemptCancelled();                        // a pipeline's breaker ends the running attempt's permit
        } catch (Throwable fatal) {
            cancelRest(previous);
            throw fatal;
        }
        cancelRest(previous);
    }

    private void cancelRest(Object previous) {
        if (previous instanceof Subscription) {
            ((Subscription) previous).cancel();       // a Mono's running attempt
        } else if (previous != null) {
            ((Disposable) previous).dispose();        // a scheduled retry
        }
        cancelUpstream();
    }

    final boolean isCancelled() {
        return slot == CANCELLED;
    }

    // ---------------------------------------------------------------- a pipeline's stages
    // No-ops for the retry operator; the fused pipeline subscribers (FusedStages) run the
    // bulkhead's permit and the breaker's per-attempt permit here, so one subscriber carries
    // every stage. Each is called at the point where the stacked operators would act.

    /** Before downstream's onSubscribe: where a breaker without a retry around it takes its permit. */
    void beforeOnSubscribe() {
    }

    /**
     * An attempt is about to subscribe the source.
     *
     * @param attempt the attempt's subscriber, from {@link #nextAttempt()}
     * @return the subscriber that subscribes the source ({@code attempt}, or one that times it), or
     *     null if the attempt was refused, its refusal already signalled to {@code attempt}
     */
    CoreSubscriber<T> attemptStarts(CoreSubscriber<T> attempt) {
        return attempt;
    }

    /** A Mono attempt's value arrived (before the retry looks at it). */
    void attemptValue() {
    }

    /** An attempt's error arrived (before the retry decides about it). */
    void attemptError(Throwable t) {
    }

    /** An attempt completed (before the call ends with it). */
    void attemptComplete() {
    }

    /** Downstream cancelled while an attempt or a retry delay was running. */
    void attemptCancelled() {
    }

    /**
     * Whether the call's outcome may reach downstream: false if a pipeline's total timeout ended
     * the call first (the outcome is then dropped). Decided before {@link #callEnding()}.
     *
     * @return true, but for a pipeline whose total timeout fired
     */
    boolean callEnds() {
        return true;
    }

    /** The call's outcome is about to reach downstream: a Mono's value, or the terminal signal. */
    void callEnding() {
    }

    /** Downstream has its Subscription and the first attempt is next: where a pipeline's total timeout starts its clock. */
    void subscribed() {
    }

    /** Downstream cancelled the call. */
    void callCancelled() {
    }

    /**
     * An attempt's Subscription: the first of a new attempt is asked for everything downstream
     * still wants; a second one within the same attempt is cancelled and reported (rule 2.5),
     * and the first keeps running.
     */
    abstract void set(Subscription s);

    /**
     * The fused fallback's Subscription, after the call ended: it takes the place of an
     * attempt's, and is asked for what downstream still wants (or cancelled, if downstream
     * cancelled meanwhile).
     */
    abstract void setFallback(Subscription s);

    /** Cancels what the subclass holds of the current attempt, after {@link #cancel()} took the slot. */
    abstract void cancelUpstream();

    /**
     * The current attempt failed (an error, or a retried value): the next Subscription belongs
     * to the next attempt. Counts the elements the failed attempt delivered against downstream
     * demand.
     *
     * @return true if it delivered any
     */
    abstract boolean attemptFailed();

    /** The current attempt's subscription, for Scannable. */
    abstract Subscription upstream();

    /** What downstream requested and has not received, for Scannable. */
    abstract long requestedFromDownstream();

    // ---------------------------------------------------------------- Reactor plumbing

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return upstream();
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            return cold == TERMINATED;
        }
        if (key == Attr.CANCELLED) {
            return isCancelled();
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.NAME) {
            return plan.pipeline != null ? plan.pipeline : plan.rules.name();
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            return requestedFromDownstream();
        }
        return null;
    }
}
