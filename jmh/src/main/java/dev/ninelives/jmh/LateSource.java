package dev.ninelives.jmh;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * A {@code Mono<Integer>} that delivers {@code 1} right after its subscriber's
 * {@code onSubscribe} returns, on the same thread: the shape of a call that answers later (any
 * real I/O), without the I/O. A timeout that starts its clock when the subscription reaches
 * downstream, as NineLives' and Reactor's do, is armed for every such call, unlike for a
 * {@code Mono.just}, whose value arrives inside {@code onSubscribe}.
 *
 * <p>Its subscription is one 24-byte object: the subscriber, and whether it asked. It delivers
 * once asked and then completes; a request made after it returned (none in the benchmarks)
 * delivers at once.
 */
final class LateSource extends Mono<Integer> {

    private static final Integer ONE = 1;

    @Override
    public void subscribe(CoreSubscriber<? super Integer> actual) {
        Late s = new Late(actual);
        actual.onSubscribe(s);
        s.subscribed = true;
        if (s.requested) {
            s.deliver();
        }
    }

    /** The subscription: delivers the value once it was both requested and onSubscribe returned. */
    private static final class Late implements Subscription {
        final CoreSubscriber<? super Integer> actual;
        boolean requested;
        boolean subscribed;
        boolean done;

        Late(CoreSubscriber<? super Integer> actual) {
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (n > 0 && !requested) {
                requested = true;
                if (subscribed) {
                    deliver();
                }
            }
        }

        void deliver() {
            if (!done) {
                done = true;
                actual.onNext(ONE);
                actual.onComplete();
            }
        }

        @Override
        public void cancel() {
            done = true;
        }
    }
}
