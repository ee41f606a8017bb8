package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Assembles a {@link Pipeline} around a source, stage by stage in the pipeline's order. */
final class PipelineAssembly {

    private PipelineAssembly() {
    }

    /**
     * The stages as separate operators, innermost first: breaker, retry, bulkhead. The reference
     * the fused subscriber is held to.
     */
    @SuppressWarnings("unchecked")
    static <T> Publisher<T> stacked(Publisher<T> source, Pipeline p) {
        Scheduler scheduler = p.scheduler().orElse(null);
        Publisher<T> s = source instanceof Mono ? source : Flux.from(source);
        if (p.breaker().isPresent()) {
            s = s instanceof Mono ? MonoBreaker.assemble((Mono<T>) s, p.breaker().get())
                    : FluxBreaker.assemble((Flux<T>) s, p.breaker().get());
        }
        if (p.retry().isPresent()) {
            s = s instanceof Mono ? MonoRetry.assemble((Mono<T>) s, p.retry().get(), scheduler)
                    : FluxRetry.assemble((Flux<T>) s, p.retry().get(), scheduler);
        }
        if (p.bulkhead().isPresent()) {
            s = s instanceof Mono ? MonoBulkhead.assemble((Mono<T>) s, p.bulkhead().get(), scheduler)
                    : FluxBulkhead.assemble((Flux<T>) s, p.bulkhead().get(), scheduler);
        }
        return s;
    }

    /**
     * A pipeline of one stage is that stage's operator; of two or more, the fused operator, whose
     * one subscriber per call runs every stage.
     */
    @SuppressWarnings("unchecked")
    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p) {
        if (p.stageCount() <= 1) {
            return stacked(source, p);
        }
        Scheduler scheduler = p.scheduler().orElse(null);
        CircuitBreaker breaker = p.breaker().orElse(null);
        Bulkhead bulkhead = p.bulkhead().orElse(null);
        if (source instanceof Mono) {
            Mono<T> mono = (Mono<T>) source;
            RetryPlan<T> inside = new RetryPlan<>(mono, p.attempts, scheduler, true, breaker, null, p.name(), p.retry().isEmpty());
            BulkheadPlan<T> waiting = bulkhead == null ? null
                    : new BulkheadPlan<>(new MonoPipeline<>(mono, inside, null, p.name()), bulkhead, scheduler, true);
            RetryPlan<T> all = bulkhead == null ? inside
                    : new RetryPlan<>(mono, p.attempts, scheduler, true, breaker, bulkhead, p.name(), p.retry().isEmpty());
            return MonoPipeline.assemble(new MonoPipeline<>(mono, all, waiting, p.name()));
        }
        Flux<T> flux = Flux.from(source);
        RetryPlan<T> inside = new RetryPlan<>(flux, p.attempts, scheduler, false, breaker, null, p.name(), p.retry().isEmpty());
        BulkheadPlan<T> waiting = bulkhead == null ? null
                : new BulkheadPlan<>(new FluxPipeline<>(flux, inside, null, p.name()), bulkhead, scheduler, false);
        RetryPlan<T> all = bulkhead == null ? inside
                : new RetryPlan<>(flux, p.attempts, scheduler, false, breaker, bulkhead, p.name(), p.retry().isEmpty());
        return FluxPipeline.assemble(new FluxPipeline<>(flux, all, waiting, p.name()));
    }
}
