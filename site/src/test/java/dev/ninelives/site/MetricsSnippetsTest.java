package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
// end::imports[]

import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.site.BulkheadSnippetsTest.FakeClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.assertj.core.api.SoftAssertions;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks every region of {@link MetricsSnippets} that the "Metrics" page shows, the exact value
 * of every meter after calls whose outcomes the test scripts, the page's two tables (the meters,
 * and their names in Prometheus) against what a registry really holds, and holds the page's test
 * examples (the {@code test} and {@code once} regions below).
 *
 * <p>Each test runs with a {@link VirtualTimeScheduler} in place of {@code Schedulers.parallel()},
 * so retry delays, slow calls and bulkhead waits take exactly the virtual time the test gives them.
 */
class MetricsSnippetsTest extends OnVirtualClock {

    static final String DOWN = "quotes are down";
    static final Path BASE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path PAGE = BASE.resolve("src/docs/asciidoc/metrics.adoc");

    final FakeClient client = new FakeClient();
    final CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
    final Retry retry = RetrySnippets.quotesRetry();
    final Bulkhead bulkhead = BulkheadSnippets.quotesBulkhead(NineLives.schedulerTicker());
    final BulkheadSnippets quotes = new BulkheadSnippets(client, bulkhead, breaker, retry);
    final List<String> answers = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    static double counter(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    static double gauge(MeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    /** Every meter of a registry as {@code "type name{tag=value,...}"}, tags sorted, {@code name} included. */
    static Set<String> ids(MeterRegistry registry) {
        return registry.getMeters().stream().map(m -> m.getId().getType().name().toLowerCase(Locale.ROOT) + " "
                        + m.getId().getName() + m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue())
                        .collect(Collectors.joining(",", "{", "}")))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    // ---------------------------------------------------------------- binding

    @Test
    void bindRegistersEverySeriesOfTheThreePoliciesAtZero() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MetricsSnippets.bind(registry, breaker, retry, bulkhead);

        Set<String> expected = new TreeSet<>();
        for (String state : List.of("closed", "open", "half_open", "forced_open", "disabled", "metrics_only")) {
            expected.add("gauge ninelives.breaker.state{name=quotes,state=" + state + "}");
        }
        for (String outcome : List.of("success", "failure", "ignored")) {
            for (String kind : List.of("fast", "slow")) {
                expected.add("counter ninelives.breaker.calls{kind=" + kind + ",name=quotes,outcome=" + outcome + "}");
                expected.add("timer ninelives.breaker.call.duration{kind=" + kind + ",name=quotes,outcome=" + outcome + "}");
            }
        }
        expected.add("counter ninelives.breaker.calls{kind=none,name=quotes,outcome=not_permitted}");
        expected.add("gauge ninelives.breaker.failure.rate{name=quotes}");
        expected.add("gauge ninelives.breaker.slow.call.rate{name=quotes}");
        for (String outcome : List.of("success_without_retry", "success_after_retry", "failed_without_retry",
                "failed_after_retry")) {
            expected.add("counter ninelives.retry.calls{name=quotes,outcome=" + outcome + "}");
        }
        expected.add("counter ninelives.retry.retries{name=quotes}");
        expected.add("counter ninelives.retry.budget.refusals{name=quotes}");
        for (String gauge : List.of("in.flight", "queued", "available.permits", "max.concurrent")) {
            expected.add("gauge ninelives.bulkhead." + gauge + "{name=quotes}");
        }
        for (String reason : List.of("full", "queue_full", "wait_timed_out")) {
            expected.add("counter ninelives.bulkhead.rejected{name=quotes,reason=" + reason + "}");
        }
        expected.add("timer ninelives.bulkhead.wait{name=quotes}");
        assertThat(ids(registry)).containsExactlyElementsOf(expected);

        SoftAssertions soft = new SoftAssertions();
        for (Meter m : registry.getMeters()) {
            if (m instanceof Counter c) {
                soft.assertThat(c.count()).as(m.getId().toString()).isZero();
            }
        }
        soft.assertThat(gauge(registry, "ninelives.breaker.state", "state", "closed")).isEqualTo(1.0);
        soft.assertThat(gauge(registry, "ninelives.breaker.state", "state", "open")).isEqualTo(0.0);
        soft.assertThat(gauge(registry, "ninelives.breaker.failure.rate")).isEqualTo(-1.0);
        soft.assertThat(gauge(registry, "ninelives.breaker.slow.call.rate")).isEqualTo(-1.0);
        soft.assertThat(gauge(registry, "ninelives.bulkhead.in.flight")).isEqualTo(0.0);
        soft.assertThat(gauge(registry, "ninelives.bulkhead.queued")).isEqualTo(0.0);
        soft.assertThat(gauge(registry, "ninelives.bulkhead.available.permits")).isEqualTo(10.0);
        soft.assertThat(gauge(registry, "ninelives.bulkhead.max.concurrent")).isEqualTo(10.0);
        soft.assertThat(registry.get("ninelives.bulkhead.wait").timer().count()).isZero();
        soft.assertAll();
    }

    @Test
    void aBinderRegistersNothingAndCountsNothingUntilItIsBound() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MeterBinder binder = NineLivesMeters.breaker(breaker);       // created, not bound
        client.quotes = n -> Mono.error(new IOException(DOWN));
        for (int i = 0; i < 10; i++) {
            client.quote("ACME").transform(NineLives.breaker(breaker)).subscribe(answers::add, errors::add);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(registry.getMeters()).isEmpty();

        binder.bindTo(registry);
        assertThat(counter(registry, "ninelives.breaker.calls", "outcome", "failure", "kind", "fast"))
                .as("counters start when the binder is bound").isZero();
        assertThat(gauge(registry, "ninelives.breaker.state", "state", "open"))
                .as("gauges show the breaker as it is").isEqualTo(1.0);
        assertThat(gauge(registry, "ninelives.breaker.failure.rate")).isEqualTo(100.0);

        client.quote("ACME").transform(NineLives.breaker(breaker)).subscribe(answers::add, errors::add);
        assertThat(counter(registry, "ninelives.breaker.calls", "outcome", "not_permitted", "kind", "none"))
                .isEqualTo(1.0);
    }

    // tag::once[]
    @Test
    void aPolicyIsBoundOnceAndASecondOneOfTheSameNameIsRefused() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("quotes");
        MeterRegistry registry = new SimpleMeterRegistry();
        NineLivesMeters.breaker(breaker).bindTo(registry);
        NineLivesMeters.breaker(breaker).bindTo(registry);           // the same breaker again: does nothing

        Mono.just("ACME 42.00").transform(NineLives.breaker(breaker)).block();
        assertThat(registry.get("ninelives.breaker.calls").tags("outcome", "success", "kind", "fast")
                .counter().count()).isEqualTo(1.0);                  // counted once

        CircuitBreaker another = CircuitBreaker.ofDefaults("quotes");  // another breaker, the same name
        assertThatThrownBy(() -> NineLivesMeters.breaker(another).bindTo(registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already bound to this registry");
    }
    // end::once[]

    @Test
    void oneBinderBoundToTwoRegistriesCountsOnceInEach() {
        MeterRegistry first = new SimpleMeterRegistry();
        MeterRegistry second = new SimpleMeterRegistry();
        MeterBinder binder = NineLivesMeters.retry(retry);
        binder.bindTo(first);
        binder.bindTo(second);
        binder.bindTo(first);
        client.quotes = n -> Mono.just("ACME 42.00");
        quotes.protectedQuote("ACME").subscribe(answers::add);
        assertThat(answers).containsExactly("ACME 42.00");
        assertThat(counter(first, "ninelives.retry.calls", "outcome", "success_without_retry")).isEqualTo(1.0);
        assertThat(counter(second, "ninelives.retry.calls", "outcome", "success_without_retry")).isEqualTo(1.0);
    }

    @Test
    void twoPoliciesOfOneNameAreToldApartByTheirTags() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Bulkhead other = Bulkhead.builder("quotes").maxConcurrent(3).build();
        NineLivesMeters.bulkhead(bulkhead).bindTo(registry);
        assertThatThrownBy(() -> NineLivesMeters.bulkhead(other).bindTo(registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bulkhead").hasMessageContaining("'quotes'");
        assertThat(registry.getMeters()).as("the refused binding registered nothing").hasSize(8);

        NineLivesMeters.bulkhead(other, Tags.of("pool", "backup")).bindTo(registry);
        assertThat(registry.getMeters()).hasSize(16);
        assertThat(registry.get("ninelives.bulkhead.max.concurrent").tags("pool", "backup").gauge().value()).isEqualTo(3.0);
        other.tryAcquire();
        other.tryAcquire();
        other.tryAcquire();
        assertThat(other.tryAcquire()).isFalse();                    // refused by the second bulkhead
        quotes.quoteNow("ACME", symbol -> symbol);                   // a permit of the first
        assertThat(counter(registry, "ninelives.bulkhead.rejected", "pool", "backup", "reason", "full")).isEqualTo(1.0);
        assertThat(registry.get("ninelives.bulkhead.wait").tags("pool", "backup").timer().count()).isEqualTo(3);
        assertThat(registry.find("ninelives.bulkhead.wait").tags("name", "quotes").timers())
                .extracting(t -> t.getId().getTag("pool") == null ? t.count() : -t.count())
                .as("1 permit of the first, 3 of the second").containsExactlyInAnyOrder(1L, -3L);
    }

    @Test
    void factoriesAndBindToRejectNull() {
        assertThatThrownBy(() -> NineLivesMeters.breaker(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("breaker");
        assertThatThrownBy(() -> NineLivesMeters.retry(retry, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("tags");
        assertThatThrownBy(() -> NineLivesMeters.bulkhead(bulkhead).bindTo(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("registry");
    }

    // ---------------------------------------------------------------- the page's example

    // tag::test[]
    @Test
    void aQuoteThatSucceedsAtItsSecondAttemptShowsInTheMetersOfAllThree() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("quotes");
        Retry retry = Retry.builder("quotes").maxAttempts(3).constantBackoff(Duration.ofMillis(100)).build();
        Bulkhead bulkhead = Bulkhead.builder("quotes").maxConcurrent(10).build();
        MeterRegistry registry = new SimpleMeterRegistry();         // keeps the meters in memory
        NineLivesMeters.breaker(breaker).bindTo(registry);
        NineLivesMeters.retry(retry).bindTo(registry);
        NineLivesMeters.bulkhead(bulkhead).bindTo(registry);
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> quote = Mono.defer(() -> attempts.incrementAndGet() == 1
                        ? Mono.<String>error(new IOException("quotes are down"))
                        : Mono.just("ACME 42.00"))
                .transform(NineLives.breaker(breaker))
                .transform(NineLives.retry(retry))
                .transform(NineLives.bulkhead(bulkhead));

        StepVerifier.withVirtualTime(() -> quote)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(100))                  // the retry's delay
                .expectNext("ACME 42.00")
                .verifyComplete();

        assertThat(registry.get("ninelives.breaker.calls").tags("outcome", "failure", "kind", "fast")
                .counter().count()).isEqualTo(1.0);                 // the first attempt
        assertThat(registry.get("ninelives.breaker.calls").tags("outcome", "success", "kind", "fast")
                .counter().count()).isEqualTo(1.0);                 // the second
        assertThat(registry.get("ninelives.retry.calls").tags("outcome", "success_after_retry")
                .counter().count()).isEqualTo(1.0);                 // one call
        assertThat(registry.get("ninelives.retry.retries").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().count()).isEqualTo(1);   // one permit
        assertThat(registry.get("ninelives.bulkhead.in.flight").gauge().value()).isZero();  // returned
    }
    // end::test[]

    // ---------------------------------------------------------------- exact values, policy by policy

    @Test
    void breakerMetersCountEachOutcomeAndSpeedAndFollowTheState() {
        CircuitBreaker slowAware = CircuitBreaker.builder("quotes")
                .slidingWindow(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .slowCallDuration(Duration.ofMillis(500))
                .recordFailureIf(e -> e instanceof IOException)
                .ticker(NineLives.schedulerTicker())
                .build();
        MeterRegistry registry = new SimpleMeterRegistry();
        NineLivesMeters.breaker(slowAware).bindTo(registry);
        client.quotes = n -> switch (n) {
            case 1, 2, 3 -> Mono.just("ACME 42.00");
            case 4 -> Mono.delay(Duration.ofMillis(600)).thenReturn("ACME 42.00");   // slow
            case 5 -> Mono.error(new IllegalArgumentException("no such symbol"));     // not counted
            default -> Mono.error(new IOException(DOWN));
        };
        for (int i = 1; i <= 13; i++) {                              // 6 failures open it; 2 refused
            client.quote("ACME").transform(NineLives.breaker(slowAware)).subscribe(answers::add, errors::add);
            if (i == 4) {
                clock.advanceTimeBy(Duration.ofMillis(600));
            }
        }
        assertThat(client.subscriptions).hasValue(11);
        assertThat(slowAware.state()).isEqualTo(CircuitBreaker.State.OPEN);

        Map<String, Double> calls = new TreeMap<>();
        registry.get("ninelives.breaker.calls").counters().forEach(c ->
                calls.put(c.getId().getTag("outcome") + "/" + c.getId().getTag("kind"), c.count()));
        Map<String, Double> expected = new TreeMap<>(Map.of(
                "success/fast", 3.0, "success/slow", 1.0, "failure/fast", 6.0, "failure/slow", 0.0,
                "ignored/fast", 1.0, "ignored/slow", 0.0, "not_permitted/none", 2.0));
        assertThat(calls).isEqualTo(expected);

        Map<String, Double> states = new TreeMap<>();
        registry.get("ninelives.breaker.state").gauges().forEach(g -> states.put(g.getId().getTag("state"), g.value()));
        assertThat(states).containsExactlyInAnyOrderEntriesOf(Map.of("closed", 0.0, "open", 1.0, "half_open", 0.0,
                "forced_open", 0.0, "disabled", 0.0, "metrics_only", 0.0));
        assertThat(gauge(registry, "ninelives.breaker.failure.rate")).as("6 of 10").isEqualTo(60.0);
        assertThat(gauge(registry, "ninelives.breaker.slow.call.rate")).as("1 of 10").isEqualTo(10.0);

        slowAware.transitionTo(CircuitBreaker.State.METRICS_ONLY);
        assertThat(gauge(registry, "ninelives.breaker.state", "state", "metrics_only")).isEqualTo(1.0);
        assertThat(gauge(registry, "ninelives.breaker.state", "state", "open")).isEqualTo(0.0);
    }

    @Test
    void retryMetersCountCallsByHowTheyEndedRetriesAndBudgetRefusals() {
        RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).capacity(3).build();
        Retry budgeted = Retry.builder("quotes")
                .maxAttempts(3)
                .constantBackoff(Duration.ofMillis(100))
                .retryIf(e -> e instanceof IOException)
                .budget(budget)
                .build();
        MeterRegistry registry = new SimpleMeterRegistry();
        NineLivesMeters.retry(budgeted).bindTo(registry);
        Map<Integer, Mono<String>> script = Map.of(
                1, Mono.just("A"),                                      // A: at once
                2, Mono.error(new IOException(DOWN)), 3, Mono.just("B"), // B: after one retry
                4, Mono.error(new IllegalStateException("bad symbol")),  // C: not retryable
                5, Mono.error(new IOException(DOWN)), 6, Mono.error(new IOException(DOWN)),
                7, Mono.error(new IOException(DOWN)),                   // D: three attempts, exhausted
                8, Mono.error(new IOException(DOWN)));                  // E: the budget is empty
        client.quotes = script::get;
        for (int call = 0; call < 5; call++) {
            client.quote("ACME").transform(NineLives.retry(budgeted)).subscribe(answers::add, errors::add);
            clock.advanceTimeBy(Duration.ofSeconds(1));
        }
        assertThat(answers).containsExactly("A", "B");
        assertThat(errors).hasSize(3);
        assertThat(client.subscriptions).hasValue(8);

        Map<String, Double> calls = new TreeMap<>();
        registry.get("ninelives.retry.calls").counters().forEach(c -> calls.put(c.getId().getTag("outcome"), c.count()));
        assertThat(calls).containsExactlyInAnyOrderEntriesOf(Map.of("success_without_retry", 1.0,
                "success_after_retry", 1.0, "failed_without_retry", 2.0, "failed_after_retry", 1.0));
        assertThat(counter(registry, "ninelives.retry.retries")).as("B once, D twice").isEqualTo(3.0);
        assertThat(counter(registry, "ninelives.retry.budget.refusals")).as("E").isEqualTo(1.0);
        assertThat(budget.refused()).isEqualTo(1);
    }

    @Test
    void bulkheadMetersFollowPermitsQueueRefusalsAndWaits() {
        MeterRegistry registry = new SimpleMeterRegistry();
        NineLivesMeters.bulkhead(bulkhead).bindTo(registry);
        for (int i = 0; i < 31; i++) {                               // 10 run, 20 wait, 1 is refused
            quotes.quote("ACME").subscribe(answers::add, errors::add);
        }
        assertThatThrownBy(() -> quotes.quoteNow("ACME", symbol -> symbol)).as("refused: FULL")
                .isInstanceOf(BulkheadFullException.class);
        assertThat(gauge(registry, "ninelives.bulkhead.in.flight")).isEqualTo(10.0);
        assertThat(gauge(registry, "ninelives.bulkhead.queued")).isEqualTo(20.0);
        assertThat(gauge(registry, "ninelives.bulkhead.available.permits")).isEqualTo(0.0);
        assertThat(gauge(registry, "ninelives.bulkhead.max.concurrent")).isEqualTo(10.0);
        assertThat(counter(registry, "ninelives.bulkhead.rejected", "reason", "queue_full")).isEqualTo(1.0);
        assertThat(counter(registry, "ninelives.bulkhead.rejected", "reason", "full")).isEqualTo(1.0);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().count()).as("10 permits at once").isEqualTo(10);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().totalTime(TimeUnit.MILLISECONDS)).isZero();

        clock.advanceTimeBy(Duration.ofMillis(50));
        client.answer(1);                                            // the first waiter takes the permit
        assertThat(registry.get("ninelives.bulkhead.wait").timer().count()).isEqualTo(11);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50.0);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().max(TimeUnit.MILLISECONDS)).isEqualTo(50.0);
        assertThat(gauge(registry, "ninelives.bulkhead.queued")).isEqualTo(19.0);

        clock.advanceTimeBy(Duration.ofMillis(150));                 // 200 ms: the other 19 give up
        assertThat(counter(registry, "ninelives.bulkhead.rejected", "reason", "wait_timed_out")).isEqualTo(19.0);
        assertThat(gauge(registry, "ninelives.bulkhead.queued")).isEqualTo(0.0);
        assertThat(gauge(registry, "ninelives.bulkhead.in.flight")).isEqualTo(10.0);

        quotes.replicasChanged(2);                                   // 20 permits
        assertThat(gauge(registry, "ninelives.bulkhead.max.concurrent")).isEqualTo(20.0);
        assertThat(gauge(registry, "ninelives.bulkhead.available.permits")).isEqualTo(10.0);
        bulkhead.changeMaxConcurrent(7);                             // below the 10 calls in flight
        assertThat(gauge(registry, "ninelives.bulkhead.available.permits")).isEqualTo(-3.0);
        for (int n = 2; n <= 11; n++) {
            client.answer(n);
        }
        assertThat(gauge(registry, "ninelives.bulkhead.in.flight")).isZero();
        assertThat(gauge(registry, "ninelives.bulkhead.available.permits")).isEqualTo(7.0);
        assertThat(registry.get("ninelives.bulkhead.wait").timer().count()).as("no more permits").isEqualTo(11);
    }

    // ---------------------------------------------------------------- extra tags

    @Test
    void extraTagsGoOnEveryMeterButReplaceNeitherTheNameNorAMetersOwnTags() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MetricsSnippets.bindTagged(registry, breaker, retry, bulkhead);
        assertThat(registry.getMeters()).hasSize(29 + 6).allSatisfy(m -> {
            assertThat(m.getId().getTag("service")).isEqualTo("checkout");
            assertThat(m.getId().getTag("dependency")).isEqualTo("quote-service");
            assertThat(m.getId().getTag("name")).isEqualTo("quotes");
        });

        MeterRegistry other = new SimpleMeterRegistry();
        NineLivesMeters.breaker(breaker, List.of(Tag.of("name", "inventory"), Tag.of("state", "up"))).bindTo(other);
        assertThat(other.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("name")).isEqualTo("quotes"));
        assertThat(other.get("ninelives.breaker.state").gauges()).extracting(g -> g.getId().getTag("state"))
                .containsExactlyInAnyOrder("closed", "open", "half_open", "forced_open", "disabled", "metrics_only");
        assertThat(other.get("ninelives.breaker.failure.rate").gauge().getId().getTag("state")).isEqualTo("up");
    }

    // ---------------------------------------------------------------- Prometheus

    /** The sample names of a scrape: each sample line's metric name, without labels or value. */
    static Set<String> sampleNames(String scrape) {
        return scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.replaceFirst("[{ ].*$", ""))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void prometheusShowsEveryMeterUnderItsPrometheusName() {
        PrometheusMeterRegistry registry = MetricsSnippets.prometheus(breaker, retry, bulkhead);
        String text = MetricsSnippets.scrape(registry);
        assertThat(text.lines()).contains(
                "# TYPE ninelives_breaker_calls_total counter",
                "ninelives_breaker_calls_total{kind=\"none\",name=\"quotes\",outcome=\"not_permitted\"} 0.0",
                "ninelives_breaker_state{name=\"quotes\",state=\"closed\"} 1.0",
                "ninelives_breaker_failure_rate_percent{name=\"quotes\"} -1.0",
                "ninelives_retry_calls_total{name=\"quotes\",outcome=\"success_after_retry\"} 0.0",
                "ninelives_bulkhead_available_permits{name=\"quotes\"} 10.0",
                "ninelives_bulkhead_rejected_total{name=\"quotes\",reason=\"wait_timed_out\"} 0.0",
                "# TYPE ninelives_bulkhead_wait_seconds summary",
                "ninelives_bulkhead_wait_seconds_count{name=\"quotes\"} 0",
                "ninelives_bulkhead_wait_seconds_sum{name=\"quotes\"} 0.0",
                "ninelives_bulkhead_wait_seconds_max{name=\"quotes\"} 0.0");

        client.quotes = n -> n == 1 ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00");
        quotes.protectedQuote("ACME").subscribe(answers::add);
        clock.advanceTimeBy(Duration.ofMillis(100));
        assertThat(MetricsSnippets.scrape(registry).lines()).contains(
                "ninelives_breaker_calls_total{kind=\"fast\",name=\"quotes\",outcome=\"failure\"} 1.0",
                "ninelives_retry_calls_total{name=\"quotes\",outcome=\"success_after_retry\"} 1.0",
                "ninelives_retry_retries_total{name=\"quotes\"} 1.0",
                "ninelives_bulkhead_wait_seconds_count{name=\"quotes\"} 1");
    }

    // ---------------------------------------------------------------- the page's tables

    /** The lines of the page's section that starts with the anchor {@code [#id]}, up to the next anchor. */
    static List<String> section(String id) throws IOException {
        List<String> lines = Files.readAllLines(PAGE);
        int start = lines.indexOf("[#" + id + "]");
        assertThat(start).as("section [#%s] of metrics.adoc", id).isNotNegative();
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("[#")) {
            end++;
        }
        return lines.subList(start, end);
    }

