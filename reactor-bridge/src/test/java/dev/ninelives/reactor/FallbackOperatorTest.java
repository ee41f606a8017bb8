package dev.ninelives.reactor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.publisher.TestPublisher;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NineLives.fallback on each signal, Mono and Flux, each behaviour with its backpressured twin
 * (one element requested at a time): pass-through on success, the switch on a matching error,
 * continuation of a Flux, a Mono's value ending its chance, exact demand, cancellation, Context,
 * a failing fallback publisher, Scannable and onAssembly.
 */
class FallbackOperatorTest {

    private static final IOException DOWN = new IOException("down");

    @AfterEach
    void resetHooks() {
        Hooks.resetOnEachOperator();
        Hooks.resetOnNextDropped();
        Hooks.resetOnErrorDropped();
    }

    private static <T> Mono<T> mono(Mono<T> source, Fallback<? extends T> fallback) {
        return source.transform(NineLives.fallback(fallback));
    }

    private static <T> Flux<T> flux(Flux<T> source, Fallback<? extends T> fallback) {
        return source.transform(NineLives.fallback(fallback));
    }

    // ---------------------------------------------------------------- success: untouched

    @Test
    void aSucceedingMonoPassesThroughAndNeverTouchesTheFallback() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.just("fallback"));
        StepVerifier.create(mono(Mono.just("value"), Fallback.to(probe.mono()))).expectNext("value").verifyComplete();
        StepVerifier.create(mono(Mono.<String>empty(), Fallback.to(probe.mono()))).verifyComplete();
        probe.assertWasNotSubscribed();
    }

    @Test
    void aSucceedingMonoPassesThroughBackpressured() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.just("fallback"));
        StepVerifier.create(mono(Mono.just("value"), Fallback.to(probe.mono())), 0)
                .expectSubscription().expectNoEvent(Duration.ZERO)
                .thenRequest(1).expectNext("value").verifyComplete();
        probe.assertWasNotSubscribed();
    }

    @Test
    void aSucceedingFluxPassesThroughWithItsDemand() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        StepVerifier.create(flux(Flux.range(1, 5).doOnRequest(requests::add), Fallback.toValue(-1)), 0)
                .expectSubscription().expectNoEvent(Duration.ZERO)
                .thenRequest(1).expectNext(1)
                .thenRequest(3).expectNext(2, 3, 4)
                .thenRequest(1).expectNext(5)
                .verifyComplete();
        assertThat(requests).containsExactly(1L, 3L, 1L);
    }

    // ---------------------------------------------------------------- the switch

    @Test
    void aFailedMonoDeliversTheFallbackValue() {
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.toValue("fallback"))).expectNext("fallback").verifyComplete();
    }

    /** The fallback is asked for nothing until downstream asks. */
    @Test
    void aFailedMonoDeliversTheFallbackValueBackpressured() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.to(Mono.just("fallback").doOnRequest(requests::add))), 0)
                .expectSubscription().expectNoEvent(Duration.ZERO)
                .then(() -> assertThat(requests).isEmpty())
                .thenRequest(1).expectNext("fallback").verifyComplete();
        assertThat(requests).containsExactly(1L);
    }

    @Test
    void theFunctionGetsTheErrorAndThePublisherIsSubscribedOncePerFailedCallOnly() {
        AtomicInteger made = new AtomicInteger();
        AtomicInteger subscribed = new AtomicInteger();
        Fallback<String> fallback = Fallback.with(e -> {
            made.incrementAndGet();
            return Mono.fromCallable(() -> e.getMessage() + " #" + subscribed.incrementAndGet());
        });
        Mono<String> failing = mono(Mono.error(DOWN), fallback);
        Mono<String> succeeding = mono(Mono.just("ok"), fallback);
        assertThat(made).as("nothing at assembly").hasValue(0);
        StepVerifier.create(failing).expectNext("down #1").verifyComplete();
        StepVerifier.create(succeeding).expectNext("ok").verifyComplete();
        StepVerifier.create(failing).expectNext("down #2").verifyComplete();
        assertThat(made).hasValue(2);
    }

    @Test
    void aGivenPublisherIsSubscribedAnewForEachFailedCall() {
        AtomicInteger runs = new AtomicInteger();
        Mono<Integer> call = mono(Mono.error(DOWN), Fallback.to(Mono.fromCallable(runs::incrementAndGet)));
        StepVerifier.create(call).expectNext(1).verifyComplete();
        StepVerifier.create(call).expectNext(2).verifyComplete();
    }

    @Test
    void anErrorTheFallbackDoesNotApplyToPassesThroughUnchanged() {
        IllegalStateException other = new IllegalStateException("other");
        PublisherProbe<String> probe = PublisherProbe.of(Mono.just("fallback"));
        StepVerifier.create(mono(Mono.<String>error(other), Fallback.to(probe.mono()).on(IOException.class)))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(other).hasNoSuppressedExceptions()).verify();
        AssertionError bug = new AssertionError("bug");
        StepVerifier.create(flux(Flux.<String>error(bug), Fallback.to(probe.mono())))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(bug)).verify();
        probe.assertWasNotSubscribed();
    }

    /** A fatal error a source signals (rather than throws) is passed on, never replaced. */
    @Test
    void aFatalErrorSignalledBySourceIsPassedOn() {
        AtomicInteger asked = new AtomicInteger();
        StackOverflowError overflow = new StackOverflowError("signalled");
        StepVerifier.create(mono(Mono.<String>error(overflow), Fallback.toValue("x").on(Throwable.class).when(e -> asked.incrementAndGet() > 0)))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(overflow)).verify();
        assertThat(asked).hasValue(0);
    }

    @Test
    void aFailingFallbackEndsTheCallWithItsErrorAndTheOriginalSuppressed() {
        IOException secondary = new IOException("secondary down too");
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.to(Mono.error(secondary))))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isSameAs(secondary);
                    assertThat(e.getSuppressed()).containsExactly(DOWN);
                }).verify();
        IOException again = new IOException("again");
        StepVerifier.create(flux(Flux.<Integer>concat(Flux.just(1), Flux.error(DOWN)), Fallback.to(Flux.concat(Flux.just(2), Flux.error(again)))))
                .expectNext(1, 2)
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(again).satisfies(x -> assertThat(x.getSuppressed()).containsExactly(DOWN)))
                .verify();
    }

    @Test
    void aFallbackPublisherWhoseSubscribeThrowsEndsTheCallWithThatError() {
        IllegalStateException broken = new IllegalStateException("broken publisher");
        Mono<String> throwing = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                throw broken;
            }
        };
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.to(throwing)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isSameAs(broken);
                    assertThat(e.getSuppressed()).containsExactly(DOWN);
                }).verify();
    }

    @Test
    void aSourceWhoseSubscribeThrowsFallsBack() {
        Flux<String> throwing = new Flux<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                throw new IllegalStateException("boom");
            }
        };
        StepVerifier.create(flux(throwing, Fallback.toValue("fallback"))).expectNext("fallback").verifyComplete();
    }

    // ---------------------------------------------------------------- a Flux continues, a Mono ends at its value

    @Test
    void aFluxThatFailsAfterElementsContinuesWithTheFallbacksElements() {
        StepVerifier.create(flux(Flux.concat(Flux.range(1, 3), Flux.error(DOWN)), Fallback.to(Flux.range(10, 2))))
                .expectNext(1, 2, 3, 10, 11).verifyComplete();
    }

    /**
     * The fallback gets exactly the demand downstream still has: what it requested minus what the
     * failed source delivered, and then each later request as it comes.
     */
    @Test
    void aFluxThatFailsAfterElementsContinuesBackpressuredWithExactDemand() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        StepVerifier.create(flux(Flux.concat(Flux.range(1, 3), Flux.error(DOWN)),
                        Fallback.to(Flux.range(10, 5).doOnRequest(requests::add))), 0)
                .expectSubscription()
                .thenRequest(2).expectNext(1, 2)
                .thenRequest(2).expectNext(3, 10)           // the source had one left to give; the fallback the other
                .then(() -> assertThat(requests).containsExactly(1L))
                .thenRequest(1).expectNext(11)
                .thenRequest(10).expectNext(12, 13, 14)
                .verifyComplete();
        assertThat(requests).containsExactly(1L, 1L, 10L);
    }

    /** A source that fails with no demand outstanding leaves the fallback waiting for downstream's next request. */
    @Test
    void aFallbackAfterAllDemandWasMetWaitsForTheNextRequest() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        StepVerifier.create(flux(Flux.concat(Flux.range(1, 2), Flux.error(DOWN)),
                        Fallback.to(Flux.range(10, 2).doOnRequest(requests::add))), 2)
                .expectNext(1, 2)
                .expectNoEvent(Duration.ZERO)
                .then(() -> assertThat(requests).isEmpty())
                .thenRequest(Long.MAX_VALUE).expectNext(10, 11)
                .verifyComplete();
        assertThat(requests).containsExactly(Long.MAX_VALUE);
    }

    @Test
    void unboundedDemandStaysUnboundedAcrossTheSwitch() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        StepVerifier.create(flux(Flux.concat(Flux.range(1, 3), Flux.error(DOWN)), Fallback.to(Flux.range(10, 2).doOnRequest(requests::add))))
                .expectNext(1, 2, 3, 10, 11).verifyComplete();
        assertThat(requests).containsExactly(Long.MAX_VALUE);
    }

    /** A Mono that delivered its value cannot fall back: a later error (a broken Mono) is passed on. */
    @Test
    void aMonosValueEndsItsChanceOfAFallback() {
        BulkheadTestSupport.ManualSource<String> broken = new BulkheadTestSupport.ManualSource<>();
        PublisherProbe<String> probe = PublisherProbe.of(Mono.just("fallback"));
        StepVerifier.create(mono(broken.mono(), Fallback.to(probe.mono())))
                .then(() -> {
                    broken.next("value");
                    broken.error(DOWN);
                })
                .expectNext("value")
                .verifyErrorSatisfies(e -> assertThat(e).isSameAs(DOWN));
        probe.assertWasNotSubscribed();
    }

    /** On a Mono, a Flux fallback gives its first element and is cancelled, as Mono.from does. */
    @Test
    void aMonosFluxFallbackGivesItsFirstElementOnly() {
        PublisherProbe<Integer> probe = PublisherProbe.of(Flux.range(10, 5));
        StepVerifier.create(mono(Mono.<Integer>error(DOWN), Fallback.to(probe.flux()))).expectNext(10).verifyComplete();
        probe.assertWasCancelled();
        StepVerifier.create(mono(Mono.<Integer>error(DOWN), Fallback.to(Flux.empty()))).verifyComplete();
    }

    @Test
    void aMonosFluxFallbackGivesItsFirstElementOnlyBackpressured() {
        StepVerifier.create(mono(Mono.<Integer>error(DOWN), Fallback.to(Flux.range(10, 5))), 0)
                .expectSubscription().expectNoEvent(Duration.ZERO)
                .thenRequest(1).expectNext(10).verifyComplete();
    }

    // ---------------------------------------------------------------- cancel, context, time

    @Test
    void cancelWhileTheFallbackRunsCancelsIt() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.never());
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.to(probe.mono())))
                .expectSubscription()
                .then(probe::assertWasSubscribed)
                .thenCancel().verify();
        probe.assertWasCancelled();
        TestPublisher<Integer> fallback = TestPublisher.create();
        StepVerifier.create(flux(Flux.concat(Flux.just(1), Flux.error(DOWN)), Fallback.to(fallback)), 1)
                .expectNext(1)
                .then(() -> fallback.assertSubscribers(1))
                .thenCancel().verify();
        fallback.assertCancelled();
    }

    /** An error that arrives after downstream cancelled is passed on as it is: nobody is listening for a fallback. */
    @Test
    void anErrorAfterCancelNeverReachesTheFallback() {
        BulkheadTestSupport.ManualSource<String> source = new BulkheadTestSupport.ManualSource<>();
        AtomicInteger made = new AtomicInteger();
        BulkheadTestSupport.Capturing<String> down = new BulkheadTestSupport.Capturing<>(1);
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        mono(source.mono(), Fallback.with(e -> {
            made.incrementAndGet();
            return Mono.just("fallback");
        })).subscribe(down);
        down.cancel();
        assertThat(source.cancelled).isTrue();
        source.error(DOWN);
        assertThat(made).hasValue(0);
        assertThat(down.values).isEmpty();
        assertThat(dropped).as("passed on, and dropped by the cancelled subscriber").containsExactly(DOWN);
    }

    /**
     * A cancel that arrives while the switch is under way (after the fallback publisher was
     * subscribed, before its onSubscribe) cancels the fallback as soon as it subscribes and asks
     * it for nothing. Guards against a switch that installed the fallback's Subscription after the
     * cancel had gone to the failed source, leaving the fallback running with nobody listening.
     */
    @Test
    void aCancelDuringTheSwitchCancelsTheFallbackAtItsSubscription() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        AtomicInteger cancels = new AtomicInteger();
        BulkheadTestSupport.Capturing<String> down = new BulkheadTestSupport.Capturing<>(Long.MAX_VALUE);
        Mono<String> slowToSubscribe = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                down.cancel();                               // downstream cancels while the fallback subscribes
                actual.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        requests.add(n);
                    }

                    @Override
                    public void cancel() {
                        cancels.incrementAndGet();
                    }
                });
            }
        };
        mono(Mono.<String>error(DOWN), Fallback.to(slowToSubscribe)).subscribe(down);
        assertThat(cancels).hasValue(1);
        assertThat(requests).isEmpty();
        assertThat(down.values).isEmpty();
        assertThat(down.error.get()).isNull();
    }

    @Test
    void theSubscribersContextFlowsIntoTheFallback() {
        Fallback<String> fromContext = Fallback.to(Mono.deferContextual(c -> Mono.just(c.<String>get("user"))));
        StepVerifier.create(mono(Mono.<String>error(DOWN), fromContext).contextWrite(Context.of("user", "ada")))
                .expectNext("ada").verifyComplete();
        StepVerifier.create(flux(Flux.<String>error(DOWN), Fallback.with(e -> Flux.deferContextual(c -> Flux.just(c.<String>get("user"), "!"))))
                        .contextWrite(Context.of("user", "grace")))
                .expectNext("grace", "!").verifyComplete();
    }

    /** Reactor's own timeout signals a java.util.concurrent.TimeoutException: caught by default, on virtual time. */
    @Test
    void aTimeoutFallsBackOnVirtualTime() {
        StepVerifier.withVirtualTime(() -> mono(Mono.<String>never().timeout(Duration.ofSeconds(2)), Fallback.toValue("late")))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("late").verifyComplete();
    }

    @Test
    void aDelayedFluxContinuesWithADelayedFallbackOnVirtualTime() {
        StepVerifier.withVirtualTime(() -> {                 // assembled inside: the delays take the virtual scheduler
                    Flux<Long> ticks = Flux.interval(Duration.ofSeconds(1)).take(2).concatWith(Flux.error(new TimeoutException("stalled")));
                    Fallback<Long> slowFallback = Fallback.to(Flux.just(100L, 101L).delayElements(Duration.ofSeconds(5)));
                    return flux(ticks, slowFallback.on(TimeoutException.class));
                }, 0)
                .expectSubscription()
                .thenRequest(3)
                .thenAwait(Duration.ofSeconds(2)).expectNext(0L, 1L)
                .expectNoEvent(Duration.ofSeconds(4))
                .thenAwait(Duration.ofSeconds(1)).expectNext(100L)
                .thenRequest(1)
                .thenAwait(Duration.ofSeconds(5)).expectNext(101L)
                .verifyComplete();
    }

    // ---------------------------------------------------------------- conventions

    @Test
    void operatorsAnswerScannableAndGoThroughOnAssembly() {
        List<String> assembled = new ArrayList<>();
        Hooks.onEachOperator("probe", p -> {
            assembled.add(Scannable.from(p).stepName());
            return p;
        });
        Mono<Integer> mono = mono(Mono.just(1), Fallback.toValue(2));
        Flux<Integer> flux = flux(Flux.just(1), Fallback.toValue(2));
        for (Scannable s : List.of(Scannable.from(mono), Scannable.from(flux))) {
            assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.SYNC);
            assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
            assertThat(s.name()).isEqualTo("fallback");
        }
        // each operator twice: once by its own onAssembly, once by transform's
        assertThat(assembled).filteredOn("fallback"::equals).hasSize(4);
    }

    @Test
    void subscribersAnswerScannableBeforeAndAfterTheSwitch() {
        TestPublisher<Integer> source = TestPublisher.create();
        TestPublisher<Integer> fallback = TestPublisher.create();
        BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(3);
        flux(source.flux(), Fallback.to(fallback)).subscribe(down);
        Scannable s = down.scannable();
        assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.SYNC);
        assertThat(s.scanUnsafe(Scannable.Attr.ACTUAL)).isSameAs(down);
        Object sourceSubscription = s.scanUnsafe(Scannable.Attr.PARENT);
        assertThat(sourceSubscription).isNotNull();
        assertThat(s.scan(Scannable.Attr.REQUESTED_FROM_DOWNSTREAM)).isEqualTo(3L);
        assertThat(s.scan(Scannable.Attr.TERMINATED)).isFalse();
        assertThat(s.scan(Scannable.Attr.CANCELLED)).isFalse();

        source.next(1).error(DOWN);
        assertThat(s.scanUnsafe(Scannable.Attr.PARENT)).as("the fallback's Subscription now").isNotSameAs(sourceSubscription).isNotNull();
        assertThat(s.scan(Scannable.Attr.TERMINATED)).as("the fallback runs").isFalse();
        fallback.assertMinRequested(2);
        fallback.next(2).complete();
        assertThat(down.values).containsExactly(1, 2);
        assertThat(s.scan(Scannable.Attr.TERMINATED)).isTrue();

        BulkheadTestSupport.Capturing<Integer> cancelled = new BulkheadTestSupport.Capturing<>(1);
        mono(Mono.<Integer>never(), Fallback.toValue(1)).subscribe(cancelled);
        cancelled.cancel();
        assertThat(cancelled.scannable().scan(Scannable.Attr.CANCELLED)).isTrue();
    }

    @Test
    void theFallbacksSubscriberAnswersScannable() {
        List<CoreSubscriber<? super Integer>> captured = new CopyOnWriteArrayList<>();
        Subscription quiet = new Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        };
        Flux<Integer> capturing = new Flux<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Integer> actual) {
                captured.add(actual);
                actual.onSubscribe(quiet);
            }
        };
        BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(1);
        flux(Flux.<Integer>error(DOWN), Fallback.to(capturing)).subscribe(down);
        Scannable inner = Scannable.from(captured.get(0));
        assertThat(inner.scanUnsafe(Scannable.Attr.PARENT)).isSameAs(quiet);
        assertThat(inner.scanUnsafe(Scannable.Attr.ACTUAL)).isSameAs(down.scannable());
        assertThat(inner.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.SYNC);
        assertThat(inner.scan(Scannable.Attr.TERMINATED)).isFalse();
        assertThat(inner.scan(Scannable.Attr.CANCELLED)).isFalse();
        assertThat(inner.stepName()).isEqualTo("fallback");
        down.cancel();
        assertThat(inner.scan(Scannable.Attr.CANCELLED)).isTrue();
        captured.get(0).onComplete();
        assertThat(inner.scan(Scannable.Attr.TERMINATED)).isTrue();
    }

    /** Reactive Streams 2.5 on the fallback side: a second onSubscribe is cancelled, the first keeps running. */
    @Test
    void aSecondOnSubscribeOfTheFallbackIsCancelledAndTheFirstKeepsRunning() {
        List<Long> firstRequests = new CopyOnWriteArrayList<>();
        AtomicInteger secondCancelled = new AtomicInteger();
        List<Long> secondRequests = new CopyOnWriteArrayList<>();
        Mono<String> twice = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                actual.onSubscribe(new Subscription() {
                    boolean emitted;

                    @Override
                    public void request(long n) {
                        firstRequests.add(n);
                        if (!emitted) {
                            emitted = true;
                            actual.onNext("first");
                            actual.onComplete();
                        }
                    }

                    @Override
                    public void cancel() {
                    }
                });
                actual.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        secondRequests.add(n);
                    }

                    @Override
                    public void cancel() {
                        secondCancelled.incrementAndGet();
                    }
                });
            }
        };
        StepVerifier.create(mono(Mono.<String>error(DOWN), Fallback.to(twice))).expectNext("first").verifyComplete();
        assertThat(firstRequests).containsExactly(Long.MAX_VALUE);
        assertThat(secondCancelled).hasValue(1);
        assertThat(secondRequests).isEmpty();
    }

    /** A reusable downstream that asks for everything and counts what it gets. */
    static final class Sink implements CoreSubscriber<Object> {
        long values;
        long completions;

        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Object o) {
            values++;
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError("no call fails here", t);
        }

        @Override
        public void onComplete() {
            completions++;
        }
    }

    /**
     * Guards the cost promise: a call that succeeds allocates the fallback's subscriber and
     * nothing else (48 bytes with compressed oops), however many elements it delivers; the
     * fallback itself is never touched.
     */
    @Test
    void aSucceedingCallAllocatesOnlyTheSubscriber() throws Exception {
        Mono<Integer> bareMono = Mono.just(1);
        Mono<Integer> mono = mono(bareMono, Fallback.toValue(-1));
        Flux<Integer> bareFlux = Flux.range(0, 100);
        Flux<Integer> flux = flux(bareFlux, Fallback.toValue(-1));
        Sink sink = new Sink();
        Allocations allocations = new Allocations();
        int calls = 20_000;
        long bare = allocations.during(calls, () -> bareMono.subscribe(sink));
        long protectedMono = allocations.leastDuring(3, calls, () -> mono.subscribe(sink));
        long bareElements = allocations.during(calls, () -> bareFlux.subscribe(sink));
        long protectedFlux = allocations.leastDuring(3, calls, () -> flux.subscribe(sink));
        assertThat(sink.completions).as("every call completed").isEqualTo(16L * calls);
        assertThat(sink.values).isEqualTo(8L * calls + 8L * calls * 100);
        assertThat((protectedMono - bare) / (double) calls).as("bytes per Mono call over the bare Mono").isLessThanOrEqualTo(48.5);
        assertThat((protectedFlux - bareElements) / (double) calls).as("bytes per Flux call of 100 elements over the bare Flux")
                .isLessThanOrEqualTo(48.5);
    }

    /**
     * BlockHound watches: calls fail and fall back on Schedulers.parallel() threads (the
     * source failing there, the fallback publishing there), thousands of them at once.
     */
    @Test
    void fallingBackOnParallelThreadsNeverBlocks() {
        List<String> outcomes = Flux.range(0, 2_000)
                .flatMap(i -> {
                    Mono<String> source = i % 2 == 0 ? Mono.just("value") : Mono.error(new IOException("down"));
                    return source.publishOn(Schedulers.parallel())
                            .transform(NineLives.fallback(Fallback.to(Mono.just("fallback").publishOn(Schedulers.parallel()))))
                            .subscribeOn(Schedulers.parallel());
                }, 256)
                .collectList()
                .block(Duration.ofSeconds(60));
        assertThat(outcomes).hasSize(2_000).containsOnly("value", "fallback");
        assertThat(outcomes).filteredOn("fallback"::equals).hasSize(1_000);
    }
}
