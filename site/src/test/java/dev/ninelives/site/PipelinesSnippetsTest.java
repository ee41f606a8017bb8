package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.TimeoutExceededException;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
// end::imports[]

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.site.BulkheadSnippetsTest.FakeClient;
import dev.ninelives.site.PipelinesSnippets.Declared;
import dev.ninelives.site.PipelinesSnippets.TimedQuoteClient;
import dev.ninelives.reactor.TimeoutExceededException.Stage;
import org.junit.jupiter.api.BeforeAll;
import org.reactivestreams.Subscription;
import reactor.core.Scannable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks every region of {@link PipelinesSnippets} that the "Pipelines" page shows and each
 * statement the page makes about them: the order a call meets the stages, whatever the order of
 * the builder calls; the plan {@code explain()} prints, which the page shows verbatim; one
 * pipeline for Mono and Flux calls of different types; one subscriber per call; the policies
 * shared with a single operator. Holds the page's two virtual-time examples (the
 * {@code virtual-time} and {@code scheduler} regions), and the README's ten-line example to the
 * snippet it is copied from.
 *
 * <p>Each test runs with a {@link VirtualTimeScheduler} in place of {@code Schedulers.parallel()},
 * so backoffs and bulkhead waits pass only when the test moves the clock.
 */
class PipelinesSnippetsTest extends OnVirtualClock {

    static final String DOWN = "quotes are down";
    /** The plan the page shows as the output of {@code explain()}. */
    static final Path PLAN = SitePagesTest.BASE.resolve("src/test/resources/pipelines/quotes-plan.txt");
    static final Path README = SitePagesTest.BASE.resolve("../README.md").normalize();

    final FakeClient client = new FakeClient();
    final List<String> answers = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void readPomAndPages() throws IOException {
        SitePagesTest.readPomAndPages();
    }

    void failing(int failures) {
        client.quotes = n -> n <= failures ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00");
    }

    static long now() {
        return Schedulers.parallel().now(TimeUnit.MILLISECONDS);
    }

    static CircuitBreaker breakerOf(Pipeline p) {
        return p.breaker().orElseThrow();
    }

    static Bulkhead bulkheadOf(Pipeline p) {
        return p.bulkhead().orElseThrow();
    }

    // ---------------------------------------------------------------- declare, and the README

    @Test
    void declareBuildsThePipelineOfTheThreePoliciesAndProtectsAMonoAndAFlux() {
        Declared d = PipelinesSnippets.declare(client);
        Pipeline quotes = d.quotes();
        assertThat(quotes.name()).isEqualTo("quotes");
        assertThat(breakerOf(quotes).config().failureRateThreshold()).isEqualTo(50f);
        assertThat(quotes.retry().orElseThrow().maxAttempts()).isEqualTo(3);
        assertThat(bulkheadOf(quotes).config().maxConcurrent()).isEqualTo(20);
        assertThat(bulkheadOf(quotes).config().maxWait()).isEqualTo(Duration.ofMillis(100));
        assertThat(quotes.scheduler()).as("Schedulers.parallel(), resolved at each subscription").isEmpty();
        assertThat(quotes.timeout()).contains(Duration.ofSeconds(1));
        assertThat(quotes.attemptTimeout()).contains(Duration.ofMillis(300));

        failing(0);
        StepVerifier.create(d.quote()).expectNext("ACME 42.00").verifyComplete();
        StepVerifier.create(d.history()).expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00").verifyComplete();
        assertThat(breakerOf(quotes).metrics().calls()).as("both went through the breaker").isEqualTo(2);
    }

    /** A line of code as the README and the snippet may both write it: indentation and alignment aside. */
    static String words(String line) {
        return line.strip().replaceAll("\\s+", " ");
    }

    /** The code lines of the README's "In ten lines" section. */
    static List<String> readmeTenLines() throws IOException {
        String readme = Files.readString(README);
        Matcher m = Pattern.compile("(?s)## In ten lines\\s*```java\\n(.*?)```").matcher(readme);
        assertThat(m.find()).as("README.md has an \"In ten lines\" section with a java block").isTrue();
        return m.group(1).lines().map(PipelinesSnippetsTest::words).toList();
    }

