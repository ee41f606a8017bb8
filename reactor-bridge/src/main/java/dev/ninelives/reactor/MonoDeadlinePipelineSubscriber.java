package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A Mono call through a pipeline with a total timeout: {@link MonoPipelineSubscriber} that also
 * runs the total timeout, with the call's deadline in its Context and the gate of
 * {@link TimedCall}. Layout: the pipeline subscriber's 48 bytes (44 used) plus the Context, the
 * Deadline, the timer's slots and index and the gate: 64 bytes with compressed oops.
 */
final class MonoDeadlinePipelineSubscriber<T> extends MonoPipelineSubscriber<T> implements TimedCall<T> {

    private static final VarHandle GATE;

    static {
        try {
            GATE = MethodHandles.lookup().findVarHandle(MonoDeadlinePipelineSubscriber.class, "gate", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Deadline own;
    private final Context context;
    // where the timer holds this subscriber (TimeoutTimer.Entry#armed); its deadline is own's
    private Object[] slots;
    private int index;
    /** The call's once-gate: see {@link TimedCall}. */
    private volatile int gate;

    /**
     * @param own     the call's deadline, fixed now
     * @param context actual's Context with {@code own} in it
     */
    MonoDeadlinePipelineSubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan, int held, Deadline own,
                                   Context context) {
        super(actual, plan, held);
        this.own = own;
        this.context = context;
        GATE.set(this, RUNNING);                      // plain: published by the subscribe call that hands `this` on
    }

    // ---------------------------------------------------------------- the call, gated

    @Override
    void subscribed() {
        armCall();
    }

    @Override
    boolean callEnds() {
        return gateEnds();
    }

    @Override
    void callCancelled() {
        try {
            gateCancelled();
        } finally {
            super.callCancelled();
        }
    }

    @Override
    public Context currentContext() {
        return context;
    }

    @Override
    public void cancelInside() {
        cancelAttempts();
    }

    @Override
    public void endCall(Throwable error) {
        try {
            bulkheadEnds();
        } finally {
            actual.onError(error);
        }
    }

    // ---------------------------------------------------------------- TimedCall's view of the fields

    @Override
    public void ungatedNext(T t) {
        super.onNext(t);
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
    public Deadline own() {
        return own;
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
    public TimeoutPlan<T> totalTimeout() {
        return plan.totalTimeout;
    }

    @Override
    public void armed(Object[] slots, int index, long deadline) {
        this.slots = slots;
        this.index = index;
    }
}
