package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryExhaustedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/** NineLives.retry under virtual time: delays, deadline, budget, exhaustion, demand, cancellation. */
class RetryOperatorTest {

    /** A source that fails {@code failures} times, then emits "ok"; it records the virtual time of each subscription. */
    private static Mono<String> flaky(int failures, AtomicInteger subscriptions, List<Long> times) {
        return Mono.defer(() -> {
            times.add(VirtualTimeScheduler.get().now(TimeUnit.MILLISECONDS));
            int n = subscriptions.incrementAndGet();
            return n <= failures ? Mono.error(new IOException("failure " + n)) : Mono.just("ok");
        });
    }

    private static List<Long> runVirtual(Retry retry, int failures, String expected) {
        AtomicInteger subscriptions = new AtomicInteger();
        List<Long> times = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> flaky(failures, subscriptions, times).transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofHours(1))
                .expectNext(expected)
                .verifyComplete();
        return times;
    }

    static RandomGenerator fixed(double... values) {
        return new RandomGenerator() {
            int i;

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return values[i++ % values.length];
            }
        };
    }

    @Test
    void everyBackoffKindWaitsExactlyItsDelaysInVirtualTime() {
        assertThat(runVirtual(Retry.builder("retry").maxAttempts(4).noBackoff().build(), 3, "ok")).containsExactly(0L, 0L, 0L, 0L);
        assertThat(runVirtual(Retry.builder("retry").maxAttempts(4).constantBackoff(Duration.ofMillis(250)).build(), 3, "ok"))
                .containsExactly(0L, 250L, 500L, 750L);
        assertThat(runVirtual(Retry.builder("retry").maxAttempts(4)
                .linearBackoff(Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofSeconds(1)).build(), 3, "ok"))
                .containsExactly(0L, 100L, 250L, 450L);
        assertThat(runVirtual(Retry.builder("retry").maxAttempts(4)
                .exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofMillis(300)).build(), 3, "ok"))
                .containsExactly(0L, 100L, 300L, 600L);
        assertThat(runVirtual(Retry.builder("retry").maxAttempts(3)
                .backoff((attempt, error) -> Duration.ofSeconds(attempt)).build(), 2, "ok"))
                .containsExactly(0L, 1000L, 3000L);
    }

    @Test
    void everyJitterKindWaitsExactlyItsDelaysWithSeededRandomness() {
        dev.ninelives.retry.RetryBuilder base = Retry.builder("retry").maxAttempts(3).exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofSeconds(1));
        assertThat(runVirtual(base.jitter(Jitter.FULL).random(fixed(0.5)).build(), 2, "ok")).containsExactly(0L, 50L, 150L);
        assertThat(runVirtual(base.jitter(Jitter.EQUAL).random(fixed(0.0)).build(), 2, "ok")).containsExactly(0L, 50L, 150L);
        assertThat(runVirtual(base.jitter(0.5).random(fixed(1.0)).build(), 2, "ok")).containsExactly(0L, 150L, 450L);
        assertThat(runVirtual(base.jitter(Jitter.DECORRELATED).random(fixed(1.0)).build(), 2, "ok"))
                .containsExactly(0L, 300L, 1200L);
    }

    /** The seeded-randomness case: a java.util.Random with a fixed seed gives the same delays every run. */
    @Test
    void aSeededRandomGivesRepeatableDelays() {
        dev.ninelives.retry.RetryBuilder b = Retry.builder("retry").maxAttempts(4).exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofSeconds(1))
                .jitter(Jitter.FULL);
        List<Long> first = runVirtual(b.random(new java.util.Random(7)).build(), 3, "ok");
        List<Long> second = runVirtual(b.random(new java.util.Random(7)).build(), 3, "ok");
        assertThat(first).isEqualTo(second).hasSize(4);
    }

    @Test
    void theDeadlineStopsRetriesWhoseDelayWouldEndPastIt() {
        Retry retry = Retry.builder("retry").maxAttempts(10).constantBackoff(Duration.ofSeconds(1))
                .deadline(Duration.ofMillis(2500)).ticker(NineLives.schedulerTicker()).build();
        AtomicInteger subscriptions = new AtomicInteger();
        List<Long> times = new ArrayList<>();
        List<RetryEvent> exhausted = new ArrayList<>();
        retry.onExhausted(exhausted::add);
        StepVerifier.withVirtualTime(() -> flaky(100, subscriptions, times).transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofMinutes(1))
                .verifyErrorMessage("failure 3");
        assertThat(times).containsExactly(0L, 1000L, 2000L);
        assertThat(exhausted).singleElement().satisfies(e -> assertThat(e.attempt()).isEqualTo(3));
    }

    @Test
    void oneBudgetSharedByTwoPipelines() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).capacity(3).ticker(now::get).build();
        Retry a = Retry.builder("a").maxAttempts(10).noBackoff().budget(budget).build();
        Retry b = Retry.builder("b").maxAttempts(10).noBackoff().budget(budget).build();
        List<RetryEvent> refusals = new ArrayList<>();
        a.onBudgetRefused(refusals::add);
        b.onBudgetRefused(refusals::add);
        AtomicInteger calls = new AtomicInteger();
        Mono<String> failing = Mono.defer(() -> Mono.error(new IOException("call " + calls.incrementAndGet())));
        StepVerifier.create(failing.transform(NineLives.retry(a))).verifyErrorMessage("call 4"); // 3 tokens, 3 retries
        StepVerifier.create(failing.transform(NineLives.retry(b))).verifyErrorMessage("call 5"); // none left for b
        assertThat(calls.get()).as("first attempts (2) + the budget's 3 tokens").isEqualTo(5);
        assertThat(refusals).extracting(RetryEvent::retryName).containsExactly("a", "b");
        assertThat(budget.refused()).isEqualTo(2);
    }

    @ParameterizedTest(name = "exhaustedException={0}")
    @ValueSource(booleans = {false, true})
    void exhaustionCarriesTheEarlierErrors(boolean wrap) {
        Retry retry = Retry.builder("retry").maxAttempts(3).noBackoff().exhaustedException(wrap).build();
        AtomicInteger n = new AtomicInteger();
        Mono<String> failing = Mono.defer(() -> Mono.error(new IOException("failure " + n.incrementAndGet())));
        StepVerifier.create(failing.transform(NineLives.retry(retry)))
                .expectErrorSatisfies(e -> {
                    Throwable last = wrap ? e.getCause() : e;
                    assertThat(NineLives.isRetryExhausted(e)).isEqualTo(wrap);
                    if (wrap) {
                        assertThat(e).isInstanceOf(RetryExhaustedException.class);
                        assertThat(((RetryExhaustedException) e).attempts()).isEqualTo(3);
                    }
                    assertThat(last).hasMessage("failure 3");
                    assertThat(e.getSuppressed()).extracting(Throwable::getMessage).containsExactly("failure 1", "failure 2");
                })
                .verify();
    }

    @Test
    void cancelDuringABackoffDisposesItAndNothingIsResubscribed() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(5).constantBackoff(Duration.ofSeconds(10)).build();
        reactor.core.Disposable call = Mono.defer(() -> {
                    subscriptions.incrementAndGet();
                    return Mono.<String>error(new IOException("down"));
                })
                .transform(NineLives.retry(retry, clock))
                .subscribe(v -> { }, e -> { });
        clock.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(1);
        call.dispose();
        clock.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(subscriptions).as("the pending retry was disposed").hasValue(1);

        reactor.core.Disposable other = Mono.defer(() -> {
                    subscriptions.incrementAndGet();
                    return Mono.<String>error(new IOException("down"));
                })
                .transform(NineLives.retry(retry, clock))
                .subscribe(v -> { }, e -> { });
        clock.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(subscriptions).as("without cancel the retry does happen").hasValue(3);
        other.dispose();
    }

    @Test
    void tenThousandImmediateRetriesNeverGrowTheStack() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(10_001).noBackoff().build();
        Mono<String> source = Mono.defer(() -> subscriptions.incrementAndGet() <= 10_000
                ? Mono.error(new IOException("again")) : Mono.just("finally"));
        StepVerifier.create(source.transform(NineLives.retry(retry))).expectNext("finally").verifyComplete();
        assertThat(subscriptions).hasValue(10_001);
        Flux<Integer> fluxSource = Flux.defer(() -> subscriptions.incrementAndGet() <= 20_001
                ? Flux.error(new IOException("again")) : Flux.just(1, 2));
        StepVerifier.create(fluxSource.transform(NineLives.retry(retry))).expectNext(1, 2).verifyComplete();
    }

    @Test
    void demandStaysExactAcrossAttempts() {
        AtomicInteger subscriptions = new AtomicInteger();
        List<Long> requests = new ArrayList<>();
        Flux<Integer> source = Flux.defer(() -> {
            int n = subscriptions.incrementAndGet();
            Flux<Integer> f = n == 1 ? Flux.concat(Flux.just(1, 2), Flux.error(new IOException("mid-stream")))
                    : Flux.range(10, 5);
            return f.doOnRequest(requests::add);
        });
        Retry retry = Retry.builder("retry").maxAttempts(2).noBackoff().build();
        StepVerifier.create(source.transform(NineLives.retry(retry)), 0)
                .thenRequest(3)
                .expectNext(1, 2)
                .expectNext(10)               // the third requested element comes from the second attempt
                .expectNoEvent(Duration.ZERO)
                .thenRequest(1)
                .expectNext(11)
                .thenRequest(10)
                .expectNext(12, 13, 14)
                .verifyComplete();
        assertThat(requests).as("the second attempt is asked only for what is outstanding").startsWith(3L, 1L, 1L);
    }

    /**
     * The backpressured twin: one element at a time across a failed attempt. StepVerifier asks
     * for the next element from inside onNext, so the first attempt is asked for 3, delivers 2
     * and fails; the second attempt must be asked for exactly the 1 still outstanding, then for
     * each further request: 1 + 3 = 4. Asking it for more would break backpressure; asking it
     * for less would hang.
     */
    @Test
    void demandOneAtATimeAcrossAttempts() {
        AtomicInteger subscriptions = new AtomicInteger();
        List<java.util.concurrent.atomic.AtomicLong> asked = new ArrayList<>();
        Flux<Integer> source = Flux.defer(() -> {
            int n = subscriptions.incrementAndGet();
            java.util.concurrent.atomic.AtomicLong mine = new java.util.concurrent.atomic.AtomicLong();
            asked.add(mine);
            return (n == 1 ? Flux.concat(Flux.just(1, 2), Flux.<Integer>error(new IOException("mid-stream")))
                    : Flux.range(10, 3)).doOnRequest(mine::addAndGet);
        });
        StepVerifier.create(source.transform(NineLives.retry(Retry.builder("retry").maxAttempts(2).noBackoff().build())), 0)
                .thenRequest(1).expectNext(1)
                .thenRequest(1).expectNext(2)
                .thenRequest(1).expectNext(10)
                .thenRequest(1).expectNext(11)
                .thenRequest(1).expectNext(12)
                .thenRequest(1)
                .verifyComplete();
        assertThat(asked).extracting(java.util.concurrent.atomic.AtomicLong::get).containsExactly(3L, 4L);
    }

    @Test
    void theSubscribersContextReachesEveryAttempt() {
        AtomicInteger subscriptions = new AtomicInteger();
        List<String> seen = new ArrayList<>();
        Mono<String> source = Mono.deferContextual(ctx -> {
            seen.add(ctx.get("user"));
            return subscriptions.incrementAndGet() < 3 ? Mono.error(new IOException()) : Mono.just("ok");
        });
        StepVerifier.create(source.transform(NineLives.retry(Retry.builder("retry").noBackoff().build()))
                        .contextWrite(reactor.util.context.Context.of("user", "ada")))
                .expectNext("ok").verifyComplete();
        assertThat(seen).containsExactly("ada", "ada", "ada");
    }

    @Test
    void retryOperatorsGoThroughOnAssembly() {
        List<String> assembled = new ArrayList<>();
        reactor.core.publisher.Hooks.onEachOperator("probe", p -> {
            assembled.add(reactor.core.Scannable.from(p).name());
            return p;
        });
        try {
            Retry retry = Retry.builder("assembled").build();
            Mono.just(1).transform(NineLives.retry(retry));
            Flux.just(1).transform(NineLives.retry(retry));
        } finally {
            reactor.core.publisher.Hooks.resetOnEachOperator("probe");
        }
        assertThat(assembled).filteredOn("assembled"::equals).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void demandOneAtATimeForAMono() {
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> subscriptions.incrementAndGet() < 3 ? Mono.error(new IOException()) : Mono.just("v"));
        StepVerifier.create(source.transform(NineLives.retry(Retry.builder("retry").noBackoff().build())), 0)
                .expectSubscription()
                .expectNoEvent(Duration.ZERO)
                .thenRequest(1)
                .expectNext("v")
                .verifyComplete();
    }

    @Test
    void twoSubscribersEachGetAllTheirAttempts() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(3).noBackoff().build();
        Mono<String> failing = Mono.<String>defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(new IOException("down"));
        }).transform(NineLives.retry(retry));
        StepVerifier.create(failing).verifyError(IOException.class);
        StepVerifier.create(failing).verifyError(IOException.class);
        assertThat(subscriptions).hasValue(6);
    }

    @Test
    void jvmFatalErrorsAreNotRetried() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(5).noBackoff().retryIf(e -> true).build();
        Mono<String> source = Mono.defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(new StackOverflowError("fatal"));
        });
        StepVerifier.create(source.transform(NineLives.retry(retry))).verifyError(StackOverflowError.class);
        assertThat(subscriptions).hasValue(1);
    }

    @Test
    void retryOnResultRetriesValuesAndEmitsTheLastWhenExhausted() {
        AtomicInteger subscriptions = new AtomicInteger();
        Retry retry = Retry.builder("retry").maxAttempts(3).noBackoff().retryOnResult(String.class, "busy"::equals).build();
        Mono<String> busyTwice = Mono.fromCallable(() -> subscriptions.incrementAndGet() <= 2 ? "busy" : "done");
        StepVerifier.create(busyTwice.transform(NineLives.retry(retry))).expectNext("done").verifyComplete();
        assertThat(subscriptions).hasValue(3);
        Mono<String> alwaysBusy = Mono.fromCallable(() -> "busy");
        StepVerifier.create(alwaysBusy.transform(NineLives.retry(retry))).expectNext("busy").verifyComplete();
    }

    /** The result predicate is typed: values of another type pass through, never tested, never retried. */
    @Test
    void aTypedResultPredicateRetriesOnlyValuesOfItsType() {
        AtomicInteger subscriptions = new AtomicInteger();
        List<String> tested = new ArrayList<>();
        Retry retry = Retry.builder("typed").maxAttempts(3).noBackoff()
                .retryOnResult(String.class, s -> tested.add(s) && s.equals("busy")).build();
        Mono<Object> busyThenANumber = Mono.fromCallable(() -> subscriptions.incrementAndGet() == 1 ? "busy" : (Object) 42);
        StepVerifier.create(busyThenANumber.transform(NineLives.retry(retry))).expectNext(42).verifyComplete();
        assertThat(subscriptions).hasValue(2);
        assertThat(tested).as("the number never reached the predicate").containsExactly("busy");
    }

    /** A Mono source that ignores cancel, so a test can make it signal whenever it likes. */
    static final class RawMono extends Mono<String> {
        reactor.core.CoreSubscriber<? super String> subscriber;

        @Override
        public void subscribe(reactor.core.CoreSubscriber<? super String> actual) {
            subscriber = actual;
            actual.onSubscribe(reactor.core.publisher.Operators.emptySubscription());
        }
    }

    /**
     * Guards against the race the JMH work found: a retried value abandons its attempt, and that
     * attempt's late onComplete (legal after a cancel) must not end the next attempt empty.
     */
    @Test
    void aLateSignalOfAnAbandonedAttemptIsIgnored() {
        RawMono first = new RawMono();
        RawMono second = new RawMono();
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> subscriptions.incrementAndGet() == 1 ? first : second);
        Retry retry = Retry.builder("retry").maxAttempts(2).noBackoff().retryOnResult(String.class, "busy"::equals).build();
        StepVerifier.create(source.transform(NineLives.retry(retry)))
                .then(() -> first.subscriber.onNext("busy"))
                .then(() -> assertThat(subscriptions).hasValue(2))
                .then(() -> first.subscriber.onComplete())      // late, after its cancel
                .then(() -> first.subscriber.onError(new IOException("later still")))
                .expectNoEvent(Duration.ZERO)
                .then(() -> second.subscriber.onNext("ok"))
                .then(() -> second.subscriber.onComplete())
                .expectNext("ok")
                .verifyComplete();
    }

    @Test
    void fluxOptionsRetryOnlyBeforeTheFirstElementOrResetOnElement() {
        AtomicInteger subscriptions = new AtomicInteger();
        Flux<Integer> emitsThenFails = Flux.defer(() -> {
            subscriptions.incrementAndGet();
            return Flux.concat(Flux.just(1), Flux.error(new IOException("after an element")));
        });
        StepVerifier.create(emitsThenFails.transform(NineLives.retry(Retry.builder("retry").noBackoff().retryAfterElements(false).build())))
                .expectNext(1).verifyErrorMessage("after an element");
        assertThat(subscriptions).hasValue(1);

        // resetOnElement: every attempt emits an element before failing, so the count never runs out
        subscriptions.set(0);
        Flux<Integer> tenTimes = Flux.defer(() -> subscriptions.incrementAndGet() <= 10
                ? Flux.concat(Flux.just(subscriptions.get()), Flux.error(new IOException("flaky")))
                : Flux.just(99));
        StepVerifier.create(tenTimes.transform(NineLives.retry(Retry.builder("retry").maxAttempts(2).noBackoff().resetOnElement(true).build())))
                .expectNextCount(10).expectNext(99).verifyComplete();
        subscriptions.set(0);
        StepVerifier.create(tenTimes.transform(NineLives.retry(Retry.builder("retry").maxAttempts(2).noBackoff().build())))
                .expectNext(1, 2).verifyErrorMessage("flaky");
    }

    @Test
    void everyAttemptGoesThroughTheBreakerAndRefusalsAreNotRetried() {
        CircuitBreaker breaker = CircuitBreaker.builder("b").slidingWindow(2).minimumNumberOfCalls(2).build();
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> call = Mono.<String>defer(() -> {
            subscriptions.incrementAndGet();
            return Mono.error(new IOException("down"));
        }).transform(NineLives.breaker(breaker)).transform(NineLives.retry(Retry.builder("retry").maxAttempts(5).noBackoff().build()));
        StepVerifier.create(call).verifyError(CallNotPermittedException.class);
        assertThat(subscriptions).as("two attempts opened the breaker; the refusal ended the retries").hasValue(2);
        assertThat(breaker.metrics().notPermitted()).isEqualTo(1);
    }

    @Test
    void theSourceSeesOneSubscriptionPerAttemptAndTheSubscriberOneOnSubscribe() {
        TestPublisher<String> first = TestPublisher.create();
        AtomicInteger subscriptions = new AtomicInteger();
        Flux<String> source = Flux.defer(() -> subscriptions.incrementAndGet() == 1 ? first.flux() : Flux.just("second"));
        StepVerifier.create(source.transform(NineLives.retry(Retry.builder("retry").noBackoff().build())))
                .then(() -> first.error(new IOException("first fails")))
                .expectNext("second")
                .verifyComplete();
        first.assertWasSubscribed();
    }

    @Test
    void operatorsAreScannableAndAMonoStaysAMono() {
        Retry retry = Retry.builder("scan").build();
        Mono<Integer> mono = Mono.just(1).transform(NineLives.retry(retry));
        Flux<Integer> flux = Flux.just(1).transform(NineLives.retry(retry, Schedulers.single()));
        assertThat(mono).isInstanceOf(Mono.class);
        assertThat(flux).isInstanceOf(Flux.class);
        assertThat(reactor.core.Scannable.from(mono).name()).isEqualTo("scan");
        assertThat(reactor.core.Scannable.from(flux).scan(reactor.core.Scannable.Attr.RUN_STYLE))
                .isEqualTo(reactor.core.Scannable.Attr.RunStyle.ASYNC);
    }
}
