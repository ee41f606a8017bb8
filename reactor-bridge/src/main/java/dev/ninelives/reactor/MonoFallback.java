package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;

/**
 * A Mono that delivers a {@link Fallback}'s publisher in place of the errors the fallback applies
 * to, as long as it has delivered no value. See {@link NineLives#fallback(Fallback)}.
 */
final class MonoFallback<T> extends MonoOperator<T, T> {

    final Fallback<? extends T> fallback;

    MonoFallback(Mono<? extends T> source, Fallback<? extends T> fallback) {
        super(source);
        this.fallback = fallback;
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}, so hooks and checkpoints see it. */
    static <T> Mono<T> assemble(Mono<T> source, Fallback<? extends T> fallback) {
        return onAssembly(new MonoFallback<>(source, fallback));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        FallbackSubscriber.subscribeSource(source, new FallbackSubscriber<>(actual, fallback, true));
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
