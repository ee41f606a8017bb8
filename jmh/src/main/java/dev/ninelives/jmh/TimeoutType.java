package dev.ninelives.jmh;

import dev.ninelives.reactor.NineLives;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The timeouts compared, the {@code impl} {@code @Param} of {@link TimeoutBenchmark}. Every
 * timeout is {@link #TIMEOUT} (1 s) on {@code Schedulers.parallel()}, each library's default, and
 * never fires: the sources answer at once.
 *
 * <p>The Mono figures compare like with like: each timeout covers the subscription until its
 * value. A Flux does not: NineLives' timeout covers the whole stream, while Reactor's
 * {@code Flux.timeout(Duration)} and Resilience4j's operator (which calls it) time each element
 * afresh, one scheduled task per element.
 */
public enum TimeoutType {

    /** The floor: the source itself, untransformed; no timeout. */
    BARE {
        @Override
        public Wrapper create() {
            return Wrapper.BARE;
        }
    },

    /** {@code source.transform(NineLives.timeout(Duration.ofSeconds(1)))}. */
    NINELIVES {
        @Override
        public Wrapper create() {
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.timeout(TIMEOUT));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.timeout(TIMEOUT));
                }
            };
        }
    },

    /** Reactor's own {@code source.timeout(Duration.ofSeconds(1))}. */
    REACTOR {
        @Override
        public Wrapper create() {
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.timeout(TIMEOUT);
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.timeout(TIMEOUT);
                }
            };
        }
    },

    /**
     * Resilience4j 2.4.0: {@code source.transform(TimeLimiterOperator.of(timeLimiter))} with a
     * 1 s {@code timeoutDuration}. The operator keeps no per-call state at assembly (it applies
     * Reactor's {@code timeout} and reports outcomes to the TimeLimiter), so {@code transform} is
     * right.
     */
    RESILIENCE4J {
        @Override
        public Wrapper create() {
            TimeLimiter limiter = TimeLimiter.of("bench", TimeLimiterConfig.custom().timeoutDuration(TIMEOUT).build());
            return new Wrapper() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(TimeLimiterOperator.of(limiter));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(TimeLimiterOperator.of(limiter));
                }
            };
        }
    };

    /** The timeout of every implementation: 1 s, never reached. */
    public static final Duration TIMEOUT = Duration.ofSeconds(1);

    /**
     * Builds the timeout behind a fresh facade.
     *
     * @return the facade
     */
    public abstract Wrapper create();
}
