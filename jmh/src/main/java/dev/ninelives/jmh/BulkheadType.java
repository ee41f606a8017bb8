package dev.ninelives.jmh;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The bulkhead implementations compared, the {@code impl} {@code @Param} of the bulkhead
 * benchmarks. Both bulkheads get the same limit and the same maximum wait (zero: refuse at once
 * when full).
 *
 * <p>Resilience4j's reactive bulkhead honours a positive {@code maxWaitDuration} by parking the
 * subscribing thread in a semaphore; NineLives parks the subscriber in a queue and returns.
 */
public enum BulkheadType {

    /** The floor: the source itself, untransformed; no limit. */
    BARE {
        @Override
        public BulkheadFacade create(int maxConcurrent, Duration maxWait) {
            return new Floor(Wrapper.BARE);
        }
    },

    /** The operator floor: the do-nothing operator of the other benchmarks ({@link PassThrough}); no limit. */
    PASS_THROUGH {
        @Override
        public BulkheadFacade create(int maxConcurrent, Duration maxWait) {
            return new Floor(Wrapper.PASS_THROUGH);
        }
    },

    /** {@code source.transform(NineLives.bulkhead(bulkhead))}. */
    NINELIVES {
        @Override
        public BulkheadFacade create(int maxConcurrent, Duration maxWait) {
            Bulkhead bulkhead = Bulkhead.builder("bench").maxConcurrent(maxConcurrent).maxWait(maxWait).build();
            return new BulkheadFacade() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.bulkhead(bulkhead));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.bulkhead(bulkhead));
                }

                @Override
                public int inFlight() {
                    return bulkhead.metrics().inFlight();
                }
            };
        }
    },

    /**
     * Resilience4j 2.4.0: {@code source.transform(BulkheadOperator.of(bulkhead))} with a semaphore
     * bulkhead of {@code maxConcurrentCalls} and {@code maxWaitDuration}. Its operator asks for the
     * permit at each subscription, so {@code transform} is right here.
     */
    RESILIENCE4J {
        @Override
        public BulkheadFacade create(int maxConcurrent, Duration maxWait) {
            io.github.resilience4j.bulkhead.Bulkhead bulkhead = io.github.resilience4j.bulkhead.Bulkhead.of("bench",
                    BulkheadConfig.custom().maxConcurrentCalls(maxConcurrent).maxWaitDuration(maxWait).build());
            return new BulkheadFacade() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(BulkheadOperator.of(bulkhead));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(BulkheadOperator.of(bulkhead));
                }

                @Override
                public int inFlight() {
                    return maxConcurrent - bulkhead.getMetrics().getAvailableConcurrentCalls();
                }
            };
        }
    };

    /** The limit of the uncontended benchmarks: Resilience4j's default, never reached by one thread. */
    public static final int MAX_CONCURRENT = 25;

    /**
     * Builds a fresh bulkhead behind the facade.
     *
     * @param maxConcurrent the limit of concurrent calls
     * @param maxWait       how long a caller may wait for a permit; zero refuses at once
     * @return a new facade
     */
    public abstract BulkheadFacade create(int maxConcurrent, Duration maxWait);

    /** A floor: no limit. */
    private static final class Floor extends Delegating implements BulkheadFacade {
        Floor(Wrapper wrapper) {
            super(wrapper);
        }

        @Override
        public int inFlight() {
            return 0;
        }
    }
}
