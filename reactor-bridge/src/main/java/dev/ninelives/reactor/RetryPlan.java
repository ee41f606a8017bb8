package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.RetryRules;
import dev.ninelives.retry.Retry;
import reactor.core.CorePublisher;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What a retry operator fixes at assembly; one instance per assembled operator, shared by its subscriptions. */
final class RetryPlan<T> {

    final CorePublisher<? extends T> source;
    /** The policy's decisions, obtained once here, so a subscriber reaches each with one field load. */
    final RetryRules rules;
    /** The scheduler for delayed retries, or null for {@code Schedulers.parallel()} looked up when a delay is scheduled. */
    final Scheduler scheduler;
    final boolean mono;
    /** A Mono whose values the policy tests: each attempt then gets its own small subscriber. */
    final boolean testsResults;
    /** A pipeline's breaker, asked by each attempt; null for the retry operator. */
    final CircuitBreaker breaker;
    /** A pipeline's bulkhead, one permit per call; null for the retry operator and inside a waiting bulkhead. */
    final Bulkhead bulkhead;
    /** The pipeline's name, for Scannable; null for the retry operator. */
    final String pipeline;
    /** A pipeline's breaker with no retry around it: asked before downstream's onSubscribe, as the breaker operator is. */
    final boolean breakerFirst;
    /** A pipeline call's fallback, fused: the call's error switches to it; null otherwise. */
    final Fallback<? extends T> fallback;
    /**
     * A pipeline's attempt timeout, fused: the pipeline's subscriber times its first attempt itself
     * (see {@link TimedAttempts}); null otherwise, when the source is already timed by the stage's
     * own operator, or there is none.
     */
    final TimeoutPlan<T> attemptTimeout;
    /**
     * A pipeline's total timeout, fused: the pipeline's subscriber carries the call's deadline
     * (see {@link TimedCall}); null otherwise.
     */
    final TimeoutPlan<T> totalTimeout;

    RetryPlan(CorePublisher<? extends T> source, Retry retry, Scheduler scheduler, boolean mono) {
        this(source, retry, scheduler, mono, null, null, null, false, null, null, null);
    }

    RetryPlan(CorePublisher<? extends T> source, Retry retry, Scheduler scheduler, boolean mono,
              CircuitBreaker breaker, Bulkhead bulkhead, String pipeline, boolean breakerFirst,
              Fallback<? extends T> fallback, TimeoutPlan<T> attemptTimeout, TimeoutPlan<T> totalTimeout) {
        this.source = source;
        this.rules = RetryRules.of(retry);
        this.scheduler = scheduler;
        this.mono = mono;
        this.testsResults = mono && rules.testsResults();
        this.breaker = breaker;
        this.bulkhead = bulkhead;
        this.pipeline = pipeline;
        this.breakerFirst = breakerFirst && breaker != null;
        this.fallback = fallback;
        this.attemptTimeout = attemptTimeout;
        this.totalTimeout = totalTimeout;
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }
}
