package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
// end::imports[]

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.RetryBuilder;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryExhaustedException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;

/**
 * Checks every region of {@link RetrySnippets} that the "Retry" page shows, the delays the page
 * promises (exactly, under virtual time), and holds the page's virtual-time example (the
 * {@code virtual-time} region below).
 */
class RetrySnippetsTest {

    static final String DOWN = "quotes are down";

    /**
     * A quote client scripted per subscription: the n-th subscription (from 1) gets
     * {@code quotes.apply(n)} or {@code histories.apply(n)}. Records the clock of
     * {@code Schedulers.parallel()} (virtual under {@code withVirtualTime}) at each subscription.
     */
    static final class FakeClient implements GettingStartedSnippets.QuoteClient {
        IntFunction<Mono<String>> quotes = n -> Mono.just("ACME 42.00");
        IntFunction<Flux<String>> histories = n -> Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00");
        final AtomicInteger subscriptions = new AtomicInteger();
        final List<Long> nanos = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Mono<String> quote(String symbol) {
            return Mono.defer(() -> quotes.apply(subscribed()));
        }

        @Override
        public Flux<String> history(String symbol) {
            return Flux.defer(() -> histories.apply(subscribed()));
        }

        private int subscribed() {
            nanos.add(Schedulers.parallel().now(TimeUnit.NANOSECONDS));
            return subscriptions.incrementAndGet();
        }

        /** The subscription times, in whole milliseconds (only for delays that are whole). */
        List<Long> millis() {
            return nanos.stream().map(n -> {
                assertThat(n % 1_000_000).as("%d ns is a whole number of ms", n).isZero();
                return n / 1_000_000;
            }).toList();
        }

        /** Fails the first {@code failures} quotes, each with a new IOException, then answers. */
        FakeClient failing(int failures) {
            quotes = n -> n <= failures ? Mono.error(new IOException(DOWN + " (" + n + ")")) : Mono.just("ACME 42.00");
            return this;
        }
    }

    final FakeClient client = new FakeClient();
    final CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
    final RetrySnippets quotes = new RetrySnippets(client, RetrySnippets.quotesRetry(), breaker);

    static IOException down() {
        return new IOException(DOWN);
    }

