package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * The pipeline's contract beyond its stages' own: the order is the library's whatever order the
 * builder was given, the plan reads as it runs, and bad input is refused at the call.
 */
class PipelineTest {

    private final CircuitBreaker breaker = CircuitBreaker.builder("inventory").slidingWindow(10).minimumNumberOfCalls(10).build();
    private final Retry retry = Retry.builder("inventory").maxAttempts(3).noBackoff().build();
    private final Bulkhead bulkhead = Bulkhead.builder("inventory").maxConcurrent(1).build();

    private Pipeline inOrder() {
        return Pipeline.builder("inventory").bulkhead(bulkhead).retry(retry).breaker(breaker).build();
    }

    private Pipeline reversed() {
        return Pipeline.builder("inventory").breaker(breaker).retry(retry).bulkhead(bulkhead).build();
    }

    /**
     * Guards against: a pipeline that applies its stages in the order they were declared. Whatever
     * the order, every attempt reaches the breaker (three attempts, three calls recorded) and the
     * call holds one bulkhead permit across its attempts (a second call meanwhile is refused).
     */
    @Test
    void theOrderIsThePipelinesWhateverTheBuilderWasGiven() {
        for (Pipeline p : new Pipeline[] {inOrder(), reversed()}) {
            CircuitBreaker b = p.breaker().orElseThrow();
            b.reset();
            AtomicInteger subscriptions = new AtomicInteger();
            TestPublisher<String> third = TestPublisher.create();
            Mono<String> call = Mono.defer(() -> subscriptions.incrementAndGet() < 3
                    ? Mono.<String>error(new IOException("down")) : third.mono());
            StepVerifier.create(call.transform(NineLives.pipeline(p)))
                    .then(() -> {
                        assertThat(subscriptions).as("the retry made its attempts").hasValue(3);
                        assertThat(b.metrics().failures()).as("each attempt reached the breaker").isEqualTo(2);
                        assertThat(bulkhead.metrics().inFlight()).as("one permit for the whole call").isEqualTo(1);
                        StepVerifier.create(Mono.just("other").transform(NineLives.pipeline(p)))
                                .verifyError(dev.ninelives.bulkhead.BulkheadFullException.class);
                    })
                    .then(() -> third.emit("stock"))
                    .expectNext("stock")
                    .verifyComplete();
            assertThat(b.metrics().calls()).isEqualTo(3);
            assertThat(bulkhead.metrics().inFlight()).isZero();
        }
        assertThat(inOrder().explain()).isEqualTo(reversed().explain());
    }

    /**
     * Guards against a rate limiter inside the bulkhead: a call refused for rate must not take a
     * bulkhead permit, and one that waits for its instant must not hold one while it waits. The
     * rate limiter is outermost whatever the builder's order, and a fallback covers its refusal.
     */
    @Test
    void theRateLimiterIsOutermost() {
        reactor.test.scheduler.VirtualTimeScheduler vts = reactor.test.scheduler.VirtualTimeScheduler.getOrSet();
        try {
            Bulkhead one = Bulkhead.builder("rated").maxConcurrent(1).build();
            dev.ninelives.ratelimit.RateLimiter rl = dev.ninelives.ratelimit.RateLimiter.builder("rated").limitForPeriod(10)
                    .burst(1).maxWait(Duration.ofMillis(100)).ticker(NineLives.schedulerTicker()).build();
            Pipeline p = Pipeline.builder("rated").retry(retry).rateLimiter(rl).bulkhead(one).build();
            assertThat(p.explain().lines().toList().get(1)).startsWith("  1. rate limiter 'rated'");
            assertThat(p.rateLimiter()).containsSame(rl);
            TestPublisher<String> first = TestPublisher.create();
            StepVerifier.create(first.mono().transform(NineLives.pipeline(p)))
                    .then(() -> {
                        assertThat(one.metrics().inFlight()).isEqualTo(1);
                        AtomicInteger reached = new AtomicInteger();
                        Mono<String> waiting = Mono.fromCallable(() -> "w" + reached.incrementAndGet())
                                .transform(NineLives.pipeline(p));
                        waiting.subscribe();                    // waits 100 ms for its rate permit
                        assertThat(one.metrics().rejectedCalls()).as("the waiter asked the bulkhead nothing yet").isZero();
                        StepVerifier.create(Mono.just("refused").transform(NineLives.pipeline(p, Fallback.toValue("fell back"))))
                                .expectNext("fell back")
                                .verifyComplete();
                        assertThat(one.metrics().rejectedCalls()).as("a refusal for rate took no bulkhead permit").isZero();
                        assertThat(rl.metrics().refusedCalls()).isEqualTo(1);
                    })
                    .then(() -> first.emit("first"))
                    .expectNext("first")
                    .verifyComplete();
            vts.advanceTimeBy(Duration.ofMillis(100));
            assertThat(one.metrics().inFlight()).isZero();
            assertThat(rl.metrics().waiting()).isZero();
        } finally {
            reactor.test.scheduler.VirtualTimeScheduler.reset();
        }
    }

