package dev.ninelives.reactor.registry;

import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterConfig;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.ReloadReport.Action;
import dev.ninelives.reactor.registry.ReloadReport.PolicyChange;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ninelives.reactor.registry.Keys.keys;
import static dev.ninelives.reactor.registry.Keys.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rate limiter's keys ({@code ninelives.rate-limiter.*}, the pipeline's {@code rate-limiter}
 * stage) and the bulkhead's adaptive limit ({@code adaptive-limit.*}): load, bad values, and
 * reloads that keep the state (spent permits, the limit reached).
 */
class LoadShapingPropertiesTest {

    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;

    private NineLivesProperties load(Map<String, String> keys) {
        return NineLivesProperties.builder()
                .bulkheadDefaults(b -> b.ticker(ticker))
                .rateLimiterDefaults(b -> b.ticker(ticker))
                .load(keys);
    }

    private static int grantedNow(RateLimiter rl, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            RateLimiter.Reservation r = rl.tryAcquire();
            if (r.granted() && r.waitNanos() == 0) {
                n++;
            }
        }
        return n;
    }

    private static PolicyChange change(ReloadReport report, Kind kind, String name) {
        return report.changes().stream().filter(c -> c.kind() == kind && c.name().equals(name)).findFirst().orElseThrow();
    }

    // ---------------------------------------------------------------- rate limiter

    @Test
    void everyRateLimiterKeyIsReadInAnySpelling() {
        NineLivesProperties p = load(keys(
                "ninelives.rate-limiter.default.period", "2s",
                "ninelives.rateLimiter.geo.limitForPeriod", "20",
                "ninelives.rate_limiter.geo.burst", "5",
                "ninelives.rate-limiter.geo.max_wait", "PT0.25S",
                "ninelives.rate-limiter.geo.rejection-stack-traces", "true"));
        RateLimiterConfig c = p.registry().findRateLimiter("geo").orElseThrow().config();
        assertThat(c.limitForPeriod()).isEqualTo(20);
        assertThat(c.period()).as("from the defaults").isEqualTo(Duration.ofSeconds(2));
        assertThat(c.burst()).isEqualTo(5);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.rejectionStackTraces()).isTrue();
        RateLimiterConfig other = p.registry().rateLimiter("other").config();
        assertThat(other.limitForPeriod()).isEqualTo(50);
        assertThat(other.burst()).as("follows the limit").isEqualTo(50);
        assertThat(other.maxWait()).isZero();
    }

    @Test
    void aPipelineNamesItsRateLimiterAndARemovedOneRebuildsIt() {
        NineLivesProperties p = load(keys(
                "ninelives.rate-limiter.shared.limit-for-period", "10",
                "ninelives.pipeline.a.rate-limiter", "shared",
                "ninelives.pipeline.b.rateLimiter", "shared",
                "ninelives.pipeline.c.rate-limiter", "true"));
        NineLivesRegistry r = p.registry();
        RateLimiter shared = r.rateLimiter("shared");
        assertThat(r.pipeline("a").rateLimiter()).containsSame(shared);
        assertThat(r.pipeline("b").rateLimiter()).as("one limiter, one rate").containsSame(shared);
        assertThat(r.pipeline("c").rateLimiter()).containsSame(r.findRateLimiter("c").orElseThrow());

        Pipeline b = r.pipeline("b");
        ReloadReport report = p.reload(keys(
                "ninelives.rate-limiter.shared.limit-for-period", "10",
                "ninelives.rate-limiter.shared.rejection-stack-traces", "true",   // not adaptive: a replacement
                "ninelives.pipeline.a.rate-limiter", "shared",
                "ninelives.pipeline.b.rate-limiter", "false"));
        assertThat(change(report, Kind.RATE_LIMITER, "shared").action()).isEqualTo(Action.REPLACED);
        assertThat(r.rateLimiter("shared")).isNotSameAs(shared);
        assertThat(r.pipeline("a").rateLimiter()).as("rebuilt with the replacement").containsSame(r.rateLimiter("shared"));
        assertThat(r.pipeline("b")).isNotSameAs(b);
        assertThat(r.pipeline("b").rateLimiter()).isEmpty();
        assertThat(r.findPipeline("c")).isEmpty();
        assertThat(r.findRateLimiter("c")).as("named by a pipeline no more").isEmpty();
    }

    /** A limiter's spent permits survive a reload that raises its limit: the GCRA word is kept. */
    @Test
    void spentPermitsSurviveAReloadThatRaisesTheLimit() {
        Map<String, String> base = keys("ninelives.rate-limiter.geo.limit-for-period", "10",
                "ninelives.rate-limiter.geo.burst", "4");
        NineLivesProperties p = load(base);
        RateLimiter geo = p.registry().rateLimiter("geo");
        assertThat(grantedNow(geo, 10)).isEqualTo(4);

        ReloadReport report = p.reload(with(base, "ninelives.rate-limiter.geo.limit-for-period", "100",
                "ninelives.rate-limiter.geo.burst", "8"));
        PolicyChange c = change(report, Kind.RATE_LIMITER, "geo");
        assertThat(c.action()).isEqualTo(Action.CHANGED);
        assertThat(c.settings()).allMatch(ReloadReport.SettingChange::inPlace);
        assertThat(p.registry().rateLimiter("geo")).isSameAs(geo);
        assertThat(grantedNow(geo, 10)).as("the spent burst stays spent").isZero();
        now.addAndGet(Duration.ofMillis(10).toNanos());
        assertThat(grantedNow(geo, 10)).as("one new interval (10 ms) after the newest permit: one").isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(grantedNow(geo, 20)).as("idle: the new burst").isEqualTo(8);
        assertThat(geo.config().limitForPeriod()).isEqualTo(100);
    }

    @Test
    void givingOrDroppingTheBurstReplacesTheLimiter() {
        NineLivesProperties p = load(keys("ninelives.rate-limiter.geo.limit-for-period", "10"));
        RateLimiter geo = p.registry().rateLimiter("geo");
        ReloadReport report = p.reload(keys("ninelives.rate-limiter.geo.limit-for-period", "10",
                "ninelives.rate-limiter.geo.burst", "3"));
        assertThat(change(report, Kind.RATE_LIMITER, "geo").action()).isEqualTo(Action.REPLACED);
        assertThat(p.registry().rateLimiter("geo")).isNotSameAs(geo);
        assertThat(p.registry().rateLimiter("geo").config().burst()).isEqualTo(3);
    }

    @Test
    void badRateLimiterKeysAreListedWithTheirValues() {
        assertThatThrownBy(() -> load(keys(
                "ninelives.rate-limiter.geo.limit-for-period", "0",
                "ninelives.rate-limiter.geo.period", "-1s",
                "ninelives.rate-limiter.geo.burst", "many",
                "ninelives.rate-limiter.geo.max-wait", "-5ms",
                "ninelives.rate-limiter.geo.brust", "2",
                "ninelives.rate-limter.geo.period", "1s",
                "ninelives.pipeline.p.rate-limiter", "a.b")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("ninelives.rate-limiter.geo.limit-for-period = '0'")
                .hasMessageContaining("limitForPeriod must be between 1 and")
                .hasMessageContaining("ninelives.rate-limiter.geo.period = '-1s'")
                .hasMessageContaining("ninelives.rate-limiter.geo.burst = 'many': expected an integer")
                .hasMessageContaining("ninelives.rate-limiter.geo.max-wait = '-5ms'")
                .hasMessageContaining("ninelives.rate-limiter.geo.brust = '2': unknown key; did you mean ninelives.rate-limiter.geo.burst?")
                .hasMessageContaining("ninelives.rate-limter.geo.period = '1s': unknown kind of policy 'rate-limter'; did you mean ninelives.rate-limiter.geo.period?")
                .hasMessageContaining("ninelives.pipeline.p.rate-limiter = 'a.b'");
    }

    // ---------------------------------------------------------------- adaptive limit

    private static final Map<String, String> ADAPTIVE = keys(
            "ninelives.bulkhead.db.adaptive-limit.algorithm", "aimd",
            "ninelives.bulkhead.db.adaptive-limit.min-limit", "1",
            "ninelives.bulkhead.db.adaptive-limit.max-limit", "10",
            "ninelives.bulkhead.db.adaptive-limit.initial-limit", "1",
            "ninelives.bulkhead.db.adaptive-limit.window-size", "1");

    /** Runs {@code n} calls one at a time, each 1 ms, through the adaptive bulkhead's sampling path. */
    private void calls(Bulkhead b, int n, boolean failed) {
        WaitingBulkhead w = (WaitingBulkhead) b;
        for (int i = 0; i < n; i++) {
            assertThat(b.tryAcquire()).isTrue();
            long start = w.callStarted();
            now.addAndGet(1_000_000L);
            w.release(start, failed);
        }
    }

    @Test
    void everyAdaptiveLimitKeyIsRead() {
        NineLivesProperties p = load(keys(
                "ninelives.bulkhead.default.max-concurrent", "7",
                "ninelives.bulkhead.a.adaptiveLimit.algorithm", "AIMD",
                "ninelives.bulkhead.a.adaptive-limit.min-limit", "2",
                "ninelives.bulkhead.a.adaptive-limit.max-limit", "40",
                "ninelives.bulkhead.a.adaptive_limit.initial_limit", "4",
                "ninelives.bulkhead.a.adaptive-limit.window-size", "30",
                "ninelives.bulkhead.a.adaptive-limit.window-duration", "3s",
                "ninelives.bulkhead.a.adaptive-limit.backoff-ratio", "0.5",
                "ninelives.bulkhead.a.adaptive-limit.latency-threshold", "250ms",
                "ninelives.bulkhead.g.adaptive-limit.algorithm", "gradient",
                "ninelives.bulkhead.g.adaptive-limit.min-limit", "30",
                "ninelives.bulkhead.g.adaptive-limit.tolerance", "1.5",
                "ninelives.bulkhead.g.adaptive-limit.smoothing", "0.4"));
        Bulkhead a = p.registry().bulkhead("a");
        assertThat(a.config().adaptiveLimit()).isEqualTo(AdaptiveLimit.aimd().minLimit(2).maxLimit(40).initialLimit(4)
                .windowSize(30).windowDuration(Duration.ofSeconds(3)).backoffRatio(0.5).latencyThreshold(Duration.ofMillis(250)));
        assertThat(a.config().maxConcurrent()).as("the adaptive limit drops the defaults' max-concurrent").isEqualTo(4);
        Bulkhead g = p.registry().bulkhead("g");
        assertThat(g.config().adaptiveLimit()).as("the initial limit not given: the default moved into [min, max]")
                .isEqualTo(AdaptiveLimit.gradient().minLimit(30).initialLimit(30).tolerance(1.5).smoothing(0.4));
        assertThat(p.registry().bulkhead("fixed").config().adaptiveLimit()).isNull();
        assertThat(p.registry().bulkhead("fixed").config().maxConcurrent()).isEqualTo(7);
    }

    /** The limit the algorithm reached is kept when min and max change around it; the bulkhead stays. */
    @Test
    void anAdaptiveLimitKeepsTheLimitReachedWhenItsBoundsChangeAroundIt() {
        NineLivesProperties p = load(ADAPTIVE);
        Bulkhead db = p.registry().bulkhead("db");
        calls(db, 5, false);                            // one in flight: grows while half used, to 3
        assertThat(db.config().maxConcurrent()).isEqualTo(3);
        assertThat(db.tryAcquire()).isTrue();           // a permit held across the reload

        ReloadReport report = p.reload(with(ADAPTIVE, "ninelives.bulkhead.db.adaptive-limit.min-limit", "2",
                "ninelives.bulkhead.db.adaptive-limit.max-limit", "50",
                "ninelives.bulkhead.db.adaptive-limit.initial-limit", "2"));
        assertThat(change(report, Kind.BULKHEAD, "db").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(db.config().maxConcurrent()).as("the limit reached").isEqualTo(3);
        assertThat(db.metrics().availablePermits()).as("the permit in flight").isEqualTo(2);
        assertThat(db.config().adaptiveLimit().maxLimit()).isEqualTo(50);

        p.reload(with(ADAPTIVE, "ninelives.bulkhead.db.adaptive-limit.max-limit", "2",
                "ninelives.bulkhead.db.adaptive-limit.initial-limit", "1"));
        assertThat(db.config().maxConcurrent()).as("outside the new bounds: moved into them").isEqualTo(2);
        db.release();
        assertThat(db.metrics().availablePermits()).isEqualTo(2);
    }

    /**
     * A reload that changes the algorithm keeps the bulkhead and its limit: the next window is
     * judged by the new algorithm. Turning the adaptive limit off (or on) replaces the bulkhead.
     */
    @Test
    void anAlgorithmChangeIsInPlaceButTurningTheAdaptiveLimitOnOrOffReplaces() {
        NineLivesProperties p = load(with(ADAPTIVE, "ninelives.bulkhead.db.adaptive-limit.initial-limit", "8",
                "ninelives.bulkhead.db.adaptive-limit.backoff-ratio", "0.5"));
        Bulkhead db = p.registry().bulkhead("db");
        calls(db, 1, true);
        assertThat(db.config().maxConcurrent()).isEqualTo(4);

        ReloadReport report = p.reload(with(ADAPTIVE, "ninelives.bulkhead.db.adaptive-limit.algorithm", "gradient",
                "ninelives.bulkhead.db.adaptive-limit.smoothing", "1.0"));
        assertThat(change(report, Kind.BULKHEAD, "db").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(db.config().maxConcurrent()).isEqualTo(4);
        assertThat(db.config().adaptiveLimit().algorithm()).isEqualTo(AdaptiveLimit.Algorithm.GRADIENT);
        calls(db, 1, true);
        assertThat(db.config().maxConcurrent()).as("the gradient ignores the drop: equal latency, idle").isEqualTo(4);

        report = p.reload(keys("ninelives.bulkhead.db.max-concurrent", "6"));
        assertThat(change(report, Kind.BULKHEAD, "db").action()).isEqualTo(Action.REPLACED);
        assertThat(p.registry().bulkhead("db").config().adaptiveLimit()).isNull();
        assertThat(p.registry().bulkhead("db").config().maxConcurrent()).isEqualTo(6);

        Bulkhead fixed = p.registry().bulkhead("db");
        report = p.reload(ADAPTIVE);
        assertThat(change(report, Kind.BULKHEAD, "db").action()).isEqualTo(Action.REPLACED);
        assertThat(p.registry().bulkhead("db")).isNotSameAs(fixed);
        assertThat(p.registry().bulkhead("db").config().adaptiveLimit()).isNotNull();
    }

    @Test
    void badAdaptiveLimitKeysAreListedWithTheirValues() {
        assertThatThrownBy(() -> load(keys(
                "ninelives.bulkhead.a.adaptive-limit.algorithm", "vegas",
                "ninelives.bulkhead.b.adaptive-limit.window-size", "10",
                "ninelives.bulkhead.c.adaptive-limit.algorithm", "gradient",
                "ninelives.bulkhead.c.adaptive-limit.backoff-ratio", "0.5",
                "ninelives.bulkhead.d.adaptive-limit.algorithm", "aimd",
                "ninelives.bulkhead.d.max-concurrent", "5",
                "ninelives.bulkhead.e.adaptive-limit.algorithm", "aimd",
                "ninelives.bulkhead.e.adaptive-limit.min-limit", "50",
                "ninelives.bulkhead.e.adaptive-limit.max-limit", "10",
                "ninelives.bulkhead.f.adaptive-limit.algorithm", "aimd",
                "ninelives.bulkhead.f.adaptive-limit.max-limit", "10",
                "ninelives.bulkhead.f.adaptive-limit.initial-limit", "11",
                "ninelives.bulkhead.g.adaptive-limit.algorithm", "gradient",
                "ninelives.bulkhead.g.adaptive-limit.smoothing", "2",
                "ninelives.bulkhead.g.adaptive-limit.window-size", "0")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("ninelives.bulkhead.a.adaptive-limit.algorithm = 'vegas': expected aimd or gradient")
                .hasMessageContaining("ninelives.bulkhead.b.adaptive-limit.window-size = '10': needs adaptive-limit.algorithm")
                .hasMessageContaining("ninelives.bulkhead.c.adaptive-limit.backoff-ratio = '0.5': conflicts with "
                        + "ninelives.bulkhead.c.adaptive-limit.algorithm = 'gradient'")
                .hasMessageContaining("ninelives.bulkhead.d.max-concurrent = '5': conflicts with "
                        + "ninelives.bulkhead.d.adaptive-limit.algorithm = 'aimd'")
                .hasMessageContaining("ninelives.bulkhead.e.adaptive-limit.min-limit = '50': min-limit (50) must not exceed max-limit (10)")
                .hasMessageContaining("ninelives.bulkhead.f.adaptive-limit.initial-limit = '11': must be between min-limit (1) and max-limit (10)")
                .hasMessageContaining("ninelives.bulkhead.g.adaptive-limit.smoothing = '2': smoothing must be greater than 0 and at most 1, but was 2.0")
                .hasMessageContaining("ninelives.bulkhead.g.adaptive-limit.window-size = '0': windowSize must be between 1 and");
    }

    @Test
    void aNameThatGivesTheAlgorithmReplacesTheDefaultsAdaptiveLimitAsAWhole() {
        NineLivesProperties p = load(keys(
                "ninelives.bulkhead.default.adaptive-limit.algorithm", "aimd",
                "ninelives.bulkhead.default.adaptive-limit.backoff-ratio", "0.5",
                "ninelives.bulkhead.g.adaptive-limit.algorithm", "gradient",
                "ninelives.bulkhead.h.adaptive-limit.max-limit", "30"));
        assertThat(p.registry().bulkhead("g").config().adaptiveLimit()).isEqualTo(AdaptiveLimit.gradient());
        assertThat(p.registry().bulkhead("h").config().adaptiveLimit())
                .isEqualTo(AdaptiveLimit.aimd().backoffRatio(0.5).maxLimit(30));
        assertThat(p.registry().bulkhead("plain").config().adaptiveLimit()).isEqualTo(AdaptiveLimit.aimd().backoffRatio(0.5));
    }

    @Test
    void theReportNamesEveryChangedSetting() {
        NineLivesProperties p = load(ADAPTIVE);
        ReloadReport report = p.reload(with(ADAPTIVE, "ninelives.bulkhead.db.adaptive-limit.window-duration", "5s"));
        assertThat(change(report, Kind.BULKHEAD, "db").settings()).extracting(ReloadReport.SettingChange::setting)
                .isEqualTo(List.of("adaptive-limit.window-duration"));
    }
}
