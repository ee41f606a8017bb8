package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerBuilder;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadBuilder;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeBuilder;
import dev.ninelives.internal.Check;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterBuilder;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.PropertyModel.Entry;
import dev.ninelives.reactor.registry.PropertyModel.Knobs;
import dev.ninelives.reactor.registry.PropertyModel.Sink;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.ReloadReport.Action;
import dev.ninelives.reactor.registry.ReloadReport.PolicyChange;
import dev.ninelives.reactor.registry.ReloadReport.SettingChange;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBuilder;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/*
 * The loader keeps the parsed keys in force (`model`, volatile: a policy created on first use reads
 * it) and, per policy instance it built, what it was built from (`built`, keyed by the instance:
 * policies compare by identity). The registry creates policies through the loader's factories, so
 * every policy of a loaded registry is built here, with adaptives of its own (its Knobs) bound to
 * its adaptive settings. A policy the user registered or swapped in is not in `built`, and a
 * reload leaves it alone.
 *
 * A reload runs in two phases. First everything that can fail: parse and check the map (every
 * problem collected, the user's customizers run on throwaway builders), then build every
 * replacement and every added breaker, retry and bulkhead, and fill the spec of every pipeline
 * to rebuild or add (the customizers run again there). Nothing is visible yet: a failure leaves
 * the registry, the knobs and `model` as they were. Then the changes, which the checks made safe:
 * `model` swapped, knobs set (each policy follows, state kept), replacements and additions handed
 * to the registry, removals, and last the pipelines, assembled from their specs once the policies
 * they name are in place (a pipeline holds its policies, so one whose stage was replaced must be
 * rebuilt). A JVM-fatal error from a registry listener during these steps is held until every
 * step is applied, then rethrown. Reloads are serialized by a flag (a second reload while one
 * runs is refused). A policy created on first use while a reload runs may be built from the keys
 * before it (`model` is read once per creation); the next reload judges it like any other.
 *
 * A policy leaves `built` when the registry announces its removal or replacement, by a reload or
 * by the user. Race losers of a first-use creation (the registry keeps one instance per name and
 * announces nothing of the others) stay in `built` until they are collected with the loader; they
 * are a handful of entries at most.
 */

