package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cancellation storms on real threads. Guards against the bugs Resilience4j users reported as
 * #1681 and #2120: a breaker stuck in HALF_OPEN because {@code Mono.zip} cancelled siblings or a
 * {@code flatMap} fan-out was cut short, and trial permits that leak on cancel. After each storm
 * the breaker must be where the semantics table says and every trial slot must be accounted for:
 * exactly {@code permitted - recorded} further permits are granted. The bulkhead goes through
 * the same storms saturated, with callers waiting in its queue: whatever cancels whom on which
 * thread, every permit comes back exactly once and nobody is left counted in the queue.
 */
class CancellationStormTest {

    private static final Duration SAFETY = Duration.ofSeconds(60); // a hang fails the test instead of the build

    /**
     * Every asynchronous step of a storm runs here, so that {@link #quiesce()} can wait for the
     * stragglers: a worker that won its permit's CAS just before a cancel may still be recording
     * when the pipeline has already completed downstream.
     */
    private final java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newFixedThreadPool(4);
    private final reactor.core.scheduler.Scheduler pool = Schedulers.fromExecutorService(executor);

    /** Bulkhead wait timeouts on a clock that never moves: a waiter leaves the queue only by a permit or a cancel. */
    private final VirtualTimeScheduler frozen = VirtualTimeScheduler.create();

