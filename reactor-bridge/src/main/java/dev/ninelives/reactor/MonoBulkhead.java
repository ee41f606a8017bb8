package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.scheduler.Scheduler;

/**
 * A Mono limited by a bulkhead: a permit per subscription, held until the first outcome. See
 * {@link NineLives#bulkhead(Bulkhead)}.
 */
final class MonoBulkhead<T> extends MonoOperator<T, T> {

    final BulkheadPlan<T> plan;

    MonoBulkhead(Mono<? extends T> source, Bulkhead bulkhead, Scheduler scheduler) {
        super(source);
        this.plan = new BulkheadPlan<>(source, bulkhead, scheduler, true);
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}. */
    static <T> Mono<T> assemble(Mono<T> source, Bulkhead bulkhead, Scheduler scheduler) {
        return onAssembly(new MonoBulkhead<>(source, bulkhead, scheduler));
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