/**
 * A {@link NineLivesRegistry} built from flat keys, the way Spring users write them, and reloaded
 * from new keys while the service runs, keeping the state of every policy whose changes are
 * adaptive.
 *
 * <pre>{@code
 * Map<String, String> keys = Map.of(
 *     "ninelives.breaker.default.sliding-window", "50",
 *     "ninelives.breaker.inventory.failure-rate-threshold", "25",
 *     "ninelives.retry.inventory.backoff.initial", "100ms",
 *     "ninelives.pipeline.inventory.retry", "true");
 * NineLivesProperties properties = NineLivesProperties.load(keys);
 * Pipeline inventory = properties.registry().pipeline("inventory");
 * ...
 * ReloadReport report = properties.reload(newKeys);   // thresholds change in place, the breaker stays OPEN
 * }</pre>
 *
 * <h2>Keys</h2>
 * {@code ninelives.<kind>.<name>.<setting>=<value>}, with kind {@code breaker}, {@code retry},
 * {@code bulkhead}, {@code rate-limiter} (relaxed forms too: {@code rateLimiter}), {@code hedge} or {@code pipeline}. The name {@code default} holds the defaults every policy
 * of that kind starts from (a policy's own key overrides the default's); so no policy can be
 * named {@code default}, and names contain no dot. Keys outside the {@code ninelives.} prefix are
 * ignored (a Spring {@code Environment} holds many). Settings may be written in kebab-case,
 * camelCase or snake_case ({@code failure-rate-threshold}, {@code failureRateThreshold},
 * {@code failure_rate_threshold}); {@link #settings(Kind)} lists them. Values: durations as
 * {@code 100ms}, {@code 2s}, {@code 1m}, {@code 1h}, {@code 1d} (also {@code us}, {@code ns}), ISO-8601
 * ({@code PT2S}), or a bare number of milliseconds; percentages as {@code 50}, {@code 50.0} or
 * {@code 50%}; booleans as {@code true}/{@code false}; names of constants in any case. A
 * pipeline's stages are {@code true} (the policy of the pipeline's name), {@code false} (none) or
 * the name of another policy; without keys a pipeline has its breaker only. The {@code budget.*}
 * keys of a retry give it a retry budget of its own; a budget shared by several policies is
 * given in code.
 *
 * <p>YAML is left to Spring (which flattens {@code application.yml} into exactly these keys) or
 * to the caller: this class reads a map, {@link Properties} or a {@code .properties} file.
 *
 * <h2>Errors</h2>
 * A map with bad keys is refused as a whole with one {@link PropertiesException} that lists every
 * bad key, its value and why: an unknown key (with the nearest known key suggested), a value that
 * does not parse, a value out of range (the builder's own message), keys that conflict. Nothing is
 * applied then.
 *
 * <h2>Keys and code</h2>
 * What text cannot say (the predicates {@code recordFailureIf} and {@code retryIf}, result
 * predicates, backoff functions, tickers, schedulers) comes from code: give the {@link Builder}
 * customizers, which run on each policy's builder after its keys, on every creation (on load,
 * on first use, and for the replacement a reload builds). A setting a customizer sets wins over
 * the keys, and a reload of that key no longer reaches the policy.
 *
 * <h2>Reload</h2>
 * {@link #reload(Map)} applies a new map to the same registry and returns a {@link ReloadReport}:
 * <ul>
 * <li>a changed adaptive setting ({@link #isAdaptive}: thresholds, slow-call duration, open
 *     duration, half-open calls, count window size, attempts, backoff, budget ratio, bulkhead
 *     limit and wait, every {@code adaptive-limit.*} key of a bulkhead, a rate limiter's limit
 *     for period, period, burst and maximum wait, a hedge's delay or delay percentile, minimum
 *     delay, most hedges and budget ratio and burst) is set in place, on the adaptive the loader
 *     bound the policy to: the policy keeps its state (an OPEN breaker stays OPEN with its
 *     deadline, a window keeps its outcomes, a bulkhead its permits in flight and the limit its
 *     adaptive limit reached, a rate limiter the permits spent, a hedge its latency window, the
 *     delay it measured and its budget's tokens);</li>
 * <li>a hedge's delay is fixed ({@code delay}) or a percentile ({@code delay-percentile}):
 *     changing one for the other replaces the hedge; so does a new {@code window};</li>
 * <li>a bulkhead's adaptive limit changes in place whatever its keys say, its algorithm
 *     included: the next window is judged by the new specification, from the limit reached,
 *     which moves only if it lies outside the new {@code [min-limit, max-limit]} (a changed
 *     {@code initial-limit} does not move it: it is where a new bulkhead starts). Turning the
 *     adaptive limit on or off (a fixed {@code max-concurrent} for {@code adaptive-limit.*} keys,
 *     or the reverse) replaces the bulkhead;</li>
 * <li>a rate limiter's {@code burst} is in place while it is given before and after; giving it
 *     where the burst followed the limit, or dropping it, replaces the limiter;</li>
 * <li>any other changed setting replaces the policy ({@link NineLivesRegistry#replace}): the new
 *     one starts from a fresh state, and the pipelines that used the old one are rebuilt;</li>
 * <li>a name that appears in the keys is added, one that disappears is removed;</li>
 * <li>a change of a {@code default} key reaches every policy that does not override it, those
 *     created on first use included.</li>
 * </ul>
 * A reload whose map is invalid throws like a load and changes nothing. A reload whose
 * customizers throw on a replacement's builder changes nothing either, and throws what they threw.
 * A reload started while another one runs is refused with an {@link IllegalStateException}.
 */
public final class NineLivesProperties {

    private static final Kind[] POLICIES = {Kind.BREAKER, Kind.RETRY, Kind.BULKHEAD, Kind.RATE_LIMITER, Kind.HEDGE};
    private static final VarHandle RELOADING;

