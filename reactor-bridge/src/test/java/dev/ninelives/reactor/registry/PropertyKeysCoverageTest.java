package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreakerBuilder;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.BulkheadBuilder;
import dev.ninelives.hedge.HedgeBuilder;
import dev.ninelives.ratelimit.RateLimiterBuilder;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.retry.RetryBuilder;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every public method of the builders is either read from a key or named here as code only, with
 * the reason: a setting added to a builder fails this test until it gets a key (or a reason), so
 * the loader cannot silently fall behind the builders.
 */
class PropertyKeysCoverageTest {

    private static final String CODE = "code only: ";

    private static final Map<String, String> BREAKER = Map.ofEntries(
            entry("slidingWindow", "sliding-window"),
            entry("slidingTimeWindow", "sliding-time-window sliding-time-window-buckets"),
            entry("minimumNumberOfCalls", "minimum-number-of-calls"),
            entry("failureRateThreshold", "failure-rate-threshold"),
            entry("slowCallDuration", "slow-call-duration"),
            entry("slowCallRateThreshold", "slow-call-rate-threshold"),
            entry("openDuration", "open-duration"),
            entry("openDurationBackoff", "open-duration-backoff.multiplier open-duration-backoff.max"),
            entry("permittedCallsInHalfOpen", "permitted-calls-in-half-open"),
            entry("rejectionStackTraces", "rejection-stack-traces"),
            entry("recordFailureIf", CODE + "a predicate"),
            entry("ticker", CODE + "a clock"));

    private static final Map<String, String> RETRY = Map.ofEntries(
            entry("maxAttempts", "max-attempts"),
            entry("noBackoff", "backoff.type"),
            entry("constantBackoff", "backoff.type backoff.initial"),
            entry("linearBackoff", "backoff.type backoff.initial backoff.increment backoff.max"),
            entry("exponentialBackoff", "backoff.type backoff.initial backoff.multiplier backoff.max"),
            entry("backoff", "backoff.type backoff.initial backoff.increment backoff.multiplier backoff.max"),
            entry("jitter", "jitter"),
            entry("deadline", "deadline"),
            entry("exhaustedException", "exhausted-exception"),
            entry("retryAfterElements", "retry-after-elements"),
            entry("resetOnElement", "reset-on-element"),
            entry("retryOnCallNotPermitted", "retry-on-call-not-permitted"),
            entry("retryIf", CODE + "a predicate"),
            entry("retryOnResult", CODE + "a type and a predicate"),
            entry("random", CODE + "a random generator"),
            entry("budget", "budget.ratio budget.min-retries-per-second budget.capacity"),
            entry("ticker", CODE + "a clock"));

    private static final Map<String, String> BULKHEAD = Map.ofEntries(
            entry("maxConcurrent", "max-concurrent"),
            entry("maxWait", "max-wait"),
            entry("maxQueued", "max-queued"),
            entry("queueOrder", "queue-order"),
            entry("rejectionStackTraces", "rejection-stack-traces"),
            entry("ticker", CODE + "a clock"),
            entry("adaptiveLimit", "adaptive-limit.algorithm adaptive-limit.min-limit adaptive-limit.max-limit "
                    + "adaptive-limit.initial-limit adaptive-limit.window-size adaptive-limit.window-duration "
                    + "adaptive-limit.backoff-ratio adaptive-limit.latency-threshold adaptive-limit.tolerance "
                    + "adaptive-limit.smoothing"));

    /** The settings of an adaptive limit's specification (its methods that return a new one). */
    private static final Map<String, String> ADAPTIVE_LIMIT = Map.ofEntries(
            entry("minLimit", "adaptive-limit.min-limit"),
            entry("maxLimit", "adaptive-limit.max-limit"),
            entry("initialLimit", "adaptive-limit.initial-limit"),
            entry("windowSize", "adaptive-limit.window-size"),
            entry("windowDuration", "adaptive-limit.window-duration"),
            entry("backoffRatio", "adaptive-limit.backoff-ratio"),
            entry("latencyThreshold", "adaptive-limit.latency-threshold"),
            entry("tolerance", "adaptive-limit.tolerance"),
            entry("smoothing", "adaptive-limit.smoothing"));

    private static final Map<String, String> RATE_LIMITER = Map.ofEntries(
            entry("limitForPeriod", "limit-for-period"),
            entry("period", "period"),
            entry("burst", "burst"),
            entry("maxWait", "max-wait"),
            entry("rejectionStackTraces", "rejection-stack-traces"),
            entry("ticker", CODE + "a clock"));

