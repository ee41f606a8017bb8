package dev.ninelives.reactor;

import dev.ninelives.internal.RateGate;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RequestNotPermittedException;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a rate limiter operator fixes at assembly; one instance per assembled operator, shared by
 * its subscriptions. The same path serves a Mono and a Flux: one permit per subscription, spent
 * when the source is subscribed, so nothing is held or returned after that.
 */
final class RateLimiterPlan<T> {

    final CorePublisher<? extends T> source;
    final RateLimiter limiter;
    final RateGate gate;
    /** Where waits are scheduled, or null for {@code Schedulers.parallel()} looked up at each wait. */
    final Scheduler scheduler;
    /** Whether the source is a Mono, for a fused pipeline's fallback. */
    final boolean mono;

    RateLimiterPlan(CorePublisher<? extends T> source, RateLimiter limiter, Scheduler scheduler, boolean mono) {
        this.mono = mono;
        this.source = source;
        this.limiter = limiter;
        this.gate = (RateGate) limiter;                // RateLimiter is sealed: every one is a RateGate
        this.scheduler = scheduler;
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    /**
     * Runs one subscription: a permit free now (the source is subscribed on this thread, with
     * {@code actual} itself: no subscriber of ours in between), a permit reserved for later (the
     * subscriber gets onSubscribe at once, the source is subscribed from a task on the Scheduler
     * at the reserved instant), or a refusal (onSubscribe and onError, the source never
     * subscribed).
     *
     * <p>A Context deadline: passed already, the call ends with the deadline's error and asks
     * for nothing; otherwise the call accepts no wait longer than what remains of it, so a call
     * whose deadline would pass before its instant is refused at once and spends no permit.
     *
     * <p>A listener's JVM-fatal error propagates once the subscriber has had its signal: a
     * refusal still ends with its RequestNotPermittedException; a permit whose announcement
     * failed was given back (if no later reservation was made meanwhile) and the subscriber gets
     * onError with that error.
     */
    void subscribe(CoreSubscriber<? super T> actual) {
        if (admit(actual, null)) {
            source.subscribe(actual);
        }
    }

    /**
     * Asks for a permit for one subscription. Free now: returns true and the caller subscribes
     * the source. Reserved for later: a {@link RateLimitedSubscriber} takes the call over; refused
     * or out of time: {@code actual} is signalled. Those return false.
     *
     * @param fallback the fused pipeline's fallback around {@code actual} on every path that does
     *                 not return true, or null
     */
    boolean admit(CoreSubscriber<? super T> actual, Fallback<? extends T> fallback) {
        RateGate g = gate;
        long maxWait = g.maxWaitNanos();
        Deadline d = Deadline.in(actual.currentContext());
        if (d != null) {
            long left = d.remainingNanos();
            if (left <= 0) {                           // no time left: no permit asked for
                Operators.error(FallbackSubscriber.around(actual, fallback, mono), d.exceeded());
                return false;
            }
            maxWait = Math.min(maxWait, left - 1);    // the permit must come strictly before the deadline
        }
        RateGate.Rate r = g.rate();
        long now = g.ticker().read();
        long instant = g.reserve(r, now, maxWait);
        if (instant == RateGate.REFUSED) {
            RequestNotPermittedException e = g.refuse(r, now, maxWait);
            try {
                g.announceRefused();
            } finally {                                // refused, whatever a listener threw
                Operators.error(FallbackSubscriber.around(actual, fallback, mono), e);
            }
            return false;
        }
        long wait = instant - now;
        try {
            g.announce(r, instant, Math.max(0L, wait));
        } catch (Throwable fatal) {                    // the permit is back already, if it could be
            Operators.error(actual, fatal);
            throw fatal;
        }
        if (wait <= 0) {
            return true;
        }
        new RateLimitedSubscriber<>(FallbackSubscriber.around(actual, fallback, mono), this, r, instant).await(wait);
        return false;
    }
}
