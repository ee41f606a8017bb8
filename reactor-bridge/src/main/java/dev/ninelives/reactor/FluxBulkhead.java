package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.scheduler.Scheduler;

/**
 * A Flux limited by a bulkhead: a permit per subscription, held until its terminal signal or cancel. See
 * {@link NineLives#bulkhead(Bulkhead)}.
 */
final class FluxBulkhead<T> extends FluxOperator<T, T> {

    final BulkheadPlan<T> plan;

    FluxBulkhead(Flux<? extends T> source, Bulkhead bulkhead, Scheduler scheduler) {
        super(source);
        this.plan = new BulkheadPlan<>(source, bulkhead, scheduler, false);
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}. */
    static <T> Flux<T> assemble(Flux<T> source, Bulkhead bulkhead, Scheduler scheduler) {
        return onAssembly(new FluxBulkhead<>(source, bulkhead, scheduler));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        plan.subscribe(actual);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, plan.bulkhead.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
