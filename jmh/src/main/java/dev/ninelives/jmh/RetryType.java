package dev.ninelives.jmh;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.retry.RetryConfig;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The retry implementations compared, the {@code impl} {@code @Param} of the retry benchmarks.
 *
 * <p>Every retry gets the same number of attempts, {@value #MAX_ATTEMPTS}, the first call
 * included. Reactor counts retries, not attempts, so its spec says {@code MAX_ATTEMPTS - 1}
 * ({@code Retry.backoff(3, ...)} would be four attempts). The delay before the first retry is
 * the argument of {@link #create(Duration)}: {@link #BACKOFF} for the success paths, which never
 * retry, so only the policy's shape matters; {@link Duration#ZERO} for the fail-then-succeed
 * benchmark, so that it measures the retry machinery and not a sleep. Delays are left to each
 * library's default scheduler ({@code Schedulers.parallel()}).
 */
public enum RetryType {

    /** The floor: the source itself, untransformed; no retry. */
    BARE {
        @Override
        public RetryFacade create(Duration firstDelay) {
            return new Floor(Wrapper.BARE);
        }
    },

    /** The operator floor: the do-nothing operator of the breaker benchmarks ({@link PassThrough}); no retry. */
    PASS_THROUGH {
        @Override
        public RetryFacade create(Duration firstDelay) {
            return new Floor(Wrapper.PASS_THROUGH);
        }
    },

    /**
     * {@code source.transform(NineLives.retry(retry))}: exponential backoff from the first delay,
     * doubling up to 1 s; {@code noBackoff()} for a zero delay (exponential backoff needs a
     * positive start).
     */
    NINELIVES {
        @Override
        public RetryFacade create(Duration firstDelay) {
            Retry retry = (firstDelay.isZero()
                    ? Retry.builder("jmh").maxAttempts(MAX_ATTEMPTS).noBackoff()
                    : Retry.builder("jmh").maxAttempts(MAX_ATTEMPTS).exponentialBackoff(firstDelay, 2, Duration.ofSeconds(1)))
                    .build();
            return new Retrying() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.retry(retry));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.retry(retry));
                }
            };
        }
    },

    /**
     * Reactor's own {@code source.retryWhen(spec)}: {@code Retry.backoff(2, firstDelay)}
     * (exponential, Reactor's default 50 % jitter); {@code Retry.max(2)}, the spec without
     * backoff, for a zero delay. ({@code Retry.backoff(2, Duration.ZERO)} is legal too and also
     * retries synchronously; {@code max} is Reactor's counterpart of {@code noBackoff()}.)
     */
    REACTOR_RETRY_WHEN {
        @Override
        public RetryFacade create(Duration firstDelay) {
            reactor.util.retry.Retry spec = firstDelay.isZero()
                    ? reactor.util.retry.Retry.max(MAX_ATTEMPTS - 1)
                    : reactor.util.retry.Retry.backoff(MAX_ATTEMPTS - 1, firstDelay);
            return new Retrying() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.retryWhen(spec);
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.retryWhen(spec);
                }
            };
        }
    },

    /**
     * Resilience4j 2.4.0: {@code source.transformDeferred(RetryOperator.of(retry))}, a constant
     * {@code waitDuration(firstDelay)} (zero is legal). {@code transformDeferred}, not
     * {@code transform}: {@code RetryOperator.apply} creates the retry context (the attempt
     * counter) when it is called, so a publisher assembled once with {@code transform} shares one
     * counter among all its subscriptions, never reset, and after {@code MAX_ATTEMPTS - 1}
     * failures in total it stops retrying for good. Resilience4j documents
     * {@code transformDeferred}, which builds the chain per subscription. Even with a zero wait it
     * retries through {@code Mono.delay}, i.e. from {@code Schedulers.parallel()}.
     */
    RESILIENCE4J {
        @Override
        public RetryFacade create(Duration firstDelay) {
            io.github.resilience4j.retry.Retry retry = io.github.resilience4j.retry.Retry.of("r",
                    RetryConfig.custom().maxAttempts(MAX_ATTEMPTS).waitDuration(firstDelay).build());
            return new Retrying() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transformDeferred(RetryOperator.of(retry));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transformDeferred(RetryOperator.of(retry));
                }
            };
        }
    };

    /** Attempts per call, the first one included, for every retry. */
    public static final int MAX_ATTEMPTS = 3;

    /** The delay before the first retry in the success-path benchmarks (never waited). */
    public static final Duration BACKOFF = Duration.ofMillis(10);

    /**
     * Builds a fresh retry behind the facade.
     *
     * @param firstDelay the delay before the first retry; zero for immediate retries
     * @return a new facade
     */
    public abstract RetryFacade create(Duration firstDelay);

    /** A floor: no retry. */
    private static final class Floor extends Delegating implements RetryFacade {
        Floor(Wrapper wrapper) {
            super(wrapper);
        }

        @Override
        public int maxAttempts() {
            return 1;
        }
    }

    /** A retry with {@link #MAX_ATTEMPTS} attempts. */
    private abstract static class Retrying implements RetryFacade {
        @Override
        public int maxAttempts() {
            return MAX_ATTEMPTS;
        }
    }
}
