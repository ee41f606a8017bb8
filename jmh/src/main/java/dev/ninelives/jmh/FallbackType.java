package dev.ninelives.jmh;

import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import io.github.resilience4j.reactor.ReactorOperatorFallbackDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The fallback implementations compared, the {@code impl} {@code @Param} of the fallback
 * benchmarks. Each delivers {@link #FALLBACK_VALUE} (a cached {@code Integer}, so the value
 * itself allocates nothing) in place of the source's error.
 *
 * <p>Resilience4j has no fallback operator of its own: its {@code resilience4j-reactor} module
 * has {@code ReactorOperatorFallbackDecorator}, which chains one Reactor
 * {@code onErrorResume(Class, ...)} per error type it is given. It is measured as it is, with
 * {@code Exception.class}, the same errors as NineLives' default.
 */
public enum FallbackType {

    /** The floor: the source itself, untransformed; no fallback. */
    BARE {
        @Override
        public FallbackFacade create() {
            return new Floor(Wrapper.BARE);
        }
    },

    /** The operator floor: the do-nothing operator of the other benchmarks ({@link PassThrough}); no fallback. */
    PASS_THROUGH {
        @Override
        public FallbackFacade create() {
            return new Floor(Wrapper.PASS_THROUGH);
        }
    },

    /** {@code source.transform(NineLives.fallback(Fallback.toValue(-1)))}: every Exception, by default. */
    NINELIVES {
        @Override
        public FallbackFacade create() {
            Fallback<Integer> fallback = Fallback.toValue(FALLBACK_VALUE);
            return new FallingBack() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    return source.transform(NineLives.fallback(fallback(fallback)));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    return source.transform(NineLives.fallback(fallback(fallback)));
                }
            };
        }
    },

    /** Reactor's own {@code source.onErrorResume(e -> Mono.just(-1))} ({@code Flux.just(-1)} for a Flux): every Throwable. */
    REACTOR_ON_ERROR_RESUME {
        @Override
        public FallbackFacade create() {
            Mono<Integer> value = Mono.just(FALLBACK_VALUE);
            Flux<Integer> values = Flux.just(FALLBACK_VALUE);
            return new FallingBack() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    Mono<T> fallback = cast(value);
                    return source.onErrorResume(e -> fallback);
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    Flux<T> fallback = cast(values);
                    return source.onErrorResume(e -> fallback);
                }
            };
        }
    },

    /**
     * Resilience4j 2.4.0: {@code ReactorOperatorFallbackDecorator.of(Exception.class, Mono.just(-1))}
     * applied to the source ({@code Flux.just(-1)} for a Flux); it wraps the source in Reactor's
     * {@code onErrorResume(Exception.class, ...)}.
     */
    RESILIENCE4J {
        @Override
        public FallbackFacade create() {
            return new FallingBack() {
                @Override
                public <T> Mono<T> mono(Mono<T> source) {
                    Mono<T> fallback = cast(Mono.just(FALLBACK_VALUE));
                    return Mono.from(ReactorOperatorFallbackDecorator.of(Exception.class, fallback).apply(source));
                }

                @Override
                public <T> Flux<T> flux(Flux<T> source) {
                    Flux<T> fallback = cast(Flux.just(FALLBACK_VALUE));
                    return Flux.from(ReactorOperatorFallbackDecorator.of(Exception.class, fallback).apply(source));
                }
            };
        }
    };

    /** What every fallback delivers in place of the error. */
    public static final Integer FALLBACK_VALUE = -1;

    /**
     * Builds a fresh fallback behind the facade.
     *
     * @return a new facade
     */
    public abstract FallbackFacade create();

    /** The benchmarks wrap Integer sources only; the facade's signature is generic. */
    @SuppressWarnings("unchecked")
    static <P> P cast(Object publisher) {
        return (P) publisher;
    }

    @SuppressWarnings("unchecked")
    static <T> Fallback<T> fallback(Fallback<Integer> fallback) {
        return (Fallback<T>) (Fallback<?>) fallback;
    }

    /** A floor: no fallback. */
    private static final class Floor extends Delegating implements FallbackFacade {
        Floor(Wrapper wrapper) {
            super(wrapper);
        }

        @Override
        public boolean fallsBack() {
            return false;
        }
    }

    /** A fallback to {@link #FALLBACK_VALUE}. */
    private abstract static class FallingBack implements FallbackFacade {
        @Override
        public boolean fallsBack() {
            return true;
        }
    }
}
