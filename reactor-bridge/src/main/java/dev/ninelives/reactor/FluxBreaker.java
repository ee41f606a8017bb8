package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.core.Ticker;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;

/**
 * A Flux protected by a circuit breaker: one permit per subscription, success at completion.
 * Elements pass through with one plain read and a compare; the first element also marks the
 * permit with one CAS.
 * See {@link NineLives#breaker}.
 */
final class FluxBreaker<T> extends FluxOperator<T, T> {

    final CircuitBreaker breaker;

    FluxBreaker(Flux<? extends T> source, CircuitBreaker breaker) {
        super(source);
        this.breaker = breaker;
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}, so hooks and checkpoints see it. */
    static <T> Flux<T> assemble(Flux<T> source, CircuitBreaker breaker) {
        return onAssembly(new FluxBreaker<>(source, breaker));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        long permit = BreakerSubscriber.acquire(breaker, actual);
        if (permit >= 0) {
            BreakerSubscriber.subscribeSource(source, breaker.measuresDurations()   // slow calls, or a call listener (metrics)
                    ? new TimedFluxBreakerSubscriber<>(actual, breaker, permit)
                    : new FluxBreakerSubscriber<>(actual, breaker, permit));
        }
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.SYNC, breaker.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }

    /*
     * The first element marks the permit DELIVERED with one CAS (failing only if a cancel took
     * the permit first); every later element costs one plain load and one compare. A cancel on
     * any thread then sees the mark through its own CAS, so "success if an element was
     * delivered" holds exactly, with no write per element.
     */
    static class FluxBreakerSubscriber<T> extends BreakerSubscriber<T> {

        FluxBreakerSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, long permit) {
            super(actual, breaker, permit);
        }

        @Override
        public final void onNext(T t) {
            long p = (long) PERMIT.get(this);               // plain: this signalling thread wrote it last, or a cancel did
            if (p < DELIVERED) {
                if (p == TERMINATED) {
                    Operators.onNextDropped(t, actual.currentContext());
                    return;
                }
                if (p >= 0) {
                    PERMIT.compareAndSet(this, p, p | DELIVERED); // the first element only
                }
            }
            actual.onNext(t);
        }

        @Override
        final void cancelled(long permit) {
            if ((permit & DELIVERED) != 0) {
                breaker.onSuccess(permit & ~DELIVERED, elapsed());
            } else {
                breaker.release(permit);
            }
        }
    }

    /** Adds the subscription time, when the breaker detects slow calls. */
    static final class TimedFluxBreakerSubscriber<T> extends FluxBreakerSubscriber<T> {
        final Ticker ticker;
        final long start;

        TimedFluxBreakerSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, long permit) {
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
