package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hedge as a pipeline stage: inside the retry, outside the breaker and the attempt timeout. */
class PipelineHedgeTest {

    private VirtualTimeScheduler vts;

    @BeforeEach
    void virtualTime() {
        vts = VirtualTimeScheduler.getOrSet();
    }

    @AfterEach
    void reset() {
        VirtualTimeScheduler.reset();
    }

    private static Hedge hedge(long delayMs, int maxHedges) {
        return Hedge.builder("h").delay(Duration.ofMillis(delayMs)).maxHedges(maxHedges).budget(1.0, 1000).build();
    }

    @Test
    void explainPutsTheHedgeBetweenTheRetryAndTheBreaker() {
        Pipeline p = Pipeline.builder("search").breaker(CircuitBreaker.ofDefaults("b")).hedge(hedge(100, 2))
                .retry(Retry.builder("r").maxAttempts(2).build()).attemptTimeout(Duration.ofMillis(300)).build();
        String plan = p.explain();
        assertThat(plan).containsSubsequence("retry 'r'", "hedge 'h'", "circuit breaker 'b'", "attempt timeout", "the source");
        assertThat(plan).contains("after 100ms", "up to 2", "a permit of the breaker below", "Mono calls only");
        assertThat(Pipeline.builder("a").hedge(Hedge.builder("h").delayPercentile(95).build()).build().explain())
                .contains("the p95 of recent latency (at least 1ms)");
        assertThat(p.hedge()).isPresent();
        assertThat(p.toBuilder("copy").build().hedge()).containsSame(p.hedge().orElseThrow());
        assertThatThrownBy(() -> Pipeline.builder("x").hedge(hedge(1, 1)).hedge(hedge(1, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("hedge");
        assertThatThrownBy(() -> Pipeline.builder("x").hedge(null)).hasMessageContaining("hedge");
    }

    @Test
    void aPipelineWithAHedgeRefusesAFlux() {
        Pipeline p = Pipeline.builder("search").hedge(hedge(100, 1)).retry(Retry.ofDefaults("r")).build();
        assertThatThrownBy(() -> Flux.just(1).transform(NineLives.pipeline(p)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Mono only");
    }

    /** Each hedge takes a breaker permit of its own; an open breaker refuses the hedge and the first attempt goes on. */
    @Test
    void anOpenBreakerRefusesTheHedge() {
        CircuitBreaker b = CircuitBreaker.builder("b").ticker(NineLives.schedulerTicker()).build();
        Hedge h = hedge(100, 1);
        Pipeline p = Pipeline.builder("search").breaker(b).hedge(h).build();
        AtomicInteger subscribed = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> {
            subscribed.incrementAndGet();
            return Mono.delay(Duration.ofMillis(300)).thenReturn("v");
        });
        StepVerifier.create(source.transform(NineLives.pipeline(p)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(50)))
                .then(() -> b.transitionTo(CircuitBreaker.State.OPEN))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(250)))
                .expectNext("v")
                .verifyComplete();
        assertThat(subscribed).hasValue(1);
        assertThat(h.metrics().refusedByBreaker()).isEqualTo(1);
        assertThat(h.metrics().hedgesIssued()).isZero();
        assertThat(h.metrics().budgetTokens()).as("the token went back").isEqualTo(1000.0);
    }

    /** The attempt timeout is per attempt: a hung first attempt times out, its hedge answers. */
    @Test
    void eachHedgeHasItsOwnAttemptTimeoutAndBreakerPermit() {
        CircuitBreaker b = CircuitBreaker.builder("b").ticker(NineLives.schedulerTicker()).build();
        b.transitionTo(CircuitBreaker.State.HALF_OPEN);
        List<String> recorded = new ArrayList<>();
        b.onCallRecorded(e -> recorded.add(e.outcome().toString()));
        Pipeline p = Pipeline.builder("search").breaker(b).hedge(hedge(100, 1)).attemptTimeout(Duration.ofMillis(150)).build();
        AtomicInteger n = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> n.getAndIncrement() == 0 ? Mono.never() : Mono.delay(Duration.ofMillis(200)).thenReturn("late"));
        StepVerifier.create(source.transform(NineLives.pipeline(p)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(150)))  // the first attempt times out, the hedge runs
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(100)))  // the hedge times out at 250
                .expectError(TimeoutExceededException.class)
                .verify();
        assertThat(recorded).hasSize(2);
        assertThat(freeTrialSlots(b)).as("both permits back").isEqualTo(b.config().permittedCallsInHalfOpen() - 2);
    }

    /** A call whose attempt and hedges all fail is retried, and the retry is hedged again. */
    @Test
    void theRetryFollowsACallWhoseAttemptsAllFailed() {
        AtomicInteger n = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> {
            int i = n.getAndIncrement();
            return i < 2 ? Mono.delay(Duration.ofMillis(150)).then(Mono.error(new IllegalStateException("down " + i)))
                    : Mono.delay(Duration.ofMillis(10)).thenReturn("v" + i);
        });
        Pipeline p = Pipeline.builder("search").hedge(hedge(100, 1))
                .retry(Retry.builder("r").maxAttempts(2).noBackoff().build()).build();
        StepVerifier.create(source.transform(NineLives.pipeline(p)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(250)))  // both fail, at 150 and 250
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(10)))
                .expectNext("v2")
                .verifyComplete();
    }

    /**
     * Guards against breaker and bulkhead permits leaked by hedges cancelled in every phase: a
     * seeded storm of calls on virtual time, each with random latencies, errors and a random
     * cancel, through a bulkhead, a retry, the hedge and a half-open breaker. Afterwards every
     * bulkhead permit is free and the breaker's free trial slots are exactly its permitted ones
     * minus the outcomes it recorded.
     */
    @Test
    void noPermitLeaksUnderSeededCancelStorms() {
        for (long seed = 1; seed <= 20; seed++) {
            Random r = new Random(seed);
            CircuitBreaker b = CircuitBreaker.builder("b").permittedCallsInHalfOpen(1023).ticker(NineLives.schedulerTicker()).build();
            b.transitionTo(CircuitBreaker.State.HALF_OPEN);
            AtomicInteger recorded = new AtomicInteger();
            b.onCallRecorded(e -> recorded.incrementAndGet());
            Bulkhead bh = Bulkhead.builder("bh").maxConcurrent(1000).build();
            Hedge h = Hedge.builder("h").delay(Duration.ofMillis(20)).maxHedges(1 + r.nextInt(3)).budget(0.5, 50).build();
            Pipeline p = Pipeline.builder("storm").bulkhead(bh).breaker(b).hedge(h)
                    .retry(Retry.builder("r").maxAttempts(2).noBackoff().build())
                    .attemptTimeout(Duration.ofMillis(70)).build();
            List<Disposable> calls = new ArrayList<>();
            for (int c = 0; c < 60; c++) {
                Mono<Integer> source = Mono.defer(() -> {
                    long ms = r.nextInt(100);
                    return r.nextInt(5) == 0 ? Mono.delay(Duration.ofMillis(ms)).then(Mono.error(new IllegalStateException()))
                            : Mono.delay(Duration.ofMillis(ms)).thenReturn(1);
                });
                calls.add(source.transform(NineLives.pipeline(p)).subscribe(v -> { }, e -> { }));
            }
            for (int step = 0; step < 60; step++) {
                vts.advanceTimeBy(Duration.ofMillis(r.nextInt(10)));
                calls.get(r.nextInt(calls.size())).dispose();
            }
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(bh.metrics().availablePermits()).as("seed " + seed).isEqualTo(1000);
            assertThat(freeTrialSlots(b)).as("seed " + seed).isEqualTo(1023 - recorded.get());
        }
    }

    static int freeTrialSlots(CircuitBreaker b) {
        List<Long> permits = new ArrayList<>();
        for (long p; (p = b.tryAcquire()) >= 0; ) {
            permits.add(p);
        }
        permits.forEach(b::release);
        return permits.size();
    }
}
