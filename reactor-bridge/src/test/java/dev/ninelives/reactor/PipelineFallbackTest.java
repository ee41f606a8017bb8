package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fallback a fused pipeline runs itself ({@code NineLives.pipeline(p, fallback)}): every way
 * a call can end in error reaches it, including those that end before the fused subscriber
 * exists (a bulkhead's refusal, a passed deadline) or in the bulkhead's queue, and the switch
 * keeps the rules of the fallback operator: demand, cancel, errors of the fallback itself.
 * PipelineEquivalenceTest compares the rest with the fallback operator around stacked stages.
 */
class PipelineFallbackTest {

    private final Retry retry = Retry.builder("inventory").maxAttempts(2).noBackoff().build();

    private static CircuitBreaker openBreaker() {
        CircuitBreaker b = CircuitBreaker.builder("inventory").slidingWindow(2).minimumNumberOfCalls(2).build();
        b.transitionTo(CircuitBreaker.State.OPEN);
        return b;
    }

    /** Guards against a refusal of the breaker that escapes the fused fallback. */
    @Test
    void anOpenBreakersRefusalFallsBack() {
        Pipeline p = Pipeline.builder("inventory").retry(retry).breaker(openBreaker()).build();
        List<Throwable> seen = new ArrayList<>();
        StepVerifier.create(Mono.just("live").transform(NineLives.pipeline(p, Fallback.<String>with(e -> {
                    seen.add(e);
                    return Mono.just("cached");
                }))))
                .expectNext("cached")
                .verifyComplete();
        assertThat(seen).singleElement().satisfies(e -> assertThat(NineLives.isCallNotPermitted(e)).isTrue());
    }

    /**
     * Guards against the paths that end a call before the fused subscriber exists: a full
     * bulkhead refuses, and a deadline that has passed ends the call; both fall back, and no
     * permit is left taken.
     */
    @Test
    void refusalsBeforeTheCallStartsFallBackToo() {
        Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).build();
        Pipeline p = Pipeline.builder("inventory").bulkhead(h).retry(retry).breaker(CircuitBreaker.ofDefaults("inventory")).build();
        TestPublisher<String> holding = TestPublisher.create();
        StepVerifier.create(holding.mono().transform(NineLives.pipeline(p)))
                .then(() -> StepVerifier.create(Mono.just("live").transform(NineLives.pipeline(p, Fallback.toValue("full"))))
                        .expectNext("full")
                        .verifyComplete())
                .then(() -> holding.emit("held"))
                .expectNext("held")
                .verifyComplete();
        assertThat(h.metrics().inFlight()).isZero();

        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        try {
            Deadline passed = new Deadline(clock, clock.now(TimeUnit.NANOSECONDS), Duration.ofSeconds(1),
                    TimeoutExceededException.Stage.DEADLINE);
            for (Pipeline shape : List.of(p, Pipeline.builder("no bulkhead").retry(retry).build())) {
                StepVerifier.create(Mono.just("live").transform(NineLives.pipeline(shape, Fallback.toValue("late")))
                                .contextWrite(c -> passed.writeTo(Context.of(c))))
                        .expectNext("late")
                        .verifyComplete();
            }
        } finally {
            clock.dispose();
        }
        assertThat(h.metrics().inFlight()).isZero();
    }

    /** Guards against a waiting call whose wait ends in a refusal without its fallback. */
    @Test
    void aWaitThatTimesOutFallsBack() {
        Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(Duration.ofMillis(100)).build();
        Pipeline p = Pipeline.builder("inventory").bulkhead(h).retry(retry).build();
        List<Throwable> seen = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> Mono.when(
                                Mono.delay(Duration.ofSeconds(1)).transform(NineLives.pipeline(p)),
                                Mono.just(1L).transform(NineLives.pipeline(p, Fallback.<Long>with(e -> {
                                    seen.add(e);
                                    return Mono.just(-1L);
                                }))))
                        .thenReturn("both"))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("both")
                .verifyComplete();
        assertThat(seen).singleElement().isInstanceOf(BulkheadFullException.class);
        assertThat(h.metrics().inFlight()).isZero();
    }

    /**
     * Guards against a Flux that replays, or loses demand, when it falls back after elements:
     * the fallback's elements follow those delivered, asked for exactly what downstream still
     * wants.
     */
    @Test
    void aFluxContinuesWithTheFallbackAndItsDemandIsExact() {
        Pipeline p = Pipeline.builder("inventory").breaker(CircuitBreaker.ofDefaults("inventory")).build();
        List<Long> asked = new ArrayList<>();
        Flux<Integer> fallback = Flux.range(100, 10).doOnRequest(asked::add);
        StepVerifier.create(Flux.concat(Flux.just(1, 2), Flux.<Integer>error(new IOException("down")))
                        .transform(NineLives.pipeline(p, Fallback.to(fallback))), 3)
                .expectNext(1, 2, 100)
                .thenRequest(2)
                .expectNext(101, 102)
                .thenCancel()
                .verify();
        assertThat(asked).containsExactly(1L, 2L);
    }

    /** Guards against a cancel during the fallback that leaves the fallback publisher running. */
    @Test
    void aCancelDuringTheFallbackCancelsIt() {
        TestPublisher<String> fallback = TestPublisher.create();
        Pipeline p = Pipeline.builder("inventory").retry(retry).build();
        StepVerifier.create(Mono.<String>error(new IOException("down")).transform(NineLives.pipeline(p, Fallback.to(fallback))))
                .then(() -> fallback.assertWasSubscribed())
                .thenCancel()
                .verify();
        fallback.assertCancelled();
    }

    /** Guards against a failing fallback that hides the call's own error: it rides along, suppressed. */
    @Test
    void aFailingFallbackCarriesTheCallsError() {
        Pipeline p = Pipeline.builder("inventory").retry(retry).build();
        IOException down = new IOException("down");
        StepVerifier.create(Mono.<String>error(down).transform(NineLives.pipeline(p,
                        Fallback.to(Mono.error(new IllegalStateException("cache down"))))))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(IllegalStateException.class).hasMessage("cache down");
                    assertThat(e.getSuppressed()).containsExactly(down);
                })
                .verify();
    }

    /**
     * Guards the rule for JVM-fatal errors: a fallback function that throws one ends the call
     * with it (the bulkhead's permit returned first), then it propagates.
     */
    @Test
    void aFatalErrorOfTheFallbackEndsTheCallThenPropagates() {
        Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).build();
        Pipeline p = Pipeline.builder("inventory").bulkhead(h).retry(retry).build();
        List<Throwable> signalled = new ArrayList<>();
        StackOverflowError fatal = new StackOverflowError("fallback");
        assertThatThrownBy(() -> Mono.<String>error(new IOException("down"))
                .transform(NineLives.pipeline(p, Fallback.<String>with(e -> {
                    throw fatal;
                })))
                .subscribe(v -> { }, signalled::add))
                .isSameAs(fatal);
        assertThat(signalled).containsExactly(fatal);
        assertThat(h.metrics().inFlight()).isZero();
    }
}
