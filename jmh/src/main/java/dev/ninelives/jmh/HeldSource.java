package dev.ninelives.jmh;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * A {@code Mono<Integer>} for one thread that answers only when told: {@link #release()}
 * delivers {@code 1} to the subscriber of the last subscription, once it has asked. The shape of
 * a call whose answer comes after its subscribe has returned, so that a hedge arms its timer,
 * without a second thread.
 */
final class HeldSource extends Mono<Integer> {

    private static final Integer ONE = 1;

    private CoreSubscriber<? super Integer> held;
    private boolean requested;

    @Override
    public void subscribe(CoreSubscriber<? super Integer> actual) {
        held = actual;
        requested = false;
        actual.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
                requested = true;
            }

            @Override
            public void cancel() {
                held = null;
            }
        });
    }

    /** Delivers the value and completes, if the last subscriber is still there and asked. */
    void release() {
        CoreSubscriber<? super Integer> a = held;
        held = null;
        if (a != null && requested) {
            a.onNext(ONE);
            a.onComplete();
        }
    }
}