    @Test
    void theReadmeShowsTheDeclareRegionLineForLine() throws IOException {
        List<String> region = SitePagesTest.region(SitePagesTest.attributes.get("snippets")
                .resolve("PipelinesSnippets.java"), "declare");
        assertThat(region).isNotNull();
        assertThat(readmeTenLines()).as("README.md is not compiled: it copies a tested snippet")
                .containsExactlyElementsOf(region.stream().map(PipelinesSnippetsTest::words).toList());
    }

    // ---------------------------------------------------------------- explain()

    @Test
    void explainPrintsThePlanThePageShows() throws IOException {
        java.util.logging.Logger quotesLog = java.util.logging.Logger.getLogger("quotes");
        List<String> logged = new ArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        boolean parents = quotesLog.getUseParentHandlers();
        quotesLog.setUseParentHandlers(false);
        quotesLog.addHandler(capture);
        try {
            PipelinesSnippets.main(new String[0]);
        } finally {
            quotesLog.removeHandler(capture);
            quotesLog.setUseParentHandlers(parents);
        }
        List<String> shown = SitePagesTest.region(PLAN, "plan");
        assertThat(shown).as("region plan of %s", PLAN).isNotNull();
        assertThat(logged).hasSize(1);
        assertThat(logged.get(0)).startsWith("INFO ");
        assertThat(logged.get(0).substring("INFO ".length()).lines().toList()).isEqualTo(shown);
        assertThat(shown).first().isEqualTo("pipeline 'quotes': a call meets, in this order,");
        assertThat(shown.get(1)).startsWith("  1. bulkhead 'quotes': one permit per call").contains("at most 20 at once");
        assertThat(shown.get(2)).startsWith("  2. total timeout: 1s for the whole call");
        assertThat(shown.get(3)).startsWith("  3. retry 'quotes'");
        assertThat(shown.get(4)).startsWith("  4. circuit breaker 'quotes'");
        assertThat(shown.get(5)).startsWith("  5. attempt timeout: 300ms per attempt");
        assertThat(shown).last().isEqualTo("  6. the source");
    }

