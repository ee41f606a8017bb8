package dev.ninelives.jmh;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.retry.RetryConfig;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * A breaker, a retry and a bulkhead on one call, the {@code impl} {@code @Param} of
 * {@link PipelineBenchmark}: the floor of any operator (a pass-through), NineLives fused into one pipeline, the same NineLives policies stacked
 * as three operators (as the README wrote them before pipelines), and Resilience4j's three
 * operators stacked in the same order. Every breaker is a count window of 100, every retry 3
 * attempts with a 10 ms first delay, every bulkhead 25 permits without waiting. The {@code _FULL}
 * rows add an attempt timeout of 1 s inside the breaker (never reached) and a fallback to an
 * empty result around the call (never taken).
 */
public enum PipelineType {

    /** The floor: the source itself. */
    BARE {
        @Override
        public Wrapper create() {
            return Wrapper.BARE;
        }
    },

    /**
     * The floor of any operator: a subscriber that passes every signal through and does nothing
     * else. What a pipeline costs above this row is its own work; what this row costs above BARE
     * is being an operator at all.
     */
    PASS_THROUGH {
        @Override
        public Wrapper create() {
            return Wrapper.PASS_THROUGH;
        }
    },

    /** {@code source.transform(NineLives.pipeline(pipeline))}: one subscriber per call. */
    NINELIVES {
        @Override
        public Wrapper create() {
            Pipeline pipeline = Pipeline.builder("bench").bulkhead(bulkhead()).retry(retry()).breaker(breaker()).build();
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.pipeline(pipeline));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.pipeline(pipeline));
                }
            };
        }
    },

    /**
     * The pipeline with an attempt timeout (1 s, never reached), and a fallback at the call site:
     * {@code source.transform(NineLives.pipeline(pipeline, Fallback.to(Mono.empty())))}.
     */
    NINELIVES_FULL {
        @Override
        public Wrapper create() {
            Pipeline pipeline = Pipeline.builder("bench").bulkhead(bulkhead()).retry(retry()).breaker(breaker())
                    .attemptTimeout(ATTEMPT_TIMEOUT).build();
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.pipeline(pipeline, Fallback.<T>to(Mono.empty())));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.pipeline(pipeline, Fallback.<T>to(Mono.empty())));
                }
            };
        }
    },

    /** The same policies as three NineLives operators: breaker, then retry, then bulkhead. */
    STACKED {
        @Override
        public Wrapper create() {
            CircuitBreaker breaker = breaker();
            Retry retry = retry();
            Bulkhead bulkhead = bulkhead();
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.breaker(breaker)).transform(NineLives.retry(retry))
                            .transform(NineLives.bulkhead(bulkhead));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.breaker(breaker)).transform(NineLives.retry(retry))
                            .transform(NineLives.bulkhead(bulkhead));
                }
            };
        }
    },

    /** Resilience4j 2.4.0's three operators in the same order. */
    RESILIENCE4J {
        @Override
        public Wrapper create() {
            io.github.resilience4j.circuitbreaker.CircuitBreaker breaker = r4jBreaker();
            io.github.resilience4j.retry.Retry retry = r4jRetry();
            io.github.resilience4j.bulkhead.Bulkhead bulkhead = r4jBulkhead();
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(CircuitBreakerOperator.of(breaker)).transformDeferred(RetryOperator.of(retry))
                            .transform(BulkheadOperator.of(bulkhead));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(CircuitBreakerOperator.of(breaker)).transformDeferred(RetryOperator.of(retry))
                            .transform(BulkheadOperator.of(bulkhead));
                }
            };
        }
    },

    /**
     * Resilience4j's stack with its TimeLimiter operator inside the breaker (1 s, never reached)
     * and {@code onErrorResume} to an empty result around it, its usual way to fall back.
     */
    RESILIENCE4J_FULL {
        @Override
        public Wrapper create() {
            io.github.resilience4j.circuitbreaker.CircuitBreaker breaker = r4jBreaker();
            io.github.resilience4j.retry.Retry retry = r4jRetry();
            io.github.resilience4j.bulkhead.Bulkhead bulkhead = r4jBulkhead();
            TimeLimiter limiter = TimeLimiter.of("bench", TimeLimiterConfig.custom().timeoutDuration(ATTEMPT_TIMEOUT).build());
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(TimeLimiterOperator.of(limiter)).transform(CircuitBreakerOperator.of(breaker))
                            .transformDeferred(RetryOperator.of(retry)).transform(BulkheadOperator.of(bulkhead))
                            .onErrorResume(e -> Mono.empty());
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(TimeLimiterOperator.of(limiter)).transform(CircuitBreakerOperator.of(breaker))
                            .transformDeferred(RetryOperator.of(retry)).transform(BulkheadOperator.of(bulkhead))
                            .onErrorResume(e -> Mono.empty());
                }
            };
        }
    };

    /** The attempt timeout of the {@code _FULL} rows: 1 s, never reached. */
    public static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(1);

    static io.github.resilience4j.circuitbreaker.CircuitBreaker r4jBreaker() {
        return io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
                .slidingWindowSize(100).minimumNumberOfCalls(100).writableStackTraceEnabled(false).build());
    }

    static io.github.resilience4j.retry.Retry r4jRetry() {
        return io.github.resilience4j.retry.Retry.of("bench",
                RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10)).build());
    }

    static io.github.resilience4j.bulkhead.Bulkhead r4jBulkhead() {
        return io.github.resilience4j.bulkhead.Bulkhead.of("bench",
                BulkheadConfig.custom().maxConcurrentCalls(25).maxWaitDuration(Duration.ZERO).build());
    }

    static CircuitBreaker breaker() {
        return CircuitBreaker.builder("bench").slidingWindow(100).minimumNumberOfCalls(100).build();
    }

    static Retry retry() {
        return Retry.builder("bench").maxAttempts(3).constantBackoff(Duration.ofMillis(10)).build();
    }

    static Bulkhead bulkhead() {
        return Bulkhead.builder("bench").maxConcurrent(25).build();
    }

    /**
     * Builds fresh policies behind a wrapper.
     *
     * @return the wrapper that applies them
     */
    public abstract Wrapper create();
}
