package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerBuilder;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadBuilder;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeBuilder;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterBuilder;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.RegistryEvent.Type;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBuilder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Function;

/*
 * Five shelves, one per kind, each a ConcurrentHashMap from name to policy: a lookup of a present
 * name is one CHM get, with no lock. A missing name is created OUTSIDE any lock (the defaults and
 * the override are user code, and a pipeline's creation looks up breakers, retries and bulkheads,
 * which may create them in turn), then offered with compute(): the first policy in wins, the
 * others lose and have their bindings to adaptives released, so a policy built and thrown away
 * never stays bound to a shared adaptive. Two threads asking for one new name thus both build,
 * one instance is kept and both get it.
 *
 * Every change of a shelf (add, remove, replace) is made inside compute(), which serializes the
 * changes of one name, and queues its event there, so the queue holds the events of one name in
 * the order of the changes. Events are delivered by a drain loop (a WIP counter, as in Reactor's
 * serialized sinks): whoever finds the counter at 0 delivers every queued event, the others leave
 * theirs to it. So one name's events reach listeners in order and a listener never runs
 * concurrently with another delivery; an event may be delivered by another thread than the one
 * that made the change, shortly after that change's method returned. No user code (listener,
 * customizer) ever runs inside compute() or any other lock.
 */

/**
 * Named circuit breakers, retry policies, bulkheads, rate limiters and pipelines: one per name, created on
 * first use from defaults plus the name's override, or registered when built elsewhere.
 *
 * <pre>{@code
 * Adaptive<Float> threshold = Adaptive.of(50f);                       // shared by every breaker
 * NineLivesRegistry registry = NineLivesRegistry.builder()
 *     .breakerDefaults(b -> b.slidingWindow(50).failureRateThreshold(threshold))
 *     .breaker("payments", b -> b.openDuration(Duration.ofSeconds(5)))   // after the defaults
 *     .retryDefaults(r -> r.maxAttempts(3))
 *     .pipelineDefaults(p -> p.breaker().retry())                      // each pipeline: its breaker, then its retry
 *     .build();
 *
 * Mono<Quote> quote = client.quote(id).transform(NineLives.pipeline(registry.pipeline("quotes")));
 * registry.breaker("quotes");        // the very breaker the "quotes" pipeline uses
 * NineLivesMeters.registry(registry).bindTo(meterRegistry);   // every policy, present and future
 * }</pre>
 *
 * <h2>One name, one policy</h2>
 * {@link #breaker(String)} (and {@link #retry}, {@link #bulkhead}, {@link #rateLimiter},
 * {@link #hedge}, {@link #pipeline}) returns
 * the policy of that name, creating it on first use, and then the same instance every time, from
 * any thread: a lookup is one lock-free map read. Policies of different kinds may share a name
 * (a pipeline and its breaker usually do). A second policy under a taken name of its kind is
 * refused with an {@link IllegalStateException} naming the kind and the name, and the registry
 * is left as it was: so two breakers never report into one metric series. {@link #replace}
 * swaps a policy for another of the same name on purpose.
 *
 * <h2>Defaults and overrides</h2>
 * A created breaker is {@code CircuitBreaker.builder(name)} with the defaults' customizer applied,
 * then the name's override: a setting the override makes wins. Retries, bulkheads, rate
 * limiters and hedges alike. A
 * pipeline's stages come from a {@link PipelineSpec}: the built-in default is a breaker only (the
 * registry's breaker of the pipeline's name), then {@code pipelineDefaults}, then the override.
 * A customizer that throws makes the lookup throw what it threw, and nothing is registered.
 * Start a policy from one already built with {@code config().toBuilder(name)} (breaker,
 * bulkhead, rate limiter, hedge), {@code Retry.toBuilder(name)} or {@code Pipeline.toBuilder(name)}, then register it.
 *
 * <h2>Removal and events</h2>
 * {@link #removeBreaker(String)} (and the others) takes a policy out of the registry and releases
 * its bindings to adaptive settings: the adaptives no longer check their values against it nor
 * tell it about changes, and it keeps working with the values in force (its {@code config()}
 * accessors, which read the adaptives, report their values, no longer the ones it uses). A pipeline that holds a
 * removed breaker keeps using it: the pipeline holds its policies, the registry only names them.
 * The next lookup of the name creates a new policy. {@link #onEvent} listeners hear of every
 * policy added (created or registered), removed and replaced; see there for the guarantees.
 *
 * <h2>From properties</h2>
 * {@link NineLivesProperties} builds a registry from flat {@code ninelives.*} keys (a map,
 * {@code Properties} or a file) and reloads it from new keys, changing adaptive settings in place.
 *
 * <p>All methods are thread-safe.
 */
