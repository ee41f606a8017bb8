package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Adaptive;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.ReloadReport;
import dev.ninelives.site.LiveConfigurationSnippets.Bound;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks every region of {@link LiveConfigurationSnippets} that the "Live configuration" page
 * shows, and each statement the page makes about it: a change takes effect for the next call and
 * keeps the state (permits in flight, the breaker's window), a refused value changes nothing, a
 * view follows its source; the registry's defaults and overrides, one instance per name, the
 * copy made by {@code toBuilder}, one name one policy, removal with its events, and the meters of
 * a whole registry; the properties file the page shows, its reload and report, the message of
 * bad keys, and the table of every key.
 */
class LiveConfigurationSnippetsTest {

    private static void fail(CircuitBreaker b) {
        b.onError(b.tryAcquire(), 0, new IOException("down"));
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(b.tryAcquire(), 0);
    }

    @Test
    void aChangeTakesEffectForTheNextCallAndKeepsTheState() {
        Bound bound = LiveConfigurationSnippets.bind();
        Bulkhead bulkhead = bound.bulkhead();
        CircuitBreaker breaker = bound.breaker();
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(20);
        assertThat(breaker.config().failureRateThreshold()).isEqualTo(50f);
        for (int i = 0; i < 20; i++) {
            assertThat(bulkhead.tryAcquire()).isTrue();        // 20 calls in flight
        }
        assertThat(bulkhead.tryAcquire()).isFalse();
        for (int i = 0; i < 100; i++) {                        // a full window, 30 % failed: CLOSED at 50 %
            if (i % 10 < 3) {
                fail(breaker);
            } else {
                succeed(breaker);
            }
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        List<String> log = new ArrayList<>();
        LiveConfigurationSnippets.listen(bound.limit(), log);

        LiveConfigurationSnippets.change(bound.limit(), bound.threshold());

        assertThat(log).containsExactly("quotes limit 20 -> 40", "quotes limit 40 -> 20");
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(20);
        assertThat(bulkhead.metrics().inFlight()).isEqualTo(20);    // the calls in flight kept their permits
        assertThat(bulkhead.tryAcquire()).isFalse();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);   // the window it kept trips the new threshold
        assertThat(breaker.config().failureRateThreshold()).isEqualTo(25f);
    }

    @Test
    void aRefusedValueChangesNothingAndAViewFollowsItsSource() {
        Bound bound = LiveConfigurationSnippets.bind();
        Bulkhead reports = LiveConfigurationSnippets.reportsShare(bound.limit());
        assertThat(reports.metrics().maxConcurrent()).isEqualTo(5);

        assertThat(LiveConfigurationSnippets.refused(bound.limit()))
                .isEqualTo("maxConcurrent of bulkhead 'quotes' must be between 1 and 1073741824, but was 0");
        assertThat(bound.limit().get()).isEqualTo(20);

        bound.limit().set(40);
        assertThat(reports.metrics().maxConcurrent()).isEqualTo(10);
        assertThat(bound.bulkhead().metrics().maxConcurrent()).isEqualTo(40);
    }

    @Test
    void theRegistryCreatesEachPolicyOnceFromTheDefaultsThenTheOverrides() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        NineLivesRegistry registry = LiveConfigurationSnippets.registry(threshold);
        assertThat(registry.breakers()).isEmpty();

        StepVerifier.create(LiveConfigurationSnippets.protect(registry, Mono.just("42"))).expectNext("42").verifyComplete();
        Pipeline quotes = registry.pipeline("quotes");
        assertThat(quotes.bulkhead()).containsSame(registry.bulkhead("quotes"));
        assertThat(quotes.retry()).containsSame(registry.retry("quotes"));
        assertThat(quotes.breaker()).containsSame(registry.breaker("quotes"));
        assertThat(quotes.timeout()).contains(Duration.ofSeconds(2));
        assertThat(registry.bulkhead("quotes").config().maxConcurrent()).isEqualTo(20);
        assertThat(registry.retry("quotes").maxAttempts()).isEqualTo(3);
        StepVerifier.create(LiveConfigurationSnippets.protect(registry, Mono.just("43"))).expectNext("43").verifyComplete();
        assertThat(registry.pipeline("quotes")).isSameAs(quotes);

        Pipeline payments = registry.pipeline("payments");
        assertThat(payments.bulkhead()).isEmpty();
        assertThat(payments.breaker()).containsSame(registry.breaker("payments"));
        assertThat(payments.retry()).containsSame(registry.retry("payments"));
        assertThat(registry.breaker("payments").config().openDuration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(registry.breaker("quotes").config().openDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(registry.breaker("payments").config().windowSize()).isEqualTo(50);

        threshold.set(30f);                                    // shared by every breaker of the registry
        assertThat(registry.breakers().values()).allSatisfy(b -> assertThat(b.config().failureRateThreshold()).isEqualTo(30f));
    }

    @Test
    void aCopyKeepsTheSharedSettingAndOneNameMeansOnePolicy() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        NineLivesRegistry registry = LiveConfigurationSnippets.registry(threshold);
        CircuitBreaker search = LiveConfigurationSnippets.likeQuotes(registry);
        assertThat(registry.breaker("search")).isSameAs(search);
        assertThat(search.config().windowSize()).isEqualTo(50);
        assertThat(search.config().permittedCallsInHalfOpen()).isEqualTo(2);
        threshold.set(40f);
        assertThat(search.config().failureRateThreshold()).isEqualTo(40f);

        CircuitBreaker quotes = registry.breaker("quotes");
        assertThat(LiveConfigurationSnippets.secondQuotesBreaker(registry))
                .startsWith("Cannot register circuit breaker 'quotes': another circuit breaker of that name is in the registry already");
        assertThat(registry.breaker("quotes")).isSameAs(quotes);
    }

    @Test
    void removalIsAnnouncedAndTheRemovedBreakerLetsGoOfTheSharedSetting() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        NineLivesRegistry registry = LiveConfigurationSnippets.registry(threshold);
        CircuitBreaker search = LiveConfigurationSnippets.likeQuotes(registry);
        List<String> log = new ArrayList<>();

        LiveConfigurationSnippets.retireSearch(registry, log);

        assertThat(log).containsExactly("BREAKER search REMOVED", "search ended CLOSED");
        assertThat(registry.findBreaker("search")).isEmpty();
        threshold.set(20f);                                                 // no longer followed by search:
        for (int i = 0; i < 50; i++) {                                      // 30 % failed is below its 50 %
            if (i % 10 < 3) {
                fail(search);
            } else {
                succeed(search);
            }
        }
        assertThat(search.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void theMetersOfAWholeRegistryFollowIt() {
        NineLivesRegistry registry = LiveConfigurationSnippets.registry(Adaptive.of(50f));
        registry.pipeline("quotes");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();

        LiveConfigurationSnippets.publish(registry, meters);
        registry.breaker("search");
        registry.removeBreaker("quotes");

        Set<String> breakers = meters.find("ninelives.breaker.state").meters().stream()
                .map(m -> m.getId().getTag("name")).collect(Collectors.toCollection(TreeSet::new));
        assertThat(breakers).containsExactly("search");
        assertThat(meters.find("ninelives.retry.calls").tag("name", "quotes").meters()).isNotEmpty();
        assertThat(meters.find("ninelives.bulkhead.in.flight").tag("name", "quotes").meters()).isNotEmpty();
    }

    static final Path PROPERTIES = SitePagesTest.BASE.resolve("src/test/resources/live-configuration/ninelives.properties");
    static final Path REPORT = SitePagesTest.BASE.resolve("src/test/resources/live-configuration/reload-report.txt");
    static final Path BAD_KEYS = SitePagesTest.BASE.resolve("src/test/resources/live-configuration/bad-keys.txt");
    static final Path PAGE = SitePagesTest.SOURCES.resolve("live-configuration.adoc");

    @Test
    void theFileThePageShowsBuildsTheQuoteServicesPolicies() {
        NineLivesProperties properties = LiveConfigurationSnippets.loadQuotes(PROPERTIES);
        NineLivesRegistry registry = properties.registry();

        assertThat(registry.breakers()).containsOnlyKeys("quotes");      // the names the keys give, at once
        CircuitBreaker quotes = registry.breaker("quotes");
        assertThat(quotes.config().windowSize()).isEqualTo(50);           // from the defaults
        assertThat(quotes.config().failureRateThreshold()).isEqualTo(25f); // its own
        assertThat(quotes.config().slowCallDuration()).isEqualTo(Duration.ofMillis(800));
        assertThat(quotes.config().recordFailure().test(new IllegalArgumentException())).isFalse();   // from code
        assertThat(registry.breaker("search").config().failureRateThreshold()).isEqualTo(50f);      // first use: defaults
        assertThat(registry.retry("quotes").maxAttempts()).isEqualTo(3);
        assertThat(registry.bulkhead("quotes").config().maxQueued()).isEqualTo(200);
        Pipeline pipeline = registry.pipeline("quotes");
        assertThat(pipeline.bulkhead()).contains(registry.bulkhead("quotes"));
        assertThat(pipeline.retry()).contains(registry.retry("quotes"));
        assertThat(pipeline.breaker()).contains(quotes);
        assertThat(pipeline.timeout()).contains(Duration.ofSeconds(2));
    }

    @Test
    void theReloadChangesTheBreakerInPlaceAndReplacesTheBulkheadAsThePageShows() throws IOException {
        NineLivesProperties properties = LiveConfigurationSnippets.loadQuotes(PROPERTIES);
        NineLivesRegistry registry = properties.registry();
        CircuitBreaker breaker = registry.breaker("quotes");
        for (int i = 0; i < 20; i++) {
            fail(breaker);
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        Bulkhead bulkhead = registry.bulkhead("quotes");
        List<String> log = new ArrayList<>();

        ReloadReport report = LiveConfigurationSnippets.widen(properties, properties.keys(), log);

        assertThat(registry.breaker("quotes")).isSameAs(breaker);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);          // state kept
        assertThat(breaker.config().failureRateThreshold()).isEqualTo(40f);
        assertThat(registry.bulkhead("quotes")).isNotSameAs(bulkhead);
        assertThat(registry.bulkhead("quotes").config().maxConcurrent()).isEqualTo(40);
        assertThat(registry.pipeline("quotes").bulkhead()).contains(registry.bulkhead("quotes"));
        assertThat(report.change(Kind.BREAKER, "quotes").action()).isEqualTo(ReloadReport.Action.CHANGED);
        assertThat(log).singleElement().satisfies(text ->
                assertThat(text.lines().toList()).isEqualTo(SitePagesTest.region(REPORT, "report")));
    }

    @Test
    void keysWithMistakesAreRefusedTogetherWithTheMessageThePageShows() throws IOException {
        NineLivesProperties properties = LiveConfigurationSnippets.loadQuotes(PROPERTIES);
        Map<String, String> before = properties.keys();
        CircuitBreaker breaker = properties.registry().breaker("quotes");

        String message = LiveConfigurationSnippets.reloadWithMistakes(properties, properties.keys());

        assertThat(message.lines().toList()).isEqualTo(SitePagesTest.region(BAD_KEYS, "message"));
        assertThat(properties.keys()).isEqualTo(before);
        assertThat(properties.registry().breaker("quotes")).isSameAs(breaker);
        assertThat(breaker.config().failureRateThreshold()).isEqualTo(25f);
    }

    static final Path LOAD_SHAPING = SitePagesTest.BASE.resolve("src/test/resources/live-configuration/load-shaping.properties");

    @Test
    void theLoadShapingReloadKeepsTheSpentPermitsAndTheLimitReached() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        NineLivesProperties properties = NineLivesProperties.builder()
                .rateLimiterDefaults(b -> b.ticker(now::get))
                .bulkheadDefaults(b -> b.ticker(now::get))
                .load(LOAD_SHAPING);
        NineLivesRegistry registry = properties.registry();
        dev.ninelives.ratelimit.RateLimiter geocoder = registry.rateLimiter("geocoder");
        assertThat(registry.pipeline("geocoder").rateLimiter()).contains(geocoder);
        Bulkhead inventory = registry.bulkhead("inventory");
        assertThat(registry.pipeline("inventory").bulkhead()).contains(inventory);
        for (int i = 0; i < 5; i++) {
            assertThat(geocoder.tryAcquire().waitNanos()).isZero();             // the burst
        }
        inventory.changeMaxConcurrent(30);                                      // as if the algorithm had reached 30

        ReloadReport report = LiveConfigurationSnippets.speedUp(properties);

        assertThat(report.changes()).allSatisfy(c -> assertThat(c.action()).isEqualTo(ReloadReport.Action.CHANGED));
        assertThat(registry.rateLimiter("geocoder")).isSameAs(geocoder);
        assertThat(geocoder.tryAcquire().waitNanos()).as("spent stays spent: one new interval (20 ms) to wait")
                .isEqualTo(20_000_000L);
        assertThat(registry.bulkhead("inventory")).isSameAs(inventory);
        assertThat(inventory.config().maxConcurrent()).isEqualTo(30);
        assertThat(inventory.config().adaptiveLimit().algorithm()).isEqualTo(dev.ninelives.bulkhead.AdaptiveLimit.Algorithm.GRADIENT);
        assertThat(inventory.config().adaptiveLimit().maxLimit()).isEqualTo(200);
    }

    @Test
    void theTableOfKeysListsEveryKeyWithWhetherItChangesInPlace() throws IOException {
        List<String> page = Files.readAllLines(PAGE);
        for (Kind kind : Kind.values()) {
            for (String setting : NineLivesProperties.settings(kind)) {
                String start = "|" + kind.name().toLowerCase(Locale.ROOT).replace('_', '-') + " |`" + setting + "` |";
                List<String> rows = page.stream().filter(l -> l.startsWith(start)).toList();
                assertThat(rows).as("the row of %s %s in %s", kind, setting, PAGE).hasSize(1);
                assertThat(rows.get(0)).as("its last column").endsWith(
                        NineLivesProperties.isAdaptive(kind, setting) ? " |in place" : " |replaces");
            }
        }
        long rows = page.stream().filter(l -> l.matches("\\|(breaker|retry|bulkhead|rate-limiter|hedge|pipeline) \\|`.*")).count();
        assertThat(rows).as("no row for a key that does not exist").isEqualTo(
                java.util.Arrays.stream(Kind.values()).mapToLong(k -> NineLivesProperties.settings(k).size()).sum());
    }
}