    @Test
    void aSecondStageOfAKindIsRefusedWithTheNamesOfThePipelineAndBothPolicies() {
        Pipeline.Builder b = Pipeline.builder("quotes").breaker(CircuitBreaker.builder("quotes").build());
        assertThatThrownBy(() -> b.breaker(CircuitBreaker.builder("quotes-2").build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pipeline 'quotes'")
                .hasMessageContaining("breaker")
                .hasMessageContaining("'quotes-2'");
    }

    @Test
    void explainLeavesOutTheStagesThatAreNotConfigured() {
        Pipeline breakerOnly = Pipeline.builder("quotes").breaker(CircuitBreaker.builder("quotes").build()).build();
        assertThat(breakerOnly.explain().lines()).hasSize(3)
                .satisfies(l -> assertThat(l.get(1)).startsWith("  1. circuit breaker 'quotes'"))
                .last().isEqualTo("  2. the source");
    }

    // ---------------------------------------------------------------- the order

    /** The page's policies as a pipeline, with the builder calls in the order given. */
    static Pipeline inOrder(Pipeline declared, List<String> order) {
        Pipeline.Builder b = Pipeline.builder("quotes");
        for (String stage : order) {
            switch (stage) {
                case "bulkhead" -> b.bulkhead(bulkheadOf(declared));
                case "retry" -> b.retry(declared.retry().orElseThrow());
                case "breaker" -> b.breaker(breakerOf(declared));
                case "timeout" -> b.timeout(declared.timeout().orElseThrow());
                case "attemptTimeout" -> b.attemptTimeout(declared.attemptTimeout().orElseThrow());
                default -> throw new IllegalArgumentException(stage);
            }
        }
        return b.build();
    }

    static List<List<String>> permutations(List<String> items) {
        if (items.isEmpty()) {
            return List.of(List.of());
        }
        List<List<String>> all = new ArrayList<>();
        for (String first : items) {
            List<String> rest = new ArrayList<>(items);
            rest.remove(first);
            for (List<String> tail : permutations(rest)) {
                List<String> p = new ArrayList<>();
                p.add(first);
                p.addAll(tail);
                all.add(p);
            }
        }
        return all;
    }

    @Test
    void everyOrderOfTheBuilderCallsGivesTheSamePlanAndTheSameCall() {
        List<List<String>> orders = permutations(List.of("bulkhead", "timeout", "retry", "breaker", "attemptTimeout"));
        assertThat(orders).hasSize(120);
        for (List<String> order : orders) {
            FakeClient fresh = new FakeClient();
            fresh.quotes = n -> n <= 2 ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00");
            Declared d = PipelinesSnippets.declare(fresh);
            Pipeline p = inOrder(d.quotes(), order);
            assertThat(p.explain()).as("built as %s", order).isEqualTo(d.quotes().explain());

            AtomicInteger permits = new AtomicInteger();
            bulkheadOf(p).onPermitted(e -> permits.incrementAndGet());
            long start = now();
            List<String> answered = new ArrayList<>();
            fresh.quote("ACME").transform(NineLives.pipeline(p)).subscribe(answered::add);
            clock.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(answered).as("built as %s", order).containsExactly("ACME 42.00");
            assertThat(fresh.millis).as("attempts, built as %s", order).containsExactly(start, start + 100, start + 300);
            assertThat(breakerOf(p).metrics().calls()).as("every attempt met the breaker, built as %s", order)
                    .isEqualTo(3);
            assertThat(permits).as("one permit for the call, built as %s", order).hasValue(1);
        }
    }

    @Test
    void aRefusalOfTheBreakerEndsTheCallWithoutARetry() {
        Declared d = PipelinesSnippets.declare(client);
        AtomicInteger retries = new AtomicInteger();
        d.quotes().retry().orElseThrow().onRetry(e -> retries.incrementAndGet());
        breakerOf(d.quotes()).transitionTo(State.OPEN);
        d.quote().subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(errors).singleElement().isInstanceOf(CallNotPermittedException.class);
        assertThat(retries).hasValue(0);
        assertThat(client.subscriptions).hasValue(0);
    }

    @Test
    void aCallerThatWaitsReachesNeitherTheRetryNorTheBreakerAndTimesOutAfter100Ms() {
        Declared d = PipelinesSnippets.declare(client);
        Pipeline quotes = d.quotes();
        PipelinesSnippets service = new PipelinesSnippets(client, quotes);
        for (int i = 0; i < 20; i++) {
            service.quote("ACME").subscribe(answers::add, errors::add);   // 20 calls hold every permit
        }
        service.quote("ACME").subscribe(answers::add, errors::add);       // the 21st waits
        assertThat(bulkheadOf(quotes).metrics().queued()).isEqualTo(1);
        clock.advanceTimeBy(Duration.ofMillis(99));
        assertThat(errors).isEmpty();
        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(errors).singleElement().satisfies(e ->
                assertThat(((BulkheadFullException) e).reason()).isEqualTo(Reason.WAIT_TIMED_OUT));
        assertThat(client.subscriptions).hasValue(20);
        assertThat(breakerOf(quotes).metrics().calls() + breakerOf(quotes).metrics().notPermitted())
                .as("the breaker never saw the caller that waited").isZero();
    }

    // ---------------------------------------------------------------- one pipeline, every call

    @Test
    void onePipelineProtectsMonoAndFluxCallsOfDifferentTypes() {
        Pipeline quotes = PipelinesSnippets.declare(client).quotes();
        PipelinesSnippets service = new PipelinesSnippets(client, quotes);
        failing(0);
        StepVerifier.create(service.quote("ACME")).expectNext("ACME 42.00").verifyComplete();
        StepVerifier.create(service.history("ACME")).expectNext("ACME 41.00", "ACME 41.50", "ACME 42.00")
                .verifyComplete();
        StepVerifier.create(service.historySize("ACME")).expectNext(3L).verifyComplete();
        assertThat(breakerOf(quotes).metrics().calls()).as("three calls of one breaker").isEqualTo(3);
        assertThat(bulkheadOf(quotes).metrics().inFlight()).isZero();

        // When quotes open the breaker, the history and its count are refused too.
        client.quotes = n -> Mono.error(new IOException(DOWN));
        while (breakerOf(quotes).state() == State.CLOSED) {
            service.quote("ACME").subscribe(answers::add, errors::add);
            clock.advanceTimeBy(Duration.ofSeconds(1));
        }
        int before = client.subscriptions.get();
        StepVerifier.create(service.history("ACME")).verifyError(CallNotPermittedException.class);
        StepVerifier.create(service.historySize("ACME")).verifyError(CallNotPermittedException.class);
        assertThat(client.subscriptions).as("neither reached the client").hasValue(before);
    }

    @Test
    void aHistoryThatFailsIsRetriedAsAWholeAndItsCountIsOneCall() {
        Pipeline quotes = PipelinesSnippets.declare(client).quotes();
        PipelinesSnippets service = new PipelinesSnippets(client, quotes);
        client.histories = n -> n == 1 ? Flux.concat(Flux.just("ACME 41.00"), Flux.error(new IOException(DOWN)))
                : Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00");
        List<Long> sizes = new ArrayList<>();
        service.historySize("ACME").subscribe(sizes::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(sizes).as("the count of the second attempt's history").containsExactly(3L);
        assertThat(breakerOf(quotes).metrics().calls()).isEqualTo(2);
        assertThat(breakerOf(quotes).metrics().failures()).isEqualTo(1);

        client.subscriptions.set(0);                         // the history itself emits its first quote twice
        List<String> quotesSeen = new ArrayList<>();
        service.history("ACME").subscribe(quotesSeen::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(quotesSeen).containsExactly("ACME 41.00", "ACME 41.00", "ACME 41.50", "ACME 42.00");
    }

    // ---------------------------------------------------------------- what a call costs

    /** A subscriber that keeps the Subscription it was given, and asks for everything. */
    static final class Holder extends BaseSubscriber<String> {
        Subscription upstream;

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            upstream = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        long between() {
            return Scannable.from(upstream).parents().count();
        }
    }

    /**
     * Guards against a pipeline that puts a subscriber per stage between the caller and the
     * source, as three stacked operators do: the page says a call costs one.
     */
    @Test
    void aCallThroughThreeStagesIsOneSubscriberWhereTheStackedOperatorsAreThree() {
        Pipeline quotes = policiesOnly(PipelinesSnippets.declare(client).quotes());
        Holder fused = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(quotes)).subscribe(fused);
        assertThat(Scannable.from(fused.upstream).name()).isEqualTo("quotes");
        assertThat(fused.between()).as("the pipeline's subscriber, then the source's subscription").isEqualTo(1);

        Holder stacked = new Holder();
        client.quote("ACME")
                .transform(NineLives.breaker(CircuitBreaker.builder("stacked").build()))
                .transform(NineLives.retry(Retry.builder("stacked").build()))
                .transform(NineLives.bulkhead(Bulkhead.builder("stacked").maxConcurrent(1).build()))
                .subscribe(stacked);
        assertThat(stacked.between()).as("bulkhead, retry and breaker subscribers, then the source's").isEqualTo(3);
        fused.dispose();
        stacked.dispose();

        Pipeline twoStages = Pipeline.builder("quotes").retry(Retry.builder("quotes").build())
                .breaker(CircuitBreaker.builder("quotes").build()).build();
        Holder two = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(twoStages)).subscribe(two);
        assertThat(two.between()).as("two stages, one subscriber").isEqualTo(1);
        two.dispose();
    }

    /**
     * Guards the page's count with the timeouts: the declared pipeline (both timeouts) puts the
     * call's subscriber and the attempt's timeout between the caller and the source; without the
     * total timeout, the call's subscriber times its first attempt itself, and is alone.
     */
    @Test
    void theTimeoutsAreTheCallsSubscriberButForTheAttemptTimeoutBesideATotalOne() {
        Pipeline declared = PipelinesSnippets.declare(client).quotes();
        Holder both = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(declared)).subscribe(both);
        assertThat(both.between()).as("the call's subscriber, the attempt's timeout, then the source's").isEqualTo(2);
        both.dispose();

        Holder attemptOnly = new Holder();
        Pipeline noTotal = inOrder(declared, List.of("bulkhead", "retry", "breaker", "attemptTimeout"));
        client.quote("ACME").transform(NineLives.pipeline(noTotal)).subscribe(attemptOnly);
        assertThat(attemptOnly.between()).as("the call's subscriber, then the source's").isEqualTo(1);
        attemptOnly.dispose();
    }

    /** The declared pipeline's bulkhead, retry and breaker, without its timeouts. */
    static Pipeline policiesOnly(Pipeline declared) {
        return inOrder(declared, List.of("bulkhead", "retry", "breaker"));
    }

    /**
     * Guards the page's cost sentences for the smallest pipelines: a stage alone is one
     * subscriber, and a fallback the call does not take adds none.
     */
    @Test
    void aPipelineOfOneStageIsOneSubscriberAndAnUntakenFallbackAddsNone() {
        Pipeline breakerOnly = Pipeline.builder("quotes").breaker(CircuitBreaker.builder("quotes").build()).build();
        Holder one = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(breakerOnly)).subscribe(one);
        assertThat(one.between()).as("a breaker alone").isEqualTo(1);
        one.dispose();

        Pipeline quotes = policiesOnly(PipelinesSnippets.declare(client).quotes());
        Holder withFallback = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(quotes, Fallback.toValue("no quote"))).subscribe(withFallback);
        assertThat(withFallback.between()).as("three stages and a fallback").isEqualTo(1);
        withFallback.dispose();
    }

    /**
     * Guards against a waiting caller that starts its call before it has a permit, or that never
     * starts it when the permit comes: it waits in the bulkhead's queue, then runs one pipeline
     * subscriber.
     */
    @Test
    void aCallThatWaitsWaitsInTheBulkheadsQueueFirst() {
        Pipeline quotes = policiesOnly(PipelinesSnippets.declare(client).quotes());
        List<Holder> running = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Holder h = new Holder();
            client.quote("ACME").transform(NineLives.pipeline(quotes)).subscribe(h);
            running.add(h);
        }
        Holder waiting = new Holder();
        client.quote("ACME").transform(NineLives.pipeline(quotes)).subscribe(waiting);
        assertThat(waiting.between()).as("a place in the queue, and nothing started").isZero();
        assertThat(client.subscriptions).hasValue(20);

        client.answer(1);                                         // a call ends and hands its permit over
        assertThat(client.subscriptions).hasValue(21);
        assertThat(waiting.between()).as("the queue's place, the pipeline's subscriber, the source's").isEqualTo(2);
        running.forEach(BaseSubscriber::dispose);
        waiting.dispose();
        assertThat(bulkheadOf(quotes).metrics().inFlight()).isZero();
    }

    // ---------------------------------------------------------------- sharing the policies

    @Test
    void aPeekUsesThePipelinesBreakerAloneAndCountsInItsWindow() {
        Pipeline quotes = PipelinesSnippets.declare(client).quotes();
        PipelinesSnippets service = new PipelinesSnippets(client, quotes);
        AtomicInteger permits = new AtomicInteger();
        bulkheadOf(quotes).onPermitted(e -> permits.incrementAndGet());

        client.quotes = n -> Mono.error(new IOException(DOWN));
        StepVerifier.create(service.peek("ACME")).verifyError(IOException.class);
        assertThat(client.subscriptions).as("one attempt, no retry").hasValue(1);
        assertThat(breakerOf(quotes).metrics().failures()).as("the pipeline's breaker saw it").isEqualTo(1);
        assertThat(permits).as("and took no permit").hasValue(0);

        breakerOf(quotes).transitionTo(State.OPEN);
        StepVerifier.create(service.peek("ACME")).verifyError(CallNotPermittedException.class);
        StepVerifier.create(service.quote("ACME")).verifyError(CallNotPermittedException.class);
        assertThat(client.subscriptions).as("an open breaker refuses both").hasValue(1);
    }

    // ---------------------------------------------------------------- testing with virtual time

    // tag::virtual-time[]
    @Test
    void aQuoteThatFailsTwiceIsAnsweredAt300Ms() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> attempts.incrementAndGet() <= 2
                ? Mono.error(new IOException("quotes are down"))     // attempts 1 and 2 fail,
                : Mono.just("ACME 42.00"));                          // attempt 3 answers
        CircuitBreaker breaker = CircuitBreaker.builder("quotes").build();
        Pipeline quotes = Pipeline.builder("quotes")                 // no scheduler given: the pipeline
                .retry(Retry.builder("quotes").maxAttempts(3)        // looks up Schedulers.parallel()
                        .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)).build())
                .breaker(breaker)                                    // when each call is subscribed
                .build();

        StepVerifier.withVirtualTime(() -> flaky.transform(NineLives.pipeline(quotes)))
                .expectSubscription()                                // attempt 1 at 0 ms, 2 at 100 ms
                .expectNoEvent(Duration.ofMillis(299))
                .thenAwait(Duration.ofMillis(1))                     // attempt 3 at 300 ms
                .expectNext("ACME 42.00")
                .verifyComplete();
        assertThat(breaker.metrics().calls()).isEqualTo(3);          // every attempt went through it
    }
    // end::virtual-time[]

    // tag::scheduler[]
    @Test
    void aCallerWaitsForAPermitOnTheSchedulerOfThePipeline() {
        VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();   // this test's own clock
        Pipeline quotes = Pipeline.builder("quotes")
                .bulkhead(Bulkhead.builder("quotes").maxConcurrent(1).maxWait(Duration.ofMillis(100)).build())
                .breaker(CircuitBreaker.builder("quotes").build())
                .scheduler(scheduler)                                // waits and backoffs run on it
                .build();
        Mono.<String>never().transform(NineLives.pipeline(quotes)).subscribe();     // holds the only permit
        List<Throwable> errors = new ArrayList<>();
        Mono.just("ACME 42.00").transform(NineLives.pipeline(quotes)).subscribe(quote -> { }, errors::add);

        scheduler.advanceTimeBy(Duration.ofMillis(99));
        assertThat(errors).isEmpty();                                // still waiting for the permit
        scheduler.advanceTimeBy(Duration.ofMillis(1));
        assertThat(errors).singleElement().matches(NineLives::isBulkheadFull);
    }
    // end::scheduler[]

    /**
     * The scheduler given to the builder is the one the waits run on: the virtual clock the base
     * class installed as {@code Schedulers.parallel()} can move as far as it likes.
     */
    @Test
    void theInstalledVirtualClockDoesNotMoveAPipelineGivenItsOwnScheduler() {
        VirtualTimeScheduler own = VirtualTimeScheduler.create();
        Pipeline quotes = Pipeline.builder("quotes")
                .bulkhead(Bulkhead.builder("quotes").maxConcurrent(1).maxWait(Duration.ofMillis(100)).build())
                .retry(Retry.builder("quotes").build())
                .scheduler(own)
                .build();
        Mono.<String>never().transform(NineLives.pipeline(quotes)).subscribe();
        Mono.just("ACME 42.00").transform(NineLives.pipeline(quotes)).subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(errors).isEmpty();
        own.advanceTimeBy(Duration.ofMillis(100));
        assertThat(errors).singleElement().matches(NineLives::isBulkheadFull);
    }

    // ---------------------------------------------------------------- time limits

    // tag::hung[]
    @Test
    void aQuoteThatHangsIsCutEvery300MsAndEndedAt1s() {
        CircuitBreaker breaker = CircuitBreaker.builder("quotes").build();
        Pipeline quotes = Pipeline.builder("quotes")
                .retry(Retry.builder("quotes").maxAttempts(3)
                        .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)).build())
                .breaker(breaker)
                .timeout(Duration.ofSeconds(1)).attemptTimeout(Duration.ofMillis(300))
                .build();

        StepVerifier.withVirtualTime(() -> Mono.<String>never().transform(NineLives.pipeline(quotes)))
                .expectSubscription()                                // attempts at 0, 400 and 900 ms;
                .expectNoEvent(Duration.ofMillis(999))               // the first two cut at 300 and 700 ms
                .thenAwait(Duration.ofMillis(1))                     // the total timeout ends the third
                .expectErrorSatisfies(e -> assertThat(((TimeoutExceededException) e).stage())
                        .isEqualTo(TimeoutExceededException.Stage.TOTAL_TIMEOUT))
                .verify();
        assertThat(breaker.metrics().failures()).isEqualTo(2);       // the two attempts cut at 300 ms
        assertThat(breaker.metrics().calls()).isEqualTo(2);          // the third, cancelled: not recorded
    }
    // end::hung[]

    /**
     * Guards against a page whose declared pipeline does not behave as the page says: a hung
     * attempt is cut at 300 ms, counted a failure, retried; the attempt in flight at 1 s is
     * cancelled, its breaker permit given back unrecorded, and the bulkhead permit is free again.
     */
    @Test
    void theDeclaredPipelineCutsHungAttemptsAndEndsTheCallAt1s() {
        Declared d = PipelinesSnippets.declare(client);
        AtomicInteger cancelled = new AtomicInteger();
        client.quotes = n -> Mono.<String>never().doOnCancel(cancelled::incrementAndGet);
        d.quote().subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofMillis(999));
        assertThat(errors).isEmpty();
        assertThat(client.millis).containsExactly(0L, 400L, 900L);
        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(NineLives.isTimeout(e)).isTrue();
            assertThat(((TimeoutExceededException) e).stage()).isEqualTo(Stage.TOTAL_TIMEOUT);
            assertThat(e).hasMessage("total timeout of 1 s exceeded");
        });
        assertThat(cancelled).as("each attempt was cancelled, the last by the total timeout").hasValue(3);
        assertThat(breakerOf(d.quotes()).metrics().failures()).isEqualTo(2);
        assertThat(breakerOf(d.quotes()).metrics().calls()).isEqualTo(2);
        assertThat(bulkheadOf(d.quotes()).metrics().inFlight()).isZero();
    }

    @Test
    void anAttemptTimeoutNotShorterThanTheTotalIsRefusedAtBuild() {
        Pipeline.Builder b = Pipeline.builder("quotes").timeout(Duration.ofSeconds(1)).attemptTimeout(Duration.ofSeconds(1));
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pipeline 'quotes': attemptTimeout (1s) must be shorter than timeout (1s), or it could never fire");
    }

    // ---------------------------------------------------------------- fallback

    @Test
    void noQuoteStandsInForEveryErrorAStageEndsTheCallWith() {
        Declared d = PipelinesSnippets.declare(client);
        PipelinesSnippets service = new PipelinesSnippets(client, d.quotes());

        client.quotes = n -> Mono.error(new IOException(DOWN));          // the retry gives up
        service.quoteOrNone("ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(client.subscriptions).hasValue(3);

        client.quotes = n -> Mono.never();                               // the timeouts
        service.quoteOrNone("ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));

        breakerOf(d.quotes()).transitionTo(State.OPEN);                  // the breaker refuses
        service.quoteOrNone("ACME").subscribe(answers::add, errors::add);

        breakerOf(d.quotes()).transitionTo(State.CLOSED);                // the bulkhead refuses
        for (int i = 0; i < 20; i++) {
            service.quote("ACME").subscribe();
        }
        service.quoteOrNone("ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofMillis(100));

        assertThat(errors).isEmpty();
        assertThat(answers).containsExactly("no quote", "no quote", "no quote", "no quote");
    }

    /** Subscribes to {@code call}, moves the clock by a second, and returns what it gave: a value, "(empty)" or an error. */
    String within1s(Mono<String> call) {
        List<String> got = new ArrayList<>();
        call.subscribe(got::add, e -> got.add("error: " + e.getMessage()), () -> got.add("(completed)"));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        return String.join(" ", got);
    }

    @Test
    void theLastQuoteStandsInForRefusalsAndTimeoutsButNotForTheServicesErrors() {
        Declared d = PipelinesSnippets.declare(client);
        PipelinesSnippets service = new PipelinesSnippets(client, d.quotes());
        client.quotes = n -> Mono.never();
        assertThat(within1s(service.quoteOrLast("ACME"))).as("nothing known yet: empty").isEqualTo("(completed)");

        client.quotes = n -> Mono.just("ACME 42.00");
        assertThat(within1s(service.quoteOrLast("ACME"))).isEqualTo("ACME 42.00 (completed)");

        client.quotes = n -> Mono.never();
        assertThat(within1s(service.quoteOrLast("ACME"))).as("timed out").isEqualTo("ACME 42.00 (completed)");
        breakerOf(d.quotes()).transitionTo(State.OPEN);
        assertThat(within1s(service.quoteOrLast("ACME"))).as("refused").isEqualTo("ACME 42.00 (completed)");

        breakerOf(d.quotes()).transitionTo(State.CLOSED);
        client.quotes = n -> Mono.error(new IOException(DOWN));
        assertThat(within1s(service.quoteOrLast("ACME"))).as("the service's own error").isEqualTo("error: " + DOWN);
    }

    @Test
    void aHistoryThatBreaksOffContinuesWithTheMarkerAfterWhatItDelivered() {
        Declared d = PipelinesSnippets.declare(client);
        PipelinesSnippets service = new PipelinesSnippets(client, d.quotes());
        client.histories = n -> Flux.concat(Flux.just("ACME 41.00"), Flux.error(new IOException(DOWN)));
        List<String> seen = new ArrayList<>();
        service.historyOrMarker("ACME").subscribe(seen::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(errors).isEmpty();
        assertThat(seen).as("each attempt's first quote, then the marker: nothing replayed by the fallback")
                .containsExactly("ACME 41.00", "ACME 41.00", "ACME 41.00", "(history incomplete)");
    }

    // ---------------------------------------------------------------- the deadline

    /** A client that records the time left it was given, and replies as told to its n-th call (from 1). */
    static final class Timed implements TimedQuoteClient {
        final List<Duration> given = Collections.synchronizedList(new ArrayList<>());
        final java.util.function.IntFunction<Mono<String>> replies;

        Timed(java.util.function.IntFunction<Mono<String>> replies) {
            this.replies = replies;
        }

        /** Fails the first {@code failures} calls, answers the others. */
        static Timed failing(int failures) {
            return new Timed(n -> n <= failures ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00"));
        }

        @Override
        public Mono<String> quote(String symbol, Duration timeLeft) {
            given.add(timeLeft);
            return replies.apply(given.size());
        }
    }

    @Test
    void eachAttemptIsGivenWhatIsLeftOfTheTotalTimeout() {
        PipelinesSnippets service = new PipelinesSnippets(client, PipelinesSnippets.declare(client).quotes());
        Timed timed = Timed.failing(2);
        service.quoteWithin(timed, "ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(timed.given).containsExactly(Duration.ofSeconds(1), Duration.ofMillis(900), Duration.ofMillis(700));
    }

    @Test
    void theTighterOfThePagesDeadlineAndThePipelinesTimeoutWins() {
        PipelinesSnippets service = new PipelinesSnippets(client, PipelinesSnippets.declare(client).quotes());
        Timed timed = Timed.failing(2);
        service.quoteForPage(timed, "ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(timed.given).containsExactly(Duration.ofMillis(400), Duration.ofMillis(300), Duration.ofMillis(100));

        Timed hung = new Timed(n -> Mono.never());
        service.quoteForPage(hung, "ACME").subscribe(answers::add, errors::add);
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(errors).singleElement().satisfies(e ->
                assertThat(((TimeoutExceededException) e).stage()).isEqualTo(Stage.ATTEMPT_TIMEOUT));
        assertThat(hung.given).as("cut at 300 ms; a 100 ms backoff would end at the deadline, so no retry")
                .containsExactly(Duration.ofMillis(400));
    }

    // ---------------------------------------------------------------- the page

    @Test
    void pageShowsThePlanAndStatesTheFiguresOfTheseTests() throws IOException {
        String html = SitePagesTest.visibleText(SitePagesTest.HTML.resolve("pipelines.html"));
        assertThat(html)
                .contains(SitePagesTest.normalize(String.join("\n", SitePagesTest.region(PLAN, "plan"))))
                .contains("bulkhead → total timeout → retry → hedge → circuit breaker → attempt timeout → source")
                .contains("answered at 300 ms")
                .contains("the 21st waits up to 100 ms")
                .contains("a pipeline puts one subscriber per call, where stacked operators put one each")
                .contains("which has both, puts two subscribers between your subscriber and the source")
                .contains("all of them behave alike")
                .contains("at 1 s the total timeout cancels the third")
                .contains("gets no quote four times")
                .contains("then (history incomplete), and completes")
                .contains("gives the client 1 s, 900 ms and 700 ms")
                .contains("the same three attempts give the client 400, 300 and 100 ms")
                .contains("pipeline 'quotes': attemptTimeout (1s) must be shorter than timeout (1s), or it could never fire");
    }
}
