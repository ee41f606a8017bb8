package dev.ninelives.site;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.breaker.StateTransitionEvent;
import dev.ninelives.breaker.StateTransitionEvent.Reason;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.site.BreakerSnippets.QuoteNotFoundException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Checks every region of {@link BreakerSnippets} that the "Circuit breaker" page shows, and the
 * figures and lines the page quotes. Time is a ticker the test moves by hand, or Reactor's
 * virtual clock: no test waits.
 */
class BreakerSnippetsTest {

    static final String DOWN = "quotes are down";

    /**
     * A quote client scripted per subscription: the n-th (from 1) gets {@code quotes.apply(n)} or
     * {@code histories.apply(n)}.
     */
    static final class FakeClient implements GettingStartedSnippets.QuoteClient {
        IntFunction<Mono<String>> quotes = n -> Mono.just("ACME 42.00");
        IntFunction<Flux<String>> histories = n -> Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00");
        final AtomicInteger subscriptions = new AtomicInteger();

        @Override
        public Mono<String> quote(String symbol) {
            return Mono.defer(() -> quotes.apply(subscriptions.incrementAndGet()));
        }

        @Override
        public Flux<String> history(String symbol) {
            return Flux.defer(() -> histories.apply(subscriptions.incrementAndGet()));
        }
    }

    /** A clock the test moves by hand. */
    final AtomicLong nanos = new AtomicLong();
    final FakeClient client = new FakeClient();

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @AfterEach
    void removeVirtualClock() {
        VirtualTimeScheduler.reset();
    }

    /** Makes {@code n} calls through {@code breaker} that succeed or fail, synchronously. */
    void calls(CircuitBreaker breaker, int n, boolean fail) {
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        client.quotes = i -> fail ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00");
        for (int i = 0; i < n; i++) {
            service.quote("ACME").onErrorResume(e -> Mono.empty()).block();
        }
    }

    /** Records one outcome through the permit protocol: the breaker must permit the call. */
    static void outcome(CircuitBreaker breaker, boolean fail) {
        long permit = breaker.tryAcquire();
        assertThat(permit).as("permitted in %s", breaker.state()).isNotNegative();
        if (fail) {
            breaker.onError(permit, 0, new IOException(DOWN));
        } else {
            breaker.onSuccess(permit, 0);
        }
    }

    // ---------------------------------------------------------------- the quote service

    @Test
    void aHistoryIsOneCallOfTheBreakerHoweverManyQuotesItStreams() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        StepVerifier.create(service.history("ACME"))
                .expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00")
                .verifyComplete();
        assertThat(breaker.metrics().calls()).as("three quotes, one call").isEqualTo(1);
        assertThat(breaker.metrics().failures()).isZero();

        client.histories = n -> Flux.just("ACME 41.00", "ACME 41.50").concatWith(Flux.error(new IOException(DOWN)));
        StepVerifier.create(service.history("ACME"))
                .expectNext("ACME 41.00", "ACME 41.50")
                .verifyErrorMessage(DOWN);
        assertThat(breaker.metrics().calls()).isEqualTo(2);
        assertThat(breaker.metrics().failures()).as("the stream failed: one failure").isEqualTo(1);