    static {
        try {
            RELOADING = MethodHandles.lookup().findVarHandle(NineLivesProperties.class, "reloading", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Code code;
    private final NineLivesRegistry registry;
    private volatile PropertyModel model;
    private final ConcurrentHashMap<Object, Built> built = new ConcurrentHashMap<>();
    /** 1 while a reload runs; accessed through RELOADING. */
    @SuppressWarnings("unused")
    private volatile int reloading;

    /** A policy the loader built, and what from. */
    private record Built(Kind kind, String name, Map<Setting, Entry> effective, Knobs knobs, Object policy) {
    }

    private NineLivesProperties(Code code, PropertyModel model) {
        this.code = code;
        this.model = model;
        this.registry = NineLivesRegistry.builder().factories(new NineLivesRegistry.Factories(
                name -> keep(buildBreaker(name, this.model)), name -> keep(buildRetry(name, this.model)),
                name -> keep(buildBulkhead(name, this.model)), name -> keep(buildRateLimiter(name, this.model)),
                name -> keep(buildHedge(name, this.model)),
                name -> keep(buildPipeline(name, this.model)))).build();
        this.registry.onEvent(this::forget);
    }

    /** Forgets a policy the registry no longer holds, whoever removed or replaced it. */
    private void forget(RegistryEvent e) {
        if (e.type() == RegistryEvent.Type.REMOVED) {
            built.remove(e.policy());
        } else if (e.type() == RegistryEvent.Type.REPLACED) {
            built.remove(e.previous());
        }
    }

    @SuppressWarnings("unchecked")
    private <P> P keep(Built b) {
        built.put(b.policy(), b);
        return (P) b.policy();
    }

    // ---------------------------------------------------------------- loading

    /**
     * Starts a loader with customizers: code that configures what keys cannot.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a registry from the {@code ninelives.*} keys of {@code keys}; the policies the keys
     * name are created now, any other on first use from the defaults.
     *
     * @param keys the keys and values; keys outside {@code ninelives.} are ignored
     * @return the loader, holding the registry
     * @throws NullPointerException if {@code keys} is null
     * @throws PropertiesException  listing every bad key; nothing is built
     */
    public static NineLivesProperties load(Map<String, String> keys) {
        return builder().load(keys);
    }

    /**
     * Builds a registry from the {@code ninelives.*} properties of {@code properties}; see {@link #load(Map)}.
     *
     * @param properties the properties (defaults included)
     * @return the loader, holding the registry
     * @throws NullPointerException if {@code properties} is null
     * @throws PropertiesException  listing every bad key; nothing is built
     */
    public static NineLivesProperties load(Properties properties) {
        return builder().load(properties);
    }

    /**
     * Builds a registry from a {@code .properties} file, read as UTF-8; see {@link #load(Map)}.
     *
     * @param file the file
     * @return the loader, holding the registry
     * @throws NullPointerException if {@code file} is null
     * @throws UncheckedIOException if the file cannot be read
     * @throws PropertiesException  listing every bad key; nothing is built
     */
    public static NineLivesProperties load(Path file) {
        return builder().load(file);
    }

    /**
     * The registry the keys built; the same instance for the loader's life, reloads included.
     *
     * @return the registry
     */
    public NineLivesRegistry registry() {
        return registry;
    }

    /**
     * The {@code ninelives.*} keys in force (those of the last successful load or reload), sorted.
     *
     * @return an unmodifiable map
     */
    public SortedMap<String, String> keys() {
        return model.source;
    }

    /**
     * The settings a key of {@code kind} may name after {@code ninelives.<kind>.<name>.}, in
     * kebab-case, in the order of the docs' table.
     *
     * @param kind the kind of policy
     * @return the settings
     * @throws NullPointerException if {@code kind} is null
     */
    public static List<String> settings(Kind kind) {
        Check.notNull(kind, "kind");
        List<String> keys = new ArrayList<>();
        for (Setting s : Setting.of(kind)) {
            keys.add(s.key);
        }
        return List.copyOf(keys);
    }

    /**
     * Tells whether a change of a setting is applied in place by {@link #reload(Map)} (true), or
     * replaces the policy (false).
     *
     * @param kind    the kind of policy
     * @param setting the setting, in any relaxed spelling
     * @return true for an adaptive setting
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code kind} has no such setting
     */
    public static boolean isAdaptive(Kind kind, String setting) {
        Check.notNull(kind, "kind");
        Check.notNull(setting, "setting");
        Setting s = Setting.find(kind, setting);
        if (s == null) {
            throw new IllegalArgumentException("setting must be one of " + settings(kind) + ", but was '" + setting + "'");
        }
        return s.adaptive;
    }

    private void createDeclared() {
        PropertyModel m = model;
        m.declared(Kind.BREAKER).forEach(registry::breaker);
        m.declared(Kind.RETRY).forEach(registry::retry);
        m.declared(Kind.BULKHEAD).forEach(registry::bulkhead);
        m.declared(Kind.RATE_LIMITER).forEach(registry::rateLimiter);
        m.declared(Kind.HEDGE).forEach(registry::hedge);
        m.declared(Kind.PIPELINE).forEach(registry::pipeline);
    }

    // ---------------------------------------------------------------- building

    private Built buildBreaker(String name, PropertyModel m) {
        Map<Setting, Entry> eff = m.effective(Kind.BREAKER, name);
        Knobs knobs = Knobs.of(Kind.BREAKER, eff);
        CircuitBreakerBuilder b = CircuitBreaker.builder(name);
        PropertyModel.applyBreaker(b, eff, knobs, Sink.STRICT);
        return new Built(Kind.BREAKER, name, eff, knobs, code.breakers().apply(name, b).build());
    }

    private Built buildRetry(String name, PropertyModel m) {
        Map<Setting, Entry> eff = m.effective(Kind.RETRY, name);
        Knobs knobs = Knobs.of(Kind.RETRY, eff);
        RetryBuilder b = Retry.builder(name);
        PropertyModel.applyRetry(b, eff, knobs, Sink.STRICT);
        return new Built(Kind.RETRY, name, eff, knobs, code.retries().apply(name, b).build());
    }

    private Built buildBulkhead(String name, PropertyModel m) {
        Map<Setting, Entry> eff = m.effective(Kind.BULKHEAD, name);
        Knobs knobs = Knobs.of(Kind.BULKHEAD, eff);
        BulkheadBuilder b = Bulkhead.builder(name);
        PropertyModel.applyBulkhead(b, eff, knobs, Sink.STRICT);
        return new Built(Kind.BULKHEAD, name, eff, knobs, code.bulkheads().apply(name, b).build());
    }

    private Built buildRateLimiter(String name, PropertyModel m) {
        Map<Setting, Entry> eff = m.effective(Kind.RATE_LIMITER, name);
        Knobs knobs = Knobs.of(Kind.RATE_LIMITER, eff);
        RateLimiterBuilder b = RateLimiter.builder(name);
        PropertyModel.applyRateLimiter(b, eff, knobs, Sink.STRICT);
        return new Built(Kind.RATE_LIMITER, name, eff, knobs, code.rateLimiters().apply(name, b).build());
    }

    private Built buildHedge(String name, PropertyModel m) {
        Map<Setting, Entry> eff = m.effective(Kind.HEDGE, name);
        Knobs knobs = Knobs.of(Kind.HEDGE, eff);
        HedgeBuilder b = Hedge.builder(name);
        PropertyModel.applyHedge(b, eff, knobs, Sink.STRICT);
        return new Built(Kind.HEDGE, name, eff, knobs, code.hedges().apply(name, b).build());
    }

    private Built buildPipeline(String name, PropertyModel m) {
        return new Built(Kind.PIPELINE, name, m.effective(Kind.PIPELINE, name), new Knobs(),
                registry.assemble(pipelineSpec(name, m)));
    }

    /** The stages of a pipeline: the built-in default (its breaker), its keys, then the customizers. */
    private PipelineSpec pipelineSpec(String name, PropertyModel m) {
        PipelineSpec spec = new PipelineSpec(name).breaker();
        PropertyModel.applyPipeline(spec, m.effective(Kind.PIPELINE, name), Sink.STRICT);
        return code.pipelines().apply(name, spec);
    }

    /** Assembles a planned pipeline from its spec, its stages looked up in the registry as it is now. */
    private Built assembled(Step s) {
        return new Built(Kind.PIPELINE, s.name(), s.effective(), new Knobs(), registry.assemble(s.spec()));
    }

    private Built build(Kind kind, String name, PropertyModel m) {
        switch (kind) {
            case BREAKER: return buildBreaker(name, m);
            case RETRY: return buildRetry(name, m);
            case BULKHEAD: return buildBulkhead(name, m);
            case RATE_LIMITER: return buildRateLimiter(name, m);
            case HEDGE: return buildHedge(name, m);
            case PIPELINE: return buildPipeline(name, m);
            default: throw new IllegalStateException("invalid kind: " + kind);
        }
    }

    private Map<String, ?> held(Kind kind) {
        switch (kind) {
            case BREAKER: return registry.breakers();
            case RETRY: return registry.retries();
            case BULKHEAD: return registry.bulkheads();
            case RATE_LIMITER: return registry.rateLimiters();
            case HEDGE: return registry.hedges();
            case PIPELINE: return registry.pipelines();
            default: throw new IllegalStateException("invalid kind: " + kind);
        }
    }

    // ---------------------------------------------------------------- reload

    /**
     * Applies new keys to the same registry: adaptive settings change in place, other changes
     * replace their policy, names that appear are added and names that disappear removed (see
     * the class comment).
     *
     * @param keys the new keys and values, complete (a key left out goes back to its default)
     * @return what changed, per policy
     * @throws NullPointerException  if {@code keys} is null
     * @throws PropertiesException   listing every bad key; nothing changed
     * @throws IllegalStateException if another reload is running; nothing changed
     */
    public ReloadReport reload(Map<String, String> keys) {
        Check.notNull(keys, "keys");
        if (!RELOADING.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("Cannot reload the NineLives configuration: another reload is running");
        }
        try {
            return apply(PropertyModel.parse(keys, code));
        } finally {
            RELOADING.setVolatile(this, 0);
        }
    }

    /**
     * Applies new properties; see {@link #reload(Map)}.
     *
     * @param properties the new properties (defaults included)
     * @return what changed, per policy
     * @throws NullPointerException  if {@code properties} is null
     * @throws PropertiesException   listing every bad key; nothing changed
     * @throws IllegalStateException if another reload is running; nothing changed
     */
    public ReloadReport reload(Properties properties) {
        return reload(toMap(properties));
    }

    /**
     * Applies a {@code .properties} file, read as UTF-8; see {@link #reload(Map)}.
     *
     * @param file the file
     * @return what changed, per policy
     * @throws NullPointerException  if {@code file} is null
     * @throws UncheckedIOException  if the file cannot be read; nothing changed
     * @throws PropertiesException   listing every bad key; nothing changed
     * @throws IllegalStateException if another reload is running; nothing changed
     */
    public ReloadReport reload(Path file) {
        return reload(read(file));
    }

    /**
     * One planned change of a policy. For a pipeline to replace or add, {@code spec} is its spec,
     * filled (customizers run) in the first phase and assembled in the second, once the policies
     * it names are in place.
     */
    private record Step(Kind kind, String name, Action action, Built was, Built next, Map<Setting, Entry> effective,
                        PipelineSpec spec, List<SettingChange> settings) {
    }

    private ReloadReport apply(PropertyModel next) {
        PropertyModel prev = model;
        // Phase 1: plan, and build every new instance; nothing is visible yet.
        List<Step> steps = new ArrayList<>();
        Map<Kind, Map<String, String>> gone = new HashMap<>();     // names whose instance is replaced or removed, and which
        for (Kind kind : POLICIES) {
            Set<String> wasDeclared = prev.declared(kind);
            Set<String> isDeclared = next.declared(kind);
            Map<String, String> goneOfKind = new HashMap<>();
            gone.put(kind, goneOfKind);
            Map<String, ?> held = held(kind);
            held.forEach((name, policy) -> {
                Built b = built.get(policy);
                if (b == null) {
                    return;                                    // registered by the user: not ours to change
                }
                if (wasDeclared.contains(name) && !isDeclared.contains(name)) {
                    steps.add(new Step(kind, name, Action.REMOVED, b, null, null, null, List.of()));
                    goneOfKind.put(name, "removed");
                    return;
                }
                Map<Setting, Entry> eff = next.effective(kind, name);
                List<SettingChange> diff = diff(b, eff);
                if (diff.isEmpty()) {
                    return;
                }
                if (diff.stream().allMatch(SettingChange::inPlace)) {
                    steps.add(new Step(kind, name, Action.CHANGED, b, null, eff, null, diff));
                } else {
                    steps.add(new Step(kind, name, Action.REPLACED, b, build(kind, name, next), eff, null, diff));
                    goneOfKind.put(name, "replaced");
                }
            });
            for (String name : isDeclared) {
                if (!held.containsKey(name)) {
                    steps.add(new Step(kind, name, Action.ADDED, null, build(kind, name, next), null, null, List.of()));
                }
            }
        }
        planPipelines(prev, next, gone, steps);
        // Phase 2: apply. The checks and the builds above make each step safe; a JVM-fatal error
        // (from a registry listener) is rethrown once every step is applied.
        model = next;
        List<PolicyChange> report = new ArrayList<>();
        Error fatal = null;
        for (Step s : steps) {
            try {
                applyStep(s);
            } catch (VirtualMachineError | LinkageError f) {
                fatal = fatal != null ? fatal : f;
            }
            report.add(new PolicyChange(s.kind(), s.name(), s.action(), s.settings()));
        }
        if (fatal != null) {
            throw fatal;
        }
        return new ReloadReport(report);
    }

    /** Plans the pipelines: those whose keys changed or whose stage is replaced or removed are rebuilt. */
    private void planPipelines(PropertyModel prev, PropertyModel next, Map<Kind, Map<String, String>> gone, List<Step> steps) {
        Set<String> wasDeclared = prev.declared(Kind.PIPELINE);
        Set<String> isDeclared = next.declared(Kind.PIPELINE);
        Map<String, Pipeline> held = registry.pipelines();
        held.forEach((name, pipeline) -> {
            Built b = built.get(pipeline);
            if (b == null) {
                return;
            }
            if (wasDeclared.contains(name) && !isDeclared.contains(name)) {
                steps.add(new Step(Kind.PIPELINE, name, Action.REMOVED, b, null, null, null, List.of()));
                return;
            }
            List<SettingChange> diff = diff(b, next.effective(Kind.PIPELINE, name));
            stale("breaker", pipeline.breaker().map(CircuitBreaker::name), gone.get(Kind.BREAKER), diff);
            stale("retry", pipeline.retry().map(Retry::name), gone.get(Kind.RETRY), diff);
            stale("bulkhead", pipeline.bulkhead().map(Bulkhead::name), gone.get(Kind.BULKHEAD), diff);
            stale("rate-limiter", pipeline.rateLimiter().map(RateLimiter::name), gone.get(Kind.RATE_LIMITER), diff);
            stale("hedge", pipeline.hedge().map(Hedge::name), gone.get(Kind.HEDGE), diff);
            if (!diff.isEmpty()) {
                steps.add(new Step(Kind.PIPELINE, name, Action.REPLACED, b, null, next.effective(Kind.PIPELINE, name),
                        pipelineSpec(name, next), diff));
            }
        });
        for (String name : isDeclared) {
            if (!held.containsKey(name)) {
                steps.add(new Step(Kind.PIPELINE, name, Action.ADDED, null, null, next.effective(Kind.PIPELINE, name),
                        pipelineSpec(name, next), List.of()));
            }
        }
    }

    /**
     * Adds a change to a pipeline whose stage is a policy this reload replaces or removes: the
     * pipeline holds the old instance, so it is rebuilt with the registry's policy of that name
     * (for a removed one, created anew from the defaults on first use).
     */
    private static void stale(String stage, Optional<String> used, Map<String, String> gone, List<SettingChange> diff) {
        used.filter(gone::containsKey).ifPresent(n -> diff.add(new SettingChange(stage, n, n + " (" + gone.get(n) + ")", false)));
    }

    private void applyStep(Step s) {
        switch (s.action()) {
            case CHANGED:
                s.was().knobs().set(s.effective());
                built.put(s.was().policy(), new Built(s.kind(), s.name(), s.effective(), s.was().knobs(), s.was().policy()));
                break;
            case REPLACED: {
                Built next = s.kind() == Kind.PIPELINE ? assembled(s) : s.next();
                keep(next);
                try {
                    replace(next.policy());
                } finally {
                    built.remove(s.was().policy());
                }
                break;
            }
            case ADDED:
            {
                Built next = s.kind() == Kind.PIPELINE ? assembled(s) : s.next();
                keep(next);
                try {
                    register(next.policy());
                } catch (IllegalStateException created) {
                    built.remove(next.policy());               // created on first use meanwhile, from the new keys
                }
                break;
            }
            case REMOVED:
                try {
                    remove(s.kind(), s.name());
                } finally {
                    built.remove(s.was().policy());
                }
                break;
            default:
                throw new IllegalStateException("invalid action: " + s.action());
        }
    }

    /** The settings that differ between what {@code b} was built from and {@code eff}; each in place if a knob carries it. */
    private static List<SettingChange> diff(Built b, Map<Setting, Entry> eff) {
        List<SettingChange> changes = new ArrayList<>();
        boolean knobsFit = b.knobs().fits(eff);
        for (Setting s : Setting.of(b.kind())) {
            Entry was = b.effective().get(s);
            Entry is = eff.get(s);
            if (Objects.equals(was == null ? null : was.value(), is == null ? null : is.value())) {
                continue;
            }
            boolean inPlace = s.adaptive && knobsFit && b.knobs().knobOf(s) != null;
            changes.add(new SettingChange(s.key, was == null ? "default" : was.raw().trim(),
                    is == null ? "default" : is.raw().trim(), inPlace));
        }
        return changes;
    }

    private void replace(Object policy) {
        if (policy instanceof CircuitBreaker p) {
            registry.replace(p);
        } else if (policy instanceof Retry p) {
            registry.replace(p);
        } else if (policy instanceof Bulkhead p) {
            registry.replace(p);
        } else if (policy instanceof RateLimiter p) {
            registry.replace(p);
        } else if (policy instanceof Hedge p) {
            registry.replace(p);
        } else {
            registry.replace((Pipeline) policy);
        }
    }

    private void register(Object policy) {
        if (policy instanceof CircuitBreaker p) {
            registry.register(p);
        } else if (policy instanceof Retry p) {
            registry.register(p);
        } else if (policy instanceof Bulkhead p) {
            registry.register(p);
        } else if (policy instanceof RateLimiter p) {
            registry.register(p);
        } else if (policy instanceof Hedge p) {
            registry.register(p);
        } else {
            registry.register((Pipeline) policy);
        }
    }

    private void remove(Kind kind, String name) {
        switch (kind) {
            case BREAKER -> registry.removeBreaker(name);
            case RETRY -> registry.removeRetry(name);
            case BULKHEAD -> registry.removeBulkhead(name);
            case RATE_LIMITER -> registry.removeRateLimiter(name);
            case HEDGE -> registry.removeHedge(name);
            default -> registry.removePipeline(name);
        }
    }

    // ---------------------------------------------------------------- input

    private static Map<String, String> toMap(Properties properties) {
        Check.notNull(properties, "properties");
        Map<String, String> map = new LinkedHashMap<>();
        for (String k : properties.stringPropertyNames()) {
            map.put(k, properties.getProperty(k));
        }
        return map;
    }

    private static Map<String, String> read(Path file) {
        Check.notNull(file, "file");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the NineLives properties file " + file + ": " + e.getMessage(), e);
        }
        return toMap(p);
    }

    /** Reads as {@code NineLivesProperties{12 keys, NineLivesRegistry{...}}}. */
    @Override
    public String toString() {
        return "NineLivesProperties{" + model.source.size() + " keys, " + registry + '}';
    }

    // ---------------------------------------------------------------- code

    /** The customizers of one kind: every policy's, then the name's, in the order given. */
    static final class Customizers<B> {
        private final List<Consumer<? super B>> all = new ArrayList<>();
        private final Map<String, List<Consumer<? super B>>> byName = new HashMap<>();

        Customizers<B> copy() {
            Customizers<B> c = new Customizers<>();
            c.all.addAll(all);
            byName.forEach((n, l) -> c.byName.put(n, List.copyOf(l)));
            return c;
        }

        B apply(String name, B builder) {
            for (Consumer<? super B> c : all) {
                c.accept(builder);
            }
            for (Consumer<? super B> c : byName.getOrDefault(name, List.of())) {
                c.accept(builder);
            }
            return builder;
        }
    }

    /** The user's customizers, fixed when the loader is built. */
    record Code(Customizers<CircuitBreakerBuilder> breakers, Customizers<RetryBuilder> retries,
                Customizers<BulkheadBuilder> bulkheads, Customizers<RateLimiterBuilder> rateLimiters,
                Customizers<HedgeBuilder> hedges, Customizers<PipelineSpec> pipelines) {
    }

    /**
     * Configures a loader: code that sets what keys cannot, on every policy of a kind or on one
     * name's. Each customizer runs on the policy's builder after the keys have been applied, on
     * every creation (the load, a first use, a replacement built by a reload, and once more on a
     * throwaway builder while the keys are checked), so it should only configure the builder it
     * is given. A customizer that throws fails the load or the reload, which then changes nothing.
     *
     * <pre>{@code
     * NineLivesProperties properties = NineLivesProperties.builder()
     *     .breakerDefaults(b -> b.recordFailureIf(e -> !(e instanceof IllegalArgumentException)))
     *     .retry("quotes", r -> r.retryIf(e -> e instanceof IOException))
     *     .load(Path.of("ninelives.properties"));
     * }</pre>
     */
    public static final class Builder {
        private final Customizers<CircuitBreakerBuilder> breakers = new Customizers<>();
        private final Customizers<RetryBuilder> retries = new Customizers<>();
        private final Customizers<BulkheadBuilder> bulkheads = new Customizers<>();
        private final Customizers<RateLimiterBuilder> rateLimiters = new Customizers<>();
        private final Customizers<HedgeBuilder> hedges = new Customizers<>();
        private final Customizers<PipelineSpec> pipelines = new Customizers<>();

        private Builder() {
        }

        private <B> Builder add(Customizers<B> to, String name, Consumer<? super B> customizer) {
            Check.notNull(customizer, "customizer");
            if (name == null) {
                to.all.add(customizer);
            } else {
                to.byName.computeIfAbsent(NineLivesRegistry.checkName(name), n -> new ArrayList<>()).add(customizer);
            }
            return this;
        }

        /**
         * Adds a customizer of every circuit breaker, run after its keys.
         *
         * @param customizer configures the builder
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder breakerDefaults(Consumer<? super CircuitBreakerBuilder> customizer) {
            return add(breakers, null, customizer);
        }

        /**
         * Adds a customizer of the circuit breaker {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the breaker's name
         * @param customizer configures the builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder breaker(String name, Consumer<? super CircuitBreakerBuilder> customizer) {
            return add(breakers, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Adds a customizer of every retry policy, run after its keys.
         *
         * @param customizer configures the builder
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder retryDefaults(Consumer<? super RetryBuilder> customizer) {
            return add(retries, null, customizer);
        }

        /**
         * Adds a customizer of the retry policy {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the policy's name
         * @param customizer configures the builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder retry(String name, Consumer<? super RetryBuilder> customizer) {
            return add(retries, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Adds a customizer of every bulkhead, run after its keys.
         *
         * @param customizer configures the builder
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder bulkheadDefaults(Consumer<? super BulkheadBuilder> customizer) {
            return add(bulkheads, null, customizer);
        }

        /**
         * Adds a customizer of the bulkhead {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the bulkhead's name
         * @param customizer configures the builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder bulkhead(String name, Consumer<? super BulkheadBuilder> customizer) {
            return add(bulkheads, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Adds a customizer of every rate limiter, run after its keys (a ticker, say).
         *
         * @param customizer configures the builder
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder rateLimiterDefaults(Consumer<? super RateLimiterBuilder> customizer) {
            return add(rateLimiters, null, customizer);
        }

        /**
         * Adds a customizer of the rate limiter {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the rate limiter's name
         * @param customizer configures the builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder rateLimiter(String name, Consumer<? super RateLimiterBuilder> customizer) {
            return add(rateLimiters, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Adds a customizer of every hedge, run after its keys (an {@code errorEndsRace}
         * predicate, a ticker, say).
         *
         * @param customizer configures the builder
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder hedgeDefaults(Consumer<? super HedgeBuilder> customizer) {
            return add(hedges, null, customizer);
        }

        /**
         * Adds a customizer of the hedge {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the hedge's name
         * @param customizer configures the builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder hedge(String name, Consumer<? super HedgeBuilder> customizer) {
            return add(hedges, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Adds a customizer of every pipeline's stages (a scheduler, say), run after its keys.
         *
         * @param customizer configures the spec
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder pipelineDefaults(Consumer<? super PipelineSpec> customizer) {
            return add(pipelines, null, customizer);
        }

        /**
         * Adds a customizer of the stages of the pipeline {@code name}, run after its keys and the defaults' customizers.
         *
         * @param name       the pipeline's name
         * @param customizer configures the spec
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder pipeline(String name, Consumer<? super PipelineSpec> customizer) {
            return add(pipelines, NineLivesRegistry.checkName(name), customizer);
        }

        /**
         * Builds a registry from {@code keys} with this builder's customizers; see {@link NineLivesProperties#load(Map)}.
         *
         * @param keys the keys and values
         * @return the loader
         * @throws NullPointerException if {@code keys} is null
         * @throws PropertiesException  listing every bad key; nothing is built
         */
        public NineLivesProperties load(Map<String, String> keys) {
            Check.notNull(keys, "keys");
            Code code = new Code(breakers.copy(), retries.copy(), bulkheads.copy(), rateLimiters.copy(), hedges.copy(),
                    pipelines.copy());
            NineLivesProperties loader = new NineLivesProperties(code, PropertyModel.parse(keys, code));
            loader.createDeclared();
            return loader;
        }

        /**
         * Builds a registry from {@code properties}; see {@link NineLivesProperties#load(Properties)}.
         *
         * @param properties the properties
         * @return the loader
         * @throws NullPointerException if {@code properties} is null
         * @throws PropertiesException  listing every bad key; nothing is built
         */
        public NineLivesProperties load(Properties properties) {
            return load(toMap(properties));
        }

        /**
         * Builds a registry from a {@code .properties} file; see {@link NineLivesProperties#load(Path)}.
         *
         * @param file the file, read as UTF-8
         * @return the loader
         * @throws NullPointerException if {@code file} is null
         * @throws UncheckedIOException if the file cannot be read
         * @throws PropertiesException  listing every bad key; nothing is built
         */
        public NineLivesProperties load(Path file) {
            return load(read(file));
        }
    }
}