    @Test
    void explainSaysTheStagesInTheOrderACallMeetsThem() {
        String plan = reversed().explain();
        assertThat(plan.lines()).hasSize(5);
        assertThat(plan.lines().toList().get(0)).isEqualTo("pipeline 'inventory': a call meets, in this order,");
        assertThat(plan.lines().toList().get(1)).isEqualTo(
                "  1. bulkhead 'inventory': one permit per call, held across its attempts; at most 1 at once, the others refused at once");
        assertThat(plan.lines().toList().get(2)).isEqualTo(
                "  2. retry 'inventory': up to 3 attempts, no delay between them; each attempt goes through the stages below");
        assertThat(plan.lines().toList().get(3)).isEqualTo("  3. circuit breaker 'inventory': a permit per attempt, its outcome"
                + " recorded; opens at 50% failures over the last 10 calls (at least 10), stays open 1m, then admits 10 trial calls");
        assertThat(plan.lines().toList().get(4)).isEqualTo("  4. the source");
        assertThat(Pipeline.builder("empty").build().explain())
                .isEqualTo("pipeline 'empty': a call meets, in this order,\n  1. the source");
    }

    @Test
    void aMonoStaysAMonoAndAFluxAFlux() {
        Function<Publisher<Integer>, Publisher<Integer>> p = NineLives.pipeline(inOrder());
        assertThat(Mono.just(1).transform(p)).isInstanceOf(Mono.class);
        assertThat(Flux.just(1, 2).transform(p)).isInstanceOf(Flux.class);
        StepVerifier.create(Flux.range(1, 5).transform(p), 0)
                .thenRequest(2).expectNext(1, 2)
                .thenRequest(3).expectNext(3, 4, 5)
                .verifyComplete();
        assertThat(bulkhead.metrics().inFlight()).isZero();
        assertThat(breaker.metrics().successes()).isEqualTo(1);
    }

    @Test
    void anEmptyPipelinePassesEverythingThrough() {
        Pipeline empty = Pipeline.builder("nothing").build();
        StepVerifier.create(Mono.just("v").transform(NineLives.pipeline(empty))).expectNext("v").verifyComplete();
        assertThat(empty.bulkhead()).isEmpty();
        assertThat(empty.retry()).isEmpty();
        assertThat(empty.breaker()).isEmpty();
        assertThat(empty.scheduler()).isEmpty();
    }

    @Test
    void badInputIsRefusedAtTheCall() {
        assertThatNullPointerException().isThrownBy(() -> Pipeline.builder(null)).withMessageContaining("name");
        assertThatIllegalArgumentException().isThrownBy(() -> Pipeline.builder(" ")).withMessageContaining("' '");
        Pipeline.Builder b = Pipeline.builder("twice");
        assertThatNullPointerException().isThrownBy(() -> b.breaker(null)).withMessageContaining("breaker");
        assertThatNullPointerException().isThrownBy(() -> b.retry(null)).withMessageContaining("retry");
        assertThatNullPointerException().isThrownBy(() -> b.bulkhead(null)).withMessageContaining("bulkhead");
        assertThatNullPointerException().isThrownBy(() -> b.scheduler(null)).withMessageContaining("scheduler");
        assertThatNullPointerException().isThrownBy(() -> NineLives.pipeline(null)).withMessageContaining("pipeline");
        b.breaker(breaker);
        assertThatIllegalStateException().isThrownBy(() -> b.breaker(CircuitBreaker.ofDefaults("other")))
                .withMessageContaining("'twice'").withMessageContaining("breaker").withMessageContaining("'other'");
    }

