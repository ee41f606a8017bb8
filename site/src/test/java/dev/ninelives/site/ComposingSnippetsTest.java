package dev.ninelives.site;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import dev.ninelives.site.BulkheadSnippetsTest.FakeClient;
import dev.ninelives.site.ComposingSnippets.Protection;
import dev.ninelives.site.GettingStartedSnippets.QuoteClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks every region of {@link ComposingSnippets} that the "Composing the operators" page
 * shows, and each consequence of the order that the page states, for the right order and for the
 * wrong ones. Each test runs with a {@link VirtualTimeScheduler} in place of
 * {@code Schedulers.parallel()}, so retry delays and bulkhead waits pass only when the test moves
 * the clock.
 */
class ComposingSnippetsTest extends OnVirtualClock {

    static final String DOWN = "quotes are down";

    ComposingSnippets.Dependencies deps;
    CircuitBreaker breaker;
    final FakeClient client = new FakeClient();
    final List<String> answers = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger permits = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();

    @BeforeEach
    void buildDependencies() {                               // after the base class installed the virtual clock
        deps = ComposingSnippets.dependencies(NineLives.schedulerTicker());
        breaker = deps.quotes().breaker();
    }

    /**
     * The quote service with the page's breaker and the given bulkhead, and the page's retry
     * policy without the budget, so that the counts of these tests are the order's alone.
     */
    ComposingSnippets service(Bulkhead bulkhead) {
        return new ComposingSnippets(client, protection(bulkhead));
    }

    Protection protection(Bulkhead bulkhead) {
        Retry retry = Retry.builder("quotes").maxAttempts(3)
                .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                .build();
        retry.onRetry(e -> retries.incrementAndGet());
        bulkhead.onPermitted(e -> permits.incrementAndGet());
        return new Protection(breaker, retry, bulkhead);
    }

    /** A quote through the page's pipeline, over the policies of {@link #service()}. */
    Supplier<Mono<String>> throughPipeline() {
        Protection p = protection(deps.quotes().bulkhead());
        Pipeline quotes = ComposingSnippets.quotesPipeline(p.breaker(), p.retry(), p.bulkhead());
        return () -> client.quote("ACME").transform(NineLives.pipeline(quotes));
    }

    ComposingSnippets service() {
        return service(deps.quotes().bulkhead());
    }

    void failing(int failures) {
        client.quotes = n -> n <= failures ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00");
    }

    void call(Supplier<Mono<String>> quote) {
        quote.get().subscribe(answers::add, errors::add);
    }