    private static final Map<String, String> HEDGE = Map.ofEntries(
            entry("delay", "delay"),
            entry("delayPercentile", "delay-percentile"),
            entry("minDelay", "min-delay"),
            entry("window", "window"),
            entry("maxHedges", "max-hedges"),
            entry("budget", "budget.ratio budget.burst"),
            entry("budgetRatio", "budget.ratio"),
            entry("budgetBurst", "budget.burst"),
            entry("errorEndsRace", CODE + "a predicate"),
            entry("ticker", CODE + "a clock"));

    private static final Map<String, String> PIPELINE = Map.ofEntries(
            entry("breaker", "breaker"), entry("noBreaker", "breaker"),
            entry("retry", "retry"), entry("noRetry", "retry"),
            entry("bulkhead", "bulkhead"), entry("noBulkhead", "bulkhead"),
            entry("rateLimiter", "rate-limiter"), entry("noRateLimiter", "rate-limiter"),
            entry("hedge", "hedge"), entry("noHedge", "hedge"),
            entry("timeout", "timeout"),
            entry("attemptTimeout", "attempt-timeout"),
            entry("scheduler", CODE + "a Scheduler"),
            entry("clear", CODE + "starts a spec from nothing"),
            entry("name", CODE + "an accessor"));

    private static Set<String> settersOf(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (Method m : type.getMethods()) {
            if (m.getDeclaringClass() == type && !Modifier.isStatic(m.getModifiers())
                    && !m.getName().equals("build") && !m.getName().equals("toString")) {
                names.add(m.getName());
            }
        }
        return names;
    }

    private static void covers(Kind kind, Class<?> builder, Map<String, String> table) {
        assertThat(settersOf(builder)).as("public methods of %s: give each a key or a reason here", builder.getSimpleName())
                .isEqualTo(new TreeSet<>(table.keySet()));
        Set<String> used = new TreeSet<>();
        table.values().stream().filter(v -> !v.startsWith(CODE)).forEach(v -> used.addAll(List.of(v.split(" "))));
        assertThat(used).as("every %s key is a builder setting", kind).isEqualTo(new TreeSet<>(NineLivesProperties.settings(kind)));
    }

    @Test
    void everyBreakerBuilderSettingHasAKeyOrAReason() {
        covers(Kind.BREAKER, CircuitBreakerBuilder.class, BREAKER);
    }

    @Test
    void everyRetryBuilderSettingHasAKeyOrAReason() {
        covers(Kind.RETRY, RetryBuilder.class, RETRY);
    }

    @Test
    void everyBulkheadBuilderSettingHasAKeyOrAReason() {
        covers(Kind.BULKHEAD, BulkheadBuilder.class, BULKHEAD);
    }

    @Test
    void everyRateLimiterBuilderSettingHasAKeyOrAReason() {
        covers(Kind.RATE_LIMITER, RateLimiterBuilder.class, RATE_LIMITER);
    }

    @Test
    void everyHedgeBuilderSettingHasAKeyOrAReason() {
        covers(Kind.HEDGE, HedgeBuilder.class, HEDGE);
    }

