package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.RetryRules;
import dev.ninelives.retry.Retry;
import org.reactivestreams.Publisher;
import reactor.core.CorePublisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;

/**
 * Assembles a {@link Pipeline} around a source, stage by stage in the pipeline's order, from the
 * inside out: attempt timeout, breaker, retry, total timeout, bulkhead.
 *
 * <p>What is fused: the retry and the breaker run in one subscriber per call, with the bulkhead
 * when no total timeout sits between it and the retry (a bulkhead alone is the bulkhead's
 * operator). The fused subscriber and the bulkhead end a call that starts with its Context
 * deadline passed before taking any permit. The fused subscriber also times its first attempt
 * against the attempt timeout, as the shared timer's entry (see {@link TimedAttempts}); a later
 * attempt gets the stage's TimeoutSubscriber. Without a retry or a breaker, or for a Mono whose
 * values the retry tests (each attempt has a subscriber of its own then), the attempt timeout is
 * the stage's operator around the source. A total timeout is an operator of its own between the
 * bulkhead and the retry, which then run as two subscribers (the bulkhead's, and the fused retry
 * and breaker).
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
        s = breaker(s, p.breaker().orElse(null));
        s = retry(s, p.retry().orElse(null), scheduler);
        s = limit(s, p.timeout().orElse(null), TimeoutExceededException.Stage.TOTAL_TIMEOUT, scheduler);
        return bulkhead(s, p.bulkhead().orElse(null), scheduler);
    }

    /**
     * The pipeline as it runs: the retry and the breaker (either or both), with the bulkhead when
     * no total timeout sits between them, are one fused operator whose one subscriber per call
     * runs them all; the timeouts, and a bulkhead alone, are their own operators.
     */
    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p) {
        return assemble(source, p, null);
    }

    /**
     * As {@link #assemble(Publisher, Pipeline)}, with a fallback around the whole pipeline. When
     * the fused subscriber is the outermost stage (no total timeout splits the bulkhead off), it
     * runs the fallback too, so a call that does not fall back allocates nothing for it;
     * otherwise the fallback is the fallback operator's own subscriber around the stages.
     */
    @SuppressWarnings("unchecked")
    static <T> Publisher<T> assemble(Publisher<T> source, Pipeline p, Fallback<? extends T> fallback) {
        Scheduler scheduler = p.scheduler().orElse(null);
        Publisher<T> s = source instanceof Mono ? source : Flux.from(source);
        CircuitBreaker breaker = p.breaker().orElse(null);
        Retry retry = p.retry().orElse(null);
        Bulkhead bulkhead = p.bulkhead().orElse(null);
        Duration attemptTimeout = p.attemptTimeout().orElse(null);
        // the fused subscriber times its first attempt itself, unless each attempt has a subscriber
        // of its own anyway (a Mono whose values the retry tests)
        boolean timedInside = attemptTimeout != null && (breaker != null || retry != null)
                && !(s instanceof Mono && RetryRules.of(p.attempts).testsResults());
        if (!timedInside) {
            s = limit(s, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler);
        }
        boolean split = p.timeout().isPresent();     // the total timeout goes between bulkhead and retry
        Bulkhead fusedBulkhead = split ? null : bulkhead;
        Fallback<? extends T> fused = split ? null : fallback;
        if (breaker != null || retry != null) {
            s = fused(s, p, breaker, fusedBulkhead, scheduler, fused, timedInside ? attemptTimeout : null);
            fallback = fused == null ? fallback : null;
        } else {
            s = bulkhead(s, fusedBulkhead, scheduler);
        }
        if (split) {
            s = limit(s, p.timeout().get(), TimeoutExceededException.Stage.TOTAL_TIMEOUT, scheduler);
            s = bulkhead(s, bulkhead, scheduler);
        }
        if (fallback != null) {
            s = NineLives.<T>fallback(fallback).apply(s);
        }
        return s;
    }

    /** One subscriber per call for the bulkhead (if given), the pipeline's attempts and the breaker (if given). */
    @SuppressWarnings("unchecked")
    private static <T> Publisher<T> fused(Publisher<T> source, Pipeline p, CircuitBreaker breaker, Bulkhead bulkhead,
                                          Scheduler scheduler, Fallback<? extends T> fallback, Duration attemptTimeout) {
        boolean single = p.retry().isEmpty();
        boolean mono = source instanceof Mono;
        CorePublisher<T> src = mono ? (Mono<T>) source : (Flux<T>) source;
        TimeoutPlan<T> timed = attemptTimeout == null ? null
                : new TimeoutPlan<>(src, attemptTimeout, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, scheduler, mono);
        RetryPlan<T> all = new RetryPlan<>(src, p.attempts, scheduler, mono, breaker, bulkhead, p.name(), single, fallback,
                timed);
        // a call that waits for its permit runs `inside` from the waiting subscriber, its fallback around that
        RetryPlan<T> inside = bulkhead == null ? null
                : new RetryPlan<>(src, p.attempts, scheduler, mono, breaker, null, p.name(), single, null, timed);
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

    private static <T> Publisher<T> retry(Publisher<T> s, Retry retry, Scheduler scheduler) {
        return retry == null ? s : NineLives.<T>retryOn(retry, scheduler).apply(s);
    }

    private static <T> Publisher<T> bulkhead(Publisher<T> s, Bulkhead bulkhead, Scheduler scheduler) {
        return bulkhead == null ? s : NineLives.<T>bulkheadOn(bulkhead, scheduler).apply(s);
    }
}
