package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.internal.HedgeGate;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a hedge operator fixes at assembly; one instance per assembled operator, shared by its
 * subscriptions.
 */
final class HedgePlan<T> {

    /** The first attempt's publisher: the source, or in a pipeline with a breaker the breaker operator around it. */
    final CorePublisher<? extends T> first;
    /** The hedges' publisher: the source; with a breaker, each hedge's permit is asked for by the hedge itself. */
    final CorePublisher<? extends T> source;
    final Hedge hedge;
    final HedgeGate gate;
    /** Where the delay is scheduled, or null for {@code Schedulers.parallel()} looked up at each call. */
    final Scheduler scheduler;
    /** The breaker each hedge asks for a permit, or null. */
    final CircuitBreaker breaker;

    HedgePlan(CorePublisher<? extends T> first, CorePublisher<? extends T> source, Hedge hedge, Scheduler scheduler,
              CircuitBreaker breaker) {
        this.first = first;
        this.source = source;
        this.hedge = hedge;
        this.gate = (HedgeGate) hedge;                 // Hedge is sealed: every one is a HedgeGate
        this.scheduler = scheduler;
        this.breaker = breaker;
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    /**
     * Runs one call: counts it, subscribes the first attempt with the call's one subscriber and,
     * unless the answer came during that subscribe, arms the delay.
     */
    void subscribe(CoreSubscriber<? super T> actual) {
        HedgeGate g = gate;
        g.called();
        long start = g.adaptive() ? g.ticker().read() : 0L;
        HedgeSubscriber<T> h = new HedgeSubscriber<>(actual, this);
        actual.onSubscribe(h);
        if (h.ended()) {
            return;                                    // cancelled in onSubscribe: no attempt at all
        }
        try {
            first.subscribe(h);
        } catch (Throwable e) {
            h.subscribeFailed(e);
            return;
        }
        h.arm(start);
    }

    /** Releases a permit taken for a hedge that is not subscribed after all. */
    void releasePermit(long permit) {
        if (permit >= 0) {
            breaker.release(permit);
        }
    }

    static <T> void subscribeHedge(HedgePlan<T> plan, HedgeSubscriber.Inner<T> inner, long permit) {
        CircuitBreaker b = plan.breaker;
        if (b != null) {
            BreakerSubscriber.subscribeSource(plan.source, b.measuresDurations()
                    ? new MonoBreaker.TimedMonoBreakerSubscriber<>(inner, b, permit)
                    : new MonoBreaker.MonoBreakerSubscriber<>(inner, b, permit));
            return;
        }
        try {
            plan.source.subscribe(inner);
        } catch (Throwable e) {
            Throwable t;
            try {
                t = Operators.onOperatorError(e, inner.currentContext());
            } catch (Throwable fatal) {
                inner.parent.fail(fatal);              // the call ends, every attempt cancelled; then it propagates
                throw fatal;
            }
            inner.onError(t);
        }
    }
}