    /**
     * Every setting of an adaptive limit's specification (a public method that returns a new
     * {@link AdaptiveLimit}) has its {@code adaptive-limit.*} key, the algorithm included (the
     * static factories): a setting added to the specification fails this test until it gets one.
     */
    @Test
    void everyAdaptiveLimitSettingHasAKey() {
        Set<String> withers = new TreeSet<>();
        for (Method m : AdaptiveLimit.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getReturnType() == AdaptiveLimit.class) {
                withers.add(m.getName());
            }
        }
        assertThat(withers).isEqualTo(new TreeSet<>(ADAPTIVE_LIMIT.keySet()));
        Set<String> keys = new TreeSet<>(ADAPTIVE_LIMIT.values());
        keys.add("adaptive-limit.algorithm");
        Set<String> bulkheadKeys = new TreeSet<>(NineLivesProperties.settings(Kind.BULKHEAD));
        bulkheadKeys.removeIf(k -> !k.startsWith("adaptive-limit."));
        assertThat(keys).isEqualTo(bulkheadKeys);
        assertThat(Setting.Type.ALGORITHM.label).as("every algorithm is named by the key's type")
                .isEqualTo(String.join(" | ", java.util.Arrays.stream(AdaptiveLimit.Algorithm.values())
                        .map(a -> a.name().toLowerCase(java.util.Locale.ROOT)).toList()));
    }

    /** Every kind of policy but the pipeline has a builder table above: a new kind cannot be forgotten. */
    @Test
    void everyKindHasItsTable() {
        Map<Kind, Class<?>> builders = Map.of(Kind.BREAKER, CircuitBreakerBuilder.class, Kind.RETRY, RetryBuilder.class,
                Kind.BULKHEAD, BulkheadBuilder.class, Kind.RATE_LIMITER, RateLimiterBuilder.class,
                Kind.HEDGE, HedgeBuilder.class, Kind.PIPELINE, PipelineSpec.class);
        assertThat(builders.keySet()).containsExactlyInAnyOrder(Kind.values());
        for (Kind k : Kind.values()) {
            assertThat(NineLivesProperties.settings(k)).as("%s has keys", k).isNotEmpty();
        }
    }

    @Test
    void everyPipelineSpecStageHasAKeyOrAReason() {
        covers(Kind.PIPELINE, PipelineSpec.class, PIPELINE);
    }

    @Test
    void everySettingIsAdaptiveExactlyWhenItsBuilderTakesAnAdaptive() {
        Set<String> adaptiveMethods = new TreeSet<>();
        for (Class<?> type : List.of(CircuitBreakerBuilder.class, RetryBuilder.class, BulkheadBuilder.class,
                RateLimiterBuilder.class, HedgeBuilder.class)) {
            for (Method m : type.getMethods()) {
                if (m.getParameterCount() == 1 && m.getParameterTypes()[0] == dev.ninelives.core.Adaptive.class) {
                    adaptiveMethods.add(type.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertThat(adaptiveMethods).containsExactlyInAnyOrder(
                "CircuitBreakerBuilder.slidingWindow", "CircuitBreakerBuilder.failureRateThreshold",
                "CircuitBreakerBuilder.slowCallDuration", "CircuitBreakerBuilder.slowCallRateThreshold",
                "CircuitBreakerBuilder.openDuration", "CircuitBreakerBuilder.permittedCallsInHalfOpen",
                "RetryBuilder.maxAttempts", "RetryBuilder.backoff",
                "BulkheadBuilder.maxConcurrent", "BulkheadBuilder.maxWait", "BulkheadBuilder.adaptiveLimit",
                "RateLimiterBuilder.limitForPeriod", "RateLimiterBuilder.period", "RateLimiterBuilder.burst",
                "RateLimiterBuilder.maxWait",
                "HedgeBuilder.delay", "HedgeBuilder.delayPercentile", "HedgeBuilder.minDelay", "HedgeBuilder.maxHedges",
                "HedgeBuilder.budgetRatio", "HedgeBuilder.budgetBurst");
        Set<String> adaptiveKeys = new TreeSet<>();
        for (Setting s : Setting.values()) {
            if (s.adaptive) {
                adaptiveKeys.add(s.kind + " " + s.key);
            }
        }
        assertThat(adaptiveKeys).containsExactlyInAnyOrder(
                "BREAKER sliding-window", "BREAKER failure-rate-threshold", "BREAKER slow-call-duration",
                "BREAKER slow-call-rate-threshold", "BREAKER open-duration", "BREAKER permitted-calls-in-half-open",
                "RETRY max-attempts", "RETRY backoff.type", "RETRY backoff.initial", "RETRY backoff.increment",
                "RETRY backoff.multiplier", "RETRY backoff.max", "RETRY budget.ratio",
                "BULKHEAD max-concurrent", "BULKHEAD max-wait", "BULKHEAD adaptive-limit.algorithm",
                "BULKHEAD adaptive-limit.min-limit", "BULKHEAD adaptive-limit.max-limit", "BULKHEAD adaptive-limit.initial-limit",
                "BULKHEAD adaptive-limit.window-size", "BULKHEAD adaptive-limit.window-duration",
                "BULKHEAD adaptive-limit.backoff-ratio", "BULKHEAD adaptive-limit.latency-threshold",
                "BULKHEAD adaptive-limit.tolerance", "BULKHEAD adaptive-limit.smoothing",
                "RATE_LIMITER limit-for-period", "RATE_LIMITER period", "RATE_LIMITER burst", "RATE_LIMITER max-wait",
                "HEDGE delay", "HEDGE delay-percentile", "HEDGE min-delay", "HEDGE max-hedges", "HEDGE budget.ratio",
                "HEDGE budget.burst");
    }
}
