package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.internal.RetryRules;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.retry.Retry;
import org.reactivestreams.Publisher;
import reactor.core.CorePublisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;

/**
 * Assembles a {@link Pipeline} around a source, stage by stage in the pipeline's order, from the
 * inside out: attempt timeout, breaker, hedge, retry, total timeout, bulkhead, rate limiter.
 *
 * <p>The hedge is its own operator, not fused: a hedged call has several attempts in flight at
 * once, each with its own breaker permit and attempt timeout, which the fused subscriber's one
 * attempt cannot hold. With a hedge, the breaker moves into the hedge operator (the first attempt
 * goes through the breaker operator, each hedge asks the breaker itself, so a refused hedge is
 * not issued and costs the call nothing), the attempt timeout is its own operator around the
 * source, and the fused subscriber runs the rest (bulkhead, total timeout, attempts, fallback)
 * around the hedge operator. A hedged call costs the hedge's subscriber on top of the fused one.
 *
 * <p>The rate limiter is always its own operator, in front of everything else (fused or not): it
 * spends its permit when it subscribes the rest, and holds nothing afterwards, so there is nothing
 * to fuse. A call with its permit free costs the rest nothing more (the operator subscribes the
 * rest with the subscriber itself). With a fallback, the fallback is then the fallback operator's
 * subscriber around the rate limiter, so that a refusal for rate falls back too.
 *
 * <p>What is fused: with a retry or a breaker (or both), one subscriber per call runs the
 * bulkhead's permit, the total timeout (the call's deadline in its Context, and its entry in the
 * shared timer: see {@link TimedCall}), the attempts, the breaker's permit per attempt and the
 * fallback. It also times its first attempt against the attempt timeout, as the timer's entry
 * (see {@link TimedAttempts}), when it is not the total timeout's entry already; a later attempt,
 * or every attempt of a pipeline with both timeouts, gets the stage's TimeoutSubscriber around
 * the source, as does every attempt of a Mono whose values the retry tests (each attempt has a
 * subscriber of its own then). With a total timeout the fallback is the fallback operator's
 * subscriber around the rest, because the timer can end the call. Without a retry or a breaker
 * every stage is its own operator. A call that starts with its Context deadline passed ends before
 * taking any permit.
 */
final class PipelineAssembly {

    private PipelineAssembly() {
    }

    /**
     * The stages as separate operators, innermost first. The reference the fused subscriber is
     * held to.
     */
    static <T> Publisher<T> stacked(Publisher<T> source, Pipeline p) {
        Scheduler scheduler = p.scheduler().orElse(null);
        Publisher<T> s = source instanceof Mono ? source : Flux.from(source);
        s = limit(s, p.attemptTimeout().orElse(null), TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler);
        Hedge hedge = p.hedge().orElse(null);
        s = hedge == null ? breaker(s, p.breaker().orElse(null)) : hedge(s, hedge, p.breaker().orElse(null), scheduler);
        s = retry(s, p.retry().orElse(null), scheduler);
        s = limit(s, p.timeout().orElse(null), TimeoutExceededException.Stage.TOTAL_TIMEOUT, scheduler);
        s = bulkhead(s, p.bulkhead().orElse(null), scheduler);
        return rateLimiter(s, p.rateLimiter().orElse(null), scheduler);
    }

