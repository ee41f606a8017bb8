package dev.ninelives.reactor.tck;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * The policies of the TCK classes, new for each publisher the TCK creates (it subscribes to
 * one publisher at most three times, so no window fills and no breaker opens by chance). The
 * admitting ones admit every call of a test; the refusing ones refuse the next call, for the
 * TCK's failed publisher.
 */
final class Policies {

    /** Calls at once that a bulkhead admits: the TCK runs up to three subscriptions of one publisher together. */
    static final int CONCURRENT = 3;

    private Policies() {
    }

    /** A closed breaker with the defaults: it opens only after a hundred calls. */
    static CircuitBreaker breaker() {
        return CircuitBreaker.ofDefaults("tck");
    }

    /** A breaker held open: it refuses every call. */
    static CircuitBreaker forcedOpen() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("tck-forced-open");
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
        return breaker;
    }

    /** A bulkhead of {@link #CONCURRENT} permits; a call that finds none is refused. */
    static Bulkhead bulkhead() {
        return Bulkhead.builder("tck").maxConcurrent(CONCURRENT).build();
    }

    /**
     * A bulkhead whose limit adapts (AIMD), from {@link #CONCURRENT} up; every call closes a
     * window of one sample, so each call's end recomputes the limit.
     */
    static Bulkhead adaptiveBulkhead() {
        return Bulkhead.builder("tck-adaptive")
                .adaptiveLimit(AdaptiveLimit.aimd().minLimit(CONCURRENT).maxLimit(20).initialLimit(CONCURRENT).windowSize(1))
                .build();
    }

    /** A bulkhead of {@link #CONCURRENT} permits whose callers wait for one up to ten seconds. */
    static Bulkhead waitingBulkhead() {
        return Bulkhead.builder("tck-waiting").maxConcurrent(CONCURRENT).maxWait(Duration.ofSeconds(10)).build();
    }

    /** A bulkhead of one permit, taken: the next call is refused ({@code FULL}). */
    static Bulkhead fullBulkhead() {
        Bulkhead bulkhead = Bulkhead.builder("tck-full").maxConcurrent(1).build();
        bulkhead.tryAcquire();
        return bulkhead;
    }

    /** An adaptive bulkhead held at one permit, taken: the next call is refused. */
    static Bulkhead fullAdaptiveBulkhead() {
        Bulkhead bulkhead = Bulkhead.builder("tck-adaptive-full")
                .adaptiveLimit(AdaptiveLimit.aimd().minLimit(1).maxLimit(1).initialLimit(1).windowSize(1))
                .build();
        bulkhead.tryAcquire();
        return bulkhead;
    }

    /**
     * A bulkhead of one permit, taken, whose callers wait a millisecond: the next call waits and
     * is refused from the wait timer's thread ({@code WAIT_TIMED_OUT}).
     */
    static Bulkhead fullBulkheadTimingOut() {
        Bulkhead bulkhead = Bulkhead.builder("tck-full-waiting").maxConcurrent(1).maxWait(Duration.ofMillis(1)).build();
        bulkhead.tryAcquire();
        return bulkhead;
    }

    /** A rate limiter far above what a test asks of it. */
    static RateLimiter rateLimiter() {
        return RateLimiter.builder("tck").limitForPeriod(10_000).period(Duration.ofSeconds(1)).build();
    }

    /** A rate limiter whose one permit an hour is spent, and whose callers do not wait: the next call is refused. */
    static RateLimiter spentRateLimiter() {
        RateLimiter limiter = RateLimiter.builder("tck-spent").limitForPeriod(1).period(Duration.ofHours(1)).burst(1).build();
        limiter.tryAcquire();
        return limiter;
    }

    /**
     * A rate limiter whose one permit an hour is spent, and whose callers may wait a second: the
     * next call, an hour away, is refused at once.
     */
    static RateLimiter spentWaitingRateLimiter() {
        RateLimiter limiter = RateLimiter.builder("tck-spent-waiting").limitForPeriod(1).period(Duration.ofHours(1))
                .burst(1).maxWait(Duration.ofSeconds(1)).build();
        limiter.tryAcquire();
        return limiter;
    }

    /** Three attempts, retried at once. */
    static Retry retry() {
        return Retry.builder("tck").maxAttempts(3).noBackoff().build();
    }

    /** Three attempts, the retries a millisecond later, from a {@code Schedulers.parallel()} thread. */
    static Retry delayedRetry() {
        return Retry.builder("tck-delayed").maxAttempts(3).constantBackoff(Duration.ofMillis(1)).build();
    }

    /** One attempt: no retry. */
    static Retry noRetry() {
        return Retry.builder("tck-once").maxAttempts(1).build();
    }

    /** Hedges after a millisecond, up to two, with budget for every call of a test. */
    static Hedge hedge() {
        return Hedge.builder("tck").delay(Duration.ofMillis(1)).maxHedges(2).budget(1.0, 100).build();
    }

    /** A time limit that fires soon after the call starts, for the failed publishers of the timeout classes. */
    static final Duration SOON = Duration.ofMillis(2);

    /** A total timeout and an attempt timeout no test reaches. */
    static final Duration TOTAL = Duration.ofMinutes(2);
    static final Duration ATTEMPT = Duration.ofMinutes(1);

    /**
     * A pipeline with every stage but the hedge: rate limiter, bulkhead, total timeout, retry
     * (three attempts, at once), breaker, attempt timeout.
     */
    static Pipeline everyStage(String name, RateLimiter limiter, Bulkhead bulkhead, CircuitBreaker breaker) {
        return everyStage(name, limiter, bulkhead, retry(), breaker);
    }

    /** As {@link #everyStage(String, RateLimiter, Bulkhead, CircuitBreaker)}, with the retry given. */
    static Pipeline everyStage(String name, RateLimiter limiter, Bulkhead bulkhead, Retry retry, CircuitBreaker breaker) {
        return Pipeline.builder(name)
                .rateLimiter(limiter)
                .bulkhead(bulkhead)
                .timeout(TOTAL)
                .retry(retry)
                .breaker(breaker)
                .attemptTimeout(ATTEMPT)
                .build();
    }

    /** A fallback for timeouts only, which no test reaches: a refusal or a failure goes through it unchanged. */
    static Fallback<Integer> onTimeout() {
        return Fallback.<Integer>to(Mono.just(-1)).on(TimeoutException.class);
    }
}