    /** A builder reused after build() never changes a pipeline it built. */
    @Test
    void aBuiltPipelineIsIndependentOfItsBuilder() {
        Pipeline.Builder b = Pipeline.builder("reused").breaker(breaker);
        Pipeline first = b.build();
        b.retry(retry);
        assertThat(first.retry()).isEmpty();
        assertThat(b.build().retry()).contains(retry);
    }

    /**
     * The fused subscriber's own race, made deterministic: the call is cancelled while its
     * attempt is inside the breaker's tryAcquire (here by the listener of the OPEN -> HALF_OPEN
     * move that the attempt itself makes), so the cancel finds no permit yet and the attempt
     * receives one afterwards. Guards against that trial permit leaking, which would leave a
     * one-trial breaker refusing every call in HALF_OPEN.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "mono={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aCancelWhileTheAttemptTakesItsBreakerPermitReturnsThePermit(boolean mono) {
        long[] now = {0};
        CircuitBreaker oneTrial = CircuitBreaker.builder("race").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).ticker(() -> now[0]).build();
        oneTrial.transitionTo(CircuitBreaker.State.OPEN);
        now[0] = Duration.ofSeconds(2).toNanos();
        org.reactivestreams.Subscription[] call = new org.reactivestreams.Subscription[1];
        oneTrial.onStateTransition(e -> {
            if (e.to() == CircuitBreaker.State.HALF_OPEN) {
                call[0].cancel();                          // the cancel lands before tryAcquire returns the permit
            }
        });
        Pipeline p = Pipeline.builder("race").breaker(oneTrial).retry(retry).build();
        AtomicInteger subscribed = new AtomicInteger();
        Publisher<String> source = mono ? Mono.fromCallable(() -> "v").doOnSubscribe(x -> subscribed.incrementAndGet())
                : Flux.just("v").doOnSubscribe(x -> subscribed.incrementAndGet());
        Publisher<String> protectedCall = NineLives.<String>pipeline(p).apply(source);
        protectedCall.subscribe(new reactor.core.CoreSubscriber<String>() {
            @Override
            public void onSubscribe(org.reactivestreams.Subscription s) {
                call[0] = s;
                s.request(1);
            }

            @Override
            public void onNext(String v) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        assertThat(oneTrial.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        long trial = oneTrial.tryAcquire();
        assertThat(trial).as("the cancelled attempt's trial permit came back").isNotNegative();
        oneTrial.release(trial);
        assertThat(oneTrial.metrics().calls()).as("nothing recorded for the cancelled attempt").isZero();
    }

    /** The call's fallback sits outside every stage: it sees the refusals and the exhausted retry, and the breaker still records. */
    @Test
    void aFallbackAtTheCallSiteCatchesWhatEveryStageDecided() {
        Pipeline p = inOrder();
        Mono<String> down = Mono.error(new IOException("down"));
        StepVerifier.create(down.transform(NineLives.pipeline(p, Fallback.toValue("cached"))))
                .expectNext("cached")
                .verifyComplete();
        assertThat(breaker.metrics().failures()).as("three attempts recorded behind the fallback").isEqualTo(3);
        assertThat(bulkhead.metrics().inFlight()).isZero();

        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
        StepVerifier.create(Flux.just(1, 2).transform(NineLives.pipeline(p, Fallback.to(Flux.just(-1)))))
                .expectNext(-1)
                .verifyComplete();
        assertThatNullPointerException().isThrownBy(() -> NineLives.pipeline(p, null)).withMessageContaining("fallback");
    }