    /**
     * The pipeline as it runs: with a retry or a breaker, one fused operator whose one subscriber
     * per call runs every stage (see the class comment); otherwise (a bulkhead and timeouts) the
     * stages' own operators.
     */
    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p) {
        return assemble(source, p, null);
    }

    /**
     * As {@link #assemble(Publisher, Pipeline)}, with a fallback around the whole pipeline. The
     * fused subscriber runs the fallback too, so a call that does not fall back allocates nothing
     * for it, unless a total timeout can end the call from its timer (the fallback is then the
     * fallback operator's own subscriber around the stages), or nothing is fused.
     */
    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p, Fallback<? extends T> fallback) {
        RateLimiter limiter = p.rateLimiter().orElse(null);
        if (limiter == null) {
            return assembleBelowRate(source, p, fallback);
        }
        Publisher<T> s = rateLimiter(assembleBelowRate(source, p, null), limiter, p.scheduler().orElse(null));
        return fallback == null ? s : NineLives.<T>fallback(fallback).apply(s);
    }

    /** Every stage but the rate limiter. */
    @SuppressWarnings("unchecked")
    private static <T> Publisher<T> assembleBelowRate(Publisher<T> source, Pipeline p, Fallback<? extends T> fallback) {
        Scheduler scheduler = p.scheduler().orElse(null);
        Publisher<T> s = source instanceof Mono ? source : Flux.from(source);
        CircuitBreaker breaker = p.breaker().orElse(null);
        Retry retry = p.retry().orElse(null);
        Bulkhead bulkhead = p.bulkhead().orElse(null);
        Duration attemptTimeout = p.attemptTimeout().orElse(null);
        Duration total = p.timeout().orElse(null);
        Hedge hedge = p.hedge().orElse(null);
        if (hedge != null) {                           // its own operator: see the class comment
            s = limit(s, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler);
            s = hedge(s, hedge, breaker, scheduler);
            breaker = null;
            attemptTimeout = null;
        }
        if (breaker == null && retry == null) {
            s = limit(s, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler);
            s = limit(s, total, TimeoutExceededException.Stage.TOTAL_TIMEOUT, scheduler);
            s = bulkhead(s, bulkhead, scheduler);
            return fallback == null ? s : NineLives.<T>fallback(fallback).apply(s);
        }
        // the fused subscriber times its first attempt itself, unless it is the total timeout's
        // timer entry already, or each attempt has a subscriber of its own anyway (a Mono whose
        // values the retry tests)
        boolean timedInside = attemptTimeout != null && total == null
                && !(s instanceof Mono && RetryRules.of(p.attempts).testsResults());
        if (!timedInside) {
            s = limit(s, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler);
        }
        s = fused(s, p, breaker, bulkhead, scheduler, total == null ? fallback : null,
                timedInside ? attemptTimeout : null, total);
        return total == null || fallback == null ? s : NineLives.<T>fallback(fallback).apply(s);
    }

    /**
     * One subscriber per call for the bulkhead (if given), the total timeout (if given), the
     * pipeline's attempts, the breaker (if given) and the first attempt's timeout (if given).
     */
    @SuppressWarnings("unchecked")
    private static <T> Publisher<T> fused(Publisher<T> source, Pipeline p, CircuitBreaker breaker, Bulkhead bulkhead,
                                          Scheduler scheduler, Fallback<? extends T> fallback, Duration attemptTimeout,
                                          Duration total) {
        boolean single = p.retry().isEmpty();
        boolean mono = source instanceof Mono;
        CorePublisher<T> src = mono ? (Mono<T>) source : (Flux<T>) source;
        TimeoutPlan<T> timed = attemptTimeout == null ? null
                : new TimeoutPlan<>(src, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler, mono);
        TimeoutPlan<T> deadline = total == null ? null
                : new TimeoutPlan<>(src, total, TimeoutExceededException.Stage.TOTAL_TIMEOUT, scheduler, mono);
        RetryPlan<T> all = new RetryPlan<>(src, p.attempts, scheduler, mono, breaker, bulkhead, p.name(), single, fallback,
                timed, deadline);
        // a call that waits for its permit runs `inside` from the waiting subscriber, its fallback around that
        RetryPlan<T> inside = bulkhead == null ? null
                : new RetryPlan<>(src, p.attempts, scheduler, mono, breaker, null, p.name(), single, null, timed, deadline);
        if (mono) {
            Mono<T> m = (Mono<T>) source;
            BulkheadPlan<T> waiting = bulkhead == null ? null
                    : new BulkheadPlan<>(new MonoPipeline<>(m, inside, null, p.name()), bulkhead, scheduler, true);
            return MonoPipeline.assemble(new MonoPipeline<>(m, all, waiting, p.name()));
        }
        Flux<T> f = (Flux<T>) source;
        BulkheadPlan<T> waiting = bulkhead == null ? null
                : new BulkheadPlan<>(new FluxPipeline<>(f, inside, null, p.name()), bulkhead, scheduler, false);
        return FluxPipeline.assemble(new FluxPipeline<>(f, all, waiting, p.name()));
    }

    // Each stage of its own is the single operator's own assembly (NineLives), a stage not given none.

    private static <T> Publisher<T> limit(Publisher<T> s, Duration limit, TimeoutExceededException.Stage stage,
                                          Scheduler scheduler) {
        return limit == null ? s : NineLives.<T>limit(limit, stage.label(), stage, scheduler).apply(s);
    }

    private static <T> Publisher<T> breaker(Publisher<T> s, CircuitBreaker breaker) {
        return breaker == null ? s : NineLives.<T>breaker(breaker).apply(s);
    }

    private static <T> Publisher<T> hedge(Publisher<T> s, Hedge hedge, CircuitBreaker breaker, Scheduler scheduler) {
        return NineLives.<T>hedgeOn(hedge, scheduler, breaker).apply(s);
    }

    private static <T> Publisher<T> retry(Publisher<T> s, Retry retry, Scheduler scheduler) {
        return retry == null ? s : NineLives.<T>retryOn(retry, scheduler).apply(s);
    }

    private static <T> Publisher<T> rateLimiter(Publisher<T> s, RateLimiter limiter, Scheduler scheduler) {
        return limiter == null ? s : NineLives.<T>rateLimiterOn(limiter, scheduler).apply(s);
    }

    private static <T> Publisher<T> bulkhead(Publisher<T> s, Bulkhead bulkhead, Scheduler scheduler) {
        return bulkhead == null ? s : NineLives.<T>bulkheadOn(bulkhead, scheduler).apply(s);
    }
}
