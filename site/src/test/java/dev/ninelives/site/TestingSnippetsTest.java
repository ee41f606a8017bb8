package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.breaker.StateTransitionEvent;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
// end::imports[]

/**
 * The examples of the "Testing" page: each tagged region below is shown on the page, and runs
 * here as the test it is. Nothing waits: every delay, wait and open duration passes on a virtual
 * clock or on a ticker the test moves.
 */
class TestingSnippetsTest {

    // tag::pipeline[]
    @Test
    void aQuoteThatFailsTwiceIsAnsweredAt300Ms() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> attempts.incrementAndGet() <= 2
                ? Mono.error(new IOException("quotes are down"))     // attempts 1 and 2 fail,
                : Mono.just("ACME 42.00"));                          // attempt 3 answers
        AtomicReference<CircuitBreaker> breaker = new AtomicReference<>();
        AtomicReference<Bulkhead> bulkhead = new AtomicReference<>();

        StepVerifier.withVirtualTime(() -> {
                    // Built inside: the breaker and the budget read the virtual clock from the start.
                    Ticker ticker = NineLives.schedulerTicker();
                    breaker.set(CircuitBreaker.builder("quotes").slidingWindow(20).minimumNumberOfCalls(10)
                            .ticker(ticker).build());
                    RetryBudget budget = RetryBudget.builder().ratio(0.1).minRetriesPerSecond(1).capacity(5)
                            .ticker(ticker).build();
                    Retry retry = Retry.builder("quotes").maxAttempts(3)
                            .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                            .budget(budget)
                            .build();
                    bulkhead.set(Bulkhead.builder("quotes").maxConcurrent(10).maxWait(Duration.ofMillis(200)).build());
                    return flaky.transform(NineLives.breaker(breaker.get()))
                            .transform(NineLives.retry(retry))
                            .transform(NineLives.bulkhead(bulkhead.get()));
                })
                .expectSubscription()                                // attempt 1 at 0 ms, 2 at 100 ms
                .expectNoEvent(Duration.ofMillis(299))
                .thenAwait(Duration.ofMillis(1))                     // attempt 3 at 300 ms
                .expectNext("ACME 42.00")
                .verifyComplete();

        CircuitBreakerMetrics metrics = breaker.get().metrics();
        assertThat(metrics.calls()).isEqualTo(3);                   // every attempt went through it
        assertThat(metrics.failures()).isEqualTo(2);
        assertThat(bulkhead.get().metrics().inFlight()).isZero();   // the permit came back
    }
    // end::pipeline[]

    // tag::open-duration[]
    @Test
    void theBreakerAdmitsATrialCallFiveSecondsAfterItOpened() {
        AtomicReference<CircuitBreaker> breaker = new AtomicReference<>();
        List<StateTransitionEvent.Reason> reasons = new ArrayList<>();

        StepVerifier.withVirtualTime(() -> {
                    breaker.set(CircuitBreaker.builder("quotes")
                            .openDuration(Duration.ofSeconds(5))
                            .permittedCallsInHalfOpen(3)
                            .ticker(NineLives.schedulerTicker())    // built inside: the virtual clock
                            .build());
                    breaker.get().onStateTransition(event -> reasons.add(event.reason()));
                    breaker.get().transitionTo(CircuitBreaker.State.OPEN);   // at 0 s, for 5 s
                    Mono<String> quote = Mono.just("ACME 42.00")
                            .transform(NineLives.breaker(breaker.get()))
                            .onErrorReturn(NineLives::isCallNotPermitted, "refused");
                    return Flux.concat(quote,                                        // at 0 s
                            Mono.delay(Duration.ofMillis(4_999)).then(quote),        // at 4.999 s
                            Mono.delay(Duration.ofMillis(1)).then(quote));           // at 5 s
                })
                .expectNext("refused")
                .thenAwait(Duration.ofMillis(4_999))
                .expectNext("refused")
                .thenAwait(Duration.ofMillis(1))
                .expectNext("ACME 42.00")                                            // the first trial call
                .verifyComplete();

        assertThat(reasons).containsExactly(StateTransitionEvent.Reason.MANUAL,
                StateTransitionEvent.Reason.OPEN_DURATION_ELAPSED);
        assertThat(breaker.get().metrics().notPermitted()).isEqualTo(2);
        assertThat(breaker.get().state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);  // 1 of 3 trials so far
    }
    // end::open-duration[]

    // tag::bulkhead-wait[]
    @Test
    void aCallerThatFindsThePermitTakenGivesUpAfter200Ms() {
        StepVerifier.withVirtualTime(() -> {
                    Bulkhead bulkhead = Bulkhead.builder("quotes")
                            .maxConcurrent(1)
                            .maxWait(Duration.ofMillis(200))
                            .build();
                    Mono.never().transform(NineLives.bulkhead(bulkhead)).subscribe();   // holds the permit
                    return Mono.just("ACME 42.00").transform(NineLives.bulkhead(bulkhead));
                })
                .expectSubscription()                                // waiting, from 0 ms
                .expectNoEvent(Duration.ofMillis(199))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertThat(((BulkheadFullException) e).reason())
                        .isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT))
                .verify();
    }
    // end::bulkhead-wait[]

    // tag::fixed-random[]
    @Test
    void fullJitterWithEveryDrawAtOneHalfWaitsHalfOfEachDelay() {
        RandomGenerator half = new RandomGenerator() {
            @Override
            public long nextLong() {
                return Long.MIN_VALUE;                                // (not used by jitter)
            }

            @Override
            public double nextDouble() {
                return 0.5;                                           // every draw
            }
        };
        Retry retry = Retry.builder("retry")
                .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                .jitter(Jitter.FULL)                                  // 0 to 100 ms, then 0 to 200 ms
                .random(half)                                         // exactly 50 ms, then 100 ms
                .build();
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> attempts.incrementAndGet() <= 2
                ? Mono.error(new IOException("quotes are down"))
                : Mono.just("ACME 42.00"));

        StepVerifier.withVirtualTime(() -> flaky.transform(NineLives.retry(retry)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(149))                // attempts at 0 and 50 ms
                .thenAwait(Duration.ofMillis(1))                      // the third at 150 ms
                .expectNext("ACME 42.00")
                .verifyComplete();
    }
    // end::fixed-random[]

    // tag::twin[]
    /** A history whose first subscription fails after one element. */
    static Flux<String> history(AtomicInteger subscriptions) {
        return Flux.defer(() -> subscriptions.incrementAndGet() == 1
                ? Flux.concat(Flux.just("ACME 41.00"), Flux.error(new IOException("quotes are down")))
                : Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00"));
    }

    @Test
    void theRetriedHistoryDeliversEveryElementAgain() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(2).constantBackoff(Duration.ofMillis(100)).build();

        StepVerifier.withVirtualTime(() -> history(subscriptions).transform(NineLives.retry(retry)))
                .expectNext("ACME 41.00")                             // then it fails
                .thenAwait(Duration.ofMillis(100))
                .expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00")
                .verifyComplete();
    }

    @Test
    void theRetriedHistoryDeliversEveryElementAgainOneRequestAtATime() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(2).constantBackoff(Duration.ofMillis(100)).build();

        StepVerifier.withVirtualTime(() -> history(subscriptions).transform(NineLives.retry(retry)), 0)
                .expectSubscription()
                .thenRequest(1)
                .expectNext("ACME 41.00")                             // then it fails
                .thenAwait(Duration.ofMillis(100))                    // the retry: but nothing is requested
                .expectNoEvent(Duration.ofSeconds(1))
                .thenRequest(1)
                .expectNext("ACME 41.00")
                .thenRequest(1)
                .expectNext("ACME 41.50")
                .thenRequest(1)
                .expectNext("ACME 42.00")
                .verifyComplete();
    }
    // end::twin[]

    // tag::by-hand[]
    @Nested
    class WithTheVirtualClockInstalled {

        VirtualTimeScheduler clock;

        @BeforeEach
        void install() {
            clock = VirtualTimeScheduler.getOrSet();                  // Schedulers.parallel() is now virtual
        }

        @AfterEach
        void remove() {
            VirtualTimeScheduler.reset();
        }

        @Test
        void aWaitingCallerStartsWhenThePermitComesBack() {
            Bulkhead bulkhead = Bulkhead.builder("quotes").maxConcurrent(1).maxWait(Duration.ofMillis(200)).build();
            List<String> answers = new ArrayList<>();
            Mono.delay(Duration.ofMillis(150)).thenReturn("A")
                    .transform(NineLives.bulkhead(bulkhead)).subscribe(answers::add);
            Mono.just("B").transform(NineLives.bulkhead(bulkhead)).subscribe(answers::add);

            assertThat(bulkhead.metrics().queued()).isEqualTo(1);     // B waits
            clock.advanceTimeBy(Duration.ofMillis(150));              // A answers and hands its permit to B
            assertThat(answers).containsExactly("B", "A");            // A returned it before answering
            assertThat(bulkhead.metrics().inFlight()).isZero();
        }
    }
    // end::by-hand[]

    // tag::ticker[]
    @Test
    void withoutReactorATickerIsAnyClockTheTestMoves() {
        AtomicLong now = new AtomicLong();                            // nanoseconds, moved by the test
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .openDuration(Duration.ofSeconds(30))
                .ticker(now::get)
                .build();

        breaker.transitionTo(CircuitBreaker.State.OPEN);              // at 0 s, for 30 s
        now.addAndGet(Duration.ofSeconds(30).toNanos() - 1);
        assertThat(breaker.tryAcquire()).isNegative();
        now.addAndGet(1);
        assertThat(breaker.tryAcquire()).isNotNegative();   // a trial call
    }
    // end::ticker[]
}
