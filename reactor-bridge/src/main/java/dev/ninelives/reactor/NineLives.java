package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.function.Function;

/**
 * The entry point of NineLives for Reactor: resilience operators for {@code transform}.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.ofDefaults("quotes");
 *
 * Mono<Quote> quote = client.quote(id)
 *     .transform(NineLives.breaker(breaker));
 * }</pre>
 */
public final class NineLives {

    private NineLives() {
    }

    /**
     * Protects a Mono, a Flux or any Publisher with a circuit breaker. A Mono stays a Mono, a
     * Flux stays a Flux, any other Publisher becomes a Flux. Nothing happens per call until
     * subscription, so {@code transform} and {@code transformDeferred} behave the same, and one
     * transformed publisher can be subscribed many times: each subscription is one call.
     *
     * <p>What the operator does on each signal:
     * <ul>
     *   <li><b>subscribe</b>: asks the breaker for a permit ({@link CircuitBreaker#tryAcquire()},
     *       at most one CAS). Refused: the subscriber gets {@code onSubscribe} then
     *       {@code onError(CallNotPermittedException)}, and the source is never subscribed.</li>
     *   <li><b>first {@code onNext}</b> of a Mono: success, recorded at once. A Flux's elements
     *       pass through untouched: no allocation and no atomic write per element.</li>
     *   <li><b>{@code onComplete}</b>: success, if nothing was recorded yet (an empty Mono, any Flux).</li>
     *   <li><b>{@code onError}</b>: a failure if the breaker's failure predicate accepts the error,
     *       otherwise the permit is released unrecorded.</li>
     *   <li><b>{@code cancel}</b> before an outcome: the permit is released and nothing is
     *       recorded; for a Flux that had delivered at least one element, a success.</li>
     *   <li><b>slow calls</b> (when configured) are measured from subscription to outcome.</li>
     * </ul>
     * The outcome is recorded exactly once, by whichever of these signals comes first, so a
     * cancelled trial call in HALF_OPEN returns its permit and the breaker cannot get stuck.
     *
     * <p>Testing with virtual time takes one line of setup, the breaker's ticker. Open the
     * breaker inside the supplier, once {@code withVirtualTime} has installed its clock:
     * <pre>{@code
     * CircuitBreaker breaker = CircuitBreaker.builder("quotes")
     *     .ticker(NineLives.schedulerTicker())          // the one line: read Reactor's (virtual) clock
     *     .openDuration(Duration.ofSeconds(30))
     *     .build();
     *
     * StepVerifier.withVirtualTime(() -> {
     *         breaker.transitionTo(CircuitBreaker.State.OPEN);      // opened at virtual time 0
     *         return Mono.just("quote").transform(NineLives.breaker(breaker))
     *             .delaySubscription(Duration.ofSeconds(30));      // the call comes 30 s later
     *     })
     *     .expectSubscription()
     *     .thenAwait(Duration.ofSeconds(30))            // OPEN becomes HALF_OPEN; the trial call succeeds
     *     .expectNext("quote")
     *     .verifyComplete();
     * }</pre>
     *
     * @param breaker the circuit breaker; one breaker is usually shared by every call to a dependency
     * @param <T>     the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code breaker} is null
     */
    @SuppressWarnings("unchecked")
    public static <T> Function<Publisher<T>, Publisher<T>> breaker(CircuitBreaker breaker) {
        Check.notNull(breaker, "breaker");
        return source -> {
            if (source instanceof Mono) {
                return MonoBreaker.assemble((Mono<T>) source, breaker);
            }
            return FluxBreaker.assemble(Flux.from(source), breaker);
        };
    }

    /**
     * Tells whether {@code error} is a circuit breaker's refusal.
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link CallNotPermittedException}
     */
    public static boolean isCallNotPermitted(Throwable error) {
        return error instanceof CallNotPermittedException;
    }

    /**
     * Returns a ticker that reads the clock of {@code Schedulers.parallel()} at every call.
     * Under {@code StepVerifier.withVirtualTime} that scheduler is the virtual-time scheduler,
     * so {@code thenAwait(...)} moves every policy built with this ticker: open durations,
     * time-based windows, slow calls. Outside virtual time it follows Reactor's scheduler
     * clock, which is wall-clock time in milliseconds; production code should keep the
     * default {@link Ticker#system()}.
     *
     * @return a ticker on Reactor's scheduler clock
     */
    public static Ticker schedulerTicker() {
        return SchedulerTicker.INSTANCE;
    }
}