        breaker.transitionTo(State.OPEN);
        StepVerifier.create(service.history("ACME")).verifyError(CallNotPermittedException.class);
        assertThat(client.subscriptions).as("a refused history never reaches the client").hasValue(2);
    }

    // ---------------------------------------------------------------- windows

    @Test
    void theCountWindowJudgesFromTheTwentiethCall() {
        CircuitBreaker byCount = BreakerSnippets.windows(nanos::get).byCount();
        assertThat(byCount.config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.COUNT_BASED);
        calls(byCount, 19, true);
        assertThat(byCount.state()).as("19 of 19 failed, but 19 calls are not judged").isEqualTo(State.CLOSED);
        assertThat(byCount.metrics().failureRate()).isEqualTo(-1f);
        calls(byCount, 1, true);
        assertThat(byCount.state()).isEqualTo(State.OPEN);
    }

    @Test
    void theCountWindowForgetsTheOldestCallAtEachNewOne() {
        CircuitBreaker byCount = BreakerSnippets.windows(nanos::get).byCount();
        calls(byCount, 50, false);
        calls(byCount, 24, true);
        assertThat(byCount.state()).as("24 of the last 50 failed").isEqualTo(State.CLOSED);
        assertThat(byCount.metrics().failureRate()).isEqualTo(48f);
        calls(byCount, 1, true);
        assertThat(byCount.state()).as("25 of the last 50").isEqualTo(State.OPEN);
    }

    @Test
    void theTimeWindowForgetsCallsOlderThanTenSeconds() {
        CircuitBreaker byTime = BreakerSnippets.windows(nanos::get).byTime();
        assertThat(byTime.config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
        assertThat(byTime.config().windowBuckets()).isEqualTo(10);
        calls(byTime, 19, true);                                   // at 0 s
        advance(Duration.ofSeconds(10));
        calls(byTime, 1, true);                                    // at 10 s: the 19 have left
        assertThat(byTime.state()).isEqualTo(State.CLOSED);
        assertThat(byTime.metrics().calls()).isEqualTo(1);

        CircuitBreaker again = BreakerSnippets.windows(nanos::get).byTime();
        nanos.set(0);
        calls(again, 19, true);
        advance(Duration.ofMillis(9_999));
        calls(again, 1, true);                                     // at 9.999 s: 20 calls in 10 s
        assertThat(again.state()).isEqualTo(State.OPEN);
    }

    @Test
    void theTimeWindowSlidesABucketAtATime() {
        CircuitBreaker byTime = BreakerSnippets.windows(nanos::get).byTime();
        advance(Duration.ofMillis(900));
        calls(byTime, 5, false);                                   // at 0.9 s, in the bucket of 0 to 1 s
        advance(Duration.ofMillis(9_100));
        assertThat(byTime.metrics().calls()).as("at 10 s the bucket of 0 to 1 s has left").isZero();
    }

    // ---------------------------------------------------------------- slow calls

    @Test
    void halfTheWindowSlowOpensTheBreakerEvenWhenEveryCallSucceeds() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.getOrSet();
        CircuitBreaker breaker = BreakerSnippets.slowCalls(NineLives.schedulerTicker());
        List<StateTransitionEvent> events = new ArrayList<>();
        breaker.onStateTransition(events::add);
        BreakerSnippets service = new BreakerSnippets(client, breaker);

        client.quotes = n -> Mono.delay(Duration.ofMillis(n <= 5 ? 499 : 500)).thenReturn("ACME 42.00");
        for (int i = 0; i < 10; i++) {
            service.quote("ACME").subscribe();
            clock.advanceTimeBy(Duration.ofMillis(500));
        }
        assertThat(breaker.state()).as("5 slow of 10: 50 %").isEqualTo(State.OPEN);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo(Reason.SLOW_CALL_RATE_EXCEEDED);
            assertThat(e.detail()).startsWith("slow-call rate 50.0% >= 50.0% over 10 calls (5 slower than PT0.5S)");
        });
        assertThat(breaker.metrics().failures()).as("all succeeded").isZero();
    }

    // ---------------------------------------------------------------- open duration and trials

    /** Opens the breaker from CLOSED, then lets each trial round fail, and returns the open durations. */
    List<String> openings(CircuitBreaker breaker, int reopenings) {
        List<String> details = new ArrayList<>();
        breaker.onStateTransition(e -> {
            if (e.to() == State.OPEN) {
                details.add(e.detail().substring(e.detail().indexOf("open for ")));
            }
        });
        for (int i = 0; i < 10; i++) {
            outcome(breaker, true);
        }
        for (int round = 0; round < reopenings; round++) {
            long openFor = breaker.config().openDurationNanos(round + 1);
            advance(Duration.ofNanos(openFor - 1));
            assertThat(breaker.tryAcquire()).as("one nanosecond early").isNegative();
            advance(Duration.ofNanos(1));
            for (int t = 0; t < 3; t++) {
                outcome(breaker, true);
            }
        }
        return details;
    }

    @Test
    void theOpenDurationDoublesWithEachOpeningInARowUpToAMinute() {
        CircuitBreaker breaker = BreakerSnippets.growingOpenDuration(nanos::get);
        assertThat(openings(breaker, 5)).containsExactly(
                "open for 5s", "open for 10s", "open for 20s", "open for 40s", "open for 60s", "open for 60s");
    }

    @Test
    void closingStartsTheOpenDurationOverAt5Seconds() {
        CircuitBreaker breaker = BreakerSnippets.growingOpenDuration(nanos::get);
        List<String> details = openings(breaker, 2);                 // 5 s, 10 s, 20 s
        advance(Duration.ofSeconds(20));
        outcome(breaker, false);
        outcome(breaker, false);
        outcome(breaker, true);                                      // 1 of 3 trials failed: 33 % < 50 %
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        for (int i = 0; i < 10; i++) {
            outcome(breaker, true);
        }
        assertThat(details).containsExactly("open for 5s", "open for 10s", "open for 20s", "open for 5s");
    }

    @Test
    void halfOpenAdmitsExactlyThreeTrialsAndACancelledOneFreesItsSlot() {
        CircuitBreaker breaker = BreakerSnippets.growingOpenDuration(nanos::get);
        List<Reason> reasons = new ArrayList<>();
        breaker.onStateTransition(e -> reasons.add(e.reason()));
        for (int i = 0; i < 10; i++) {
            outcome(breaker, true);
        }
        advance(Duration.ofSeconds(5));
        List<Sinks.One<String>> trials = new ArrayList<>();
        client.quotes = n -> {
            Sinks.One<String> answer = Sinks.one();
            trials.add(answer);
            return answer.asMono();
        };
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        List<String> answers = new ArrayList<>();
        List<Disposable> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(service.quote("ACME").subscribe(answers::add, e -> { }));
        }
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        StepVerifier.create(service.quote("ACME"))
                .expectErrorSatisfies(e -> assertThat(((CallNotPermittedException) e).state()).isEqualTo(State.HALF_OPEN))
                .verify();

        calls.get(2).dispose();                                      // a trial is cancelled: its slot is free
        calls.add(service.quote("ACME").subscribe(answers::add, e -> { }));
        assertThat(trials).hasSize(4);
        trials.get(0).tryEmitValue("ACME 42.00");
        trials.get(1).tryEmitValue("ACME 42.10");
        assertThat(breaker.state()).as("2 of 3 trials recorded: no decision yet").isEqualTo(State.HALF_OPEN);
        trials.get(3).tryEmitError(new IOException(DOWN));           // 1 of 3 failed: below 50 %
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(reasons).containsExactly(Reason.FAILURE_RATE_EXCEEDED, Reason.OPEN_DURATION_ELAPSED,
                Reason.TRIAL_CALLS_SUCCEEDED);
    }

    // ---------------------------------------------------------------- failure predicate

    @Test
    void anUnknownSymbolIsNeitherAFailureNorASuccess() {
        CircuitBreaker breaker = BreakerSnippets.ignoringNotFound();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        client.quotes = n -> Mono.error(new QuoteNotFoundException("NOPE"));
        for (int i = 0; i < 20; i++) {
            StepVerifier.create(service.quote("NOPE")).verifyError(QuoteNotFoundException.class);
        }
        assertThat(breaker.metrics().calls()).as("released unrecorded").isZero();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);

        calls(breaker, 10, true);
        assertThat(breaker.state()).as("I/O errors still count").isEqualTo(State.OPEN);
        assertThat(breaker.config().recordFailure().test(new AssertionError("a bug"))).isFalse();
    }

    // ---------------------------------------------------------------- manual transitions

    @Test
    void forcedOpenRefusesEveryCallUntilMovedByHand() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        service.maintenanceStarts();
        StepVerifier.create(service.quote("ACME"))
                .expectErrorSatisfies(e -> {
                    CallNotPermittedException refused = (CallNotPermittedException) e;
                    assertThat(refused.state()).isEqualTo(State.FORCED_OPEN);
                    assertThat(refused.nextTrialAtNanos()).isEqualTo(CallNotPermittedException.UNKNOWN);
                })
                .verify();
        assertThat(client.subscriptions).hasValue(0);
        service.backToNormal();
        StepVerifier.create(service.quote("ACME")).expectNext("ACME 42.00").verifyComplete();
    }

    @Test
    void disabledLetsEveryCallThroughAndRecordsNothing() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        service.bypass();
        calls(breaker, 50, true);
        assertThat(breaker.state()).isEqualTo(State.DISABLED);
        assertThat(breaker.metrics().calls()).isZero();
        assertThat(client.subscriptions).hasValue(50);
    }

    @Test
    void metricsOnlyRecordsEveryCallButNeverOpensAndClosedStartsAnEmptyWindow() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        List<String> moves = new ArrayList<>();
        breaker.onStateTransition(e -> moves.add(e.from() + " -> " + e.to() + " " + e.reason()));
        service.observeOnly();
        calls(breaker, 50, true);
        assertThat(breaker.state()).isEqualTo(State.METRICS_ONLY);
        assertThat(breaker.metrics().failures()).as("the window of 20").isEqualTo(20);
        assertThat(breaker.metrics().failureRate()).isEqualTo(100f);
        service.backToNormal();
        assertThat(breaker.metrics().calls()).isZero();
        assertThat(moves).containsExactly("CLOSED -> METRICS_ONLY MANUAL", "METRICS_ONLY -> CLOSED MANUAL");
    }

    @Test
    void resetForgetsEverythingIncludingTheRefusals() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        calls(breaker, 10, true);
        calls(breaker, 3, true);                                     // refused: OPEN
        assertThat(breaker.metrics().notPermitted()).isEqualTo(3);
        breaker.reset();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.metrics().notPermitted()).isZero();
        assertThat(breaker.metrics().calls()).isZero();
    }

    // ---------------------------------------------------------------- listeners and metrics

    List<String> watchedOutage(LongAdder refused) {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        List<String> log = new ArrayList<>();
        BreakerSnippets.watch(breaker, log::add, refused);
        calls(breaker, 12, true);                                    // 10 failures open it; 2 refusals
        return log;
    }

    @Test
    void listenersHearTheTransitionAndEachRefusal() {
        LongAdder refused = new LongAdder();
        assertThat(watchedOutage(refused)).containsExactly("CircuitBreaker 'quotes' CLOSED -> OPEN "
                + "(FAILURE_RATE_EXCEEDED: failure rate 100.0% >= 50.0% over 10 calls (10 failed); open for 30s)");
        assertThat(refused.sum()).isEqualTo(2);
    }

    @Test
    void gaugesReadOneSnapshot() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        calls(breaker, 2, false);
        calls(breaker, 1, true);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("state", "CLOSED");
        expected.put("calls", 3);
        expected.put("failures", 1);
        expected.put("slow", 0);
        expected.put("failureRate", -1f);
        expected.put("slowCallRate", -1f);
        expected.put("notPermitted", 0L);
        assertThat(service.gauges()).containsExactlyEntriesOf(expected);

        calls(breaker, 7, true);                                     // the 10th call: 8 of 10 failed, OPEN
        calls(breaker, 1, true);                                     // refused
        assertThat(service.gauges().toString()).isEqualTo(GAUGES_WHEN_OPEN);
    }

    /** The gauges after 2 successes, 8 failures and a refusal, as the page quotes them. */
    static final String GAUGES_WHEN_OPEN =
            "{state=OPEN, calls=10, failures=8, slow=0, failureRate=80.0, slowCallRate=0.0, notPermitted=1}";

    // ---------------------------------------------------------------- rejections

    @Test
    void quoteOr503GivesTheSecondsUntilTheTrialCallsWhenTheBreakerKnowsThem() {
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .openDuration(Duration.ofSeconds(30))
                .permittedCallsInHalfOpen(1)
                .ticker(nanos::get)
                .build();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        breaker.transitionTo(State.OPEN);                            // at 0 s, for 30 s
        advance(Duration.ofMillis(10_500));
        StepVerifier.create(service.quoteOr503("ACME", nanos::get))
                .expectNext("503 quotes OPEN, Retry-After: 20")             // 19.5 s, rounded up
                .verifyComplete();
        advance(Duration.ofMillis(500));
        StepVerifier.create(service.quoteOr503("ACME", nanos::get))
                .expectNext("503 quotes OPEN, Retry-After: 19")
                .verifyComplete();

        advance(Duration.ofSeconds(19));                             // the trial call: held
        client.quotes = n -> Mono.never();
        Disposable trial = service.quote("ACME").subscribe();
        StepVerifier.create(service.quoteOr503("ACME", nanos::get))
                .expectNext("503 quotes HALF_OPEN")
                .verifyComplete();
        trial.dispose();

        service.maintenanceStarts();
        StepVerifier.create(service.quoteOr503("ACME", nanos::get))
                .expectNext("503 quotes FORCED_OPEN")
                .verifyComplete();
        assertThat(client.subscriptions).hasValue(1);
    }

    @Test
    void aRefusalIsOneSharedExceptionWithoutAStackTraceUnlessAsked() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        breaker.transitionTo(State.OPEN);
        List<Throwable> refusals = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            new BreakerSnippets(client, breaker).quote("ACME").subscribe(v -> { }, refusals::add);
        }
        assertThat(refusals.get(0)).isSameAs(refusals.get(1));
        assertThat(refusals.get(0).getStackTrace()).isEmpty();
        assertThat(refusals.get(0).getMessage())
                .startsWith("CircuitBreaker 'quotes' is OPEN: calls are not permitted for 30s after it opened; ");

        CircuitBreaker traced = CircuitBreaker.builder("quotes").rejectionStackTraces(true).build();
        traced.transitionTo(State.FORCED_OPEN);
        long refusal = traced.tryAcquire();
        assertThat(traced.rejection(refusal)).isNotSameAs(traced.rejection(refusal));
        assertThat(traced.rejection(refusal).getStackTrace()).isNotEmpty();
    }

    // ---------------------------------------------------------------- without Reactor

    @Test
    void quoteNowRecordsEachOutcomeOfTheBlockingCall() {
        CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        assertThat(service.quoteNow("ACME", symbol -> symbol + " 42.00")).isEqualTo("ACME 42.00");
        assertThatThrownBy(() -> service.quoteNow("ACME", symbol -> {
            throw new IllegalStateException(DOWN);
        })).hasMessage(DOWN);
        assertThat(breaker.metrics().calls()).isEqualTo(2);
        assertThat(breaker.metrics().failures()).isEqualTo(1);

        assertThatThrownBy(() -> service.quoteNow("ACME", symbol -> {
            throw new AssertionError("a bug");
        })).isInstanceOf(AssertionError.class);
        assertThat(breaker.metrics().calls()).as("an Error is released unrecorded").isEqualTo(2);

        breaker.transitionTo(State.OPEN);
        Function<String, String> mustNotRun = symbol -> {
            throw new AssertionError("must not be called");
        };
        assertThatThrownBy(() -> service.quoteNow("ACME", mustNotRun)).isInstanceOf(CallNotPermittedException.class);
    }

    @Test
    void quoteNowReturnsATrialPermitWhateverTheBlockingCallThrows() {
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1))
                .ticker(nanos::get)
                .build();
        BreakerSnippets service = new BreakerSnippets(client, breaker);
        breaker.transitionTo(State.OPEN);
        advance(Duration.ofSeconds(1));
        assertThatThrownBy(() -> service.quoteNow("ACME", symbol -> {
            throw new AssertionError("a bug");
        })).isInstanceOf(AssertionError.class);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(service.quoteNow("ACME", symbol -> symbol + " 42.00"))
                .as("the only trial slot was freed").isEqualTo("ACME 42.00");
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    // ---------------------------------------------------------------- the page

    @Test
    void pageQuotesTheLinesAndFiguresOfTheseTests() throws IOException {
        Path base = Path.of(System.getProperty("basedir", ""));
        String page = Files.readString(base.resolve("src/docs/asciidoc/breaker.adoc"));
        String html = SitePagesTest.visibleText(base.resolve("target/site-html/breaker.html"));
        String line = watchedOutage(new LongAdder()).get(0);
        assertThat(page).contains("`+" + line + "+`").contains("`+" + GAUGES_WHEN_OPEN + "+`");
        assertThat(html).contains(line).contains(GAUGES_WHEN_OPEN);
        assertThat(html)                                            // the figures of the tests above
                .contains("24 failures leave it at 48 % and closed, and the 25th makes it 50 % and opens it")
                .contains("stays closed after 19 failures out of 19 calls, and opens at the 20th")
                .contains("5, 10, 20, 40, 60, 60 s")
                .contains("five answered in 499 ms and five in 500 ms")
                .contains("Twenty unknown symbols in a row leave the breaker") // (a typographic apostrophe follows)
                .contains("window empty; ten I/O errors then open it")
                .contains("50 failures in a row leave it in METRICS_ONLY, with a failure rate of 100 %")
                .contains("at 10.5 s the service answers 503 quotes OPEN, Retry-After: 20");
    }
}
