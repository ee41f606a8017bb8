package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadConfig;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static dev.ninelives.reactor.registry.Keys.keys;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading a registry from keys: every setting and value form, relaxed names, every kind of bad key in one message. */
class NineLivesPropertiesTest {

    @Test
    void everyBreakerSettingReachesTheBuilder() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.breaker.a.sliding-window", "40",
                "ninelives.breaker.a.minimum-number-of-calls", "7",
                "ninelives.breaker.a.failure-rate-threshold", "25",
                "ninelives.breaker.a.slow-call-duration", "300ms",
                "ninelives.breaker.a.slow-call-rate-threshold", "75.5",
                "ninelives.breaker.a.open-duration", "5s",
                "ninelives.breaker.a.open-duration-backoff.multiplier", "2",
                "ninelives.breaker.a.open-duration-backoff.max", "1m",
                "ninelives.breaker.a.permitted-calls-in-half-open", "4",
                "ninelives.breaker.a.rejection-stack-traces", "true",
                "ninelives.breaker.t.sliding-time-window", "10s",
                "ninelives.breaker.t.sliding-time-window-buckets", "5")).registry();

        CircuitBreakerConfig a = r.findBreaker("a").orElseThrow().config();
        assertThat(a.windowType()).isEqualTo(CircuitBreakerConfig.WindowType.COUNT_BASED);
        assertThat(a.windowSize()).isEqualTo(40);
        assertThat(a.minimumNumberOfCalls()).isEqualTo(7);
        assertThat(a.failureRateThreshold()).isEqualTo(25f);
        assertThat(a.slowCallDetection()).isTrue();
        assertThat(a.slowCallDuration()).isEqualTo(Duration.ofMillis(300));
        assertThat(a.slowCallRateThreshold()).isEqualTo(75.5f);
        assertThat(a.openDuration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(a.openDurationMultiplier()).isEqualTo(2.0);
        assertThat(a.maxOpenDuration()).isEqualTo(Duration.ofMinutes(1));
        assertThat(a.permittedCallsInHalfOpen()).isEqualTo(4);
        assertThat(a.rejectionStackTraces()).isTrue();

        CircuitBreakerConfig t = r.findBreaker("t").orElseThrow().config();
        assertThat(t.windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
        assertThat(t.windowDuration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(t.windowBuckets()).isEqualTo(5);
        assertThat(t.slowCallDetection()).isFalse();
    }

    @Test
    void everyRetrySettingReachesTheBuilder() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.retry.e.max-attempts", "5",
                "ninelives.retry.e.backoff.type", "exponential",
                "ninelives.retry.e.backoff.initial", "50ms",
                "ninelives.retry.e.backoff.multiplier", "1.5",
                "ninelives.retry.e.backoff.max", "2s",
                "ninelives.retry.e.jitter", "full",
                "ninelives.retry.e.deadline", "PT5S",
                "ninelives.retry.e.exhausted-exception", "true",
                "ninelives.retry.e.retry-after-elements", "false",
                "ninelives.retry.e.reset-on-element", "true",
                "ninelives.retry.e.retry-on-call-not-permitted", "true",
                "ninelives.retry.l.backoff.type", "linear",
                "ninelives.retry.l.backoff.initial", "10ms",
                "ninelives.retry.l.backoff.increment", "20ms",
                "ninelives.retry.l.backoff.max", "1s",
                "ninelives.retry.l.jitter", "0.25",
                "ninelives.retry.c.backoff.type", "CONSTANT",
                "ninelives.retry.c.backoff.initial", "30ms",
                "ninelives.retry.n.backoff.type", "none")).registry();

        Retry e = r.findRetry("e").orElseThrow();
        assertThat(e.maxAttempts()).isEqualTo(5);
        assertThat(e.backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(50), 1.5, Duration.ofSeconds(2)));
        assertThat(e.deadlineNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(e.exhaustedException()).isTrue();
        assertThat(e.retryAfterElements()).isFalse();
        assertThat(e.resetOnElement()).isTrue();
        assertThat(e.toString()).contains("full jitter");
        assertThat(r.findRetry("l").orElseThrow().backoff())
                .isEqualTo(Backoff.linear(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofSeconds(1)));
        assertThat(r.findRetry("c").orElseThrow().backoff()).isEqualTo(Backoff.constant(Duration.ofMillis(30)));
        assertThat(r.findRetry("n").orElseThrow().backoff()).isEqualTo(Backoff.none());
    }

    @Test
    void budgetKeysGiveARetryABudgetOfItsOwn() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.retry.default.budget.ratio", "0.1",
                "ninelives.retry.quotes.budget.min-retries-per-second", "3",
                "ninelives.retry.quotes.budget.capacity", "40",
                "ninelives.retry.none.max-attempts", "2")).registry();

        assertThat(r.retry("quotes").budget().ratio()).isEqualTo(0.1);
        assertThat(r.retry("quotes").budget().minRetriesPerSecond()).isEqualTo(3);
        assertThat(r.retry("quotes").budget().capacity()).isEqualTo(40);
        assertThat(r.retry("none").budget()).isNotNull().isNotSameAs(r.retry("quotes").budget());   // the defaults' keys: one each
        assertThat(NineLivesProperties.load(keys("ninelives.retry.plain.max-attempts", "2")).registry()
                .retry("plain").budget()).isNull();
        assertThatThrownBy(() -> NineLivesProperties.load(keys("ninelives.retry.q.budget.ratio", "-1")))
                .hasMessageContaining("ninelives.retry.q.budget.ratio = '-1': ratio must be a finite number between 0 and 1000.0");
    }

    @Test
    void everyBulkheadSettingReachesTheBuilder() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.bulkhead.b.max-concurrent", "12",
                "ninelives.bulkhead.b.max-wait", "250ms",
                "ninelives.bulkhead.b.max-queued", "30",
                "ninelives.bulkhead.b.queue-order", "Lifo",
                "ninelives.bulkhead.b.rejection-stack-traces", "TRUE")).registry();

        BulkheadConfig b = r.findBulkhead("b").orElseThrow().config();
        assertThat(b.maxConcurrent()).isEqualTo(12);
        assertThat(b.maxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(b.maxQueued()).isEqualTo(30);
        assertThat(b.queueOrder()).isEqualTo(Bulkhead.QueueOrder.LIFO);
        assertThat(b.rejectionStackTraces()).isTrue();
    }

    @Test
    void aPipelineTakesItsStagesFromTheRegistryByName() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.pipeline.default.retry", "true",
                "ninelives.pipeline.quotes.bulkhead", "shared",
                "ninelives.pipeline.quotes.timeout", "2s",
                "ninelives.pipeline.quotes.attempt-timeout", "500ms",
                "ninelives.pipeline.reports.breaker", "false",
                "ninelives.pipeline.reports.retry", "false",
                "ninelives.pipeline.reports.bulkhead", "true")).registry();

        Pipeline quotes = r.findPipeline("quotes").orElseThrow();
        assertThat(quotes.breaker()).contains(r.breaker("quotes"));
        assertThat(quotes.retry()).contains(r.retry("quotes"));
        assertThat(quotes.bulkhead()).contains(r.bulkhead("shared"));
        assertThat(quotes.timeout()).contains(Duration.ofSeconds(2));
        assertThat(quotes.attemptTimeout()).contains(Duration.ofMillis(500));
        Pipeline reports = r.findPipeline("reports").orElseThrow();
        assertThat(reports.breaker()).isEmpty();
        assertThat(reports.retry()).isEmpty();
        assertThat(reports.bulkhead()).contains(r.bulkhead("reports"));
        Pipeline adHoc = r.pipeline("adhoc");                   // first use: the defaults, its breaker and its retry
        assertThat(adHoc.breaker()).contains(r.breaker("adhoc"));
        assertThat(adHoc.retry()).contains(r.retry("adhoc"));
    }

    @Test
    void theNamesTheKeysGiveAreCreatedAtLoadAndTheOthersOnFirstUseFromTheDefaults() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.breaker.default.failure-rate-threshold", "30",
                "ninelives.breaker.inventory.failure-rate-threshold", "10",
                "ninelives.retry.default.max-attempts", "4")).registry();

        assertThat(r.breakers()).containsOnlyKeys("inventory");
        assertThat(r.retries()).isEmpty();
        assertThat(r.breaker("inventory").config().failureRateThreshold()).isEqualTo(10f);
        assertThat(r.breaker("payments").config().failureRateThreshold()).isEqualTo(30f);
        assertThat(r.retry("payments").maxAttempts()).isEqualTo(4);
    }

    @Test
    void aNameThatGivesAWindowReplacesTheDefaultsWindowAndABackoffTypeTheDefaultsBackoff() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.breaker.default.sliding-time-window", "30s",
                "ninelives.breaker.counted.sliding-window", "20",
                "ninelives.retry.default.backoff.type", "linear",
                "ninelives.retry.default.backoff.increment", "50ms",
                "ninelives.retry.exp.backoff.type", "exponential",
                "ninelives.retry.slower.backoff.initial", "200ms")).registry();

        assertThat(r.breaker("counted").config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.COUNT_BASED);
        assertThat(r.breaker("other").config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
        assertThat(r.retry("exp").backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10)));
        assertThat(r.retry("slower").backoff())
                .isEqualTo(Backoff.linear(Duration.ofMillis(200), Duration.ofMillis(50), Duration.ofSeconds(10)));
    }

    @ParameterizedTest
    @CsvSource({
            "100ms, PT0.1S", "2s, PT2S", "1m, PT1M", "1h, PT1H", "1d, PT24H", "250, PT0.25S", "PT2S, PT2S",
            "pt1m30s, PT1M30S", "500us, PT0.0005S", "7ns, PT0.000000007S", "' 3 s ', PT3S", "10MS, PT0.01S"})
    void durationsAreReadInEveryForm(String text, String iso) {
        NineLivesRegistry r = NineLivesProperties.load(keys("ninelives.bulkhead.b.max-wait", text)).registry();
        assertThat(r.bulkhead("b").config().maxWait()).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @CsvSource({"50, 50", "50.0, 50", "12.5, 12.5", "40%, 40", "' 100 ', 100"})
    void percentagesAreReadAsNumbersWithOrWithoutAFraction(String text, float expected) {
        NineLivesRegistry r = NineLivesProperties.load(keys("ninelives.breaker.b.failure-rate-threshold", text)).registry();
        assertThat(r.breaker("b").config().failureRateThreshold()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({
            "ninelives.breaker.b.failure-rate-threshold", "ninelives.breaker.b.failureRateThreshold",
            "ninelives.breaker.b.failure_rate_threshold", "ninelives.breaker.b.FAILURE-RATE-THRESHOLD",
            "NineLives.Breaker.b.failureRateThreshold"})
    void settingsMayBeSpelledKebabCamelOrSnake(String key) {
        NineLivesRegistry r = NineLivesProperties.load(keys(key, "20")).registry();
        assertThat(r.breaker("b").config().failureRateThreshold()).isEqualTo(20f);
    }

    @Test
    void relaxedSpellingsWorkInsideDottedSettingsToo() {
        NineLivesRegistry r = NineLivesProperties.load(keys(
                "ninelives.retry.r.backoff.Type", "constant",
                "ninelives.retry.r.backoff.initial", "5ms",
                "ninelives.breaker.b.openDurationBackoff.multiplier", "3",
                "ninelives.breaker.b.open_duration_backoff.max", "10m")).registry();
        assertThat(r.retry("r").backoff()).isEqualTo(Backoff.constant(Duration.ofMillis(5)));
        assertThat(r.breaker("b").config().openDurationMultiplier()).isEqualTo(3.0);
    }

    @Test
    void keysOutsideThePrefixAreIgnored() {
        NineLivesProperties p = NineLivesProperties.load(keys(
                "server.port", "8080", "spring.application.name", "shop", "nine.lives", "x",
                "ninelivesx.breaker.a.sliding-window", "oops",
                "ninelives.bulkhead.b.max-concurrent", "3"));
        assertThat(p.keys()).containsOnlyKeys("ninelives.bulkhead.b.max-concurrent");
        assertThat(p.registry().bulkhead("b").config().maxConcurrent()).isEqualTo(3);
    }

    @Test
    void everyBadKeyIsListedInOneExceptionAndNothingIsBuilt() {
        Map<String, String> bad = keys(
                "ninelives.breaker.inventory.failure-rate-treshold", "50",        // unknown, near a known one
                "ninelives.breaker.inventory.colour", "red",                     // unknown, near none
                "ninelives.retry.quotes.max-attempts", "three",                   // does not parse
                "ninelives.bulkhead.db.max-concurrent", "0",                      // out of range: the builder's message
                "ninelives.breaker.mixed.sliding-window", "10",                   // conflicting keys
                "ninelives.breaker.mixed.sliding-time-window", "10s",
                "ninelives.retry.quotes.backoff.increment", "10ms",               // belongs to a linear backoff
                "ninelives.bulkhead.db.max-queued", "5",                          // a queue without a wait
                "ninelives.braker.x.sliding-window", "5",                         // unknown kind
                "ninelives.breaker.x", "5",                                       // incomplete
                "ninelives.breaker.y.open-duration", "soon");                     // not a duration

        assertThatThrownBy(() -> NineLivesProperties.load(bad))
                .isInstanceOf(PropertiesException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    PropertiesException p = (PropertiesException) e;
                    assertThat(p.problems()).extracting(PropertiesException.Problem::key).containsExactly(
                            "ninelives.braker.x.sliding-window",
                            "ninelives.breaker.inventory.colour",
                            "ninelives.breaker.inventory.failure-rate-treshold",
                            "ninelives.breaker.mixed.sliding-window",
                            "ninelives.breaker.x",
                            "ninelives.breaker.y.open-duration",
                            "ninelives.bulkhead.db.max-concurrent",
                            "ninelives.bulkhead.db.max-queued",
                            "ninelives.retry.quotes.backoff.increment",
                            "ninelives.retry.quotes.max-attempts");
                })
                .hasMessageStartingWith("10 problems in the NineLives configuration (nothing was applied):")
                .hasMessageContaining("ninelives.breaker.inventory.failure-rate-treshold = '50': unknown key; did you mean "
                        + "ninelives.breaker.inventory.failure-rate-threshold?")
                .hasMessageContaining("ninelives.breaker.inventory.colour = 'red': unknown key; the breaker settings are sliding-window,")
                .hasMessageContaining("ninelives.retry.quotes.max-attempts = 'three': expected an integer")
                .hasMessageContaining("ninelives.bulkhead.db.max-concurrent = '0': maxConcurrent must be between 1 and 1073741824, but was 0")
                .hasMessageContaining("ninelives.breaker.mixed.sliding-window = '10': conflicts with ninelives.breaker.mixed.sliding-time-window = '10s'")
                .hasMessageContaining("ninelives.retry.quotes.backoff.increment = '10ms': conflicts with the default backoff.type (exponential)")
                .hasMessageContaining("ninelives.bulkhead.db.max-queued = '5': needs a positive max-wait")
                .hasMessageContaining("ninelives.braker.x.sliding-window = '5': unknown kind of policy 'braker'; did you mean ninelives.breaker.x.sliding-window?")
                .hasMessageContaining("ninelives.breaker.x = '5': incomplete key")
                .hasMessageContaining("ninelives.breaker.y.open-duration = 'soon': expected a duration such as 100ms");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ninelives.breaker.b.failure-rate-threshold | 150 | failureRateThreshold must be a percentage in (0, 100], but was 150.0",
            "ninelives.breaker.b.sliding-window | 9000 | slidingWindow calls must be between 1 and 8191, but was 9000",
            "ninelives.breaker.b.open-duration | 0 | openDuration must be positive",
            "ninelives.breaker.b.permitted-calls-in-half-open | 2000 | permittedCallsInHalfOpen must be between 1 and 1023",
            "ninelives.retry.r.max-attempts | 0 | maxAttempts must be between 1 and 1000000, but was 0",
            "ninelives.retry.r.jitter | 1.5 | jitter factor must be between 0 and 1, but was 1.5",
            "ninelives.retry.r.jitter | proportional | a proportional jitter is given as its factor",
            "ninelives.retry.r.backoff.multiplier | 500 | multiplier must be between 1 and 100, but was 500.0",
            "ninelives.retry.r.deadline | -1s | deadline must be positive",
            "ninelives.bulkhead.b.max-wait | -5ms | maxWait must be zero or positive, but was PT-0.005S",
            "ninelives.bulkhead.b.queue-order | random | expected fifo or lifo",
            "ninelives.bulkhead.b.rejection-stack-traces | yes | expected true or false",
            "ninelives.pipeline.p.timeout | 0s | timeout must be positive",
            "ninelives.pipeline.p.retry | a.b | expected true, false, or the name of a policy"})
    void aValueOutOfRangeIsRefusedWithTheBuildersOwnMessage(String key, String value, String message) {
        assertThatThrownBy(() -> NineLivesProperties.load(keys(key, value)))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining(key + " = '" + value + "': ")
                .hasMessageContaining(message);
    }

    @Test
    void aBadDefaultIsReportedOnceNotOncePerName() {
        assertThatThrownBy(() -> NineLivesProperties.load(keys(
                "ninelives.breaker.default.failure-rate-threshold", "0",
                "ninelives.breaker.a.open-duration", "1s",
                "ninelives.breaker.b.open-duration", "1s")))
                .isInstanceOfSatisfying(PropertiesException.class, e -> assertThat(e.problems()).hasSize(1));
    }

    @Test
    void aSettingGivenTwiceInTwoSpellingsIsAConflict() {
        assertThatThrownBy(() -> NineLivesProperties.load(keys(
                "ninelives.breaker.b.failure-rate-threshold", "20",
                "ninelives.breaker.b.failureRateThreshold", "30")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("both spell ninelives.breaker.b.failure-rate-threshold");
    }

    @Test
    void theOpenDurationBackoffNeedsBothItsKeys() {
        assertThatThrownBy(() -> NineLivesProperties.load(keys("ninelives.breaker.b.open-duration-backoff.multiplier", "2")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("go together: give both");
    }

    @Test
    void codeSetsWhatKeysCannotAfterTheKeys() {
        NineLivesRegistry r = NineLivesProperties.builder()
                .breakerDefaults(b -> b.recordFailureIf(e -> e instanceof IOException))
                .breaker("strict", b -> b.minimumNumberOfCalls(1))
                .retry("quotes", q -> q.retryIf(e -> e instanceof IOException))
                .load(keys("ninelives.breaker.strict.minimum-number-of-calls", "50",
                        "ninelives.breaker.strict.sliding-window", "2"))
                .registry();

        CircuitBreaker strict = r.breaker("strict");
        assertThat(strict.config().minimumNumberOfCalls()).isEqualTo(1);             // the code ran after the keys
        assertThat(strict.config().recordFailure().test(new IOException())).isTrue();
        assertThat(strict.config().recordFailure().test(new IllegalStateException())).isFalse();
    }

    @Test
    void aCustomizerThatThrowsFailsTheLoadWithTheKeysProblems() {
        assertThatThrownBy(() -> NineLivesProperties.builder()
                .bulkhead("db", b -> {
                    throw new IllegalStateException("no database configured");
                })
                .load(keys("ninelives.bulkhead.db.max-concurrent", "4")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("ninelives.bulkhead.db = '': the policy cannot be built")
                .hasMessageContaining("no database configured");
    }

    @Test
    void propertiesAndFilesAreReadLikeMaps(@TempDir Path dir) throws IOException {
        Properties props = new Properties();
        props.setProperty("ninelives.breaker.b.failure-rate-threshold", "35");
        assertThat(NineLivesProperties.load(props).registry().breaker("b").config().failureRateThreshold()).isEqualTo(35f);

        Path file = dir.resolve("ninelives.properties");
        Files.writeString(file, "# comment\nninelives.bulkhead.b.max-concurrent = 6\nninelives.bulkhead.b.max-wait: 1s\n",
                StandardCharsets.UTF_8);
        NineLivesProperties p = NineLivesProperties.load(file);
        assertThat(p.registry().bulkhead("b").config().maxConcurrent()).isEqualTo(6);
        assertThat(p.registry().bulkhead("b").config().maxWait()).isEqualTo(Duration.ofSeconds(1));

        assertThatThrownBy(() -> NineLivesProperties.load(dir.resolve("missing.properties")))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("missing.properties");
    }

    @Test
    void theSettingsOfEachKindAreListedWithWhetherTheyChangeInPlace() {
        assertThat(NineLivesProperties.settings(Kind.BULKHEAD))
                .startsWith("max-concurrent", "max-wait", "max-queued", "queue-order", "rejection-stack-traces",
                        "adaptive-limit.algorithm");
        assertThat(NineLivesProperties.settings(Kind.RATE_LIMITER))
                .containsExactly("limit-for-period", "period", "burst", "max-wait", "rejection-stack-traces");
        assertThat(NineLivesProperties.isAdaptive(Kind.RATE_LIMITER, "limitForPeriod")).isTrue();
        assertThat(NineLivesProperties.isAdaptive(Kind.BULKHEAD, "adaptiveLimit.minLimit")).isTrue();
        assertThat(NineLivesProperties.isAdaptive(Kind.BREAKER, "failureRateThreshold")).isTrue();
        assertThat(NineLivesProperties.isAdaptive(Kind.BREAKER, "minimum-number-of-calls")).isFalse();
        assertThatThrownBy(() -> NineLivesProperties.isAdaptive(Kind.RETRY, "colour"))
                .hasMessageContaining("but was 'colour'");
    }
}
