package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One subscriber for a whole Mono call through a pipeline: the retry's attempts (inherited),
 * with the breaker's permit per attempt and the bulkhead's permit per call in two fields of its
 * own (see {@link FusedStages}). A call that takes a bulkhead permit at once allocates this
 * object alone; one that must wait goes through the bulkhead's waiting subscriber first.
 */
class MonoPipelineSubscriber<T> extends MonoRetrySubscriber<T> implements FusedStages<T> {

    private static final VarHandle PERMIT;
    private static final VarHandle HELD_PERMIT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PERMIT = l.findVarHandle(MonoPipelineSubscriber.class, "permit", long.class);
            HELD_PERMIT = l.findVarHandle(MonoPipelineSubscriber.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long permit;
    volatile int held;

    MonoPipelineSubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan, int held) {
        super(actual, plan);
        PERMIT.set(this, BreakerSubscriber.TERMINATED);
        HELD_PERMIT.set(this, held);                  // plain: published by the subscribe call that hands `this` on
    }

    // ---------------------------------------------------------------- the hooks

    @Override
    void beforeOnSubscribe() {
        breakerBeforeOnSubscribe();
    }

    @Override
    CoreSubscriber<T> attemptStarts(CoreSubscriber<T> attempt) {
        return breakerAttemptStarts(attempt) ? attempt : null;
    }

    @Override
    void attemptValue() {
        if (plan.breaker != null) {
            breakerValue();
        }
    }

    @Override
    void attemptError(Throwable t) {
        if (plan.breaker != null) {
            breakerError(t);
        }
    }

    @Override
    void attemptComplete() {
        if (plan.breaker != null) {
            breakerComplete();
        }
    }

    @Override
    void attemptCancelled() {
        if (plan.breaker != null) {
            breakerCancelled();
        }
    }

    @Override
    void callEnding() {
        bulkheadEnds();
    }

    @Override
    void callCancelled() {
        bulkheadCancelled();
    }

    // ---------------------------------------------------------------- FusedStages' view of the fields

    @Override
    public RetryPlan<T> plan() {
        return plan;
    }

    @Override
    public long permit() {
        return permit;
    }

    @Override
    public void permit(long value) {
        PERMIT.setRelease(this, value);               // published by the attempt's CAS on the slot: see FusedStages
    }

    @Override
    public boolean casPermit(long expected, long value) {
        return PERMIT.compareAndSet(this, expected, value);
    }

    @Override
    public long getAndSetPermit(long value) {
        return (long) PERMIT.getAndSet(this, value);
    }

    @Override
    public boolean casHeld(int expected, int value) {
        return held == expected && HELD_PERMIT.compareAndSet(this, expected, value);
    }

    @Override
    public Cold coldState() {
        return cold;
    }

    @Override
    public Cold coldCreated() {
        return cold();
    }

    @Override
    public boolean fencedPermit() {
        return false;
    }

    @Override
    public boolean cancelled() {
        return isCancelled();
    }
}
