package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.hedge.Hedge;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.scheduler.Scheduler;

/**
 * A Mono raced against its own resubscriptions when slow: see {@link NineLives#hedge(Hedge)}.
 */
final class MonoHedge<T> extends MonoOperator<T, T> {

    final HedgePlan<T> plan;

    MonoHedge(Mono<? extends T> source, HedgePlan<T> plan) {
        super(source);
        this.plan = plan;
    }

    /**
     * Wraps {@code source} and passes the operator through {@code Mono.onAssembly}.
     *
     * @param breaker in a pipeline, the breaker every attempt asks for a permit (the first one
     *                through a breaker operator, each hedge here), or null
     */
    static <T> Mono<T> assemble(Mono<T> source, Hedge hedge, Scheduler scheduler, CircuitBreaker breaker) {
        Mono<T> first = breaker == null ? source : new MonoBreaker<>(source, breaker);
        return onAssembly(new MonoHedge<>(source, new HedgePlan<>(first, source, hedge, scheduler, breaker)));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        plan.subscribe(actual);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, plan.hedge.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