    /**
     * Guards the cost promise of fusing: a call through bulkhead, retry and breaker that
     * succeeds allocates one subscriber beyond the bare source (compressed oops: 48 bytes for a
     * Mono; 96 for a Flux, whose retry arbiter keeps exact demand across attempts), where the
     * three stacked operators allocate three (96 and 144 bytes); a Flux's elements allocate
     * nothing.
     */
    @Test
    void aSucceedingCallThroughThreeStagesAllocatesOneSubscriber() throws Exception {
        Pipeline p = Pipeline.builder("cost").bulkhead(Bulkhead.builder("cost").maxConcurrent(4).build())
                .retry(retry).breaker(CircuitBreaker.ofDefaults("cost")).build();
        Mono<Integer> bareMono = Mono.just(1);
        Flux<Integer> bareFlux = Flux.range(0, 100);
        Mono<Integer> mono = bareMono.transform(NineLives.pipeline(p));
        Flux<Integer> flux = bareFlux.transform(NineLives.pipeline(p));
        Allocations allocations = new Allocations();
        int calls = 20_000;
        long bare = allocations.leastDuring(3, calls, () -> bareMono.subscribe(new Sink()));
        long fused = allocations.leastDuring(3, calls, () -> mono.subscribe(new Sink()));
        long bareElements = allocations.leastDuring(3, calls, () -> bareFlux.subscribe(new Sink()));
        long fusedElements = allocations.leastDuring(3, calls, () -> flux.subscribe(new Sink()));
        assertThat((fused - bare) / (double) calls).as("bytes per Mono call over the bare Mono").isLessThanOrEqualTo(48.5);
        assertThat((fusedElements - bareElements) / (double) calls).as("bytes per Flux call of 100 elements").isLessThanOrEqualTo(96.5);
    }

    /**
     * Guards the fused fallback: a call that does not fall back allocates nothing for its
     * fallback (the fallback operator's own subscriber would be 48 bytes more), a Mono or a Flux.
     */
    @Test
    void aFallbackThatIsNotTakenCostsNothing() throws Exception {
        Pipeline p = Pipeline.builder("cost").bulkhead(Bulkhead.builder("cost").maxConcurrent(4).build())
                .retry(retry).breaker(CircuitBreaker.ofDefaults("cost")).build();
        Mono<Integer> plainMono = Mono.just(1).transform(NineLives.pipeline(p));
        Mono<Integer> fallbackMono = Mono.just(1).transform(NineLives.pipeline(p, Fallback.toValue(-1)));
        Flux<Integer> plainFlux = Flux.range(0, 100).transform(NineLives.pipeline(p));
        Flux<Integer> fallbackFlux = Flux.range(0, 100).transform(NineLives.pipeline(p, Fallback.toValue(-1)));
        Allocations allocations = new Allocations();
        int calls = 20_000;
        long mono = allocations.leastDuring(3, calls, () -> plainMono.subscribe(new Sink()));
        long monoWithFallback = allocations.leastDuring(3, calls, () -> fallbackMono.subscribe(new Sink()));
        long flux = allocations.leastDuring(3, calls, () -> plainFlux.subscribe(new Sink()));
        long fluxWithFallback = allocations.leastDuring(3, calls, () -> fallbackFlux.subscribe(new Sink()));
        assertThat((monoWithFallback - mono) / (double) calls).as("bytes per Mono call for the fallback").isLessThan(0.5);
        assertThat((fluxWithFallback - flux) / (double) calls).as("bytes per Flux call for the fallback").isLessThan(0.5);
    }

    /** A subscriber that asks for everything and keeps nothing. */
    static final class Sink implements reactor.core.CoreSubscriber<Integer> {
        @Override
        public void onSubscribe(org.reactivestreams.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Integer v) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    @Test
    void delaysRunOnTheSchedulerResolvedAtSubscription() {
        Retry slow = Retry.builder("slow").maxAttempts(2).constantBackoff(Duration.ofSeconds(5)).build();
        Pipeline p = Pipeline.builder("virtual").retry(slow).build();
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> call = Mono.defer(() -> attempts.incrementAndGet() == 1 ? Mono.error(new IOException()) : Mono.just("ok"))
                .transform(NineLives.pipeline(p));
        StepVerifier.withVirtualTime(() -> call)
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(5))
                .expectNext("ok")
                .verifyComplete();
    }
}
