package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreakerBuilder;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadBuilder;
import dev.ninelives.core.Adaptive;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeBuilder;
import dev.ninelives.internal.Guard;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterBuilder;
import dev.ninelives.reactor.registry.PropertiesException.Problem;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.Setting.BackoffType;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryBudgetBuilder;
import dev.ninelives.retry.RetryBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One parsed, checked configuration: the {@code ninelives.*} keys of a map, by kind and name
 * ({@value #DEFAULTS} for the defaults), and how a policy's settings are resolved from them and
 * applied to its builder. Immutable once {@link #parse} returns; {@link #parse} collects every
 * problem of the map and throws them together.
 */
final class PropertyModel {

    static final String PREFIX = "ninelives.";
    static final String DEFAULTS = "default";

    private static final Set<Setting> WINDOW = EnumSet.of(Setting.SLIDING_WINDOW, Setting.SLIDING_TIME_WINDOW,
            Setting.SLIDING_TIME_WINDOW_BUCKETS);
    private static final Set<Setting> BACKOFF = EnumSet.of(Setting.BACKOFF_TYPE, Setting.BACKOFF_INITIAL,
            Setting.BACKOFF_INCREMENT, Setting.BACKOFF_MULTIPLIER, Setting.BACKOFF_MAX);
    private static final Set<Setting> BUDGET = EnumSet.of(Setting.BUDGET_RATIO, Setting.BUDGET_MIN_RETRIES_PER_SECOND,
            Setting.BUDGET_CAPACITY);
    /** The keys of a bulkhead's adaptive limit; {@link Setting#ADAPTIVE_LIMIT_ALGORITHM} turns it on. */
    static final Set<Setting> ADAPTIVE_LIMIT = EnumSet.range(Setting.ADAPTIVE_LIMIT_ALGORITHM, Setting.ADAPTIVE_LIMIT_SMOOTHING);
    private static final Set<Setting> AIMD_ONLY = EnumSet.of(Setting.ADAPTIVE_LIMIT_BACKOFF_RATIO,
            Setting.ADAPTIVE_LIMIT_LATENCY_THRESHOLD);
    private static final Set<Setting> GRADIENT_ONLY = EnumSet.of(Setting.ADAPTIVE_LIMIT_TOLERANCE, Setting.ADAPTIVE_LIMIT_SMOOTHING);
    /** A hedge's delay is fixed or a percentile of the recent latency: these keys exclude each other. */
    private static final Set<Setting> HEDGE_DELAY = EnumSet.of(Setting.HEDGE_DELAY, Setting.HEDGE_DELAY_PERCENTILE);
    private static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
    private static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(10);

    /** One key: its setting, its spelling as given, its value as given and parsed. */
    record Entry(Setting setting, String key, String raw, Object value) {
    }

    /** The {@code ninelives.*} keys as given, sorted. */
    final SortedMap<String, String> source;
    /** Kind, then name (the defaults under {@value #DEFAULTS}), then setting. */
    private final Map<Kind, Map<String, Map<Setting, Entry>>> levels = new EnumMap<>(Kind.class);

    private PropertyModel(SortedMap<String, String> source) {
        this.source = Collections.unmodifiableSortedMap(source);
        for (Kind k : Kind.values()) {
            levels.put(k, new TreeMap<>());
        }
    }

    static PropertyModel empty() {
        return new PropertyModel(new TreeMap<>());
    }

    // ---------------------------------------------------------------- parsing

    /**
     * Parses and checks the {@code ninelives.*} keys of {@code map}; every other key is ignored.
     *
     * @param code the user's customizers, run on throwaway builders so that what they refuse is reported too
     * @throws PropertiesException listing every problem
     */
    static PropertyModel parse(Map<String, String> map, NineLivesProperties.Code code) {
        SortedMap<String, String> source = new TreeMap<>();
        map.forEach((k, v) -> {
            if (k != null && k.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                source.put(k, v);
            }
        });
        PropertyModel m = new PropertyModel(source);
        Set<Problem> problems = new LinkedHashSet<>();
        source.forEach((k, v) -> m.read(k, v, problems));
        for (Kind kind : Kind.values()) {
            for (String name : m.levels.get(kind).keySet()) {
                m.check(kind, name, code, problems);
            }
            if (!m.levels.get(kind).containsKey(DEFAULTS)) {
                m.check(kind, DEFAULTS, code, problems);      // the user's customizers on the builders' defaults
            }
        }
        if (!problems.isEmpty()) {
            List<Problem> sorted = new ArrayList<>(problems);
            sorted.sort(Comparator.comparing(Problem::key));
            throw new PropertiesException(sorted);
        }
        return m;
    }

    private void read(String key, String value, Set<Problem> problems) {
        String shown = value == null ? "null" : value;
        String[] parts = key.substring(PREFIX.length()).split("\\.", 3);
        if (parts.length < 3 || parts[0].isBlank() || parts[1].isBlank() || parts[2].isBlank()) {
            problems.add(new Problem(key, shown, "incomplete key: expected ninelives.<breaker|retry|bulkhead|rate-limiter|hedge|pipeline>.<name>.<setting>"));
            return;
        }
        Kind kind = kind(parts[0]);
        if (kind == null) {
            Kind near = null;
            int best = Integer.MAX_VALUE;
            for (Kind k : Kind.values()) {
                int d = Setting.distance(Setting.relax(parts[0]), Setting.relax(Setting.keyOf(k)));
                if (d < best) {
                    best = d;
                    near = k;
                }
            }
            problems.add(new Problem(key, shown, "unknown kind of policy '" + parts[0] + "'"
                    + (best <= 2 ? "; did you mean " + PREFIX + Setting.keyOf(near) + "." + parts[1] + "." + parts[2] + "?"
                    : "; expected breaker, retry, bulkhead, rate-limiter, hedge or pipeline")));
            return;
        }
        String name = parts[1];
        Setting setting = Setting.find(kind, parts[2]);
        if (setting == null) {
            Setting near = Setting.nearest(kind, parts[2]);
            problems.add(new Problem(key, shown, "unknown key" + (near != null
                    ? "; did you mean " + canonical(kind, name, near) + "?"
                    : "; the " + Setting.keyOf(kind) + " settings are " + names(kind))));
            return;
        }
        if (value == null) {
            problems.add(new Problem(key, shown, "no value"));
            return;
        }
        Object parsed;
        try {
            parsed = setting.parse(value);
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(new Problem(key, shown, e.getMessage()));
            return;
        }
        Map<Setting, Entry> level = levels.get(kind).computeIfAbsent(name, n -> new EnumMap<>(Setting.class));
        Entry twice = level.get(setting);
        if (twice != null) {
            problems.add(new Problem(key, shown, "conflicts with " + twice.key() + " = '" + twice.raw()
                    + "': both spell " + canonical(kind, name, setting)));
            return;
        }
        level.put(setting, new Entry(setting, key, value, parsed));
    }

    private static Kind kind(String spelled) {
        for (Kind k : Kind.values()) {
            if (Setting.relax(Setting.keyOf(k)).equals(Setting.relax(spelled))) {   // rate-limiter, rateLimiter, rate_limiter
                return k;
            }
        }
        return null;
    }

    static String canonical(Kind kind, String name, Setting s) {
        return PREFIX + Setting.keyOf(kind) + "." + name + "." + s.key;
    }

    private static String names(Kind kind) {
        List<String> keys = new ArrayList<>();
        for (Setting s : Setting.of(kind)) {
            keys.add(s.key);
        }
        return String.join(", ", keys);
    }

    // ---------------------------------------------------------------- resolution

    /**
     * The settings of the policy {@code name} of {@code kind}: the defaults, overridden by the
     * name's keys. A name that gives any window key replaces the defaults' window (count- and
     * time-based windows exclude each other); a name that gives {@code backoff.type} replaces
     * the defaults' backoff as a whole (its other backoff keys alone override key by key). A
     * bulkhead's {@code max-concurrent} and its {@code adaptive-limit.*} keys exclude each other
     * the same way: a name that gives one drops the defaults' other; and a name that gives
     * {@code adaptive-limit.algorithm} replaces the defaults' adaptive limit as a whole. A
     * hedge's {@code delay} and {@code delay-percentile} exclude each other alike: a name that
     * gives one drops the defaults' other.
     */
    Map<Setting, Entry> effective(Kind kind, String name) {
        Map<String, Map<Setting, Entry>> byName = levels.get(kind);
        Map<Setting, Entry> eff = new EnumMap<>(Setting.class);
        eff.putAll(byName.getOrDefault(DEFAULTS, Map.of()));
        if (!name.equals(DEFAULTS)) {
            Map<Setting, Entry> own = byName.getOrDefault(name, Map.of());
            if (!Collections.disjoint(own.keySet(), WINDOW)) {
                eff.keySet().removeAll(WINDOW);
            }
            if (own.containsKey(Setting.BACKOFF_TYPE)) {
                eff.keySet().removeAll(BACKOFF);
            }
            if (own.containsKey(Setting.MAX_CONCURRENT) || own.containsKey(Setting.ADAPTIVE_LIMIT_ALGORITHM)) {
                eff.keySet().removeAll(ADAPTIVE_LIMIT);
            }
            if (!Collections.disjoint(own.keySet(), ADAPTIVE_LIMIT)) {
                eff.remove(Setting.MAX_CONCURRENT);
            }
            if (!Collections.disjoint(own.keySet(), HEDGE_DELAY)) {
                eff.keySet().removeAll(HEDGE_DELAY);
            }
            eff.putAll(own);
        }
        return eff;
    }

    /** The names of {@code kind} the keys declare: those with keys of their own, and the policies a declared pipeline names. */
    Set<String> declared(Kind kind) {
        Set<String> names = new TreeSet<>(levels.get(kind).keySet());
        names.remove(DEFAULTS);
        if (kind != Kind.PIPELINE) {
            Setting stage = kind == Kind.BREAKER ? Setting.PIPELINE_BREAKER
                    : kind == Kind.RETRY ? Setting.PIPELINE_RETRY
                    : kind == Kind.RATE_LIMITER ? Setting.PIPELINE_RATE_LIMITER
                    : kind == Kind.HEDGE ? Setting.PIPELINE_HEDGE : Setting.PIPELINE_BULKHEAD;
            for (String pipeline : declared(Kind.PIPELINE)) {
                String used = stage(effective(Kind.PIPELINE, pipeline), stage, pipeline);
                if (used != null) {
                    names.add(used);
                }
            }
        }
        return names;
    }

    /** The name of the policy a pipeline's stage uses, or null for none. */
    static String stage(Map<Setting, Entry> eff, Setting stage, String pipeline) {
        Entry e = eff.get(stage);
        Object v = e == null ? (stage == Setting.PIPELINE_BREAKER ? Boolean.TRUE : Boolean.FALSE) : e.value();
        return v == Boolean.TRUE ? pipeline : v == Boolean.FALSE ? null : (String) v;
    }

    /** The value an adaptive setting gets from {@code eff}; null if it has none (slow calls off). */
    static Object adaptiveValue(Setting s, Map<Setting, Entry> eff) {
        if (s == Setting.BACKOFF_TYPE) {
            return backoff(eff);
        }
        if (s == Setting.ADAPTIVE_LIMIT_ALGORITHM) {
            return eff.containsKey(s) ? adaptiveLimit(eff) : null;   // no algorithm: a fixed limit
        }
        if (s == Setting.BUDGET_RATIO && Collections.disjoint(eff.keySet(), BUDGET)) {
            return null;                                      // no budget: nothing to bind
        }
        if (s == Setting.BUDGET_RATIO && !eff.containsKey(s)) {
            return Setting.DEFAULT_BUDGET_RATIO;
        }
        Entry e = eff.get(s);
        return e != null ? e.value() : s.defaultValue;
    }

    /** The backoff the keys describe; the builder's default when none is given. */
    static Backoff backoff(Map<Setting, Entry> eff) {
        if (Collections.disjoint(eff.keySet(), BACKOFF)) {
            return Setting.DEFAULT_BACKOFF;
        }
        BackoffType type = (BackoffType) value(eff, Setting.BACKOFF_TYPE, BackoffType.EXPONENTIAL);
        Duration initial = (Duration) value(eff, Setting.BACKOFF_INITIAL, DEFAULT_BACKOFF_INITIAL);
        Duration max = (Duration) value(eff, Setting.BACKOFF_MAX,
                initial.compareTo(DEFAULT_BACKOFF_MAX) > 0 ? initial : DEFAULT_BACKOFF_MAX);
        switch (type) {
            case NONE:
                return Backoff.none();
            case CONSTANT:
                return Backoff.constant(initial);
            case LINEAR:
                return Backoff.linear(initial, (Duration) value(eff, Setting.BACKOFF_INCREMENT, initial), max);
            case EXPONENTIAL:
                return Backoff.exponential(initial, (Double) value(eff, Setting.BACKOFF_MULTIPLIER, 2.0), max);
            default:
                throw new IllegalStateException("invalid backoff type: " + type);
        }
    }

    /**
     * The adaptive limit the keys describe: the algorithm's defaults, then each key given. An
     * initial limit not given is the default moved into {@code [min-limit, max-limit]}.
     */
    static AdaptiveLimit adaptiveLimit(Map<Setting, Entry> eff) {
        AdaptiveLimit a = AdaptiveLimit.named(((AdaptiveLimit.Algorithm) eff.get(Setting.ADAPTIVE_LIMIT_ALGORITHM).value()).name());
        for (Setting s : ADAPTIVE_LIMIT) {
            Entry e = eff.get(s);
            if (e != null) {
                a = withSetting(a, s, e.value());
            }
        }
        if (!eff.containsKey(Setting.ADAPTIVE_LIMIT_INITIAL) && a.minLimit() <= a.maxLimit()) {
            a = a.initialLimit(Math.max(a.minLimit(), Math.min(a.maxLimit(), a.initialLimit())));
        }
        return a;
    }

    /** One adaptive-limit key applied to a specification; throws as its method does. */
    private static AdaptiveLimit withSetting(AdaptiveLimit a, Setting s, Object v) {
        switch (s) {
            case ADAPTIVE_LIMIT_ALGORITHM: return a;
            case ADAPTIVE_LIMIT_MIN: return a.minLimit((Integer) v);
            case ADAPTIVE_LIMIT_MAX: return a.maxLimit((Integer) v);
            case ADAPTIVE_LIMIT_INITIAL: return a.initialLimit((Integer) v);
            case ADAPTIVE_LIMIT_WINDOW_SIZE: return a.windowSize((Integer) v);
            case ADAPTIVE_LIMIT_WINDOW_DURATION: return a.windowDuration((Duration) v);
            case ADAPTIVE_LIMIT_BACKOFF_RATIO: return a.backoffRatio((Double) v);
            case ADAPTIVE_LIMIT_LATENCY_THRESHOLD: return a.latencyThreshold((Duration) v);
            case ADAPTIVE_LIMIT_TOLERANCE: return a.tolerance((Double) v);
            case ADAPTIVE_LIMIT_SMOOTHING: return a.smoothing((Double) v);
            default: throw new IllegalStateException("not an adaptive-limit setting: " + s);
        }
    }

    private static Object value(Map<Setting, Entry> eff, Setting s, Object otherwise) {
        Entry e = eff.get(s);
        return e != null ? e.value() : otherwise;
    }

    // ---------------------------------------------------------------- checks

    /** Checks the keys of one name (or the defaults): conflicts, then what the builders refuse. */
    private void check(Kind kind, String name, NineLivesProperties.Code code, Set<Problem> problems) {
        Map<Setting, Entry> eff = effective(kind, name);
        Set<Problem> conflicts = new LinkedHashSet<>();
        conflicts(kind, eff, conflicts);
        problems.addAll(conflicts);
        for (Problem c : conflicts) {                         // the builder would only repeat them
            eff.values().removeIf(e -> e.key().equals(c.key()));
        }
        Sink sink = new Sink(problems);
        switch (kind) {
            case BREAKER: {
                CircuitBreakerBuilder b = dev.ninelives.breaker.CircuitBreaker.builder(name);
                applyBreaker(b, eff, null, sink);
                sink.code(kind, name, () -> code.breakers().apply(name, b).build());
                break;
            }
            case RETRY: {
                RetryBuilder b = dev.ninelives.retry.Retry.builder(name);
                applyRetry(b, eff, null, sink);
                sink.code(kind, name, () -> code.retries().apply(name, b).build());
                break;
            }
            case BULKHEAD: {
                BulkheadBuilder b = Bulkhead.builder(name);
                applyBulkhead(b, eff, null, sink);
                sink.code(kind, name, () -> code.bulkheads().apply(name, b).build());
                break;
            }
            case RATE_LIMITER: {
                RateLimiterBuilder b = RateLimiter.builder(name);
                applyRateLimiter(b, eff, null, sink);
                sink.code(kind, name, () -> code.rateLimiters().apply(name, b).build());
                break;
            }
            case HEDGE: {
                HedgeBuilder b = Hedge.builder(name);
                applyHedge(b, eff, null, sink);
                sink.code(kind, name, () -> code.hedges().apply(name, b).build());
                break;
            }
            case PIPELINE: {
                PipelineSpec p = new PipelineSpec(name).breaker();
                applyPipeline(p, eff, sink);
                sink.code(kind, name, () -> code.pipelines().apply(name, p));
                break;
            }
            default:
                throw new IllegalStateException("invalid kind: " + kind);
        }
    }

    private static void conflicts(Kind kind, Map<Setting, Entry> eff, Set<Problem> problems) {
        switch (kind) {
            case BREAKER: {
                Entry count = eff.get(Setting.SLIDING_WINDOW);
                Entry time = eff.get(Setting.SLIDING_TIME_WINDOW);
                Entry buckets = eff.get(Setting.SLIDING_TIME_WINDOW_BUCKETS);
                if (count != null && time != null) {
                    problems.add(conflict(count, time, "a window is either count-based (sliding-window) or time-based (sliding-time-window)"));
                }
                if (buckets != null && time == null) {
                    problems.add(new Problem(buckets.key(), buckets.raw(), "needs sliding-time-window: buckets divide a time-based window"));
                }
                Entry mult = eff.get(Setting.OPEN_DURATION_BACKOFF_MULTIPLIER);
                Entry max = eff.get(Setting.OPEN_DURATION_BACKOFF_MAX);
                if ((mult == null) != (max == null)) {
                    Entry given = mult != null ? mult : max;
                    problems.add(new Problem(given.key(), given.raw(), "open-duration-backoff.multiplier and open-duration-backoff.max go together: give both"));
                }
                break;
            }
            case RETRY: {
                Entry typeEntry = eff.get(Setting.BACKOFF_TYPE);
                BackoffType type = typeEntry != null ? (BackoffType) typeEntry.value() : BackoffType.EXPONENTIAL;
                String typeKey = typeEntry != null ? typeEntry.key() + " = '" + typeEntry.raw() + "'" : "the default backoff.type (exponential)";
                only(eff, Setting.BACKOFF_INCREMENT, type == BackoffType.LINEAR, typeKey, "linear", problems);
                only(eff, Setting.BACKOFF_MULTIPLIER, type == BackoffType.EXPONENTIAL, typeKey, "exponential", problems);
                only(eff, Setting.BACKOFF_INITIAL, type != BackoffType.NONE, typeKey, "constant, linear or exponential", problems);
                only(eff, Setting.BACKOFF_MAX, type == BackoffType.LINEAR || type == BackoffType.EXPONENTIAL, typeKey,
                        "linear or exponential", problems);
                break;
            }
            case HEDGE: {
                Entry fixed = eff.get(Setting.HEDGE_DELAY);
                Entry percentile = eff.get(Setting.HEDGE_DELAY_PERCENTILE);
                if (fixed != null && percentile != null) {
                    problems.add(conflict(fixed, percentile, "the delay is either fixed (delay) or a percentile of the "
                            + "recent latency (delay-percentile)"));
                }
                break;
            }
            case BULKHEAD: {
                adaptiveLimitConflicts(eff, problems);
                Entry queued = eff.get(Setting.MAX_QUEUED);
                Entry wait = eff.get(Setting.MAX_WAIT);
                if (queued != null && (wait == null || ((Duration) wait.value()).isZero())) {
                    problems.add(new Problem(queued.key(), queued.raw(), "needs a positive max-wait"
                            + (wait == null ? " (none is given: waiting is off)" : ", but " + wait.key() + " = '" + wait.raw() + "'")
                            + ": without waiting no caller is ever queued"));
                }
                break;
            }
            default:
                break;
        }
    }

    /**
     * A bulkhead's limit is max-concurrent or adaptive, not both; adaptive-limit keys need the
     * algorithm, and the algorithm's own keys; min, max and initial limits must agree.
     */
    private static void adaptiveLimitConflicts(Map<Setting, Entry> eff, Set<Problem> problems) {
        if (Collections.disjoint(eff.keySet(), ADAPTIVE_LIMIT)) {
            return;
        }
        Entry fixed = eff.get(Setting.MAX_CONCURRENT);
        Entry algorithm = eff.get(Setting.ADAPTIVE_LIMIT_ALGORITHM);
        if (fixed != null) {
            Entry any = algorithm != null ? algorithm : eff.values().stream()
                    .filter(e -> ADAPTIVE_LIMIT.contains(e.setting())).findFirst().orElseThrow();
            problems.add(conflict(fixed, any, "the limit is either fixed (max-concurrent) or adaptive (adaptive-limit.*)"));
        }
        if (algorithm == null) {
            for (Entry e : eff.values()) {
                if (ADAPTIVE_LIMIT.contains(e.setting())) {
                    problems.add(new Problem(e.key(), e.raw(), "needs adaptive-limit.algorithm (aimd or gradient): "
                            + "the adaptive-limit keys tune an algorithm"));
                }
            }
            return;
        }
        String typeKey = algorithm.key() + " = '" + algorithm.raw() + "'";
        boolean aimd = algorithm.value() == AdaptiveLimit.Algorithm.AIMD;
        for (Setting s : AIMD_ONLY) {
            only(eff, s, aimd, typeKey, "aimd", problems);
        }
        for (Setting s : GRADIENT_ONLY) {
            only(eff, s, !aimd, typeKey, "gradient", problems);
        }
        Entry min = eff.get(Setting.ADAPTIVE_LIMIT_MIN);
        Entry max = eff.get(Setting.ADAPTIVE_LIMIT_MAX);
        Entry initial = eff.get(Setting.ADAPTIVE_LIMIT_INITIAL);
        AdaptiveLimit defaults = AdaptiveLimit.named(((AdaptiveLimit.Algorithm) algorithm.value()).name());
        int lo = min != null ? (Integer) min.value() : defaults.minLimit();
        int hi = max != null ? (Integer) max.value() : defaults.maxLimit();
        if (lo > hi) {
            Entry blamed = min != null ? min : max;
            problems.add(new Problem(blamed.key(), blamed.raw(), "min-limit (" + lo + ") must not exceed max-limit (" + hi + ")"));
        } else if (initial != null && ((Integer) initial.value() < lo || (Integer) initial.value() > hi)) {
            problems.add(new Problem(initial.key(), initial.raw(), "must be between min-limit (" + lo + ") and max-limit (" + hi + ")"));
        }
    }

    private static void only(Map<Setting, Entry> eff, Setting s, boolean fits, String typeKey, String types, Set<Problem> problems) {
        Entry e = eff.get(s);
        if (e != null && !fits) {
            problems.add(new Problem(e.key(), e.raw(), "conflicts with " + typeKey + ": " + s.key + " belongs to a "
                    + types + " backoff"));
        }
    }

    private static Problem conflict(Entry a, Entry b, String why) {
        return new Problem(a.key(), a.raw(), "conflicts with " + b.key() + " = '" + b.raw() + "': " + why);
    }

    /**
     * Where a builder's refusals go: collected while checking (the other settings are still
     * applied, so every bad key of a policy is reported), thrown as they are when building for real.
     */
    static final class Sink {
        static final Sink STRICT = new Sink(null);
        private final Set<Problem> problems;
        private boolean refused;

        Sink(Set<Problem> problems) {
            this.problems = problems;
        }

        /**
         * Applies one setting; {@code blame} picks the entry a refusal is reported against, from
         * the message. Returns false if it was refused (while checking).
         */
        boolean attempt(Runnable apply, Function<String, Entry> blame) {
            if (problems == null) {
                apply.run();
                return true;
            }
            try {
                apply.run();
                return true;
            } catch (IllegalArgumentException | NullPointerException | ArithmeticException e) {
                Entry at = blame.apply(String.valueOf(e.getMessage()));
                problems.add(new Problem(at.key(), at.raw(), e.getMessage()));
                refused = true;
                return false;
            }
        }

        boolean attempt(Entry e, Runnable apply) {
            return attempt(apply, m -> e);
        }

        /**
         * Runs the user's customizers and the build, unless a key was refused; a non-fatal
         * throwable (any exception, any error that is not JVM-fatal) is reported against the
         * policy, a JVM-fatal one propagates as it is.
         */
        void code(Kind kind, String name, Runnable run) {
            if (refused) {
                return;
            }
            try {
                run.run();
            } catch (Throwable e) {                           // what a customizer throws is user code's: reported,
                if (Guard.isFatal(e)) {                      // unless the JVM is in trouble (nothing was applied yet)
                    throw e;
                }
                problems.add(new Problem(PREFIX + Setting.keyOf(kind) + "." + name, "",
                        "the policy cannot be built from these keys and the code's customizers: " + e));
            }
        }
    }

    // ---------------------------------------------------------------- building

    /** Applies fixed values (when {@code knobs} is null, to check them) or binds the knobs' adaptives. */
    @SuppressWarnings("unchecked")
    static void applyBreaker(CircuitBreakerBuilder b, Map<Setting, Entry> eff, Knobs knobs, Sink sink) {
        Entry time = eff.get(Setting.SLIDING_TIME_WINDOW);
        if (time != null) {
            Entry buckets = eff.get(Setting.SLIDING_TIME_WINDOW_BUCKETS);
            sink.attempt(() -> {
                if (buckets != null) {
                    b.slidingTimeWindow((Duration) time.value(), (Integer) buckets.value());
                } else {
                    b.slidingTimeWindow((Duration) time.value());
                }
            }, m -> buckets != null && m.contains("buckets") ? buckets : time);
        } else {
            adaptive(Setting.SLIDING_WINDOW, eff, knobs, sink, v -> b.slidingWindow((Integer) v), a -> b.slidingWindow((Adaptive<Integer>) a));
        }
        fixed(Setting.MINIMUM_NUMBER_OF_CALLS, eff, sink, v -> b.minimumNumberOfCalls((Integer) v));
        adaptive(Setting.FAILURE_RATE_THRESHOLD, eff, knobs, sink, v -> b.failureRateThreshold((Float) v),
                a -> b.failureRateThreshold((Adaptive<Float>) a));
        adaptive(Setting.SLOW_CALL_DURATION, eff, knobs, sink, v -> b.slowCallDuration((Duration) v),
                a -> b.slowCallDuration((Adaptive<Duration>) a));
        adaptive(Setting.SLOW_CALL_RATE_THRESHOLD, eff, knobs, sink, v -> b.slowCallRateThreshold((Float) v),
                a -> b.slowCallRateThreshold((Adaptive<Float>) a));
        adaptive(Setting.OPEN_DURATION, eff, knobs, sink, v -> b.openDuration((Duration) v), a -> b.openDuration((Adaptive<Duration>) a));
        Entry mult = eff.get(Setting.OPEN_DURATION_BACKOFF_MULTIPLIER);
        Entry max = eff.get(Setting.OPEN_DURATION_BACKOFF_MAX);
        if (mult != null && max != null) {
            sink.attempt(() -> b.openDurationBackoff((Double) mult.value(), (Duration) max.value()),
                    m -> m.contains("multiplier") ? mult : max);
        }
        adaptive(Setting.PERMITTED_CALLS_IN_HALF_OPEN, eff, knobs, sink, v -> b.permittedCallsInHalfOpen((Integer) v),
                a -> b.permittedCallsInHalfOpen((Adaptive<Integer>) a));
        fixed(Setting.BREAKER_REJECTION_STACK_TRACES, eff, sink, v -> b.rejectionStackTraces((Boolean) v));
    }

    @SuppressWarnings("unchecked")
    static void applyRetry(RetryBuilder b, Map<Setting, Entry> eff, Knobs knobs, Sink sink) {
        adaptive(Setting.MAX_ATTEMPTS, eff, knobs, sink, v -> b.maxAttempts((Integer) v), a -> b.maxAttempts((Adaptive<Integer>) a));
        if (knobs != null) {
            b.backoff((Adaptive<Backoff>) (Adaptive<?>) knobs.get(Setting.BACKOFF_TYPE));
        } else if (!Collections.disjoint(eff.keySet(), BACKOFF)) {
            sink.attempt(() -> b.backoff(backoff(eff)), m -> blameBackoff(eff, m));
        }
        if (!Collections.disjoint(eff.keySet(), BUDGET)) {
            RetryBudgetBuilder budget = RetryBudget.builder();
            adaptive(Setting.BUDGET_RATIO, eff, knobs, sink, v -> budget.ratio((Double) v), a -> budget.ratio((Adaptive<Double>) a));
            fixed(Setting.BUDGET_MIN_RETRIES_PER_SECOND, eff, sink, v -> budget.minRetriesPerSecond((Integer) v));
            fixed(Setting.BUDGET_CAPACITY, eff, sink, v -> budget.capacity((Integer) v));
            sink.attempt(() -> b.budget(budget.build()), m -> eff.values().stream()
                    .filter(e -> BUDGET.contains(e.setting())).findFirst().orElseThrow());
        }
        Entry jitter = eff.get(Setting.JITTER);
        if (jitter != null) {
            sink.attempt(jitter, () -> {
                if (jitter.value() instanceof Jitter j) {
                    b.jitter(j);
                } else {
                    b.jitter((Double) jitter.value());
                }
            });
        }
        fixed(Setting.DEADLINE, eff, sink, v -> b.deadline((Duration) v));
        fixed(Setting.EXHAUSTED_EXCEPTION, eff, sink, v -> b.exhaustedException((Boolean) v));
        fixed(Setting.RETRY_AFTER_ELEMENTS, eff, sink, v -> b.retryAfterElements((Boolean) v));
        fixed(Setting.RESET_ON_ELEMENT, eff, sink, v -> b.resetOnElement((Boolean) v));
        fixed(Setting.RETRY_ON_CALL_NOT_PERMITTED, eff, sink, v -> b.retryOnCallNotPermitted((Boolean) v));
    }

    /** The backoff key a refusal is about: the one whose last word the message names. */
    private static Entry blameBackoff(Map<Setting, Entry> eff, String message) {
        for (Setting s : new Setting[]{Setting.BACKOFF_MULTIPLIER, Setting.BACKOFF_INCREMENT, Setting.BACKOFF_MAX, Setting.BACKOFF_INITIAL}) {
            Entry e = eff.get(s);
            if (e != null && message.contains(s.key.substring("backoff.".length()))) {
                return e;
            }
        }
        for (Setting s : BACKOFF) {
            if (eff.containsKey(s)) {
                return eff.get(s);
            }
        }
        throw new IllegalStateException("no backoff key in " + eff.keySet());
    }

    @SuppressWarnings("unchecked")
    static void applyBulkhead(BulkheadBuilder b, Map<Setting, Entry> eff, Knobs knobs, Sink sink) {
        adaptive(Setting.MAX_CONCURRENT, eff, knobs, sink, v -> b.maxConcurrent((Integer) v), a -> b.maxConcurrent((Adaptive<Integer>) a));
        if (knobs != null) {
            Adaptive<Object> spec = knobs.get(Setting.ADAPTIVE_LIMIT_ALGORITHM);
            if (spec != null) {
                b.adaptiveLimit((Adaptive<AdaptiveLimit>) (Adaptive<?>) spec);
            }
        } else if (eff.containsKey(Setting.ADAPTIVE_LIMIT_ALGORITHM)) {
            boolean fine = true;
            for (Setting s : ADAPTIVE_LIMIT) {                // each key on its own, so every bad one is reported
                Entry e = eff.get(s);
                if (e != null) {
                    fine &= sink.attempt(e, () -> withSetting(AdaptiveLimit.named(((AdaptiveLimit.Algorithm)
                            eff.get(Setting.ADAPTIVE_LIMIT_ALGORITHM).value()).name()), s, e.value()));
                }
            }
            if (fine) {
                sink.attempt(eff.get(Setting.ADAPTIVE_LIMIT_ALGORITHM), () -> b.adaptiveLimit(adaptiveLimit(eff)));
            }
        }
        adaptive(Setting.MAX_WAIT, eff, knobs, sink, v -> b.maxWait((Duration) v), a -> b.maxWait((Adaptive<Duration>) a));
        fixed(Setting.MAX_QUEUED, eff, sink, v -> b.maxQueued((Integer) v));
        fixed(Setting.QUEUE_ORDER, eff, sink, v -> b.queueOrder((Bulkhead.QueueOrder) v));
        fixed(Setting.BULKHEAD_REJECTION_STACK_TRACES, eff, sink, v -> b.rejectionStackTraces((Boolean) v));
    }

    @SuppressWarnings("unchecked")
    static void applyRateLimiter(RateLimiterBuilder b, Map<Setting, Entry> eff, Knobs knobs, Sink sink) {
        adaptive(Setting.LIMIT_FOR_PERIOD, eff, knobs, sink, v -> b.limitForPeriod((Integer) v),
                a -> b.limitForPeriod((Adaptive<Integer>) a));
        adaptive(Setting.PERIOD, eff, knobs, sink, v -> b.period((Duration) v), a -> b.period((Adaptive<Duration>) a));
        adaptive(Setting.BURST, eff, knobs, sink, v -> b.burst((Integer) v), a -> b.burst((Adaptive<Integer>) a));
        adaptive(Setting.RATE_LIMITER_MAX_WAIT, eff, knobs, sink, v -> b.maxWait((Duration) v), a -> b.maxWait((Adaptive<Duration>) a));
        fixed(Setting.RATE_LIMITER_REJECTION_STACK_TRACES, eff, sink, v -> b.rejectionStackTraces((Boolean) v));
    }

    @SuppressWarnings("unchecked")
    static void applyHedge(HedgeBuilder b, Map<Setting, Entry> eff, Knobs knobs, Sink sink) {
        if (eff.containsKey(Setting.HEDGE_DELAY_PERCENTILE)) {
            adaptive(Setting.HEDGE_DELAY_PERCENTILE, eff, knobs, sink, v -> b.delayPercentile((Double) v),
                    a -> b.delayPercentile((Adaptive<Double>) a));
        } else {
            adaptive(Setting.HEDGE_DELAY, eff, knobs, sink, v -> b.delay((Duration) v), a -> b.delay((Adaptive<Duration>) a));
        }
        adaptive(Setting.HEDGE_MIN_DELAY, eff, knobs, sink, v -> b.minDelay((Duration) v), a -> b.minDelay((Adaptive<Duration>) a));
        fixed(Setting.HEDGE_WINDOW, eff, sink, v -> b.window((Integer) v));
        adaptive(Setting.HEDGE_MAX_HEDGES, eff, knobs, sink, v -> b.maxHedges((Integer) v), a -> b.maxHedges((Adaptive<Integer>) a));
        if (knobs != null) {
            b.budgetRatio((Adaptive<Double>) (Adaptive<?>) knobs.get(Setting.HEDGE_BUDGET_RATIO));
            b.budgetBurst((Adaptive<Integer>) (Adaptive<?>) knobs.get(Setting.HEDGE_BUDGET_BURST));
        } else {
            Entry ratio = eff.get(Setting.HEDGE_BUDGET_RATIO);
            Entry burst = eff.get(Setting.HEDGE_BUDGET_BURST);
            double defaultRatio = (Double) Setting.HEDGE_BUDGET_RATIO.defaultValue;
            int defaultBurst = (Integer) Setting.HEDGE_BUDGET_BURST.defaultValue;
            boolean fine = true;                               // each key on its own, so both bad ones are reported
            if (ratio != null) {
                fine &= sink.attempt(ratio, () -> b.budget((Double) ratio.value(), defaultBurst));
            }
            if (burst != null) {
                fine &= sink.attempt(burst, () -> b.budget(defaultRatio, (Integer) burst.value()));
            }
            if (fine) {
                b.budget((Double) value(eff, Setting.HEDGE_BUDGET_RATIO, defaultRatio),
                        (Integer) value(eff, Setting.HEDGE_BUDGET_BURST, defaultBurst));
            }
        }
    }

    static void applyPipeline(PipelineSpec p, Map<Setting, Entry> eff, Sink sink) {
        Entry breaker = eff.get(Setting.PIPELINE_BREAKER);
        if (breaker != null) {
            String used = stage(eff, Setting.PIPELINE_BREAKER, p.name());
            sink.attempt(breaker, () -> {
                if (used == null) {
                    p.noBreaker();
                } else {
                    p.breaker(used);
                }
            });
        }
        Entry retry = eff.get(Setting.PIPELINE_RETRY);
        if (retry != null) {
            String used = stage(eff, Setting.PIPELINE_RETRY, p.name());
            sink.attempt(retry, () -> {
                if (used == null) {
                    p.noRetry();
                } else {
                    p.retry(used);
                }
            });
        }
        Entry bulkhead = eff.get(Setting.PIPELINE_BULKHEAD);
        if (bulkhead != null) {
            String used = stage(eff, Setting.PIPELINE_BULKHEAD, p.name());
            sink.attempt(bulkhead, () -> {
                if (used == null) {
                    p.noBulkhead();
                } else {
                    p.bulkhead(used);
                }
            });
        }
        Entry rateLimiter = eff.get(Setting.PIPELINE_RATE_LIMITER);
        if (rateLimiter != null) {
            String used = stage(eff, Setting.PIPELINE_RATE_LIMITER, p.name());
            sink.attempt(rateLimiter, () -> {
                if (used == null) {
                    p.noRateLimiter();
                } else {
                    p.rateLimiter(used);
                }
            });
        }
        Entry hedge = eff.get(Setting.PIPELINE_HEDGE);
        if (hedge != null) {
            String used = stage(eff, Setting.PIPELINE_HEDGE, p.name());
            sink.attempt(hedge, () -> {
                if (used == null) {
                    p.noHedge();
                } else {
                    p.hedge(used);
                }
            });
        }
        fixed(Setting.TIMEOUT, eff, sink, v -> p.timeout((Duration) v));
        fixed(Setting.ATTEMPT_TIMEOUT, eff, sink, v -> p.attemptTimeout((Duration) v));
    }

    private static void fixed(Setting s, Map<Setting, Entry> eff, Sink sink, Consumer<Object> apply) {
        Entry e = eff.get(s);
        if (e != null) {
            sink.attempt(e, () -> apply.accept(e.value()));
        }
    }

    private static void adaptive(Setting s, Map<Setting, Entry> eff, Knobs knobs, Sink sink, Consumer<Object> fixed,
                                 Consumer<Adaptive<?>> bind) {
        if (knobs != null) {
            Adaptive<Object> a = knobs.get(s);
            if (a != null) {
                bind.accept(a);
            }
        } else {
            fixed(s, eff, sink, fixed);
        }
    }

    // ---------------------------------------------------------------- knobs

    /**
     * The adaptives the loader owns for one policy instance, one per adaptive setting it binds
     * (the whole backoff under {@link Setting#BACKOFF_TYPE}). A reload that changes only these
     * sets them; the policy follows, keeping its state.
     */
    static final class Knobs {
        private final Map<Setting, Adaptive<Object>> adaptives = new EnumMap<>(Setting.class);

        /** Makes the knobs of a new policy from its settings. */
        static Knobs of(Kind kind, Map<Setting, Entry> eff) {
            Knobs k = new Knobs();
            for (Setting s : Setting.of(kind)) {
                if (!s.adaptive || BACKOFF.contains(s) && s != Setting.BACKOFF_TYPE
                        || ADAPTIVE_LIMIT.contains(s) && s != Setting.ADAPTIVE_LIMIT_ALGORITHM) {
                    continue;                                  // carried by the knob of the whole backoff or adaptive limit
                }
                if (s == Setting.MAX_CONCURRENT && eff.containsKey(Setting.ADAPTIVE_LIMIT_ALGORITHM)) {
                    continue;                                  // an adaptive limit moves the limit itself
                }
                if (s == Setting.SLIDING_WINDOW && eff.containsKey(Setting.SLIDING_TIME_WINDOW)) {
                    continue;                                  // a time-based window has no adaptive size
                }
                if (s == Setting.HEDGE_DELAY && eff.containsKey(Setting.HEDGE_DELAY_PERCENTILE)) {
                    continue;                                  // a percentile delay has no fixed delay to change
                }
                Object v = adaptiveValue(s, eff);
                if (v != null) {                               // slow calls off: nothing to bind
                    k.adaptives.put(s, Adaptive.of(v));
                }
            }
            return k;
        }

        Adaptive<Object> get(Setting s) {
            return adaptives.get(s);
        }

        /** The knob a change of {@code s} goes through: the backoff's for every backoff key (the adaptive limit's alike); null if none. */
        Adaptive<Object> knobOf(Setting s) {
            return adaptives.get(BACKOFF.contains(s) ? Setting.BACKOFF_TYPE
                    : ADAPTIVE_LIMIT.contains(s) ? Setting.ADAPTIVE_LIMIT_ALGORITHM : s);
        }

        /** Sets every knob to its value in {@code eff}; each set is checked by the policy bound to it. */
        void set(Map<Setting, Entry> eff) {
            adaptives.forEach((s, a) -> a.set(adaptiveValue(s, eff)));
        }

        /** Tells whether each knob has a value in {@code eff} (slow calls turned off have none). */
        boolean fits(Map<Setting, Entry> eff) {
            for (Setting s : adaptives.keySet()) {
                if (adaptiveValue(s, eff) == null) {
                    return false;
                }
            }
            return true;
        }
    }
}
