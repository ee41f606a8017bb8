package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.core.Ticker;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.publisher.Operators;

/**
 * A Mono protected by a circuit breaker: one permit per subscription, success at the first
 * value (or at completion when empty). See {@link NineLives#breaker}.
 */
final class MonoBreaker<T> extends MonoOperator<T, T> {

    final CircuitBreaker breaker;

    MonoBreaker(Mono<? extends T> source, CircuitBreaker breaker) {
        super(source);
        this.breaker = breaker;
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}, so hooks and checkpoints see it. */
    static <T> Mono<T> assemble(Mono<T> source, CircuitBreaker breaker) {
        return onAssembly(new MonoBreaker<>(source, breaker));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        long permit = BreakerSubscriber.acquire(breaker, actual);
        if (permit >= 0) {
            BreakerSubscriber.subscribeSource(source, breaker.measuresDurations()   // slow calls, or a call listener (metrics)
                    ? new TimedMonoBreakerSubscriber<>(actual, breaker, permit)
                    : new MonoBreakerSubscriber<>(actual, breaker, permit));
        }
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.SYNC, breaker.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }

    static class MonoBreakerSubscriber<T> extends BreakerSubscriber<T> {

        MonoBreakerSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, long permit) {
            super(actual, breaker, permit);
        }

        @Override
        public final void onNext(T t) {
            long p = (long) PERMIT.get(this);              // plain: only this signalling thread writes TERMINATED
            if (p == TERMINATED) {
                Operators.onNextDropped(t, actual.currentContext());
                return;
            }
            try {
                if (p >= 0 && PERMIT.compareAndSet(this, p, RECORDED)) { // fails only if cancel took the permit
                    breaker.onSuccess(p, elapsed());
                }
            } finally {                                      // a listener's fatal error still delivers the value
                actual.onNext(t);
            }
        }

        @Override
        final void cancelled(long permit) {
            breaker.release(permit);
        }
    }

    /** Adds the subscription time, when the breaker detects slow calls. */
    static final class TimedMonoBreakerSubscriber<T> extends MonoBreakerSubscriber<T> {
        final Ticker ticker;
        final long start;

        TimedMonoBreakerSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, long permit) {
            super(actual, breaker, permit);
            this.ticker = breaker.config().ticker();
            this.start = ticker.read();
        }

        @Override
        long elapsed() {
            return ticker.read() - start;
        }
    }
}
