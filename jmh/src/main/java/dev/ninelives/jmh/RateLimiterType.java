package dev.ninelives.jmh;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterBuilder;
import dev.ninelives.reactor.NineLives;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The rate limiters compared, the {@code impl} {@code @Param} of {@link RateLimiterBenchmark}.
 * {@link #create(boolean)} builds one that always has a permit free (a limit far above what one
 * thread can call) or one that refuses every call (one permit an hour, taken at once), both
 * refusing rather than waiting ({@code maxWait}/{@code timeoutDuration} zero).
 */
public enum RateLimiterType {

    /** The floor: the source itself; it never refuses. */
    BARE {
        @Override
        public Wrapper create(boolean refusing) {
            return Wrapper.BARE;
        }
    },

    /** {@code source.transform(NineLives.rateLimiter(limiter))}. */
    NINELIVES {
        @Override
        public Wrapper create(boolean refusing) {
            RateLimiter limiter = refusing
                    ? RateLimiter.builder("bench").limitForPeriod(1).period(Duration.ofHours(1)).burst(1).build()
                    : RateLimiter.builder("bench").limitForPeriod(RateLimiterBuilder.MAX_PERMITS)
                            .period(Duration.ofSeconds(1)).build();
            if (refusing && !limiter.tryAcquire().granted()) {
                throw new IllegalStateException("the one permit of the hour should be free");
            }
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.rateLimiter(limiter));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.rateLimiter(limiter));
                }
            };
        }
    },

    /**
     * Resilience4j 2.4.0: {@code source.transform(RateLimiterOperator.of(limiter))}, an
     * {@code AtomicRateLimiter} with {@code timeoutDuration} zero.
     */
    RESILIENCE4J {
        @Override
        public Wrapper create(boolean refusing) {
            RateLimiterConfig config = refusing
                    ? RateLimiterConfig.custom().limitForPeriod(1).limitRefreshPeriod(Duration.ofHours(1))
                            .timeoutDuration(Duration.ZERO).build()
                    : RateLimiterConfig.custom().limitForPeriod(Integer.MAX_VALUE).limitRefreshPeriod(Duration.ofSeconds(1))
                            .timeoutDuration(Duration.ZERO).build();
            io.github.resilience4j.ratelimiter.RateLimiter limiter =
                    io.github.resilience4j.ratelimiter.RateLimiter.of("bench", config);
            if (refusing && !limiter.acquirePermission()) {
                throw new IllegalStateException("the one permit of the hour should be free");
            }
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(RateLimiterOperator.of(limiter));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(RateLimiterOperator.of(limiter));
                }
            };
        }
    };

    /**
     * Builds the implementation.
     *
     * @param refusing true for a limiter that refuses every call
     * @return a wrapper that applies it
     */
    public abstract Wrapper create(boolean refusing);
}
