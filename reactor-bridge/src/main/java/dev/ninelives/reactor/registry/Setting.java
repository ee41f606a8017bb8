package dev.ninelives.reactor.registry;

import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Jitter;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every key {@link NineLivesProperties} reads after {@code ninelives.<kind>.<name>.}: its canonical
 * (kebab-case) spelling, the type of its value, whether a change is applied in place (the policy
 * binds it to an adaptive of the loader's), and the default the table of the docs shows. The
 * order is the order settings are applied to a builder and listed in reports.
 */
enum Setting {
    SLIDING_WINDOW(Kind.BREAKER, "sliding-window", Type.INT, true, 100, "100 (count-based)"),
    SLIDING_TIME_WINDOW(Kind.BREAKER, "sliding-time-window", Type.DURATION, false, null, "none (count-based)"),
    SLIDING_TIME_WINDOW_BUCKETS(Kind.BREAKER, "sliding-time-window-buckets", Type.INT, false, null, "one per second"),
    MINIMUM_NUMBER_OF_CALLS(Kind.BREAKER, "minimum-number-of-calls", Type.INT, false, null, "100"),
    FAILURE_RATE_THRESHOLD(Kind.BREAKER, "failure-rate-threshold", Type.PERCENT, true, 50f, "50"),
    SLOW_CALL_DURATION(Kind.BREAKER, "slow-call-duration", Type.DURATION, true, null, "none (off)"),
    SLOW_CALL_RATE_THRESHOLD(Kind.BREAKER, "slow-call-rate-threshold", Type.PERCENT, true, 100f, "100"),
    OPEN_DURATION(Kind.BREAKER, "open-duration", Type.DURATION, true, Duration.ofSeconds(60), "60s"),
    OPEN_DURATION_BACKOFF_MULTIPLIER(Kind.BREAKER, "open-duration-backoff.multiplier", Type.DECIMAL, false, null, "1 (no growth)"),
    OPEN_DURATION_BACKOFF_MAX(Kind.BREAKER, "open-duration-backoff.max", Type.DURATION, false, null, "none"),
    PERMITTED_CALLS_IN_HALF_OPEN(Kind.BREAKER, "permitted-calls-in-half-open", Type.INT, true, 10, "10"),
    BREAKER_REJECTION_STACK_TRACES(Kind.BREAKER, "rejection-stack-traces", Type.BOOLEAN, false, null, "false"),

    MAX_ATTEMPTS(Kind.RETRY, "max-attempts", Type.INT, true, 3, "3"),
    BACKOFF_TYPE(Kind.RETRY, "backoff.type", Type.BACKOFF_TYPE, true, null, "exponential"),
    BACKOFF_INITIAL(Kind.RETRY, "backoff.initial", Type.DURATION, true, null, "100ms"),
    BACKOFF_INCREMENT(Kind.RETRY, "backoff.increment", Type.DURATION, true, null, "backoff.initial"),
    BACKOFF_MULTIPLIER(Kind.RETRY, "backoff.multiplier", Type.DECIMAL, true, null, "2"),
    BACKOFF_MAX(Kind.RETRY, "backoff.max", Type.DURATION, true, null, "10s"),
    JITTER(Kind.RETRY, "jitter", Type.JITTER, false, null, "none"),
    DEADLINE(Kind.RETRY, "deadline", Type.DURATION, false, null, "none"),
    EXHAUSTED_EXCEPTION(Kind.RETRY, "exhausted-exception", Type.BOOLEAN, false, null, "false"),
    RETRY_AFTER_ELEMENTS(Kind.RETRY, "retry-after-elements", Type.BOOLEAN, false, null, "true"),
    RESET_ON_ELEMENT(Kind.RETRY, "reset-on-element", Type.BOOLEAN, false, null, "false"),
    RETRY_ON_CALL_NOT_PERMITTED(Kind.RETRY, "retry-on-call-not-permitted", Type.BOOLEAN, false, null, "false"),
    BUDGET_RATIO(Kind.RETRY, "budget.ratio", Type.DECIMAL, true, null, "no budget; 0.2 with one"),
    BUDGET_MIN_RETRIES_PER_SECOND(Kind.RETRY, "budget.min-retries-per-second", Type.INT, false, null, "10"),
    BUDGET_CAPACITY(Kind.RETRY, "budget.capacity", Type.INT, false, null, "10 x min-retries-per-second"),

    MAX_CONCURRENT(Kind.BULKHEAD, "max-concurrent", Type.INT, true, 25, "25"),
    MAX_WAIT(Kind.BULKHEAD, "max-wait", Type.DURATION, true, Duration.ZERO, "0 (no waiting)"),
    MAX_QUEUED(Kind.BULKHEAD, "max-queued", Type.INT, false, null, "1000"),
    QUEUE_ORDER(Kind.BULKHEAD, "queue-order", Type.QUEUE_ORDER, false, null, "fifo"),
    BULKHEAD_REJECTION_STACK_TRACES(Kind.BULKHEAD, "rejection-stack-traces", Type.BOOLEAN, false, null, "false"),
    ADAPTIVE_LIMIT_ALGORITHM(Kind.BULKHEAD, "adaptive-limit.algorithm", Type.ALGORITHM, true, null, "none (the limit is max-concurrent)"),
    ADAPTIVE_LIMIT_MIN(Kind.BULKHEAD, "adaptive-limit.min-limit", Type.INT, true, null, "1"),
    ADAPTIVE_LIMIT_MAX(Kind.BULKHEAD, "adaptive-limit.max-limit", Type.INT, true, null, "1000"),
    ADAPTIVE_LIMIT_INITIAL(Kind.BULKHEAD, "adaptive-limit.initial-limit", Type.INT, true, null, "20, moved into [min-limit, max-limit]"),
    ADAPTIVE_LIMIT_WINDOW_SIZE(Kind.BULKHEAD, "adaptive-limit.window-size", Type.INT, true, null, "50"),
    ADAPTIVE_LIMIT_WINDOW_DURATION(Kind.BULKHEAD, "adaptive-limit.window-duration", Type.DURATION, true, null, "1s"),
    ADAPTIVE_LIMIT_BACKOFF_RATIO(Kind.BULKHEAD, "adaptive-limit.backoff-ratio", Type.DECIMAL, true, null, "0.9 (aimd only)"),
    ADAPTIVE_LIMIT_LATENCY_THRESHOLD(Kind.BULKHEAD, "adaptive-limit.latency-threshold", Type.DURATION, true, null, "0, off (aimd only)"),
    ADAPTIVE_LIMIT_TOLERANCE(Kind.BULKHEAD, "adaptive-limit.tolerance", Type.DECIMAL, true, null, "1.0 (gradient only)"),
    ADAPTIVE_LIMIT_SMOOTHING(Kind.BULKHEAD, "adaptive-limit.smoothing", Type.DECIMAL, true, null, "0.2 (gradient only)"),

    LIMIT_FOR_PERIOD(Kind.RATE_LIMITER, "limit-for-period", Type.INT, true, 50, "50"),
    PERIOD(Kind.RATE_LIMITER, "period", Type.DURATION, true, Duration.ofSeconds(1), "1s"),
    BURST(Kind.RATE_LIMITER, "burst", Type.INT, true, null, "limit-for-period (follows it)"),
    RATE_LIMITER_MAX_WAIT(Kind.RATE_LIMITER, "max-wait", Type.DURATION, true, Duration.ZERO, "0 (no waiting)"),
    RATE_LIMITER_REJECTION_STACK_TRACES(Kind.RATE_LIMITER, "rejection-stack-traces", Type.BOOLEAN, false, null, "false"),

    HEDGE_DELAY(Kind.HEDGE, "delay", Type.DURATION, true, Duration.ofMillis(100), "100ms (fixed)"),
    HEDGE_DELAY_PERCENTILE(Kind.HEDGE, "delay-percentile", Type.DECIMAL, true, null, "none (the delay is fixed)"),
    HEDGE_MIN_DELAY(Kind.HEDGE, "min-delay", Type.DURATION, true, Duration.ofMillis(1), "1ms"),
    HEDGE_WINDOW(Kind.HEDGE, "window", Type.INT, false, null, "200"),
    HEDGE_MAX_HEDGES(Kind.HEDGE, "max-hedges", Type.INT, true, 1, "1"),
    HEDGE_BUDGET_RATIO(Kind.HEDGE, "budget.ratio", Type.DECIMAL, true, 0.1, "0.1"),
    HEDGE_BUDGET_BURST(Kind.HEDGE, "budget.burst", Type.INT, true, 10, "10"),

    PIPELINE_RATE_LIMITER(Kind.PIPELINE, "rate-limiter", Type.STAGE, false, null, "false"),
    PIPELINE_BULKHEAD(Kind.PIPELINE, "bulkhead", Type.STAGE, false, null, "false"),
    PIPELINE_RETRY(Kind.PIPELINE, "retry", Type.STAGE, false, null, "false"),
    PIPELINE_HEDGE(Kind.PIPELINE, "hedge", Type.STAGE, false, null, "false"),
    PIPELINE_BREAKER(Kind.PIPELINE, "breaker", Type.STAGE, false, null, "true"),
    TIMEOUT(Kind.PIPELINE, "timeout", Type.DURATION, false, null, "none"),
    ATTEMPT_TIMEOUT(Kind.PIPELINE, "attempt-timeout", Type.DURATION, false, null, "none");

    /** The types of value, each with its parser; a parser throws IllegalArgumentException saying what it expected. */
    enum Type {
        INT("integer"), PERCENT("percentage"), DECIMAL("number"), DURATION("duration"), BOOLEAN("boolean"),
        QUEUE_ORDER("fifo | lifo"), BACKOFF_TYPE("none | constant | linear | exponential"),
        JITTER("none | full | equal | decorrelated | a factor in [0, 1]"), STAGE("true | false | a policy name"),
        ALGORITHM("aimd | gradient");

        final String label;

        Type(String label) {
            this.label = label;
        }
    }

    final Kind kind;
    /** The canonical spelling, kebab-case, segments separated by dots. */
    final String key;
    final Type type;
    /** True if a change is applied in place to a running policy. */
    final boolean adaptive;
    /** The value an adaptive setting takes when no key gives one; null for the others. */
    final Object defaultValue;
    /** The default, as the docs' table shows it. */
    final String defaultText;
    /** The relaxed form of {@link #key}. */
    final String relaxed;

    Setting(Kind kind, String key, Type type, boolean adaptive, Object defaultValue, String defaultText) {
        this.kind = kind;
        this.key = key;
        this.type = type;
        this.adaptive = adaptive;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.relaxed = relax(key);
    }

    /** The settings of one kind, in order. */
    static List<Setting> of(Kind kind) {
        List<Setting> list = new ArrayList<>();
        for (Setting s : values()) {
            if (s.kind == kind) {
                list.add(s);
            }
        }
        return list;
    }

    /** Finds a setting of {@code kind} by any relaxed spelling, or null. */
    static Setting find(Kind kind, String spelled) {
        String r = relax(spelled);
        for (Setting s : values()) {
            if (s.kind == kind && s.relaxed.equals(r)) {
                return s;
            }
        }
        return null;
    }

    /** The setting of {@code kind} nearest to {@code spelled} (edit distance), or null if none is near. */
    static Setting nearest(Kind kind, String spelled) {
        String r = relax(spelled);
        Setting best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Setting s : values()) {
            if (s.kind == kind) {
                int d = distance(r, s.relaxed);
                if (d < bestDistance) {
                    best = s;
                    bestDistance = d;
                }
            }
        }
        return best != null && bestDistance <= Math.max(2, r.length() / 3) ? best : null;
    }

    /** How a kind is spelled in a key: {@code breaker}, {@code rate-limiter}. */
    static String keyOf(Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Lower case, without dashes and underscores: failure-rate-threshold, failureRateThreshold and failure_rate_threshold meet. */
    static String relax(String spelled) {
        return spelled.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---------------------------------------------------------------- values

    private static final Pattern DURATION = Pattern.compile("([+-]?\\d+)\\s*(ns|us|ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");

    /**
     * Parses a value of this setting.
     *
     * @throws IllegalArgumentException saying what was expected
     */
    Object parse(String raw) {
        String v = raw.trim();
        switch (type) {
            case INT:
                try {
                    return Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw expected("an integer");
                }
            case PERCENT: {
                String p = v.endsWith("%") ? v.substring(0, v.length() - 1).trim() : v;
                return (float) decimal(p, "a percentage such as 50 or 50.0");
            }
            case DECIMAL:
                return decimal(v, "a number such as 2 or 1.5");
            case DURATION:
                return duration(v);
            case BOOLEAN:
                if (v.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (v.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw expected("true or false");
            case QUEUE_ORDER:
                for (Bulkhead.QueueOrder o : Bulkhead.QueueOrder.values()) {
                    if (o.name().equalsIgnoreCase(v)) {
                        return o;
                    }
                }
                throw expected("fifo or lifo");
            case BACKOFF_TYPE:
                for (BackoffType t : BackoffType.values()) {
                    if (t.name().equalsIgnoreCase(v)) {
                        return t;
                    }
                }
                throw expected("none, constant, linear or exponential");
            case JITTER:
                for (Jitter j : Jitter.values()) {
                    if (j != Jitter.PROPORTIONAL && j.name().equalsIgnoreCase(v)) {
                        return j;
                    }
                }
                if (v.equalsIgnoreCase(Jitter.PROPORTIONAL.name())) {
                    throw new IllegalArgumentException("a proportional jitter is given as its factor, a number between 0 and 1 (such as 0.2)");
                }
                return decimal(v, "none, full, equal, decorrelated, or a factor between 0 and 1");
            case ALGORITHM:
                for (AdaptiveLimit.Algorithm a : AdaptiveLimit.Algorithm.values()) {
                    if (a.name().equalsIgnoreCase(v)) {
                        return a;
                    }
                }
                throw expected("aimd or gradient");
            case STAGE:
                if (v.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (v.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                if (v.isEmpty() || v.contains(".")) {
                    throw expected("true, false, or the name of a policy (without dots)");
                }
                return v;
            default:
                throw new IllegalStateException("invalid type: " + type);
        }
    }

    private static double decimal(String v, String what) {
        try {
            double d = Double.parseDouble(v);
            if (Double.isFinite(d) && !v.endsWith("d") && !v.endsWith("D") && !v.endsWith("f") && !v.endsWith("F")) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw expected(what);
    }

    /** 100ms, 2s, 1m, 1h, 1d, 500us, 10ns; ISO-8601 (PT2S); a bare number of milliseconds. */
    static Duration duration(String v) {
        if (INTEGER.matcher(v).matches()) {
            try {
                return Duration.ofMillis(Long.parseLong(v));
            } catch (NumberFormatException e) {
                throw expected("a duration that fits in a long number of milliseconds");
            }
        }
        Matcher m = DURATION.matcher(v);
        if (m.matches()) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw expected("a duration whose number fits in a long");
            }
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ns": return Duration.ofNanos(n);
                case "us": return Duration.ofNanos(Math.multiplyExact(n, 1000L));
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: return Duration.ofDays(n);
            }
        }
        if (v.startsWith("P") || v.startsWith("p") || v.startsWith("-P") || v.startsWith("-p")) {
            try {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw expected("an ISO-8601 duration such as PT2S");
            }
        }
        throw expected("a duration such as 100ms, 2s, 1m, 1h, 1d, an ISO-8601 duration such as PT2S, or a number of milliseconds");
    }

    private static IllegalArgumentException expected(String what) {
        return new IllegalArgumentException("expected " + what);
    }

    /** The kinds of backoff a key names. */
    enum BackoffType {
        NONE, CONSTANT, LINEAR, EXPONENTIAL
    }

    /** A retry budget's default ratio. */
    static final double DEFAULT_BUDGET_RATIO = 0.2;

    /** The builder's default backoff: 100 ms doubling up to 10 s. */
    static final Backoff DEFAULT_BACKOFF = Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10));
}