public final class NineLivesRegistry {

    private static final VarHandle WIP;
    private static final VarHandle LISTENERS;
    @SuppressWarnings("unchecked")
    private static final Consumer<? super RegistryEvent>[] NO_LISTENERS = new Consumer[0];

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WIP = l.findVarHandle(NineLivesRegistry.class, "wip", int.class);
            LISTENERS = l.findVarHandle(NineLivesRegistry.class, "listeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Shelf<CircuitBreaker> breakers;
    private final Shelf<Retry> retries;
    private final Shelf<Bulkhead> bulkheads;
    private final Shelf<RateLimiter> rateLimiters;
    private final Shelf<Hedge> hedges;
    private final Shelf<Pipeline> pipelines;
    private final ConcurrentLinkedQueue<RegistryEvent> events = new ConcurrentLinkedQueue<>();
    @SuppressWarnings("unused") // accessed through WIP
    private volatile int wip;
    private volatile Consumer<? super RegistryEvent>[] listeners = NO_LISTENERS;

    private NineLivesRegistry(Builder b) {
        Customizers<CircuitBreakerBuilder> breakerCustomizers = b.breakers.copy();
        Customizers<RetryBuilder> retryCustomizers = b.retries.copy();
        Customizers<BulkheadBuilder> bulkheadCustomizers = b.bulkheads.copy();
        Customizers<RateLimiterBuilder> rateLimiterCustomizers = b.rateLimiters.copy();
        Customizers<HedgeBuilder> hedgeCustomizers = b.hedges.copy();
        Customizers<PipelineSpec> pipelineCustomizers = b.pipelines.copy();
        Factories f = b.factories;
        this.breakers = new Shelf<>(Kind.BREAKER, "circuit breaker", CircuitBreaker::name, f != null ? f.breakers
                : name -> breakerCustomizers.apply(name, CircuitBreaker.builder(name)).build());
        this.retries = new Shelf<>(Kind.RETRY, "retry policy", Retry::name, f != null ? f.retries
                : name -> retryCustomizers.apply(name, Retry.builder(name)).build());
        this.bulkheads = new Shelf<>(Kind.BULKHEAD, "bulkhead", Bulkhead::name, f != null ? f.bulkheads
                : name -> bulkheadCustomizers.apply(name, Bulkhead.builder(name)).build());
        this.rateLimiters = new Shelf<>(Kind.RATE_LIMITER, "rate limiter", RateLimiter::name, f != null ? f.rateLimiters
                : name -> rateLimiterCustomizers.apply(name, RateLimiter.builder(name)).build());
        this.hedges = new Shelf<>(Kind.HEDGE, "hedge", Hedge::name, f != null ? f.hedges
                : name -> hedgeCustomizers.apply(name, Hedge.builder(name)).build());
        this.pipelines = new Shelf<>(Kind.PIPELINE, "pipeline", Pipeline::name, f != null ? f.pipelines
                : name -> assemble(pipelineCustomizers.apply(name, new PipelineSpec(name).breaker())));
    }

    /**
     * How a registry whose policies come from somewhere else than its builder's customizers
     * creates a policy on first use: {@link NineLivesProperties} builds them from its keys and
     * must see each policy it built (to change its adaptive settings on a reload).
     */
    record Factories(Function<String, CircuitBreaker> breakers, Function<String, Retry> retries,
                     Function<String, Bulkhead> bulkheads, Function<String, RateLimiter> rateLimiters,
                     Function<String, Hedge> hedges, Function<String, Pipeline> pipelines) {
    }

    /**
     * Starts a builder of a registry: no defaults (each policy's own builder defaults), no
     * overrides, and pipelines made of their breaker alone.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a registry with no defaults and no overrides: every policy is created with its
     * builder's defaults, every pipeline is its breaker alone.
     *
     * @return a new, empty registry
     */
    public static NineLivesRegistry ofDefaults() {
        return builder().build();
    }

    /** Builds the pipeline a spec describes, its stages looked up (or created) in this registry. */
    Pipeline assemble(PipelineSpec spec) {
        Pipeline.Builder p = Pipeline.builder(spec.name());
        if (spec.rateLimiter != null) {
            p.rateLimiter(rateLimiter(spec.rateLimiter));
        }
        if (spec.bulkhead != null) {
            p.bulkhead(bulkhead(spec.bulkhead));
        }
        if (spec.retry != null) {
            p.retry(retry(spec.retry));
        }
        if (spec.hedge != null) {
            p.hedge(hedge(spec.hedge));
        }
        if (spec.breaker != null) {
            p.breaker(breaker(spec.breaker));
        }
        if (spec.timeout != null) {
            p.timeout(spec.timeout);
        }
        if (spec.attemptTimeout != null) {
            p.attemptTimeout(spec.attemptTimeout);
        }
        if (spec.scheduler != null) {
            p.scheduler(spec.scheduler);
        }
        return p.build();
    }

    // ---------------------------------------------------------------- lookups

    /**
     * Returns the circuit breaker named {@code name}, created from the defaults and the name's
     * override on first use; the same instance every time after that (until it is removed).
     *
     * @param name the breaker's name
     * @return the breaker
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the builder throws
     *                                  for a setting a customizer gave
     */
    public CircuitBreaker breaker(String name) {
        return breakers.get(name);
    }

    /**
     * Returns the retry policy named {@code name}, created from the defaults and the name's
     * override on first use; the same instance every time after that (until it is removed).
     *
     * @param name the policy's name
     * @return the retry policy
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the builder throws
     */
    public Retry retry(String name) {
        return retries.get(name);
    }

    /**
     * Returns the bulkhead named {@code name}, created from the defaults and the name's override
     * on first use; the same instance every time after that (until it is removed).
     *
     * @param name the bulkhead's name
     * @return the bulkhead
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the builder throws
     */
    public Bulkhead bulkhead(String name) {
        return bulkheads.get(name);
    }

    /**
     * Returns the rate limiter named {@code name}, created from the defaults and the name's
     * override on first use; the same instance every time after that (until it is removed).
     *
     * @param name the rate limiter's name
     * @return the rate limiter
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the builder throws
     */
    public RateLimiter rateLimiter(String name) {
        return rateLimiters.get(name);
    }

    /**
     * Returns the hedge named {@code name}, created from the defaults and the name's override on
     * first use; the same instance every time after that (until it is removed).
     *
     * @param name the hedge's name
     * @return the hedge
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the builder throws
     */
    public Hedge hedge(String name) {
        return hedges.get(name);
    }

    /**
     * Returns the pipeline named {@code name}, created on first use with the stages its
     * {@link PipelineSpec} names (a breaker only, unless defaults or an override say otherwise),
     * each the registry's policy of the name the spec gives, created on first use too; the same
     * instance every time after that (until it is removed).
     *
     * @param name the pipeline's name
     * @return the pipeline
     * @throws IllegalArgumentException if {@code name} is null or blank, or as the pipeline's or a
     *                                  policy's builder throws
     */
    public Pipeline pipeline(String name) {
        return pipelines.get(name);
    }

    /**
     * Returns the circuit breaker named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the breaker, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<CircuitBreaker> findBreaker(String name) {
        return breakers.find(name);
    }

    /**
     * Returns the retry policy named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the retry policy, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Retry> findRetry(String name) {
        return retries.find(name);
    }

    /**
     * Returns the bulkhead named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the bulkhead, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Bulkhead> findBulkhead(String name) {
        return bulkheads.find(name);
    }

    /**
     * Returns the rate limiter named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the rate limiter, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<RateLimiter> findRateLimiter(String name) {
        return rateLimiters.find(name);
    }

    /**
     * Returns the hedge named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the hedge, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Hedge> findHedge(String name) {
        return hedges.find(name);
    }

    /**
     * Returns the pipeline named {@code name}, if the registry holds one; creates nothing.
     *
     * @param name the name
     * @return the pipeline, or empty
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Pipeline> findPipeline(String name) {
        return pipelines.find(name);
    }

    /**
     * Returns the circuit breakers held now, by name: a snapshot, sorted by name, that later
     * changes of the registry do not change.
     *
     * @return an unmodifiable map
     */
    public Map<String, CircuitBreaker> breakers() {
        return breakers.snapshot();
    }

    /**
     * Returns the retry policies held now, by name: a sorted snapshot.
     *
     * @return an unmodifiable map
     */
    public Map<String, Retry> retries() {
        return retries.snapshot();
    }

    /**
     * Returns the bulkheads held now, by name: a sorted snapshot.
     *
     * @return an unmodifiable map
     */
    public Map<String, Bulkhead> bulkheads() {
        return bulkheads.snapshot();
    }

    /**
     * Returns the rate limiters held now, by name: a sorted snapshot.
     *
     * @return an unmodifiable map
     */
    public Map<String, RateLimiter> rateLimiters() {
        return rateLimiters.snapshot();
    }

    /**
     * Returns the hedges held now, by name: a sorted snapshot.
     *
     * @return an unmodifiable map
     */
    public Map<String, Hedge> hedges() {
        return hedges.snapshot();
    }

    /**
     * Returns the pipelines held now, by name: a sorted snapshot.
     *
     * @return an unmodifiable map
     */
    public Map<String, Pipeline> pipelines() {
        return pipelines.snapshot();
    }

    // ---------------------------------------------------------------- register, replace, remove

    /**
     * Adds a circuit breaker built elsewhere, under its own name. Registering the very instance
     * the registry holds under that name does nothing.
     *
     * @param breaker the breaker
     * @return {@code breaker}
     * @throws NullPointerException  if {@code breaker} is null
     * @throws IllegalStateException if another breaker of that name is registered (or was created);
     *                               the registry is unchanged
     */
    public CircuitBreaker register(CircuitBreaker breaker) {
        return breakers.register(breaker);
    }

    /**
     * Adds a retry policy built elsewhere, under its own name; the very instance held does nothing.
     *
     * @param retry the retry policy
     * @return {@code retry}
     * @throws NullPointerException  if {@code retry} is null
     * @throws IllegalStateException if another retry policy of that name is held; the registry is unchanged
     */
    public Retry register(Retry retry) {
        return retries.register(retry);
    }

    /**
     * Adds a bulkhead built elsewhere, under its own name; the very instance held does nothing.
     *
     * @param bulkhead the bulkhead
     * @return {@code bulkhead}
     * @throws NullPointerException  if {@code bulkhead} is null
     * @throws IllegalStateException if another bulkhead of that name is held; the registry is unchanged
     */
    public Bulkhead register(Bulkhead bulkhead) {
        return bulkheads.register(bulkhead);
    }

    /**
     * Adds a rate limiter built elsewhere, under its own name; the very instance held does nothing.
     *
     * @param rateLimiter the rate limiter
     * @return {@code rateLimiter}
     * @throws NullPointerException  if {@code rateLimiter} is null
     * @throws IllegalStateException if another rate limiter of that name is held; the registry is unchanged
     */
    public RateLimiter register(RateLimiter rateLimiter) {
        return rateLimiters.register(rateLimiter);
    }

    /**
     * Adds a hedge built elsewhere, under its own name; the very instance held does nothing.
     *
     * @param hedge the hedge
     * @return {@code hedge}
     * @throws NullPointerException  if {@code hedge} is null
     * @throws IllegalStateException if another hedge of that name is held; the registry is unchanged
     */
    public Hedge register(Hedge hedge) {
        return hedges.register(hedge);
    }

    /**
     * Adds a pipeline built elsewhere, under its own name; the very instance held does nothing.
     * Its policies are not registered by this: register them too to find them by name.
     *
     * @param pipeline the pipeline
     * @return {@code pipeline}
     * @throws NullPointerException  if {@code pipeline} is null
     * @throws IllegalStateException if another pipeline of that name is held; the registry is unchanged
     */
    public Pipeline register(Pipeline pipeline) {
        return pipelines.register(pipeline);
    }

    /**
     * Replaces the circuit breaker of {@code breaker}'s name with {@code breaker}, atomically:
     * every lookup returns the old one or the new one, never none. The old breaker's bindings
     * to adaptives are released (as on removal) and a {@link Type#REPLACED} event announces it.
     * Pipelines already built keep the breaker they hold.
     *
     * @param breaker the new breaker
     * @return the breaker it replaced
     * @throws NullPointerException  if {@code breaker} is null
     * @throws IllegalStateException if no breaker of that name is held (use {@link #register(CircuitBreaker)});
     *                               nothing changes
     */
    public CircuitBreaker replace(CircuitBreaker breaker) {
        return breakers.replace(breaker);
    }

    /**
     * Replaces the retry policy of {@code retry}'s name with it, atomically; see {@link #replace(CircuitBreaker)}.
     *
     * @param retry the new retry policy
     * @return the policy it replaced
     * @throws NullPointerException  if {@code retry} is null
     * @throws IllegalStateException if no retry policy of that name is held; nothing changes
     */
    public Retry replace(Retry retry) {
        return retries.replace(retry);
    }

    /**
     * Replaces the bulkhead of {@code bulkhead}'s name with it, atomically; see {@link #replace(CircuitBreaker)}.
     * Calls holding a permit of the old bulkhead return it there.
     *
     * @param bulkhead the new bulkhead
     * @return the bulkhead it replaced
     * @throws NullPointerException  if {@code bulkhead} is null
     * @throws IllegalStateException if no bulkhead of that name is held; nothing changes
     */
    public Bulkhead replace(Bulkhead bulkhead) {
        return bulkheads.replace(bulkhead);
    }

    /**
     * Replaces the rate limiter of {@code rateLimiter}'s name with it, atomically; see
     * {@link #replace(CircuitBreaker)}. The new one starts with its whole burst free; calls
     * waiting for a permit of the old one keep the instant they reserved there.
     *
     * @param rateLimiter the new rate limiter
     * @return the rate limiter it replaced
     * @throws NullPointerException  if {@code rateLimiter} is null
     * @throws IllegalStateException if no rate limiter of that name is held; nothing changes
     */
    public RateLimiter replace(RateLimiter rateLimiter) {
        return rateLimiters.replace(rateLimiter);
    }

    /**
     * Replaces the hedge of {@code hedge}'s name with it, atomically; see
     * {@link #replace(CircuitBreaker)}. The new one starts with a full budget and an empty
     * latency window (an adaptive delay starts from its minimum); calls under way finish with
     * the old one.
     *
     * @param hedge the new hedge
     * @return the hedge it replaced
     * @throws NullPointerException  if {@code hedge} is null
     * @throws IllegalStateException if no hedge of that name is held; nothing changes
     */
    public Hedge replace(Hedge hedge) {
        return hedges.replace(hedge);
    }

    /**
     * Replaces the pipeline of {@code pipeline}'s name with it, atomically; see {@link #replace(CircuitBreaker)}.
     *
     * @param pipeline the new pipeline
     * @return the pipeline it replaced
     * @throws NullPointerException  if {@code pipeline} is null
     * @throws IllegalStateException if no pipeline of that name is held; nothing changes
     */
    public Pipeline replace(Pipeline pipeline) {
        return pipelines.replace(pipeline);
    }

    /**
     * Removes the circuit breaker named {@code name} and releases its bindings to adaptive
     * settings (it keeps working with the values in force; a pipeline that holds it keeps using
     * it). The next {@link #breaker(String)} of that name creates a new one.
     *
     * @param name the name
     * @return the breaker removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<CircuitBreaker> removeBreaker(String name) {
        return breakers.remove(name);
    }

    /**
     * Removes the retry policy named {@code name}; see {@link #removeBreaker(String)}. A removed
     * retry policy reads its adaptive attempts and backoff itself, so it goes on following them,
     * no longer checked against its limits.
     *
     * @param name the name
     * @return the policy removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Retry> removeRetry(String name) {
        return retries.remove(name);
    }

    /**
     * Removes the bulkhead named {@code name}; see {@link #removeBreaker(String)}.
     *
     * @param name the name
     * @return the bulkhead removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Bulkhead> removeBulkhead(String name) {
        return bulkheads.remove(name);
    }

    /**
     * Removes the rate limiter named {@code name}; see {@link #removeBreaker(String)}.
     *
     * @param name the name
     * @return the rate limiter removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<RateLimiter> removeRateLimiter(String name) {
        return rateLimiters.remove(name);
    }

    /**
     * Removes the hedge named {@code name}; see {@link #removeBreaker(String)}.
     *
     * @param name the name
     * @return the hedge removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Hedge> removeHedge(String name) {
        return hedges.remove(name);
    }

    /**
     * Removes the pipeline named {@code name}. Its policies stay in the registry: remove them
     * too if nothing else uses them.
     *
     * @param name the name
     * @return the pipeline removed, or empty if there was none
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public Optional<Pipeline> removePipeline(String name) {
        return pipelines.remove(name);
    }

    // ---------------------------------------------------------------- events

    /**
     * Registers a listener told about every later change: a policy added (created on first use
     * or registered), removed or replaced. The events of one name reach each listener in the
     * order of the changes, and listeners are never called concurrently: the events are queued
     * as the changes are made, and delivered one at a time, in order, to every listener in the
     * order of registration, by the thread that made a change, or by the thread already
     * delivering events, in which case the change's method may return before its event is
     * delivered. A listener may use the registry, and its own changes are delivered after the
     * event it is handling.
     *
     * <p>A listener that throws never corrupts the registry: a non-fatal throwable (any
     * {@link RuntimeException}, and any {@link Error} that is not JVM-fatal) is logged at WARNING
     * through {@code System.getLogger("dev.ninelives")} and the other listeners and events still
     * go; a JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) is rethrown by the
     * method that delivered the events, once the change is complete and every queued event was
     * delivered.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    public void onEvent(Consumer<? super RegistryEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super RegistryEvent>[] l = listeners;
            if (LISTENERS.compareAndSet(this, l, Guard.append(l, listener))) {
                return;
            }
        }
    }

    /** Delivers the queued events, unless another thread is doing it (then it delivers ours too). */
    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;
        }
        Error fatal = null;
        int missed = 1;
        for (;;) {
            RegistryEvent e;
            while ((e = events.poll()) != null) {
                try {
                    Guard.notifyAll("registry", listeners, e);
                } catch (VirtualMachineError | LinkageError f) {   // all notifyAll throws; the others still get theirs
                    fatal = fatal != null ? fatal : f;
                }
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                break;
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    // ---------------------------------------------------------------- names

    /** Checks a name: not null, not blank. */
    static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be null or blank, but was "
                    + (name == null ? "null" : "'" + name + "'"));
        }
        return name;
    }

    /** Lists the names of each kind, sorted. */
    @Override
    public String toString() {
        return "NineLivesRegistry{breakers=" + breakers.snapshot().keySet() + ", retries=" + retries.snapshot().keySet()
                + ", bulkheads=" + bulkheads.snapshot().keySet()  + ", rateLimiters=" + rateLimiters.snapshot().keySet()
                + ", hedges=" + hedges.snapshot().keySet() + ", pipelines=" + pipelines.snapshot().keySet() + '}';
    }

    // ---------------------------------------------------------------- one kind

    /** The policies of one kind. */
    private final class Shelf<P> {
        private final Kind kind;
        private final String label;
        private final Function<P, String> nameOf;
        private final Function<String, P> factory;
        private final ConcurrentHashMap<String, P> map = new ConcurrentHashMap<>();

        Shelf(Kind kind, String label, Function<P, String> nameOf, Function<String, P> factory) {
            this.kind = kind;
            this.label = label;
            this.nameOf = nameOf;
            this.factory = factory;
        }

        P get(String name) {
            if (name != null) {
                P p = map.get(name);
                if (p != null) {
                    return p;                              // the hot lookup: one lock-free read
                }
            }
            checkName(name);
            P built = factory.apply(name);                 // user code: outside every lock
            Object[] added = new Object[1];
            P held = map.compute(name, (k, current) -> {
                if (current != null) {
                    return current;
                }
                events.offer(new RegistryEvent(kind, Type.ADDED, k, built, null));
                added[0] = built;
                return built;
            });
            if (added[0] == null) {
                Bindings.release(built);                   // another thread's policy won: ours is dropped, unbound
            }
            drain();
            return held;
        }

        Optional<P> find(String name) {
            return Optional.ofNullable(map.get(checkName(name)));
        }

        Map<String, P> snapshot() {
            return Collections.unmodifiableMap(new TreeMap<>(map));
        }

        P register(P policy) {
            Check.notNull(policy, "policy");
            String name = nameOf.apply(policy);
            boolean[] added = new boolean[1];
            map.compute(name, (k, current) -> {
                if (current == policy) {
                    return current;
                }
                if (current != null) {
                    throw taken(k);
                }
                events.offer(new RegistryEvent(kind, Type.ADDED, k, policy, null));
                added[0] = true;
                return policy;
            });
            if (added[0]) {
                drain();
            }
            return policy;
        }

        P replace(P policy) {
            Check.notNull(policy, "policy");
            String name = nameOf.apply(policy);
            Object[] replaced = new Object[1];
            map.compute(name, (k, current) -> {
                if (current == null) {
                    throw new IllegalStateException("Cannot replace " + label + " '" + k + "': the registry holds no "
                            + label + " of that name; register it instead");
                }
                if (current != policy) {
                    events.offer(new RegistryEvent(kind, Type.REPLACED, k, policy, current));
                    replaced[0] = current;
                }
                return policy;
            });
            @SuppressWarnings("unchecked")
            P old = (P) replaced[0];
            if (old == null) {
                return policy;                             // it was the very policy held
            }
            try {
                Bindings.release(old);
            } finally {
                drain();
            }
            return old;
        }

        Optional<P> remove(String name) {
            checkName(name);
            Object[] removed = new Object[1];
            map.computeIfPresent(name, (k, current) -> {
                events.offer(new RegistryEvent(kind, Type.REMOVED, k, current, null));
                removed[0] = current;
                return null;
            });
            @SuppressWarnings("unchecked")
            P old = (P) removed[0];
            if (old == null) {
                return Optional.empty();
            }
            try {
                Bindings.release(old);
            } finally {
                drain();
            }
            return Optional.of(old);
        }

        private IllegalStateException taken(String name) {
            return new IllegalStateException("Cannot register " + label + " '" + name + "': another " + label
                    + " of that name is in the registry already. One name means one " + label
                    + " (two would share a metric series); give it a name of its own, or replace the one held");
        }
    }

    // ---------------------------------------------------------------- customizers

    /** The defaults' customizers and each name's, in the order given. */
    private static final class Customizers<B> {
        final List<Consumer<? super B>> defaults = new ArrayList<>();
        final Map<String, List<Consumer<? super B>>> byName = new HashMap<>();

        Customizers<B> copy() {
            Customizers<B> c = new Customizers<>();
            c.defaults.addAll(defaults);
            byName.forEach((name, list) -> c.byName.put(name, List.copyOf(list)));
            return c;
        }

        B apply(String name, B builder) {
            for (Consumer<? super B> c : defaults) {
                c.accept(builder);
            }
            for (Consumer<? super B> c : byName.getOrDefault(name, List.of())) {
                c.accept(builder);
            }
            return builder;
        }
    }

    /**
     * Builds a {@link NineLivesRegistry}: the defaults and the per-name overrides of each kind of
     * policy. Customizers run when a policy is created (on first use, on the thread that asks
     * first), the defaults' first, then the name's, each in the order given; a customizer given
     * again for the same name runs after the earlier one. They may run more than once for a name
     * when threads race to create it (one policy is kept), so they should only configure the
     * builder they are given. {@link #build()} copies the lists, so a reused builder never
     * changes a built registry.
     */
    public static final class Builder {
        private final Customizers<CircuitBreakerBuilder> breakers = new Customizers<>();
        private final Customizers<RetryBuilder> retries = new Customizers<>();
        private final Customizers<BulkheadBuilder> bulkheads = new Customizers<>();
        private final Customizers<RateLimiterBuilder> rateLimiters = new Customizers<>();
        private final Customizers<HedgeBuilder> hedges = new Customizers<>();
        private final Customizers<PipelineSpec> pipelines = new Customizers<>();
        private Factories factories;

        private Builder() {
        }

        /** Replaces the customizers with factories of one's own (for {@link NineLivesProperties}). */
        Builder factories(Factories factories) {
            this.factories = factories;
            return this;
        }

        private static <B> Builder add(Builder self, Customizers<B> to, String name, Consumer<? super B> customizer) {
            Check.notNull(customizer, "customizer");
            if (name == null) {
                to.defaults.add(customizer);
            } else {
                to.byName.computeIfAbsent(checkName(name), n -> new ArrayList<>()).add(customizer);
            }
            return self;
        }

        /**
         * Adds a customizer every created circuit breaker gets, before its name's override.
         *
         * @param customizer configures {@code CircuitBreaker.builder(name)}
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder breakerDefaults(Consumer<? super CircuitBreakerBuilder> customizer) {
            return add(this, breakers, null, customizer);
        }

        /**
         * Adds the override of the circuit breaker named {@code name}, applied after the defaults.
         *
         * @param name       the breaker's name
         * @param customizer configures its builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder breaker(String name, Consumer<? super CircuitBreakerBuilder> customizer) {
            checkName(name);
            return add(this, breakers, name, customizer);
        }

        /**
         * Adds a customizer every created retry policy gets, before its name's override.
         *
         * @param customizer configures {@code Retry.builder(name)}
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder retryDefaults(Consumer<? super RetryBuilder> customizer) {
            return add(this, retries, null, customizer);
        }

        /**
         * Adds the override of the retry policy named {@code name}, applied after the defaults.
         *
         * @param name       the policy's name
         * @param customizer configures its builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder retry(String name, Consumer<? super RetryBuilder> customizer) {
            checkName(name);
            return add(this, retries, name, customizer);
        }

        /**
         * Adds a customizer every created bulkhead gets, before its name's override.
         *
         * @param customizer configures {@code Bulkhead.builder(name)}
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder bulkheadDefaults(Consumer<? super BulkheadBuilder> customizer) {
            return add(this, bulkheads, null, customizer);
        }

        /**
         * Adds the override of the bulkhead named {@code name}, applied after the defaults.
         *
         * @param name       the bulkhead's name
         * @param customizer configures its builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder bulkhead(String name, Consumer<? super BulkheadBuilder> customizer) {
            checkName(name);
            return add(this, bulkheads, name, customizer);
        }

        /**
         * Adds a customizer every created rate limiter gets, before its name's override.
         *
         * @param customizer configures {@code RateLimiter.builder(name)}
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder rateLimiterDefaults(Consumer<? super RateLimiterBuilder> customizer) {
            return add(this, rateLimiters, null, customizer);
        }

        /**
         * Adds the override of the rate limiter named {@code name}, applied after the defaults.
         *
         * @param name       the rate limiter's name
         * @param customizer configures its builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder rateLimiter(String name, Consumer<? super RateLimiterBuilder> customizer) {
            checkName(name);
            return add(this, rateLimiters, name, customizer);
        }

        /**
         * Adds a customizer every created hedge gets, before its name's override.
         *
         * @param customizer configures {@code Hedge.builder(name)}
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder hedgeDefaults(Consumer<? super HedgeBuilder> customizer) {
            return add(this, hedges, null, customizer);
        }

        /**
         * Adds the override of the hedge named {@code name}, applied after the defaults.
         *
         * @param name       the hedge's name
         * @param customizer configures its builder
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder hedge(String name, Consumer<? super HedgeBuilder> customizer) {
            checkName(name);
            return add(this, hedges, name, customizer);
        }

        /**
         * Adds a customizer of the stages of every created pipeline, applied to a spec that holds
         * the built-in default (the pipeline's breaker alone), before the name's override.
         *
         * @param customizer chooses the stages
         * @return this builder
         * @throws NullPointerException if {@code customizer} is null
         */
        public Builder pipelineDefaults(Consumer<? super PipelineSpec> customizer) {
            return add(this, pipelines, null, customizer);
        }

        /**
         * Adds the override of the stages of the pipeline named {@code name}, applied after the defaults.
         *
         * @param name       the pipeline's name
         * @param customizer chooses its stages
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         * @throws NullPointerException     if {@code customizer} is null
         */
        public Builder pipeline(String name, Consumer<? super PipelineSpec> customizer) {
            checkName(name);
            return add(this, pipelines, name, customizer);
        }

        /**
         * Builds the registry, empty: policies are created on first use.
         *
         * @return a new registry
         */
        public NineLivesRegistry build() {
            return new NineLivesRegistry(this);
        }
    }
}