    static long now() {
        return Schedulers.parallel().now(TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- the pipeline

    @Test
    void thePipelineRunsTheStagesInThisPagesOrderWhateverTheOrderOfItsBuilderCalls() {
        Pipeline quotes = ComposingSnippets.quotesPipeline(breaker, deps.quotes().retry(), deps.quotes().bulkhead());
        assertThat(quotes.explain().lines().skip(1).map(String::strip).toList())
                .satisfiesExactly(
                        l -> assertThat(l).startsWith("1. bulkhead 'quotes'"),
                        l -> assertThat(l).startsWith("2. retry 'quotes'"),
                        l -> assertThat(l).startsWith("3. circuit breaker 'quotes'"),
                        l -> assertThat(l).isEqualTo("4. the source"));

        Supplier<Mono<String>> quote = throughPipeline();
        failing(2);
        call(quote);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(client.millis).as("attempts").containsExactly(0L, 100L, 300L);
        assertThat(breaker.metrics().calls()).as("each attempt is a call of the breaker").isEqualTo(3);
        assertThat(permits).as("one permit for the three attempts").hasValue(1);
    }

    @Test
    void thePipelineOpensTheBreakerAfterTenFailedAttemptsAndKeepsARetryingCallsTurn() {
        assertThat(attemptsUntilOpen(throughPipeline())).isEqualTo(10);
        assertThat(errors.get(3)).as("the fourth call's retry is refused").isInstanceOf(CallNotPermittedException.class);

        breaker.reset();
        assertThat(aThenB((client, protection) -> {
            Pipeline quotes = ComposingSnippets.quotesPipeline(protection.breaker(), protection.retry(),
                    protection.bulkhead());
            return symbol -> client.quote(symbol).transform(NineLives.pipeline(quotes));
        })).as("A keeps its permit through its backoff").containsExactly("A at 100 ms", "B at 600 ms");
    }

    // ---------------------------------------------------------------- the right order, by hand

    @Test
    void buildSharesOneBudgetAndGivesEachDependencyItsOwnBreakerAndBulkhead() {
        assertThat(deps.quotes().retry().budget()).isSameAs(deps.budget()).isSameAs(deps.ratings().retry().budget());
        assertThat(deps.quotes().breaker()).isNotSameAs(deps.ratings().breaker());
        assertThat(deps.quotes().bulkhead().config().maxConcurrent()).isEqualTo(10);
        assertThat(deps.ratings().bulkhead().config().maxConcurrent()).isEqualTo(4);
        assertThat(deps.quotes().retry().maxAttempts()).isEqualTo(3);
        assertThat(deps.ratings().retry().maxAttempts()).isEqualTo(2);
    }

    @Test
    void everyAttemptGoesThroughTheBreakerAndTheCallHoldsOnePermit() {
        ComposingSnippets quotes = service();
        failing(2);
        call(() -> quotes.quote("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(client.millis).as("attempts").containsExactly(0L, 100L, 300L);
        assertThat(breaker.metrics().calls()).as("each attempt is a call of the breaker").isEqualTo(3);
        assertThat(breaker.metrics().failures()).isEqualTo(2);
        assertThat(permits).as("one permit for the three attempts").hasValue(1);
    }

    @Test
    void aRefusalOfTheBreakerIsNotRetried() {
        ComposingSnippets quotes = service();
        breaker.transitionTo(State.OPEN);
        call(() -> quotes.quote("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(errors).singleElement().isInstanceOf(CallNotPermittedException.class);
        assertThat(retries).hasValue(0);
        assertThat(client.subscriptions).hasValue(0);
    }

    @Test
    void aWaitingCallerReachesNeitherTheRetryNorTheBreaker() {
        ComposingSnippets quotes = service();
        for (int i = 0; i < 10; i++) {
            call(() -> quotes.quote("ACME"));                        // 10 calls hold every permit
        }
        call(() -> quotes.quote("ACME"));                            // the 11th waits
        assertThat(deps.quotes().bulkhead().metrics().queued()).isEqualTo(1);
        clock.advanceTimeBy(Duration.ofMillis(200));                 // and times out
        assertThat(errors).singleElement()
                .satisfies(e -> assertThat(((BulkheadFullException) e).reason()).isEqualTo(Reason.WAIT_TIMED_OUT));
        assertThat(client.subscriptions).hasValue(10);
        assertThat(retries).as("the refusal is not retried").hasValue(0);
        assertThat(breaker.metrics().calls() + breaker.metrics().failures()).as("nor recorded").isZero();
    }

    @Test
    void theQuoteAndTheHistoryShareTheBreakerAndTheBulkhead() {
        ComposingSnippets quotes = service();
        client.quotes = n -> Mono.error(new IOException(DOWN));
        for (int i = 0; i < 4; i++) {
            call(() -> quotes.quote("ACME"));
            clock.advanceTimeBy(Duration.ofSeconds(1));
        }
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        int before = client.subscriptions.get();
        StepVerifier.create(quotes.history("ACME")).verifyError(CallNotPermittedException.class);
        assertThat(client.subscriptions).as("the history is refused too").hasValue(before);

        breaker.reset();
        client.quotes = n -> client.held();
        for (int i = 0; i < 10; i++) {
            call(() -> quotes.quote("ACME"));
        }
        quotes.history("ACME").subscribe(answers::add, errors::add);
        assertThat(deps.quotes().bulkhead().metrics().queued()).as("the history waits for a quote's permit").isEqualTo(1);
        client.answer(1);
        assertThat(answers).contains("ACME 41.00", "ACME 41.50", "ACME 42.00");
    }

    // ---------------------------------------------------------------- the wrong orders

    /** Calls until the breaker opens, one call a second, and returns the attempts the client saw. */
    int attemptsUntilOpen(Supplier<Mono<String>> quote) {
        return attemptsUntilOpen(breaker, quote);
    }

    int attemptsUntilOpen(CircuitBreaker breaker, Supplier<Mono<String>> quote) {
        client.quotes = n -> Mono.error(new IOException(DOWN));
        client.subscriptions.set(0);
        while (breaker.state() == State.CLOSED) {
            call(quote);
            clock.advanceTimeBy(Duration.ofSeconds(1));
        }
        return client.subscriptions.get();
    }

    @Test
    void theBreakerOpensAfterTenFailedAttemptsInTheRightOrder() {
        ComposingSnippets quotes = service();
        assertThat(attemptsUntilOpen(() -> quotes.quote("ACME"))).isEqualTo(10);
        assertThat(errors).hasSize(4);
        assertThat(errors.get(3)).as("the fourth call's retry is refused").isInstanceOf(CallNotPermittedException.class);

        // The same with the page's own protection, budget included: the budget has a retry for each.
        Protection example = ComposingSnippets.dependencies(NineLives.schedulerTicker()).quotes();
        ComposingSnippets withBudget = new ComposingSnippets(client, example);
        assertThat(attemptsUntilOpen(example.breaker(), () -> withBudget.quote("ACME"))).isEqualTo(10);
    }

    @Test
    void withTheBreakerOutsideTheRetryItOpensAfterThirtyFailedAttempts() {
        ComposingSnippets quotes = service();
        assertThat(attemptsUntilOpen(() -> quotes.quoteBreakerOutside("ACME"))).isEqualTo(30);
        assertThat(breaker.metrics().calls()).as("one outcome per call").isEqualTo(10);
    }

    @Test
    void withTheBreakerOutsideTheRetryATrialCallMakesEveryAttemptAndCountsAsOne() {
        ComposingSnippets quotes = service();
        client.quotes = n -> Mono.error(new IOException(DOWN));
        breaker.transitionTo(State.OPEN);
        clock.advanceTimeBy(breaker.config().openDuration());
        call(() -> quotes.quoteBreakerOutside("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(client.subscriptions).as("three attempts on a dependency that is down").hasValue(3);
        assertThat(breaker.metrics().calls()).as("one trial call recorded").isEqualTo(1);

        breaker.transitionTo(State.OPEN);
        clock.advanceTimeBy(breaker.config().openDuration());
        client.subscriptions.set(0);
        call(() -> quotes.quote("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(client.subscriptions).hasValue(3);
        assertThat(breaker.metrics().calls()).as("in the right order, three trial calls").isEqualTo(3);
    }

    @Test
    void withTheBulkheadInsideTheRetryEachAttemptTakesAPermit() {
        ComposingSnippets quotes = service();
        failing(2);
        call(() -> quotes.quoteBulkheadInside("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(permits).as("three attempts, three permits").hasValue(3);
    }

    /** Caller A's quote fails once, then answers at once; caller B's takes 500 ms. */
    static GettingStartedSnippets.QuoteClient twoCallers() {
        AtomicInteger attemptsOfA = new AtomicInteger();
        return new GettingStartedSnippets.QuoteClient() {
            @Override
            public Mono<String> quote(String symbol) {
                return Mono.defer(() -> symbol.equals("A")
                        ? (attemptsOfA.incrementAndGet() == 1 ? Mono.error(new IOException(DOWN)) : Mono.just("A"))
                        : Mono.delay(Duration.ofMillis(500)).thenReturn("B"));
            }

            @Override
            public Flux<String> history(String symbol) {
                return Flux.empty();
            }
        };
    }

    /** A at 0 ms and B at 50 ms through one permit; returns when each was answered. */
    List<String> aThenB(boolean bulkheadInside) {
        return aThenB((client, protection) -> {
            ComposingSnippets service = new ComposingSnippets(client, protection);
            return bulkheadInside ? service::quoteBulkheadInside : service::quote;
        });
    }

    /** A at 0 ms and B at 50 ms through one permit, each call made by {@code how}; returns when each was answered. */
    List<String> aThenB(BiFunction<QuoteClient, Protection, Function<String, Mono<String>>> how) {
        Bulkhead one = Bulkhead.builder("quotes").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).build();
        Function<String, Mono<String>> quote = how.apply(twoCallers(), new Protection(breaker,
                Retry.builder("retry").maxAttempts(3).exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                        .build(), one));
        List<String> answered = Collections.synchronizedList(new ArrayList<>());
        long start = now();
        for (String caller : List.of("A", "B")) {
            quote.apply(caller)
                    .subscribe(v -> answered.add(v + " at " + (now() - start) + " ms"));
            clock.advanceTimeBy(Duration.ofMillis(50));
        }
        clock.advanceTimeBy(Duration.ofSeconds(2));
        return answered;
    }

    @Test
    void withTheBulkheadInsideTheRetryARetryingCallLosesItsTurn() {
        assertThat(aThenB(false)).as("A keeps its permit through its backoff")
                .containsExactly("A at 100 ms", "B at 600 ms");
        assertThat(aThenB(true)).as("B takes the permit during A's backoff; A's retry waits behind B")
                .containsExactly("A at 550 ms", "B at 550 ms");
    }

    @Test
    void withTheBulkheadInsideTheRetryARefusalIsRetried() {
        Bulkhead full = Bulkhead.builder("quotes").maxConcurrent(1).build();
        client.quote("ACME").transform(NineLives.bulkhead(full)).subscribe();   // holds the only permit
        ComposingSnippets wrong = service(full);
        call(() -> wrong.quoteBulkheadInside("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(errors).singleElement()
                .satisfies(e -> assertThat(((BulkheadFullException) e).reason()).isEqualTo(Reason.FULL));
        assertThat(full.metrics().rejectedCalls()).as("refused three times").isEqualTo(3);
        assertThat(retries).hasValue(2);

        errors.clear();
        retries.set(0);
        ComposingSnippets right = new ComposingSnippets(client, new Protection(breaker, Retry.builder("retry").build(), full));
        call(() -> right.quote("ACME"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(full.metrics().rejectedCalls()).as("refused once").isEqualTo(4);
    }

    @Test
    void policiesBuiltForEachCallNeitherOpenNorLimit() {
        ComposingSnippets quotes = service();
        client.quotes = n -> Mono.error(new IOException(DOWN));
        for (int i = 0; i < 20; i++) {
            call(() -> quotes.quoteWithPoliciesOfItsOwn("ACME"));
            clock.advanceTimeBy(Duration.ofSeconds(1));
        }
        assertThat(client.subscriptions).as("20 calls of 3 attempts, none refused").hasValue(60);
        assertThat(errors).hasSize(20).noneMatch(NineLives::isCallNotPermitted);

        client.subscriptions.set(0);
        client.quotes = n -> client.held();
        for (int i = 0; i < 20; i++) {
            call(() -> quotes.quoteWithPoliciesOfItsOwn("ACME"));
        }
        assertThat(client.subscriptions).as("20 calls in flight, none waiting").hasValue(20);
    }

    // ---------------------------------------------------------------- the shared budget

    @Test
    void theQuotesAndTheRatingsDrawTheirRetriesFromOneBudget() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        for (Retry r : List.of(deps.quotes().retry(), deps.ratings().retry())) {
            r.onRetry(e -> events.add(now() + " ms " + e.retryName() + " retry"));
            r.onBudgetRefused(e -> events.add(now() + " ms " + e.retryName() + " refused"));
        }
        Mono<String> quotesDown = Mono.error(new IOException(DOWN));
        Mono<String> ratingsDown = Mono.error(new IOException("ratings are down"));
        Flux.range(0, 10)
                .flatMap(i -> (i % 2 == 0 ? deps.quotes().apply(quotesDown) : deps.ratings().apply(ratingsDown))
                        .onErrorResume(e -> Mono.empty()))
                .subscribe();
        assertThat(events).containsExactly(
                "0 ms quotes retry", "0 ms ratings retry", "0 ms quotes retry", "0 ms ratings retry", "0 ms quotes retry",
                "0 ms ratings refused", "0 ms quotes refused", "0 ms ratings refused", "0 ms quotes refused",
                "0 ms ratings refused");
        assertThat(deps.budget().refused()).isEqualTo(5);
    }

    @Test
    void pageStatesTheFiguresOfTheseTests() throws IOException {
        String html = SitePagesTest.visibleText(SitePagesTest.HTML.resolve("composing.html"));
        assertThat(html)
                .contains("opens after 10 failed attempts, during the fourth call")
                .contains("A answers at 100 ms, and B, which waited, at 600 ms")
                .contains("it opens after 10 calls, that is 30 failed attempts")
                .contains("A answers at 550 ms instead of 100 ms")
                .contains("one call is refused three times")
                .contains("20 calls to a dependency that is down make 60 attempts and none is refused")
                .contains("the first five retries go ahead, whichever service they are for, and the other five calls");
    }
}