    static final Pattern ROW_START = Pattern.compile("^\\|`(ninelives\\.[a-z.]+)`(.*)$");
    static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** The rows of the first table of a section, keyed by the meter name in the row's first cell, as text. */
    static Map<String, String> rows(List<String> section) {
        Map<String, String> rows = new LinkedHashMap<>();
        String name = null;
        StringBuilder row = new StringBuilder();
        boolean inTable = false;
        for (String line : section) {
            if (line.equals("|===")) {
                if (inTable) {
                    break;
                }
                inTable = true;
                continue;
            }
            Matcher m = ROW_START.matcher(line);
            if (inTable && m.matches()) {
                if (name != null) {
                    rows.put(name, row.toString());
                }
                name = m.group(1);
                row = new StringBuilder(m.group(2));
            } else if (name != null) {
                row.append('\n').append(line);
            }
        }
        if (name != null) {
            rows.put(name, row.toString());
        }
        return rows;
    }

    @Test
    void theMeterTableOfThePageListsEveryMeterWithItsTypeAndTags() throws IOException {
        MeterRegistry registry = new SimpleMeterRegistry();
        MetricsSnippets.bind(registry, breaker, retry, bulkhead);
        Map<String, String> rows = rows(section("meters"));
        Map<String, List<Meter>> byName = registry.getMeters().stream()
                .collect(Collectors.groupingBy(m -> m.getId().getName(), TreeMap::new, Collectors.toList()));
        assertThat(rows.keySet()).as("meters in the table, in the order of the binders")
                .containsExactlyInAnyOrderElementsOf(byName.keySet());

        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, List<Meter>> e : byName.entrySet()) {
            String row = rows.getOrDefault(e.getKey(), "");
            String[] cells = row.split("\n\\|", -1);
            soft.assertThat(cells).as("%s: name, type, tags, meaning", e.getKey()).hasSize(4);
            if (cells.length != 4) {
                continue;
            }
            String type = e.getValue().get(0).getId().getType().name().toLowerCase(Locale.ROOT);
            soft.assertThat(cells[1].trim()).as("%s: type", e.getKey()).startsWith(type);
            Set<String> shown = new TreeSet<>();
            Matcher code = CODE.matcher(cells[2]);
            while (code.find()) {
                shown.add(code.group(1));
            }
            Set<String> tags = new TreeSet<>();
            for (Meter m : e.getValue()) {
                for (Tag t : m.getId().getTags()) {
                    if (!t.getKey().equals("name")) {
                        tags.add(t.getKey());
                        tags.add(t.getValue());
                    }
                }
            }
            soft.assertThat(shown).as("%s: tag keys and values", e.getKey()).isEqualTo(tags);
        }
        soft.assertAll();
    }

    @Test
    void thePrometheusTableOfThePageGivesEachMetersNamesInTheScrape() throws IOException {
        Map<String, String> rows = rows(section("prometheus-names"));
        String scrape = MetricsSnippets.scrape(MetricsSnippets.prometheus(breaker, retry, bulkhead));
        Set<String> listed = new TreeSet<>();
        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, String> row : rows.entrySet()) {
            Matcher code = CODE.matcher(row.getValue());
            int names = 0;
            while (code.find()) {
                names++;
                listed.add(code.group(1));
                soft.assertThat(code.group(1)).as("a Prometheus name of %s", row.getKey())
                        .startsWith(row.getKey().replace('.', '_'));
            }
            soft.assertThat(names).as("%s: its names in Prometheus", row.getKey()).isPositive();
        }
        soft.assertThat(rows).as("every meter").hasSize(14);
        soft.assertThat(listed).as("every sample name of the scrape, and no other").isEqualTo(sampleNames(scrape));
        soft.assertAll();
    }

    @Test
    void thePageQuotesLinesOfARealScrape() throws IOException {
        String scrape = MetricsSnippets.scrape(MetricsSnippets.prometheus(breaker, retry, bulkhead));
        String page = Files.readString(PAGE);
        Matcher quoted = Pattern.compile("`\\+(ninelives_[^`]*?)\\+`").matcher(page);
        int lines = 0;
        while (quoted.find()) {
            lines++;
            assertThat(scrape.lines()).as("quoted on the page").contains(quoted.group(1));
        }
        assertThat(lines).as("sample lines quoted on the page").isGreaterThanOrEqualTo(2);
        assertThat(page).contains("{micrometer-version}");
    }
}
