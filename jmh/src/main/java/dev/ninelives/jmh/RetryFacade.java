package dev.ninelives.jmh;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a benchmark needs from a retry operator, whatever its implementation: the retry
 * benchmarks are written once against this interface and the {@link RetryType} {@code @Param}
 * picks the implementation, as {@link BreakerFacade} does for the breakers.
 *
 * <p>The floors ({@link RetryType#BARE}, {@link RetryType#PASS_THROUGH}) do not retry: a
 * failure reaches the subscriber, and {@link #maxAttempts()} is 1.
 */
public interface RetryFacade {

    /**
     * Wraps {@code source} once, at assembly time (in {@code @Setup}).
     *
     * @param source the Mono to retry
     * @param <T>    the element type
     * @return the retried Mono
     */
    <T> Mono<T> mono(Mono<T> source);

    /**
     * Wraps {@code source} once, at assembly time (in {@code @Setup}).
     *
     * @param source the Flux to retry
     * @param <T>    the element type
     * @return the retried Flux
     */
    <T> Flux<T> flux(Flux<T> source);

    /**
     * Returns how many times a call that always fails subscribes its source.
     *
     * @return {@link RetryType#MAX_ATTEMPTS} for a retry, 1 for a floor
     */
    int maxAttempts();
}
