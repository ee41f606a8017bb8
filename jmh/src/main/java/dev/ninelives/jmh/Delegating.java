package dev.ninelives.jmh;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A facade whose wrapping is another {@link Wrapper}'s: the floors of each benchmark family. */
abstract class Delegating implements Wrapper {

    private final Wrapper wrapper;

    Delegating(Wrapper wrapper) {
        this.wrapper = wrapper;
    }

    @Override
    public final <T> Mono<T> mono(Mono<T> source) {
        return wrapper.mono(source);
    }

    @Override
    public final <T> Flux<T> flux(Flux<T> source) {
        return wrapper.flux(source);
    }
}