    /** Subscribes under virtual time, lets an hour pass, and returns the client's subscription times in ms. */
    List<Long> attemptTimes(Retry retry) {
        StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofHours(1))
                .expectNext("ACME 42.00")
                .verifyComplete();
        return client.millis();
    }

    // ---------------------------------------------------------------- build, transform

    /**
     * The delays a policy waits before each retry, in nanoseconds, as its RETRY events give them,
     * against a source that always fails, under virtual time.
     */
    static List<Long> retryDelays(Retry retry) {
        List<Long> delays = new ArrayList<>();
        retry.onRetry(e -> delays.add(e.delay().toNanos()));
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> Mono.error(down())).transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofHours(1))
                .verifyError(IOException.class);
        return delays;
    }

    @Test
    void buildConfiguresThePolicyAsThePageSays() {
        Retry retry = RetrySnippets.quotesRetry();
        assertThat(retry.name()).isEqualTo("quotes");
        assertThat(retry.maxAttempts()).isEqualTo(4);
        assertThat(retryDelays(retry)).containsExactly(ms(100), ms(200), ms(400));
        assertThat(retry.deadlineNanos()).isZero();
        assertThat(retry.budget()).isNull();
        assertThat(retry.exhaustedException()).isFalse();
    }

    @Test
    void retriedQuoteWaits100Then200Then400Ms() {
        client.failing(3);
        StepVerifier.withVirtualTime(() -> quotes.quote("ACME"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(699))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("ACME 42.00")
                .verifyComplete();
        assertThat(client.millis()).containsExactly(0L, 100L, 300L, 700L);
    }

    @Test
    void errorsThatArePassedOverAreSignalledAtOnce() {
        client.quotes = n -> Mono.error(new IllegalStateException("a bug"));
        StepVerifier.create(quotes.quote("ACME")).verifyErrorMessage("a bug");
        assertThat(client.subscriptions).as("not an I/O error: not retried").hasValue(1);
    }

    @Test
    void oneTransformedMonoIsOneCallPerSubscriptionEachWithItsOwnAttempts() {
        client.quotes = n -> Mono.error(new IOException(DOWN + " (" + n + ")"));
        Mono<String> quote = quotes.quote("ACME");            // assembled once, outside virtual time
        StepVerifier.withVirtualTime(() -> quote).thenAwait(Duration.ofSeconds(1)).verifyErrorMessage(DOWN + " (4)");
        StepVerifier.withVirtualTime(() -> quote).thenAwait(Duration.ofSeconds(1)).verifyErrorMessage(DOWN + " (8)");
        assertThat(client.subscriptions).hasValue(8);
        assertThat(client.millis()).as("the scheduler is resolved at subscription: virtual delays both times")
                .containsExactly(0L, 100L, 300L, 700L, 0L, 100L, 300L, 700L);
    }

    @Test
    void aFailedHistoryIsSubscribedAgainAndItsElementsComeAgain() {
        client.histories = n -> n == 1
                ? Flux.concat(Flux.just("ACME 41.00"), Flux.error(down()))
                : Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00");
        StepVerifier.withVirtualTime(() -> quotes.history("ACME"))
                .expectNext("ACME 41.00")
                .thenAwait(Duration.ofMillis(100))
                .expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00")
                .verifyComplete();
        assertThat(Flux.just(1).transform(NineLives.retry(Retry.ofDefaults("retry")))).isInstanceOf(Flux.class);
        assertThat(Mono.just(1).transform(NineLives.retry(Retry.ofDefaults("retry")))).isInstanceOf(Mono.class);
    }

    @Test
    void theNextAttemptIsAskedOnlyForWhatIsStillOutstanding() {
        List<Long> requests = new ArrayList<>();
        client.histories = n -> (n == 1
                ? Flux.concat(Flux.just("ACME 41.00"), Flux.<String>error(down()))
                : Flux.just("ACME 41.50", "ACME 42.00", "ACME 42.50")).doOnRequest(requests::add);
        StepVerifier.withVirtualTime(() -> quotes.history("ACME"), 2)
                .expectNext("ACME 41.00")
                .thenAwait(Duration.ofMillis(100))
                .expectNext("ACME 41.50")
                .expectNoEvent(Duration.ofSeconds(1))
                .thenRequest(5)
                .expectNext("ACME 42.00", "ACME 42.50")
                .verifyComplete();
        assertThat(requests).containsExactly(2L, 1L, 5L);
    }

    @Test
    void immediateRetriesLoopInsteadOfDeepeningTheStack() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> attempts.incrementAndGet() <= 10_000
                ? Mono.error(down()) : Mono.just("finally"));
        StepVerifier.create(source.transform(NineLives.retry(Retry.builder("retry").maxAttempts(10_001).noBackoff().build())))
                .expectNext("finally")
                .verifyComplete();
        assertThat(attempts).hasValue(10_001);
    }

    @Test
    void cancelDuringADelayDisposesItAndNothingIsResubscribed() {
        client.failing(10);
        VirtualTimeScheduler clock = VirtualTimeScheduler.getOrSet();     // Schedulers.parallel() is now virtual
        try {
            Disposable call = quotes.quote("ACME").subscribe(v -> { }, e -> { });
            clock.advanceTimeBy(Duration.ofMillis(50));
            call.dispose();                                                 // halfway through the first delay
            clock.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(client.subscriptions).hasValue(1);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void quoteOnRunsTheDelaysOnTheGivenScheduler() {
        VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();   // not installed: parallel() stays real
        client.failing(1);
        List<String> answers = new ArrayList<>();
        quotes.quoteOn("ACME", scheduler).subscribe(answers::add);
        assertThat(client.subscriptions).hasValue(1);
        scheduler.advanceTimeBy(Duration.ofMillis(99));
        assertThat(client.subscriptions).hasValue(1);
        scheduler.advanceTimeBy(Duration.ofMillis(1));
        assertThat(client.subscriptions).hasValue(2);
        assertThat(answers).containsExactly("ACME 42.00");
        scheduler.dispose();
    }

    // ---------------------------------------------------------------- Flux options

    @Test
    void beforeFirstElementRetriesOnlyAStreamThatFailedBeforeItsFirstElement() {
        Retry retry = RetrySnippets.fluxOptions().beforeFirstElement();
        client.histories = n -> Flux.concat(Flux.just("ACME 41.00"), Flux.error(new IOException(DOWN + " (" + n + ")")));
        StepVerifier.withVirtualTime(() -> client.history("ACME").transform(NineLives.retry(retry)))
                .expectNext("ACME 41.00")
                .verifyErrorMessage(DOWN + " (1)");
        assertThat(client.subscriptions).hasValue(1);

        client.histories = n -> n == 2 ? Flux.error(down()) : Flux.just("ACME 41.00");
        StepVerifier.withVirtualTime(() -> client.history("ACME").transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("ACME 41.00")
                .verifyComplete();
        assertThat(client.subscriptions).hasValue(3);
    }

    @Test
    void liveFeedGetsItsAttemptsBackAtEachElement() {
        Retry liveFeed = RetrySnippets.fluxOptions().liveFeed();
        // Five times in a row an element, then an error: more errors than the 3 attempts.
        client.histories = n -> n <= 5
                ? Flux.concat(Flux.just("tick " + n), Flux.error(down()))
                : Flux.just("tick " + n);
        StepVerifier.withVirtualTime(() -> client.history("ACME").transform(NineLives.retry(liveFeed)))
                .thenAwait(Duration.ofSeconds(10))
                .expectNext("tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6")
                .verifyComplete();
        assertThat(client.millis()).as("each retry is a first retry again: 100 ms")
                .containsExactly(0L, 100L, 200L, 300L, 400L, 500L);

        client.subscriptions.set(0);
        StepVerifier.withVirtualTime(() -> client.history("ACME")
                        .transform(NineLives.retry(Retry.builder("retry").maxAttempts(3).build())))
                .thenAwait(Duration.ofSeconds(10))
                .expectNext("tick 1", "tick 2", "tick 3")
                .verifyErrorMessage(DOWN);
    }

    // ---------------------------------------------------------------- backoff and jitter

    @Test
    void everyBackoffWaitsExactlyTheDelaysOfItsComment() {
        RetrySnippets.Backoffs b = RetrySnippets.backoffs();
        client.failing(3);
        assertThat(attemptTimes(b.none())).containsExactly(0L, 0L, 0L, 0L);
        client.nanos.clear();
        client.subscriptions.set(0);
        assertThat(attemptTimes(b.constant())).containsExactly(0L, 250L, 500L, 750L);
        client.nanos.clear();
        client.subscriptions.set(0);
        assertThat(attemptTimes(b.linear())).containsExactly(0L, 100L, 250L, 450L);
        client.nanos.clear();
        client.subscriptions.set(0);
        assertThat(attemptTimes(b.exponential())).containsExactly(0L, 100L, 300L, 600L);
    }

    @Test
    void customBackoffHonoursRetryAfterAndRetriesNothingElse() {
        Retry retryAfter = RetrySnippets.backoffs().retryAfter();
        client.quotes = n -> n == 1
                ? Mono.error(new RetrySnippets.RateLimitedException(Duration.ofSeconds(2)))
                : Mono.just("ACME 42.00");
        assertThat(attemptTimes(retryAfter)).containsExactly(0L, 2000L);

        client.subscriptions.set(0);
        client.quotes = n -> Mono.error(down());
        StepVerifier.create(client.quote("ACME").transform(NineLives.retry(retryAfter))).verifyErrorMessage(DOWN);
        assertThat(client.subscriptions).as("null from the function: no retry").hasValue(1);
    }

    @Test
    void equalJitterStaysBetweenHalfAndAllOfEachDelay() {
        Retry equal = RetrySnippets.jittered().equal();
        for (int run = 0; run < 50; run++) {
            client.nanos.clear();
            client.subscriptions.set(0);
            client.failing(2);
            StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(equal)))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectNext("ACME 42.00")
                    .verifyComplete();
            long first = client.nanos.get(1);
            long second = client.nanos.get(2) - first;
            assertThat(first).isBetween(ms(50), ms(100));
            assertThat(second).isBetween(ms(100), ms(200));
        }
    }

    @Test
    void seededJitterWaitsTheSameDelaysOnEveryRun() {
        for (int run = 0; run < 2; run++) {
            client.nanos.clear();
            client.subscriptions.set(0);
            client.failing(2);
            Retry reproducible = RetrySnippets.jittered().reproducible();
            StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(reproducible)))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectNext("ACME 42.00")
                    .verifyComplete();
            // 72.756368 ms, then 136.644694 ms: the figures the page gives
            assertThat(client.nanos).containsExactly(0L, 72_756_368L, 72_756_368L + 136_644_694L);
        }
    }

    /** A generator whose every draw is {@code value}. */
    static RandomGenerator always(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    static long now() {
        return Schedulers.parallel().now(TimeUnit.MILLISECONDS);
    }

    static long ms(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }

    @Test
    void everyJitterKindDrawsFromTheRangeOfThePageTable() {
        double top = Math.nextDown(1.0);
        RetryBuilder b = Retry.builder("jitter").maxAttempts(4).exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1));
        // FULL: 0 to the delay. Base delays 100 ms, 200 ms.
        assertThat(retryDelays(b.jitter(Jitter.FULL).random(always(0)).build()).get(1)).isZero();
        assertThat(retryDelays(b.jitter(Jitter.FULL).random(always(top)).build()).get(1)).isBetween(ms(199), ms(200));
        // EQUAL: half the delay to the delay.
        assertThat(retryDelays(b.jitter(Jitter.EQUAL).random(always(0)).build()).get(1)).isEqualTo(ms(100));
        assertThat(retryDelays(b.jitter(Jitter.EQUAL).random(always(top)).build()).get(1)).isBetween(ms(199), ms(200));
        // PROPORTIONAL, jitter(0.2): 80 % to 120 % of the delay.
        assertThat(retryDelays(b.jitter(0.2).random(always(0)).build()).get(1)).isEqualTo(ms(160));
        assertThat(retryDelays(b.jitter(0.2).random(always(top)).build()).get(1)).isBetween(ms(239), ms(240));
        // DECORRELATED: the initial delay to 3 times the previous delay (the initial one before the first retry), capped.
        List<Long> low = retryDelays(b.jitter(Jitter.DECORRELATED).random(always(0)).build());
        List<Long> high = retryDelays(b.jitter(Jitter.DECORRELATED).random(always(top)).build());
        assertThat(low).containsExactly(ms(100), ms(100), ms(100));
        assertThat(high.get(0)).isBetween(ms(299), ms(300));
        assertThat(high.get(1)).as("3 times the previous").isBetween(ms(899), ms(900));
        assertThat(high.get(2)).as("capped at max").isEqualTo(ms(1000));
    }

    // ---------------------------------------------------------------- deadline

    @Test
    void deadlineAllowsAttemptsAt0And1And2Seconds() {
        Retry retry = RetrySnippets.withDeadline(NineLives.schedulerTicker());
        List<RetryEvent> exhausted = new ArrayList<>();
        retry.onExhausted(exhausted::add);
        client.failing(100);
        StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(retry)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(Duration.ofMillis(1))                 // attempt 3 fails at 2 s: no retry at 3 s
                .expectErrorMessage(DOWN + " (3)")
                .verify();
        assertThat(client.millis()).containsExactly(0L, 1000L, 2000L);
        assertThat(exhausted).singleElement().satisfies(e -> {
            assertThat(e.attempt()).as("3 of 10 attempts: the deadline, not the count").isEqualTo(3);
            assertThat(e.delay()).isEqualTo(Duration.ofSeconds(1));
        });
    }

    @Test
    void deadlineNeverCutsAnAttemptShort() {
        Retry retry = RetrySnippets.withDeadline(NineLives.schedulerTicker());
        client.quotes = n -> Mono.delay(Duration.ofMillis(800)).then(Mono.error(new IOException(DOWN + " (" + n + ")")));
        StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(retry)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2599))    // attempts at 0 and 1.8 s; the second ends at 2.6 s
                .thenAwait(Duration.ofMillis(1))
                .expectErrorMessage(DOWN + " (2)")
                .verify();
        assertThat(client.millis()).containsExactly(0L, 1800L);
    }

    // ---------------------------------------------------------------- budget

    @Test
    void twoPipelinesShareOneBudget() {
        AtomicReference<RetrySnippets.SharedBudget> holder = new AtomicReference<>();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        client.quotes = n -> Mono.error(down());
        client.histories = n -> Flux.error(down());

        // An outage: ten calls at once, quotes and histories in turn.
        StepVerifier.withVirtualTime(() -> {
                    // Built on the virtual clock: the budget reads its ticker when it is built.
                    RetrySnippets.SharedBudget shared = RetrySnippets.sharedBudget(NineLives.schedulerTicker());
                    holder.set(shared);
                    for (Retry r : List.of(shared.quotes(), shared.history())) {
                        r.onRetry(e -> events.add(now() + " ms " + e.retryName() + " retry"));
                        r.onBudgetRefused(e -> events.add(now() + " ms " + e.retryName() + " refused"));
                    }
                    return Flux.range(0, 10)
                            .flatMap(i -> (i % 2 == 0
                                    ? client.quote("ACME").transform(NineLives.retry(shared.quotes())).flux()
                                    : client.history("ACME").transform(NineLives.retry(shared.history())))
                                    .onErrorResume(IOException.class, e -> Flux.empty()));
                })
                .thenAwait(Duration.ofSeconds(1))
                .verifyComplete();

        assertThat(events).containsExactly(
                // The full bucket's 5 tokens, whoever asks; the deposits of 0.1 a call do not add up to one more.
                "0 ms quotes retry", "0 ms history retry", "0 ms quotes retry", "0 ms history retry", "0 ms quotes retry",
                "0 ms history refused", "0 ms quotes refused", "0 ms history refused", "0 ms quotes refused",
                "0 ms history refused",
                // 100 ms later the bucket holds 0.9 + 0.1 accrued: one more retry, for the first to ask.
                "100 ms quotes retry", "100 ms history refused", "100 ms quotes refused", "100 ms history refused",
                "100 ms quotes refused");
        assertThat(holder.get().budget().refused()).isEqualTo(9);
        assertThat(client.subscriptions).as("10 calls + 6 retries").hasValue(16);
    }

    @Test
    void aBudgetRefusalEndsTheCallWithItsLastErrorEvenWhenExhaustionIsWrapped() {
        RetrySnippets.SharedBudget shared = RetrySnippets.sharedBudget(() -> 0L);
        Retry wrapping = Retry.builder("retry").maxAttempts(100).noBackoff().budget(shared.budget()).exhaustedException(true).build();
        client.quotes = n -> Mono.error(new IOException(DOWN + " (" + n + ")"));
        StepVerifier.create(client.quote("ACME").transform(NineLives.retry(wrapping)))
                .expectErrorSatisfies(e -> {
                    assertThat(NineLives.isRetryExhausted(e)).isFalse();
                    assertThat(e).hasMessage(DOWN + " (6)");            // the first attempt and 5 retries
                    assertThat(e.getSuppressed()).hasSize(5);
                })
                .verify();
    }

    // ---------------------------------------------------------------- exhaustion

    @Test
    void exhaustionSignalsTheLastErrorWithTheEarlierOnesSuppressed() {
        client.failing(100);
        StepVerifier.withVirtualTime(() -> quotes.quote("ACME"))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(IOException.class).hasMessage(DOWN + " (4)");
                    assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                            .containsExactly(DOWN + " (1)", DOWN + " (2)", DOWN + " (3)");
                    assertThat(NineLives.isRetryExhausted(e)).isFalse();
                })
                .verify();
    }

    @Test
    void quoteOrExplainAnswersOnceTheStrictPolicyIsExhausted() {
        client.failing(100);
        StepVerifier.create(quotes.quoteOrExplain("ACME"))
                .expectNext("no quote after 3 attempts: " + DOWN + " (3)")
                .verifyComplete();

        client.subscriptions.set(0);
        client.failing(2);
        StepVerifier.create(quotes.quoteOrExplain("ACME")).expectNext("ACME 42.00").verifyComplete();

        client.subscriptions.set(0);
        breaker.transitionTo(CircuitBreaker.State.OPEN);
        client.quotes = n -> Mono.just("ACME 42.00").transform(NineLives.breaker(breaker));
        StepVerifier.create(quotes.quoteOrExplain("ACME")).verifyError(CallNotPermittedException.class);
        assertThat(client.subscriptions).as("a refusal is not retried").hasValue(1);
    }

    @Test
    void theStrictPolicyWrapsWithTheCauseAndTheEarlierErrors() {
        client.failing(100);
        Retry strict = Retry.builder("retry").maxAttempts(3).noBackoff().exhaustedException(true).build();
        StepVerifier.create(client.quote("ACME").transform(NineLives.retry(strict)))
                .expectErrorSatisfies(e -> {
                    assertThat(NineLives.isRetryExhausted(e)).isTrue();
                    assertThat(((RetryExhaustedException) e).attempts()).isEqualTo(3);
                    assertThat(e.getCause()).hasMessage(DOWN + " (3)");
                    assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                            .containsExactly(DOWN + " (1)", DOWN + " (2)");
                })
                .verify();
    }

    // ---------------------------------------------------------------- result

    @Test
    void untilPricedAsksAgainWhileTheQuoteIsPending() {
        client.quotes = n -> Mono.just(n <= 2 ? "PENDING" : "ACME 42.00");
        assertThat(attemptTimes(RetrySnippets.untilPriced())).containsExactly(0L, 200L, 400L);

        client.quotes = n -> Mono.just("PENDING");
        StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(RetrySnippets.untilPriced())))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(799))
                .thenAwait(Duration.ofMillis(1))                 // attempt 5, at 800 ms
                .expectNext("PENDING")                        // out of attempts: the last value
                .verifyComplete();
    }

    // ---------------------------------------------------------------- listeners

    List<String> loggedOutage() {
        Retry retry = RetrySnippets.quotesRetry();
        List<String> log = new ArrayList<>();
        RetrySnippets.logRetries(retry, log::add);
        client.quotes = n -> Mono.error(down());
        StepVerifier.withVirtualTime(() -> client.quote("ACME").transform(NineLives.retry(retry)))
                .thenAwait(Duration.ofSeconds(1))
                .verifyErrorMessage(DOWN);
        return log;
    }

    @Test
    void listenersHearEachRetryAndTheExhaustion() {
        assertThat(loggedOutage()).containsExactly(
                "Retry 'quotes' RETRY after attempt 1 (next in PT0.1S): java.io.IOException: quotes are down",
                "Retry 'quotes' RETRY after attempt 2 (next in PT0.2S): java.io.IOException: quotes are down",
                "Retry 'quotes' RETRY after attempt 3 (next in PT0.4S): java.io.IOException: quotes are down",
                "Retry 'quotes' EXHAUSTED after attempt 4: java.io.IOException: quotes are down");
    }

    @Test
    void pageQuotesTheLinesTheListenersSend() throws IOException {
        List<String> log = loggedOutage();
        Path page = Path.of(System.getProperty("basedir", "")).resolve("src/docs/asciidoc/retry.adoc");
        String source = Files.readString(page);
        assertThat(source).contains("`+" + log.get(0) + "+`").contains("`+" + log.get(3) + "+`");
        String html = SitePagesTest.visibleText(Path.of(System.getProperty("basedir", "")).resolve("target/site-html/retry.html"));
        assertThat(html).contains(log.get(0)).contains(log.get(3));
    }

    // ---------------------------------------------------------------- with the breaker

    @Test
    void everyAttemptGoesThroughTheBreakerAndARefusalEndsTheRetries() {
        client.quotes = n -> Mono.error(down());
        // 2 calls of 4 failed attempts, then 2 more: 10 failures of 10, the breaker opens.
        for (int i = 0; i < 2; i++) {
            StepVerifier.withVirtualTime(() -> quotes.protectedQuote("ACME"))
                    .thenAwait(Duration.ofSeconds(1))
                    .verifyErrorMessage(DOWN);
        }
        assertThat(breaker.metrics().calls()).as("each attempt is a call of the breaker").isEqualTo(8);
        StepVerifier.withVirtualTime(() -> quotes.protectedQuote("ACME"))
                .thenAwait(Duration.ofSeconds(1))
                .expectError(CallNotPermittedException.class)     // the 3rd attempt is refused; no 4th
                .verify();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(client.subscriptions).hasValue(10);

        StepVerifier.create(quotes.protectedQuote("ACME"))
                .expectError(CallNotPermittedException.class)     // at once: no delay, no attempt
                .verify(Duration.ofSeconds(5));
        assertThat(client.subscriptions).hasValue(10);
        assertThat(breaker.metrics().notPermitted()).isEqualTo(2);
    }

    @Test
    void retryInsideTheBreakerHidesTheAttemptsFromIt() {
        client.quotes = n -> Mono.error(down());
        StepVerifier.withVirtualTime(() -> client.quote("ACME")
                        .transform(NineLives.retry(RetrySnippets.quotesRetry()))
                        .transform(NineLives.breaker(breaker)))          // the wrong order
                .thenAwait(Duration.ofSeconds(1))
                .verifyErrorMessage(DOWN);
        assertThat(client.subscriptions).hasValue(4);
        assertThat(breaker.metrics().calls()).as("four attempts, one call for the breaker").isEqualTo(1);
    }

    // ---------------------------------------------------------------- testing

    // tag::virtual-time[]
    @Test
    void quoteIsRetriedAfter100ThenAfter200Ms() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> attempts.incrementAndGet() <= 2
                ? Mono.error(new IOException("quotes are down"))     // attempts 1 and 2 fail,
                : Mono.just("ACME 42.00"));                          // attempt 3 answers
        Retry retry = Retry.builder("quotes")
                .maxAttempts(3)
                .exponentialBackoff(Duration.ofMillis(100),          // 100 ms, then 200 ms
                        2.0, Duration.ofSeconds(1))
                .build();

        StepVerifier.withVirtualTime(() -> flaky.transform(NineLives.retry(retry)))
                .expectSubscription()                                // attempt 1 fails at 0 ms
                .expectNoEvent(Duration.ofMillis(299))               // attempt 2 fails at 100 ms
                .thenAwait(Duration.ofMillis(1))                     // attempt 3, at 300 ms
                .expectNext("ACME 42.00")
                .verifyComplete();

        assertThat(attempts).hasValue(3);
    }
    // end::virtual-time[]
}
