package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
// end::imports[]

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.breaker.StateTransitionEvent;
import reactor.core.publisher.Flux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks every region of {@link GettingStartedSnippets} that the "Getting started" page shows,
 * and holds the page's virtual-time example (the {@code virtual-time} region below).
 */
class GettingStartedSnippetsTest {

    /** A quote client that answers or fails on demand and counts the calls that reach it. */
    static final class FakeClient implements GettingStartedSnippets.QuoteClient {
        final AtomicBoolean up = new AtomicBoolean(true);
        final AtomicInteger subscriptions = new AtomicInteger();

        @Override
        public Mono<String> quote(String symbol) {
            return Mono.defer(() -> {
                subscriptions.incrementAndGet();
                return up.get() ? Mono.just(symbol + " 42.00") : Mono.error(new IOException("quotes are down"));
            });
        }

        @Override
        public Flux<String> history(String symbol) {
            return Flux.defer(() -> {
                subscriptions.incrementAndGet();
                return up.get() ? Flux.just(symbol + " 41.00", symbol + " 41.50", symbol + " 42.00")
                        : Flux.error(new IOException("quotes are down"));
            });
        }
    }

    final FakeClient client = new FakeClient();
    final CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
    final GettingStartedSnippets quotes = new GettingStartedSnippets(client, breaker);

    /** Fails {@code n} calls through the breaker. */
    void fail(int n) {
        client.up.set(false);
        for (int i = 0; i < n; i++) {
            StepVerifier.create(quotes.quote("ACME")).verifyError(IOException.class);
        }
    }

