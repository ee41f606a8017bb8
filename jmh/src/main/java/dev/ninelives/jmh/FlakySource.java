package dev.ninelives.jmh;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A {@code Mono<Integer>} that fails on its 1st, 3rd, 5th ... subscription and delivers
 * {@code 1} on the 2nd, 4th ... (or fails every time): the source of the fail-then-succeed
 * benchmark, where every call is one failed attempt followed by one successful attempt.
 *
 * <p>Both kinds of attempt cost as little as a source can: a failure is {@code onSubscribe}
 * (the shared empty subscription) + {@code onError} with one shared stackless exception, and a
 * success is exactly what {@code Mono.just(1)} does (a {@code ScalarSubscription} delivering the
 * cached {@code Integer} 1). It counts its subscriptions in a plain field: attempts of one call
 * are sequential, and handed between threads (Resilience4j's retry) through the scheduler.
 */
final class FlakySource extends Mono<Integer> {

    /** The one failure every failed attempt signals: no stack trace, no suppression, no allocation. */
    static final RuntimeException FAILURE = new PlannedFailure();

    private final boolean alwaysFail;
    private long subscriptions;

    private FlakySource(boolean alwaysFail) {
        this.alwaysFail = alwaysFail;
    }

    /** @return a source that fails on odd subscriptions and delivers 1 on even ones */
    static FlakySource failingOddSubscriptions() {
        return new FlakySource(false);
    }

    /** @return a source that fails on every subscription */
    static FlakySource alwaysFailing() {
        return new FlakySource(true);
    }

    @Override
    public void subscribe(CoreSubscriber<? super Integer> actual) {
        long n = ++subscriptions;
        if (alwaysFail || (n & 1) == 1) {
            Operators.error(actual, FAILURE);
        } else {
            actual.onSubscribe(Operators.scalarSubscription(actual, 1));
        }
    }

    /** @return how many times this source has been subscribed */
    long subscriptions() {
        return subscriptions;
    }

    /** The planned failure: a stackless RuntimeException, so every retry retries it. */
    static final class PlannedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PlannedFailure() {
            super("planned failure", null, false, false);
        }
    }
}
