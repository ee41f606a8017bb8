package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.util.context.Context;

/**
 * A Mono through a {@link Pipeline} of two or more stages, fused: one
 * {@link MonoPipelineSubscriber} per call runs the bulkhead's permit, the retry's attempts and
 * the breaker's permit per attempt. A call that must wait for a bulkhead permit waits in the
 * bulkhead's waiting subscriber, which then subscribes the stages inside the bulkhead (this
 * operator's {@code inside}). See {@link NineLives#pipeline(Pipeline)}.
 */
final class MonoPipeline<T> extends MonoOperator<T, T> {

    final RetryPlan<T> plan;
    /** For a call that waits: the bulkhead's plan, whose source is the stages inside the bulkhead. */
    final BulkheadPlan<T> waiting;
    final String name;

    MonoPipeline(Mono<? extends T> source, RetryPlan<T> plan, BulkheadPlan<T> waiting, String name) {
        super(source);
        this.plan = plan;
        this.waiting = waiting;
        this.name = name;
    }

    /** Passes the operator through {@code Mono.onAssembly}, so hooks and checkpoints see it. */
    static <T> Mono<T> assemble(MonoPipeline<T> operator) {
        return onAssembly(operator);
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        if (waiting == null) {
            Throwable late = Deadline.exceeded(actual.currentContext());
            if (late != null) {                     // no time left: no breaker permit, no source
                Operators.error(FallbackSubscriber.around(actual, plan.fallback, true), late);
                return;
            }
            subscriber(actual, FusedStages.NONE).start();
        } else if (waiting.admit(actual, plan.fallback)) {
            if (waiting.timed) {
                waiting.subscribeTimed(actual, plan.fallback);   // an adaptive limit times the call (see BulkheadPlan)
            } else {
                subscriber(actual, FusedStages.HELD).start();
            }
        }
    }

    /**
     * The call's subscriber: it carries the call's deadline when the pipeline has a total timeout
     * (unless the Context's deadline is as tight), and times its first attempt itself when the
     * pipeline has an attempt timeout it times inside.
     */
    private MonoPipelineSubscriber<T> subscriber(CoreSubscriber<? super T> actual, int held) {
        if (plan.totalTimeout == null && plan.attemptTimeout == null) {
            return new MonoPipelineSubscriber<>(actual, plan, held);   // kept small: the common case inlines
        }
        return timed(actual, held);
    }

    private MonoPipelineSubscriber<T> timed(CoreSubscriber<? super T> actual, int held) {
        TimeoutPlan<T> total = plan.totalTimeout;
        if (total != null) {
            Context context = actual.currentContext();
            if (total.addsTo(Deadline.in(context))) {
                Deadline own = total.start();
                return new MonoDeadlinePipelineSubscriber<>(actual, plan, held, own, own.writeTo(context));
            }
        }
        return plan.attemptTimeout == null ? new MonoPipelineSubscriber<>(actual, plan, held)
                : new MonoTimedPipelineSubscriber<>(actual, plan, held);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, name);
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