    @Test
    void buildConfiguresTheBreakerAsThePageSays() {
        CircuitBreakerConfig c = breaker.config();
        assertThat(breaker.name()).isEqualTo("quotes");
        assertThat(c.windowType()).isEqualTo(CircuitBreakerConfig.WindowType.COUNT_BASED);
        assertThat(c.windowSize()).isEqualTo(20);
        assertThat(c.minimumNumberOfCalls()).isEqualTo(10);
        assertThat(c.failureRateThreshold()).isEqualTo(50f);
        assertThat(c.openDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.permittedCallsInHalfOpen()).isEqualTo(3);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void builtBreakerJudgesNothingBeforeTenCalls() {
        fail(9);
        assertThat(breaker.state()).as("9 of 9 failed, but fewer than 10 calls are not judged")
                .isEqualTo(CircuitBreaker.State.CLOSED);
        fail(1);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void builtBreakerOpensWhenHalfOfTheWindowFailed() {
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(quotes.quote("ACME")).expectNext("ACME 42.00").verifyComplete();
        }
        fail(9);
        assertThat(breaker.state()).as("9 of 19 failed: below 50 %").isEqualTo(CircuitBreaker.State.CLOSED);
        fail(1);
        assertThat(breaker.state()).as("10 of 20 failed").isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void transformedMonoRecordsSuccessesAndFailures() {
        StepVerifier.create(quotes.quote("ACME")).expectNext("ACME 42.00").verifyComplete();
        fail(1);
        assertThat(breaker.metrics().calls()).isEqualTo(2);
        assertThat(breaker.metrics().failures()).isEqualTo(1);
    }

    @Test
    void transformedFluxIsOneCallForTheWholeStream() {
        StepVerifier.create(quotes.history("ACME"))
                .expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00")
                .verifyComplete();
        assertThat(breaker.metrics().calls()).as("one subscription, one outcome").isEqualTo(1);
        assertThat(breaker.metrics().successes()).isEqualTo(1);
    }

    @Test
    void refusedCallNeverReachesTheClient() {
        breaker.transitionTo(CircuitBreaker.State.OPEN);
        int before = client.subscriptions.get();

        StepVerifier.create(quotes.quote("ACME"))
                .expectErrorSatisfies(e -> {
                    assertThat(NineLives.isCallNotPermitted(e)).isTrue();
                    assertThat(((CallNotPermittedException) e).state()).isEqualTo(CircuitBreaker.State.OPEN);
                })
                .verify();
        StepVerifier.create(quotes.history("ACME")).expectError(CallNotPermittedException.class).verify();

        assertThat(client.subscriptions.get()).isEqualTo(before);
        assertThat(breaker.metrics().notPermitted()).isEqualTo(2);
    }

    @Test
    void fallbackAnswersOnlyRefusals() {
        breaker.transitionTo(CircuitBreaker.State.OPEN);
        StepVerifier.create(quotes.quoteOrCached("ACME", "ACME 40.00 (cached)"))
                .expectNext("ACME 40.00 (cached)")
                .verifyComplete();

        breaker.transitionTo(CircuitBreaker.State.CLOSED);
        client.up.set(false);
        StepVerifier.create(quotes.quoteOrCached("ACME", "ACME 40.00 (cached)"))
                .as("the client's own error is not a refusal")
                .verifyError(IOException.class);
    }

    @Test
    void healthDescribesTheMetrics() {
        StepVerifier.create(quotes.quote("ACME")).expectNextCount(1).verifyComplete();
        StepVerifier.create(quotes.quote("ACME")).expectNextCount(1).verifyComplete();
        fail(1);
        assertThat(quotes.health()).isEqualTo("CLOSED: 1 of 3 recent calls failed, 0 refused");

        breaker.transitionTo(CircuitBreaker.State.OPEN);
        StepVerifier.create(quotes.quote("ACME")).expectError(CallNotPermittedException.class).verify();
        assertThat(quotes.health()).startsWith("OPEN: ").endsWith(", 1 refused");
    }

    @Test
    void alertsNameEachTransitionAndItsReason() {
        List<String> alerts = new ArrayList<>();
        GettingStartedSnippets.alertOnTransitions(breaker, alerts::add);

        fail(10);

        assertThat(alerts).containsExactly("quotes: CLOSED -> OPEN (FAILURE_RATE_EXCEEDED: "
                + "failure rate 100.0% >= 50.0% over 10 calls (10 failed); open for 30s)");
    }

    @Test
    void pageQuotesTheAlertThatTheListenerSends() throws IOException {
        List<String> alerts = new ArrayList<>();
        GettingStartedSnippets.alertOnTransitions(breaker, alerts::add);
        fail(10);

        Path page = Path.of(System.getProperty("basedir", "")).resolve("src/docs/asciidoc/getting-started.adoc");
        assertThat(Files.readString(page)).contains("`+" + alerts.get(0) + "+`");   // literal monospace: no -> arrow
        Path html = Path.of(System.getProperty("basedir", "")).resolve("target/site-html/getting-started.html");
        assertThat(SitePagesTest.visibleText(html)).contains(alerts.get(0));
    }

    // tag::virtual-time[]
    @Test
    void breakerLetsATrialCallThroughAfterTheOpenDuration() {
        AtomicBoolean up = new AtomicBoolean(false);
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .ticker(NineLives.schedulerTicker())     // Reactor's clock, virtual in tests
                .slidingWindow(4)
                .openDuration(Duration.ofSeconds(30))
                .permittedCallsInHalfOpen(1)
                .build();
        Mono<String> quote = Mono.defer(() -> up.get()
                        ? Mono.just("ACME 42.00")
                        : Mono.<String>error(new IOException("quotes are down")))
                .transform(NineLives.breaker(breaker))
                .onErrorResume(e -> Mono.just(NineLives.isCallNotPermitted(e) ? "refused" : "failed"));

        // Every call, so every reading of the clock, happens inside the supplier:
        // after StepVerifier has installed the virtual clock.
        StepVerifier.withVirtualTime(() -> quote.repeat(4)          // 5 calls at 0 s,
                        .concatWith(Mono.delay(Duration.ofSeconds(30))
                                .doOnNext(tick -> up.set(true))     // the service is back,
                                .then(quote)))                      // 1 call at 30 s
                .expectNext("failed", "failed", "failed", "failed") // 4 of 4 failed: OPEN
                .expectNext("refused")                              // refused at once
                .thenAwait(Duration.ofSeconds(30))                  // the open duration
                .expectNext("ACME 42.00")                           // the trial call
                .verifyComplete();

        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
    // end::virtual-time[]

    @Test
    void breakerStaysOpenUntilTheWholeOpenDurationHasPassed() {
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .ticker(NineLives.schedulerTicker())
                .openDuration(Duration.ofSeconds(30))
                .permittedCallsInHalfOpen(1)
                .build();
        List<StateTransitionEvent.Reason> reasons = new ArrayList<>();
        breaker.onStateTransition(e -> reasons.add(e.reason()));
        Mono<String> quote = Mono.just("ACME 42.00").transform(NineLives.breaker(breaker))
                .onErrorResume(NineLives::isCallNotPermitted, e -> Mono.just("refused"));

        StepVerifier.withVirtualTime(() -> Mono.fromRunnable(() -> breaker.transitionTo(CircuitBreaker.State.OPEN))
                        .then(Mono.delay(Duration.ofSeconds(29)).then(quote))
                        .concatWith(Mono.delay(Duration.ofSeconds(1)).then(quote)))
                .thenAwait(Duration.ofSeconds(29))
                .expectNext("refused")
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("ACME 42.00")
                .verifyComplete();

        assertThat(reasons).containsExactly(StateTransitionEvent.Reason.MANUAL,
                StateTransitionEvent.Reason.OPEN_DURATION_ELAPSED, StateTransitionEvent.Reason.TRIAL_CALLS_SUCCEEDED);
    }
}
