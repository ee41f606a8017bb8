package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.time.Duration;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Reactor side of an adaptive bulkhead limit: every way a call holds a permit (the Mono and
 * Flux operators, a fused pipeline, a call that waited) times the call from its permit to its
 * outcome with the bulkhead's ticker, on virtual time, and feeds the limit; a cancel gives no
 * sample.
 */
class AdaptiveLimitOperatorTest {

    enum Route {
        MONO, FLUX, PIPELINE_MONO, PIPELINE_FLUX;

        <T> Function<Publisher<T>, Publisher<T>> around(Bulkhead b) {
            switch (this) {
                case MONO:
                case FLUX:
                    return NineLives.bulkhead(b);
                default:
                    return NineLives.pipeline(Pipeline.builder("p").bulkhead(b)
                            .breaker(CircuitBreaker.ofDefaults("p")).build());
            }
        }

        Publisher<String> call(Duration latency, boolean fails) {
            Mono<String> m = Mono.delay(latency).flatMap(x -> fails ? Mono.error(new IllegalStateException("boom")) : Mono.just("ok"));
            return this == FLUX || this == PIPELINE_FLUX ? Flux.from(m) : m;
        }
    }

    /** One sample per window, a slow call is anything over 50 ms. */
    static Bulkhead bulkhead(int initial) {
        return Bulkhead.builder("adaptive").ticker(NineLives.schedulerTicker())
                .adaptiveLimit(AdaptiveLimit.aimd().minLimit(1).maxLimit(20).initialLimit(initial).windowSize(1)
                        .latencyThreshold(Duration.ofMillis(50)))
                .maxWait(Duration.ofSeconds(1))
                .build();
    }

    /** Guards against: a route that never measures (the limit would never move) or measures on the wrong clock. */
    @ParameterizedTest
    @EnumSource(Route.class)
    void aSlowCallAndAFailedCallLowerTheLimitAFastOneDoesNot(Route route) {
        Bulkhead b = bulkhead(10);
        StepVerifier.withVirtualTime(() -> Flux.from(route.call(Duration.ofMillis(100), false)).transform(route.around(b)))
                .expectSubscription().thenAwait(Duration.ofMillis(100)).expectNext("ok").verifyComplete();
        assertThat(b.config().maxConcurrent()).isEqualTo(9);
        StepVerifier.withVirtualTime(() -> Flux.from(route.call(Duration.ofMillis(10), false)).transform(route.around(b)))
                .expectSubscription().thenAwait(Duration.ofMillis(10)).expectNext("ok").verifyComplete();
        assertThat(b.config().maxConcurrent()).as("fast, and the bulkhead mostly idle: unchanged").isEqualTo(9);
        StepVerifier.withVirtualTime(() -> Flux.from(route.call(Duration.ofMillis(10), true)).transform(route.around(b)))
                .expectSubscription().thenAwait(Duration.ofMillis(10)).verifyErrorMessage("boom");
        assertThat(b.config().maxConcurrent()).as("a failure is a drop").isEqualTo(8);
        assertThat(b.metrics().availablePermits()).isEqualTo(8);
    }

    /** Guards against: a cancelled call counted as a sample (its latency says nothing of the dependency). */
    @ParameterizedTest
    @EnumSource(Route.class)
    void aCancelledCallGivesNoSample(Route route) {
        Bulkhead b = bulkhead(10);
        StepVerifier.withVirtualTime(() -> Flux.from(route.call(Duration.ofMillis(500), false)).transform(route.around(b)))
                .expectSubscription().thenAwait(Duration.ofMillis(200)).thenCancel().verify();
        assertThat(b.config().maxConcurrent()).isEqualTo(10);
        assertThat(b.metrics().availablePermits()).isEqualTo(10);
    }

    /**
     * Guards against: a waiter timed from when it queued instead of from its permit (30 ms of
     * waiting plus 30 ms of call would count as slow and lower the limit).
     */
    @ParameterizedTest
    @EnumSource(Route.class)
    void aCallThatWaitedIsTimedFromItsPermit(Route route) {
        Bulkhead b = bulkhead(2);
        StepVerifier.withVirtualTime(() -> Flux.merge(
                                Flux.from(route.call(Duration.ofMillis(30), false)).transform(route.around(b)),
                                Flux.from(route.call(Duration.ofMillis(30), false)).transform(route.around(b)),
                                Flux.from(route.call(Duration.ofMillis(30), false)).transform(route.around(b))))
                .expectSubscription().thenAwait(Duration.ofMillis(60)).expectNextCount(3).verifyComplete();
        assertThat(b.config().maxConcurrent()).as("grew twice, while the bulkhead was at least half used; never lowered").isEqualTo(4);
        assertThat(b.metrics().availablePermits()).isEqualTo(4);
    }

    /**
     * Guards against: a call refused by the pipeline's OPEN breaker (inside the bulkhead) counted
     * as a failed sample; every outage would then drive an AIMD limit to its minimum, though the
     * dependency was never asked.
     */
    @ParameterizedTest
    @EnumSource(value = Route.class, names = {"PIPELINE_MONO", "PIPELINE_FLUX"})
    void aCallRefusedByTheBreakerInsideGivesNoSample(Route route) {
        Bulkhead b = bulkhead(10);
        CircuitBreaker open = CircuitBreaker.ofDefaults("open");
        open.transitionTo(CircuitBreaker.State.OPEN);
        Function<Publisher<String>, Publisher<String>> pipeline =
                NineLives.pipeline(Pipeline.builder("p").bulkhead(b).breaker(open).build());
        for (int i = 0; i < 3; i++) {
            StepVerifier.withVirtualTime(() -> Flux.from(route.call(Duration.ofMillis(10), false)).transform(pipeline))
                    .expectSubscription().verifyError(dev.ninelives.breaker.CallNotPermittedException.class);
        }
        assertThat(b.config().maxConcurrent()).as("refusals are no drops").isEqualTo(10);
        assertThat(b.metrics().availablePermits()).isEqualTo(10);
    }
}
