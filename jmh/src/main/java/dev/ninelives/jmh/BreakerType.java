package dev.ninelives.jmh;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The implementations compared, the {@code impl} {@code @Param} of every benchmark.
 *
 * <p>Both breakers are configured alike: a count-based window of the last 100 calls, a minimum
 * of 100 calls, a 50 % failure-rate threshold, 10 trial calls in HALF_OPEN, a one-hour open
 * duration (so an opened breaker stays open for the whole run) and no stack trace on
 * rejections. NineLives has no slow-call detection unless asked; Resilience4j cannot turn it
 * off, so it gets the nearest equivalent: a 100 % slow-call threshold at one hour, a call it
 * can never see.
 */
public enum BreakerType {

    /** The floor: the source itself, untransformed. */
    BARE {
        @Override
        public BreakerFacade create() {
            return new Floor(Wrapper.BARE);
        }
    },

    /** The operator floor: a do-nothing operator that forwards every signal ({@link PassThrough}). */
    PASS_THROUGH {
        @Override
        public BreakerFacade create() {
            return new Floor(Wrapper.PASS_THROUGH);
        }
    },

    /** {@code NineLives.breaker(CircuitBreaker)} over the lock-free breaker. */
    NINELIVES {
        @Override
        public BreakerFacade create() {
            CircuitBreaker breaker = CircuitBreaker.builder("bench")
                    .slidingWindow(100)
                    .minimumNumberOfCalls(100)
                    .failureRateThreshold(50)
                    .permittedCallsInHalfOpen(10)
                    .openDuration(OPEN_DURATION)
                    .rejectionStackTraces(false)
                    .build();                                    // no slowCallDuration: no slow-call detection
            return new BreakerFacade() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.breaker(breaker));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.breaker(breaker));
                }

                @Override
                public void open(boolean forced) {
                    breaker.transitionTo(forced ? CircuitBreaker.State.FORCED_OPEN : CircuitBreaker.State.OPEN);
                }

                @Override
                public String state() {
                    return breaker.state().name();
                }

                @Override
                public Class<? extends Throwable> rejectionType() {
                    return dev.ninelives.breaker.CallNotPermittedException.class;
                }
            };
        }
    },

    /** Resilience4j 2.4.0: {@code CircuitBreakerOperator.of(circuitBreaker)}. */
    RESILIENCE4J {
        @Override
        public BreakerFacade create() {
            CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                    .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                    .slidingWindowSize(100)
                    .minimumNumberOfCalls(100)
                    .failureRateThreshold(50)
                    .permittedNumberOfCallsInHalfOpenState(10)
                    .waitDurationInOpenState(OPEN_DURATION)
                    .automaticTransitionFromOpenToHalfOpenEnabled(false)
                    .slowCallRateThreshold(100)
                    .slowCallDurationThreshold(OPEN_DURATION)
                    .writableStackTraceEnabled(false)
                    .build();
            io.github.resilience4j.circuitbreaker.CircuitBreaker breaker =
                    io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", config);
            return new BreakerFacade() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(CircuitBreakerOperator.of(breaker));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(CircuitBreakerOperator.of(breaker));
                }

                @Override
                public void open(boolean forced) {
                    if (forced) {
                        breaker.transitionToForcedOpenState();
                    } else {
                        breaker.transitionToOpenState();
                    }
                }

                @Override
                public String state() {
                    return breaker.getState().name();
                }

                @Override
                public Class<? extends Throwable> rejectionType() {
                    return io.github.resilience4j.circuitbreaker.CallNotPermittedException.class;
                }
            };
        }
    };

    /** Long enough that an opened breaker never admits a trial call during a run. */
    static final Duration OPEN_DURATION = Duration.ofHours(1);

    /**
     * Builds a fresh breaker (CLOSED) behind the facade.
     *
     * @return a new facade
     */
    public abstract BreakerFacade create();

    /** A floor: no breaker, nothing to open, never rejects. */
    private static final class Floor extends Delegating implements BreakerFacade {
        Floor(Wrapper wrapper) {
            super(wrapper);
        }

        @Override
        public void open(boolean forced) {
        }

        @Override
        public String state() {
            return "NONE";
        }

        @Override
        public Class<? extends Throwable> rejectionType() {
            return null;
        }
    }
}
