package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A Flux call through a pipeline with an attempt timeout: {@link FluxPipelineSubscriber} whose first attempt
 * it times itself, as the entry of the shared timer, with the gate of {@link TimedAttempts}; a
 * later attempt gets a TimeoutSubscriber of its own. The first attempt's Subscription is kept in a field of its own (the
 * arbiter's belongs to whoever drains it).
 */
final class FluxTimedPipelineSubscriber<T> extends FluxPipelineSubscriber<T> implements TimedAttempts<T> {

    private static final VarHandle GATE;

    static {
        try {
            GATE = MethodHandles.lookup().findVarHandle(FluxTimedPipelineSubscriber.class, "gate", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // where the timer holds this subscriber, as the first attempt's entry (TimeoutTimer.Entry#armed)
    private Object[] slots;
    private int index;
    private long deadline;
    /** The first attempt's once-gate: see {@link TimedAttempts}. */
    private volatile int gate;
    /** The first attempt's Subscription, for the timer to cancel; published to it by arm. */
    private Subscription first;

    FluxTimedPipelineSubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan, int held) {
        super(actual, plan, held);
    }

    // ---------------------------------------------------------------- the first attempt, gated

    @Override
    CoreSubscriber<T> nextAttempt() {
        return nextTimed(this);
    }

    @Override
    CoreSubscriber<T> attemptStarts(CoreSubscriber<T> attempt) {
        CoreSubscriber<T> admitted = super.attemptStarts(attempt);
        return admitted == null ? null : timed(this, admitted);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (first == null && gate == RUNNING) {
            first = s;
        }
        set(s);
        armFirst();
    }

    @Override
    public void onNext(T t) {
        gatedElement(t);
    }

    @Override
    public void onError(Throwable t) {
        gatedError(t);
    }

    @Override
    public void onComplete() {
        gatedComplete();
    }

    @Override
    void attemptCancelled() {
        try {
            gateCancelled();
        } finally {
            super.attemptCancelled();
        }
    }

    @Override
    public void cancelFirstAttempt() {
        Subscription s = first;
        if (s != null) {
            s.cancel();
        }
    }

    // ---------------------------------------------------------------- TimedAttempts' view of the fields

    @Override
    public void ungatedSubscribe(Subscription s) {
        set(s);
    }

    @Override
    public void ungatedNext(T t) {
        super.onNext(t);
    }

    @Override
    public void ungatedError(Throwable t) {
        super.onError(t);
    }

    @Override
    public void ungatedComplete() {
        super.onComplete();
    }

    @Override
    public int gate() {
        return gate;
    }

    @Override
    public boolean casGate(int expected, int value) {
        return GATE.compareAndSet(this, expected, value);
    }

    @Override
    public void started() {
        GATE.setRelease(this, RUNNING);               // published to the timer by arm, to a cancel by the slot
    }

    @Override
    public Object[] slots() {
        return slots;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public TimeoutPlan<T> attemptTimeout() {
        return plan.attemptTimeout;
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
}
