package dev.ninelives.jmh;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What every benchmark facade does first: wrap a source once, at assembly time. Holds the two
 * floors every benchmark measures beside the operators, so the breaker and the retry benchmarks
 * use the very same ones.
 */
public interface Wrapper {

    /** The floor: the source itself, untransformed. */
    Wrapper BARE = new Wrapper() {
        @Override
        public <T> Mono<T> mono(Mono<T> source) {
            return source;
        }

        @Override
        public <T> Flux<T> flux(Flux<T> source) {
            return source;
        }
    };

    /** The operator floor: a do-nothing operator that forwards every signal ({@link PassThrough}). */
    Wrapper PASS_THROUGH = new Wrapper() {
        @Override
        public <T> Mono<T> mono(Mono<T> source) {
            return PassThrough.mono(source);
        }

        @Override
        public <T> Flux<T> flux(Flux<T> source) {
            return PassThrough.flux(source);
        }
    };

    /**
     * Wraps {@code source} once, at assembly time (in {@code @Setup}).
     *
     * @param source the Mono to protect
     * @param <T>    the element type
     * @return the wrapped Mono
     */
    <T> Mono<T> mono(Mono<T> source);

    /**
     * Wraps {@code source} once, at assembly time (in {@code @Setup}).
     *
     * @param source the Flux to protect
     * @param <T>    the element type
     * @return the wrapped Flux
     */
    <T> Flux<T> flux(Flux<T> source);
}