    /** Waits until every task of the storm has finished (a happens-before edge, not a sleep). */
    private void quiesce() throws InterruptedException {
        executor.shutdown();
        assertThat(executor.awaitTermination(SAFETY.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }

    @org.junit.jupiter.api.AfterEach
    void stopPool() {
        executor.shutdownNow();
        frozen.dispose();
    }

    private static CircuitBreaker halfOpen(int permitted) {
        CircuitBreaker b = CircuitBreaker.builder("storm").permittedCallsInHalfOpen(permitted).failureRateThreshold(50).build();
        b.transitionTo(State.HALF_OPEN);
        return b;
    }

    /** Takes every free trial slot, then gives them all back; returns how many there were. */
    private static int freeTrialSlots(CircuitBreaker b) {
        List<Long> permits = new ArrayList<>();
        for (long p; (p = b.tryAcquire()) >= 0; ) {
            permits.add(p);
        }
        permits.forEach(b::release);
        return permits.size();
    }

    private Mono<Integer> zipWhereOneFails(CircuitBreaker b) {
        Mono<Integer> failing = Mono.<Integer>error(new IOException("down")).subscribeOn(pool);
        Mono<Integer> pending = Mono.never();
        return Mono.zip(failing.transform(NineLives.breaker(b)),
                        pending.transform(NineLives.breaker(b)),
                        pending.transform(NineLives.breaker(b)))
                .map(t -> 1)
                .onErrorResume(IOException.class, e -> Mono.just(0));
    }

    /**
     * The fused pipeline's own race: a cancel on another thread while an attempt takes its
     * breaker permit (the stacked breaker returned such a permit when its subscription was
     * cancelled; the fused subscriber must report it through the retry's slot). Calls are
     * subscribed on the pool and cancelled from another pool thread at once, Mono and Flux, with
     * immediate retries; afterwards every trial slot is free or recorded, and every bulkhead
     * permit is back.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "mono={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void cancellingFusedPipelinesAsTheyStartLeaksNoPermit(boolean mono) throws InterruptedException {
        List<CircuitBreaker> breakers = new ArrayList<>();
        List<dev.ninelives.bulkhead.Bulkhead> bulkheads = new ArrayList<>();
        for (int round = 0; round < 5; round++) {                 // 300 calls of up to 3 attempts: under 1000 trials a round
            CircuitBreaker b = halfOpen(1000);
            dev.ninelives.bulkhead.Bulkhead bulkhead = dev.ninelives.bulkhead.Bulkhead.builder("stormPipeline").maxConcurrent(64).build();
            breakers.add(b);
            bulkheads.add(bulkhead);
            Pipeline p = Pipeline.builder("storm").breaker(b).bulkhead(bulkhead)
                    .retry(dev.ninelives.retry.Retry.builder("storm").maxAttempts(3).noBackoff().build()).build();
            java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
            org.reactivestreams.Publisher<Integer> source = mono
                    ? Mono.defer(() -> attempts.incrementAndGet() % 3 == 0 ? Mono.just(1) : Mono.<Integer>error(new IOException("down")))
                    : Flux.defer(() -> attempts.incrementAndGet() % 3 == 0 ? Flux.just(1, 2) : Flux.<Integer>error(new IOException("down")));
            Flux.range(0, 300).flatMap(i -> {
                reactor.core.publisher.Sinks.Empty<Void> stop = reactor.core.publisher.Sinks.empty();
                Flux<Integer> call = Flux.from(NineLives.<Integer>pipeline(p).apply(source)).subscribeOn(pool)
                        .takeUntilOther(stop.asMono());
                pool.schedule(stop::tryEmitEmpty);                 // cancel from another thread, at once
                return call.onErrorResume(e -> Mono.empty());
            }, 32).blockLast(SAFETY);
        }
        quiesce();
        for (int round = 0; round < breakers.size(); round++) {
            CircuitBreaker b = breakers.get(round);
            assertThat(bulkheads.get(round).metrics().inFlight()).as("round %d: every bulkhead permit back", round).isZero();
            assertThat(b.state()).isEqualTo(State.HALF_OPEN);
            int recorded = b.metrics().calls();
            assertThat(freeTrialSlots(b) + recorded).as("round %d: every trial slot free or recorded", round).isEqualTo(1000);
        }
    }

    @Test
    void zipCancellingSiblingsInClosedRecordsOnlyTheFailures() throws InterruptedException {
        CircuitBreaker b = CircuitBreaker.builder("closedStorm").slidingWindow(8_000).minimumNumberOfCalls(8_000)
                .failureRateThreshold(100).build();
        Flux.range(0, 300).flatMap(i -> zipWhereOneFails(b), 16).blockLast(SAFETY);
        quiesce();
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.failures()).isEqualTo(300);
        assertThat(m.calls()).as("cancelled siblings are released, never recorded").isEqualTo(300);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void zipCancellingSiblingsInHalfOpenReturnsTheirTrialPermits() throws InterruptedException {
        CircuitBreaker b = halfOpen(1000);
        Flux.range(0, 200).flatMap(i -> zipWhereOneFails(b), 16).blockLast(SAFETY);
        quiesce();
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(b.metrics().calls()).isEqualTo(200);
        assertThat(b.metrics().failures()).isEqualTo(200);
        assertThat(freeTrialSlots(b)).as("no trial permit leaked").isEqualTo(800);

        Flux.range(0, 800).flatMap(i -> Mono.just(i).transform(NineLives.breaker(b))).blockLast(SAFETY);
        assertThat(b.state()).as("200 of 1000 trials failed: 20% < 50%").isEqualTo(State.CLOSED);
    }

    @Test
    void takeOneOnAFluxInHalfOpenIsASuccessAndFreesNothingElse() throws InterruptedException {
        CircuitBreaker b = halfOpen(1000);
        Flux.range(0, 500)
                .flatMap(i -> Flux.range(0, 10).subscribeOn(pool).transform(NineLives.breaker(b)).take(1), 16)
                .blockLast(SAFETY);
        quiesce();
        assertThat(b.metrics().calls()).isEqualTo(500);
        assertThat(b.metrics().failures()).isZero();
        assertThat(freeTrialSlots(b)).isEqualTo(500);
    }

    @Test
    void aFlatMapFanOutCutShortReturnsItsTrialPermits() throws InterruptedException {
        CircuitBreaker b = halfOpen(1000);
        for (int round = 0; round < 50; round++) {
            Flux.range(0, 20)
                    .flatMap(i -> Mono.just(i).subscribeOn(pool).transform(NineLives.breaker(b)), 8)
                    .take(3)
                    .blockLast(SAFETY);
        }
        quiesce();
        int recorded = b.metrics().calls();
        assertThat(recorded).isBetween(150, 1000);
        assertThat(b.metrics().failures()).isZero();
        assertThat(freeTrialSlots(b)).isEqualTo(1000 - recorded);
    }

    @Test
    void aDownstreamTimeoutRacingTheValueNeverLeaksAPermit() throws InterruptedException {
        CircuitBreaker b = halfOpen(1000);
        Flux.range(0, 600)
                .flatMap(i -> Mono.just(i).publishOn(pool).transform(NineLives.breaker(b))
                        // the timeout fires on another thread at once: it races the value
                        .timeout(Mono.just(0L).subscribeOn(pool))
                        .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.just(-1)), 16)
                .blockLast(SAFETY);
        quiesce();
        int recorded = b.metrics().calls();
        assertThat(b.metrics().failures()).as("a timeout downstream is a cancel, not a failure").isZero();
        assertThat(recorded).isLessThanOrEqualTo(600);
        if (b.state() == State.HALF_OPEN) {
            assertThat(freeTrialSlots(b)).isEqualTo(1000 - recorded);
        }
    }

    @Test
    void aDownstreamTimeoutInClosedReleasesWithoutRecording() throws InterruptedException {
        CircuitBreaker b = CircuitBreaker.builder("closedTimeout").slidingWindow(8_000).minimumNumberOfCalls(8_000).build();
        Flux.range(0, 300)
                .flatMap(i -> Mono.never().transform(NineLives.breaker(b))
                        .timeout(Mono.just(0L).subscribeOn(pool))
                        .onErrorResume(e -> Mono.empty()), 16)
                .blockLast(SAFETY);
        quiesce();
        assertThat(b.metrics().calls()).isZero();
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void halfOpenAdmitsExactlyItsTrialsUnderConcurrentSubscribers() throws InterruptedException {
        CircuitBreaker b = halfOpen(5);
        List<Integer> admitted = Flux.range(0, 400)
                .flatMap(i -> Mono.<Integer>never().subscribeOn(pool).transform(NineLives.breaker(b))
                        .timeout(Mono.just(0L).subscribeOn(pool))
                        .map(x -> 1)
                        .onErrorResume(e -> Mono.just(NineLives.isCallNotPermitted(e) ? 0 : 1)), 64)
                .collectList().block(SAFETY);
        quiesce();
        assertThat(admitted).hasSize(400);
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(freeTrialSlots(b)).as("every timed-out trial came back").isEqualTo(5);
    }

    // ------------------------------------------------------------------ a saturated bulkhead

    private static Bulkhead saturated(String name, int permits) {
        // FIFO: a zip's failing member always queues before its own siblings, so the storm cannot deadlock
        return Bulkhead.builder(name).maxConcurrent(permits).maxWait(Duration.ofMinutes(1)).maxQueued(10_000).build();
    }

    private void assertEveryPermitBack(Bulkhead b, BulkheadTestSupport.Events events) {
        BulkheadTestSupport.assertAllPermitsBack(b);
        assertThat(events.finished).as("each permit returned exactly once").hasValue(events.permitted.size());
        assertThat(events.rejected).as("nobody was refused or timed out").isEmpty();
    }

    /**
     * Guards against permits lost when {@code Mono.zip} cancels siblings that hold a permit or
     * wait for one, while the failing member's error (on a pool thread) hands its permit to the
     * next waiter.
     */
    @Test
    void zipCancellingSiblingsInASaturatedBulkheadReturnsEveryPermit() throws InterruptedException {
        Bulkhead b = saturated("zipStorm", 4);
        BulkheadTestSupport.Events events = new BulkheadTestSupport.Events(b);
        List<Integer> results = Flux.range(0, 300)
                .flatMap(i -> Mono.zip(
                                Mono.<Integer>error(new IOException("down")).subscribeOn(pool).transform(NineLives.bulkhead(b, frozen)),
                                Mono.<Integer>never().transform(NineLives.bulkhead(b, frozen)),
                                Mono.<Integer>never().transform(NineLives.bulkhead(b, frozen)))
                        .map(t -> 1)
                        .onErrorResume(IOException.class, e -> Mono.just(0)), 16)
                .collectList().block(SAFETY);
        quiesce();
        assertThat(results).hasSize(300).containsOnly(0);
        assertEveryPermitBack(b, events);
    }

    /**
     * Guards against a leak when downstream timeouts, firing on pool threads, cancel calls that
     * hold a permit and calls still waiting, while those cancels hand permits to other waiters.
     */
    @Test
    void downstreamTimeoutsCancellingHoldersAndWaitersReturnEveryPermit() throws InterruptedException {
        Bulkhead b = saturated("timeoutStorm", 5);
        BulkheadTestSupport.Events events = new BulkheadTestSupport.Events(b);
        List<Integer> results = Flux.range(0, 600)
                .flatMap(i -> Mono.<Integer>never().transform(NineLives.bulkhead(b, frozen))
                        .timeout(Mono.just(0L).subscribeOn(pool))
                        .onErrorResume(java.util.concurrent.TimeoutException.class, e -> Mono.just(-1)), 64)
                .collectList().block(SAFETY);
        quiesce();
        assertThat(results).hasSize(600).containsOnly(-1);
        assertEveryPermitBack(b, events);
        assertThat(events.permitted.size()).as("some calls got a permit before their timeout").isPositive();
    }

    /**
     * Guards against a leak when {@code take(1)} cancels a Flux right after its first element,
     * emitted on a pool thread, racing the permit's hand-over to the next waiting Flux.
     */
    @Test
    void takeOneOnFluxesInASaturatedBulkheadReturnsEveryPermit() throws InterruptedException {
        Bulkhead b = saturated("takeStorm", 3);
        BulkheadTestSupport.Events events = new BulkheadTestSupport.Events(b);
        List<Integer> firsts = Flux.range(0, 500)
                .flatMap(i -> Flux.range(i * 10, 10).subscribeOn(pool).transform(NineLives.bulkhead(b, frozen)).take(1), 16)
                .collectList().block(SAFETY);
        quiesce();
        assertThat(firsts).hasSize(500).allSatisfy(v -> assertThat(v % 10).isZero());
        assertEveryPermitBack(b, events);
        assertThat(events.permitted).as("every call ran, once").hasSize(500);
    }
}
