package dev.ninelives.jmh;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;

/**
 * The do-nothing operator, the second floor: it costs what any operator costs (one more
 * publisher in the chain, one subscriber object per subscription, one extra virtual call per
 * signal) and does nothing else. Whatever a breaker costs above this floor is the breaker's
 * own logic; what it costs between the bare source and this floor is the price of being an
 * operator at all. Shaped like the breaker operators: not Fuseable, not an
 * {@code OptimizableOperator}, assembled through {@code onAssembly}.
 */
final class PassThrough {

    private PassThrough() {
    }

    static <T> Mono<T> mono(Mono<T> source) {
        return PassThroughMono.assemble(source);
    }

    static <T> Flux<T> flux(Flux<T> source) {
        return PassThroughFlux.assemble(source);
    }

    static final class PassThroughMono<T> extends MonoOperator<T, T> {

        PassThroughMono(Mono<? extends T> source) {
            super(source);
        }

        static <T> Mono<T> assemble(Mono<T> source) {
            return onAssembly(new PassThroughMono<>(source));
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            source.subscribe(new PassThroughSubscriber<>(actual));
        }
    }

    static final class PassThroughFlux<T> extends FluxOperator<T, T> {

        PassThroughFlux(Flux<? extends T> source) {
            super(source);
        }

        static <T> Flux<T> assemble(Flux<T> source) {
            return onAssembly(new PassThroughFlux<>(source));
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            source.subscribe(new PassThroughSubscriber<>(actual));
        }
    }

    /** Forwards every signal, both ways. */
    static final class PassThroughSubscriber<T> implements CoreSubscriber<T>, Subscription {

        final CoreSubscriber<? super T> actual;
        Subscription s;

        PassThroughSubscriber(CoreSubscriber<? super T> actual) {
            this.actual = actual;
        }

        @Override
        public void onSubscribe(Subscription s) {
            this.s = s;
            actual.onSubscribe(this);
        }

        @Override
        public void onNext(T t) {
            actual.onNext(t);
        }

        @Override
        public void onError(Throwable t) {
            actual.onError(t);
        }

        @Override
        public void onComplete() {
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            s.request(n);
        }

        @Override
        public void cancel() {
            s.cancel();
        }

        @Override
        public reactor.util.context.Context currentContext() {
            return actual.currentContext();
        }
    }
}
