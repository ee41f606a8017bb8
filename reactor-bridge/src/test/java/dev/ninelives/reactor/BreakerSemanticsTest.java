package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per row of the semantics table in ARCHITECTURE.md, for Mono and Flux. Each test
 * runs twice: unbounded demand, and its backpressured twin that requests one element at a time.
 */
class BreakerSemanticsTest {

    private final CircuitBreaker breaker = CircuitBreaker.builder("semantics")
            .slidingWindow(100).minimumNumberOfCalls(100)
            .recordFailureIf(e -> e instanceof IOException)
            .build();

    private static <T> StepVerifier.FirstStep<T> verify(Publisher<T> p, boolean backpressured) {
        return backpressured ? StepVerifier.create(p, 0) : StepVerifier.create(p);
    }

    private static <T> StepVerifier.Step<T> demand(StepVerifier.FirstStep<T> step, boolean backpressured) {
        return backpressured ? step.thenRequest(1) : step;
    }

    private CircuitBreakerMetrics m() {
        return breaker.metrics();
    }

    // ----- first onNext: Mono success, recorded at once

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void monoSucceedsAtItsFirstValue(boolean backpressured) {
        TestPublisher<String> source = TestPublisher.create();
        demand(verify(source.mono().transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .then(() -> source.next("v"))
                .expectNext("v")
                .then(() -> assertThat(m().successes()).as("recorded at the value, before completion").isEqualTo(1))
                .then(source::complete)
                .verifyComplete();
        assertThat(m().calls()).isEqualTo(1);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void fluxElementsRecordNothing(boolean backpressured) {
        TestPublisher<String> source = TestPublisher.create();
        StepVerifier.Step<String> step = demand(verify(source.flux().transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .then(() -> source.next("a"))
                .expectNext("a");
        if (backpressured) {
            step = step.thenRequest(1);
        }
        step.then(() -> source.next("b"))
                .expectNext("b")
                .then(() -> assertThat(m().calls()).as("no outcome before the terminal signal").isZero())
                .then(source::complete)
                .verifyComplete();
        assertThat(m().successes()).isEqualTo(1);
    }

    // ----- onComplete

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void emptyMonoSucceedsAtCompletion(boolean backpressured) {
        demand(verify(Mono.<String>empty().transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .verifyComplete();
        assertThat(m().successes()).isEqualTo(1);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void fluxSucceedsAtCompletion(boolean backpressured) {
        StepVerifier.FirstStep<Integer> first = verify(Flux.range(1, 3).transform(NineLives.breaker(breaker)), backpressured);
        if (backpressured) {
            first.thenRequest(1).expectNext(1).thenRequest(2).expectNext(2, 3).verifyComplete();
        } else {
            first.expectNext(1, 2, 3).verifyComplete();
        }
        assertThat(m().successes()).isEqualTo(1);
        assertThat(m().calls()).isEqualTo(1);
    }

    // ----- onError

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void monoErrorIsAFailureWhenThePredicateMatches(boolean backpressured) {
        demand(verify(Mono.<String>error(new IOException("down")).transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .verifyErrorMessage("down");
        assertThat(m().failures()).isEqualTo(1);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void fluxErrorIsAFailureWhenThePredicateMatches(boolean backpressured) {
        Flux<Integer> source = Flux.concat(Flux.just(1), Flux.error(new IOException("down")));
        demand(verify(source.transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .expectNext(1)
                .verifyErrorMessage("down");
        assertThat(m().failures()).isEqualTo(1);
        assertThat(m().calls()).isEqualTo(1);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void errorsThePredicateRejectsAreReleasedUnrecorded(boolean backpressured) {
        demand(verify(Mono.<String>error(new IllegalArgumentException("bad input")).transform(NineLives.breaker(breaker)),
                backpressured), backpressured).verifyError(IllegalArgumentException.class);
        demand(verify(Flux.<String>error(new IllegalArgumentException("bad input")).transform(NineLives.breaker(breaker)),
                backpressured), backpressured).verifyError(IllegalArgumentException.class);
        assertThat(m().calls()).isZero();
    }

    // ----- cancel before an outcome

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void cancelledMonoReleasesItsPermit(boolean backpressured) {
        CircuitBreaker trial = halfOpenWithOneTrial();
        demand(verify(Mono.never().transform(NineLives.breaker(trial)), backpressured), backpressured)
                .thenCancel()
                .verify();
        assertThat(trial.metrics().calls()).isZero();
        assertThat(trial.tryAcquire()).as("the released trial slot is free again").isNotNegative();
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void cancelledFluxWithoutElementsReleases(boolean backpressured) {
        CircuitBreaker trial = halfOpenWithOneTrial();
        demand(verify(Flux.never().transform(NineLives.breaker(trial)), backpressured), backpressured)
                .thenCancel()
                .verify();
        assertThat(trial.metrics().calls()).isZero();
        assertThat(trial.tryAcquire()).isNotNegative();
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void cancelledFluxAfterAnElementSucceeds(boolean backpressured) {
        demand(verify(Flux.concat(Flux.just(1), Flux.never()).transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .expectNext(1)
                .thenCancel()
                .verify();
        assertThat(m().successes()).isEqualTo(1);
    }

    /** The first element's mark is seen by a cancel on another thread: no stale read, a success. */
    @Test
    void aCancelFromAnotherThreadAfterAnElementIsASuccess() throws InterruptedException {
        TestPublisher<Integer> source = TestPublisher.create();
        java.util.concurrent.atomic.AtomicReference<org.reactivestreams.Subscription> upstream =
                new java.util.concurrent.atomic.AtomicReference<>();
        source.flux().transform(NineLives.breaker(breaker)).subscribe(new reactor.core.publisher.BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                upstream.set(subscription);
                request(Long.MAX_VALUE);
            }
        });
        source.next(1);
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        Thread other = new Thread(() -> {
            upstream.get().cancel();
            cancelled.countDown();
        });
        other.start();
        cancelled.await();
        assertThat(m().successes()).isEqualTo(1);
        source.assertCancelled();
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void cancelAfterAMonoValueChangesNothing(boolean backpressured) {
        TestPublisher<String> source = TestPublisher.create();
        demand(verify(source.mono().transform(NineLives.breaker(breaker)), backpressured), backpressured)
                .then(() -> source.next("v"))
                .expectNext("v")
                .thenCancel()
                .verify();
        assertThat(m().successes()).isEqualTo(1);
        assertThat(m().calls()).isEqualTo(1);
    }

    // ----- duration: subscribe to outcome

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void slowCallsAreMeasuredFromSubscribeToOutcome(boolean backpressured) {
        CircuitBreaker slow = CircuitBreaker.builder("slow").ticker(NineLives.schedulerTicker())
                .slowCallDuration(Duration.ofSeconds(1)).build();
        demand(StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(999)).transform(NineLives.breaker(slow)),
                backpressured ? 0 : Long.MAX_VALUE), backpressured)
                .thenAwait(Duration.ofMillis(999)).expectNext(0L).verifyComplete();
        assertThat(slow.metrics().slowCalls()).isZero();
        demand(StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofSeconds(1)).transform(NineLives.breaker(slow)),
                backpressured ? 0 : Long.MAX_VALUE), backpressured)
                .thenAwait(Duration.ofSeconds(1)).expectNext(0L).verifyComplete();
        demand(StepVerifier.withVirtualTime(() -> Flux.interval(Duration.ofMillis(500)).take(3).transform(NineLives.breaker(slow)),
                backpressured ? 0 : Long.MAX_VALUE), backpressured)
                .thenAwait(Duration.ofMillis(500)).expectNext(0L)
                .thenRequest(2)
                .thenAwait(Duration.ofSeconds(1)).expectNext(1L, 2L).verifyComplete();
        assertThat(slow.metrics().slowCalls()).isEqualTo(2);
        assertThat(slow.metrics().calls()).isEqualTo(3);
    }

    // ----- refused

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aRefusedCallNeverReachesTheSource(boolean backpressured) {
        breaker.transitionTo(State.FORCED_OPEN);
        PublisherProbe<String> mono = PublisherProbe.of(Mono.just("x"));
        PublisherProbe<String> flux = PublisherProbe.of(Flux.just("x"));
        verify(mono.mono().transform(NineLives.breaker(breaker)), backpressured)
                .expectSubscription()
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(CallNotPermittedException.class);
                    assertThat(NineLives.isCallNotPermitted(e)).isTrue();
                    assertThat(e.getMessage()).contains("semantics").contains("FORCED_OPEN");
                })
                .verify();
        verify(flux.flux().transform(NineLives.breaker(breaker)), backpressured)
                .expectSubscription()
                .expectError(CallNotPermittedException.class)
                .verify();
        mono.assertWasNotSubscribed();
        flux.assertWasNotSubscribed();
        assertThat(m().notPermitted()).isEqualTo(2);
        assertThat(NineLives.isCallNotPermitted(new IOException())).isFalse();
        assertThat(NineLives.isCallNotPermitted(null)).isFalse();
    }

    // ----- the shape of the operator

    @Test
    void aMonoStaysAMonoAFluxAFluxAndAnyPublisherBecomesAFlux() {
        assertThat(Mono.just(1).transform(NineLives.breaker(breaker))).isInstanceOf(Mono.class);
        assertThat(Flux.just(1).transform(NineLives.breaker(breaker))).isInstanceOf(Flux.class);
        Publisher<Integer> plain = s -> Flux.just(1, 2).subscribe(s);
        Publisher<Integer> protectedPlain = NineLives.<Integer>breaker(breaker).apply(plain);
        assertThat(protectedPlain).isInstanceOf(Flux.class);
        StepVerifier.create(protectedPlain).expectNext(1, 2).verifyComplete();
        assertThat(m().successes()).isEqualTo(1);
    }

    @Test
    void transformAndTransformDeferredBehaveTheSame() {
        Mono<String> assembled = Mono.just("x").transform(NineLives.breaker(breaker));
        Mono<String> deferred = Mono.just("x").transformDeferred(NineLives.breaker(breaker));
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(assembled).expectNext("x").verifyComplete();
            StepVerifier.create(deferred).expectNext("x").verifyComplete();
        }
        assertThat(m().successes()).as("each subscription is one call").isEqualTo(6);
    }

    @Test
    void aSourceWhoseSubscribeThrowsStillEndsThePermit() {
        CircuitBreaker trial = halfOpenWithOneTrial();
        Mono<String> broken = new Mono<>() {
            @Override
            public void subscribe(reactor.core.CoreSubscriber<? super String> actual) {
                throw new IllegalStateException("subscribe blew up");
            }
        };
        StepVerifier.create(broken.transform(NineLives.breaker(trial)))
                .verifyErrorMessage("subscribe blew up");
        assertThat(trial.state()).as("the trial ended as a failure, not as a leaked permit").isEqualTo(State.OPEN);

        Flux<String> brokenFlux = new Flux<>() {
            @Override
            public void subscribe(reactor.core.CoreSubscriber<? super String> actual) {
                throw new IllegalStateException("subscribe blew up");
            }
        };
        StepVerifier.create(brokenFlux.transform(NineLives.breaker(breaker)))
                .verifyErrorMessage("subscribe blew up");
        assertThat(m().calls()).as("IllegalStateException is not recorded by this breaker's predicate").isZero();
    }

    /**
     * Reactor rethrows a JVM-fatal error (here a LinkageError) from the source's subscribe
     * instead of signalling it; the trial permit must still come back, or HALF_OPEN would wait
     * for it forever.
     */
    @Test
    void aSourceWhoseSubscribeThrowsAFatalErrorStillReturnsTheTrialPermit() {
        CircuitBreaker trial = halfOpenWithOneTrial();
        Mono<String> fatal = new Mono<>() {
            @Override
            public void subscribe(reactor.core.CoreSubscriber<? super String> actual) {
                throw new NoClassDefFoundError("gone");
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> fatal.transform(NineLives.breaker(trial)).subscribe())
                .isInstanceOf(NoClassDefFoundError.class);
        assertThat(trial.state()).isEqualTo(State.HALF_OPEN);
        StepVerifier.create(Mono.just("next").transform(NineLives.breaker(trial)))
                .as("the trial permit came back unrecorded, so the next call is the trial")
                .expectNext("next")
                .verifyComplete();
        assertThat(trial.state()).isEqualTo(State.CLOSED);
    }

    private static CircuitBreaker halfOpenWithOneTrial() {
        CircuitBreaker trial = CircuitBreaker.builder("trial").permittedCallsInHalfOpen(1).build();
        trial.transitionTo(State.HALF_OPEN);
        return trial;
    }
}
