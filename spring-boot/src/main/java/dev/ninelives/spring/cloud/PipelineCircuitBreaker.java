package dev.ninelives.spring.cloud;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.springframework.cloud.client.circuitbreaker.CircuitBreaker;
import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreaker;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A Spring Cloud circuit breaker that runs each call through a pipeline: looked up at each
 * call, so a refresh that replaces the pipeline is followed; the fallback, when given, receives
 * every error the pipeline ends with (a refusal of its breaker, bulkhead or rate limiter, a
 * timeout, retries exhausted, or the call's own error), as Spring Cloud's contract says.
 */
final class PipelineCircuitBreaker implements ReactiveCircuitBreaker, CircuitBreaker {

    private final NineLivesRegistry registry;
    private final Function<NineLivesRegistry, Pipeline> pipeline;

    PipelineCircuitBreaker(NineLivesRegistry registry, Function<NineLivesRegistry, Pipeline> pipeline) {
        this.registry = registry;
        this.pipeline = pipeline;
    }

    Pipeline pipeline() {
        return pipeline.apply(registry);
    }

    @Override
    public <T> Mono<T> run(Mono<T> toRun, Function<Throwable, Mono<T>> fallback) {
        Mono<T> protectedCall = toRun.transform(NineLives.pipeline(pipeline()));
        return fallback == null ? protectedCall : protectedCall.onErrorResume(fallback);
    }

    @Override
    public <T> Flux<T> run(Flux<T> toRun, Function<Throwable, Flux<T>> fallback) {
        Flux<T> protectedCall = toRun.transform(NineLives.pipeline(pipeline()));
        return fallback == null ? protectedCall : protectedCall.onErrorResume(fallback);
    }

    /**
     * Runs a blocking call through the pipeline and waits for it on the calling thread (which
     * must not be one of Reactor's non-blocking threads: Reactor refuses to block there). Retry
     * delays, bulkhead waits and timeouts are scheduled as in any pipeline; the caller waits for
     * them. A {@code null} result is returned as null.
     */
    @Override
    public <T> T run(Supplier<T> toRun, Function<Throwable, T> fallback) {
        Mono<T> call = Mono.fromSupplier(toRun).transform(NineLives.pipeline(pipeline()));
        if (fallback != null) {
            call = call.onErrorResume(e -> Mono.justOrEmpty(fallback.apply(e)));
        }
        return call.block();
    }
}
