package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/*
 * The retry subscriber of a Mono: the attempts of RetrySubscriber, with a two-field arbiter.
 *
 * A Mono emits at most one value, so demand across attempts is one bit: has downstream asked
 * at all. request() writes `requested` then reads `current`; set() (a new attempt's
 * Subscription) writes `current` then reads `requested`. Both are volatile, so at least one of
 * them sees the other and the attempt is asked; both may, and a Mono asked twice still emits at
 * most once, so a duplicate request is harmless. Cancel pairs with set() the same way through
 * `cancelled`: the attempt may be cancelled twice, never not at all. No element counting, no
 * drain loop: a call that succeeds pays two volatile writes for demand.
 */
final class MonoRetrySubscriber<T> extends RetrySubscriber<T> {

    volatile Subscription current;
    volatile boolean requested;

    MonoRetrySubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan) {
        super(actual, plan);
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        if (!requested) {
            requested = true;
        }
        Subscription s = current;
        if (s != null) {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    void set(Subscription s) {
        current = s;
        if (cancelled) {
            s.cancel();
            return;
        }
        if (requested) {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    void cancelUpstream() {
        Subscription s = current;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    void delivered() {
        // a Mono ends with its value: nothing to count
    }

    @Override
    boolean reconcileProduced() {
        return false;
    }

    @Override
    Subscription upstream() {
        return current;
    }

    @Override
    long requestedFromDownstream() {
        return requested ? 1L : 0L;
    }
}
