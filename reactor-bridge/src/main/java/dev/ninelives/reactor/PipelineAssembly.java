package dev.ninelives.reactor;

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

    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p) {
        return stacked(source, p);
    }
}
