package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;

/**
 * A Flux that continues with a {@link Fallback}'s publisher when it fails with an error the
 * fallback applies to: the fallback's elements follow those already delivered. See
 * {@link NineLives#fallback(Fallback)}.
 */
final class FluxFallback<T> extends FluxOperator<T, T> {

    final Fallback<? extends T> fallback;

    FluxFallback(Flux<? extends T> source, Fallback<? extends T> fallback) {
        super(source);
        this.fallback = fallback;
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}, so hooks and checkpoints see it. */
    static <T> Flux<T> assemble(Flux<T> source, Fallback<? extends T> fallback) {
        return onAssembly(new FluxFallback<>(source, fallback));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        FallbackSubscriber.subscribeSource(source, new FallbackSubscriber<>(actual, fallback, false));
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.SYNC;
        }
        return super.scanUnsafe(key);
    }
}
