package dev.ninelives.spring.boot.actuate;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeConfig;
import dev.ninelives.hedge.HedgeMetrics;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RateLimiterMetrics;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.retry.Retry;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The Actuator endpoint {@code ninelives}: every policy of the registry with its state and key
 * metrics, and manual transitions of a breaker. Exposed like any endpoint
 * ({@code management.endpoints.web.exposure.include=ninelives}); its write operation obeys
 * {@code management.endpoint.ninelives.access} ({@code read-only} turns it off).
 *
 * <ul>
 * <li>{@code GET /actuator/ninelives}: {@code breakers}, {@code retries}, {@code bulkheads},
 *     {@code rateLimiters}, {@code hedges}, {@code pipelines}, each a map from name to details.</li>
 * <li>{@code GET /actuator/ninelives/{name}}: the policies of that name, by kind ({@code breaker},
 *     {@code retry}, {@code bulkhead}, {@code rateLimiter}, {@code hedge}, {@code pipeline}).</li>
 * <li>{@code POST /actuator/ninelives/{name}} with {@code {"state": "..."}}: moves the breaker
 *     {@code name} to {@code closed}, {@code open}, {@code half_open}, {@code forced_open},
 *     {@code disabled} or {@code metrics_only} (as {@link CircuitBreaker#transitionTo}), or
 *     {@code reset} (as {@link CircuitBreaker#reset}); answers the breaker's details after the
 *     move. An unknown breaker or state is answered 400, with a message that quotes it.</li>
 * </ul>
 *
 * <p>The details: a breaker's state, failure and slow-call rates, calls, failures, slow calls,
 * refusals and threshold; a retry's attempts and backoff; a bulkhead's limit, free permits, calls
 * in flight, queue and refusals, and with an adaptive limit its algorithm, bounds and the limit it
 * reached; a rate limiter's limit per period, period, burst, maximum wait, free permits, waiting
 * reservations and refusals; a pipeline's stages in the order a call meets them, by name.
 * Durations are ISO-8601 text ({@code PT1S}).
 */
@Endpoint(id = "ninelives")
public class NineLivesEndpoint {

    private final NineLivesRegistry registry;

    /**
     * Makes the endpoint.
     *
     * @param registry the registry whose policies it shows
     */
    public NineLivesEndpoint(NineLivesRegistry registry) {
        this.registry = registry;
    }

    /**
     * A kind of policy as the endpoint shows it: its key in {@link #policies()}, its key in
     * {@link #policy(String)}, and how the registry lists and finds it. A kind the registry gains
     * is one row here (and its details in {@link #details(Object)}); a test holds these rows to the
     * registry's listings.
     */
    record Kind(String plural, String singular, Function<NineLivesRegistry, Map<String, ?>> all,
                BiFunction<NineLivesRegistry, String, Optional<?>> find) {
    }

    /** Every kind, in the order the endpoint shows them. */
    static final List<Kind> KINDS = List.of(
            new Kind("breakers", "breaker", NineLivesRegistry::breakers, NineLivesRegistry::findBreaker),
            new Kind("retries", "retry", NineLivesRegistry::retries, NineLivesRegistry::findRetry),
            new Kind("bulkheads", "bulkhead", NineLivesRegistry::bulkheads, NineLivesRegistry::findBulkhead),
            new Kind("rateLimiters", "rateLimiter", NineLivesRegistry::rateLimiters, NineLivesRegistry::findRateLimiter),
            new Kind("hedges", "hedge", NineLivesRegistry::hedges, NineLivesRegistry::findHedge),
            new Kind("pipelines", "pipeline", NineLivesRegistry::pipelines, NineLivesRegistry::findPipeline));

    /**
     * Every policy, by kind then name.
     *
     * @return {@code breakers}, {@code retries}, {@code bulkheads}, {@code rateLimiters},
     *         {@code hedges}, {@code pipelines}: name to details (an empty map for a kind with no policy)
     */
    @ReadOperation
    public Map<String, Object> policies() {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Kind kind : KINDS) {
            all.put(kind.plural(), details(kind.all().apply(registry)));
        }
        return all;
    }

    /**
     * The policies named {@code name}, by kind ({@code breaker}, {@code retry}, {@code bulkhead},
     * {@code rateLimiter}, {@code hedge}, {@code pipeline}); creates none.
     *
     * @param name the name
     * @return kind to details; null (404) if no policy has that name
     */
    @ReadOperation
    public Map<String, Object> policy(@Selector String name) {
        Map<String, Object> found = new LinkedHashMap<>();
        for (Kind kind : KINDS) {
            kind.find().apply(registry, name).ifPresent(p -> found.put(kind.singular(), details(p)));
        }
        return found.isEmpty() ? null : found;
    }

    /**
     * Moves the breaker {@code name} to {@code state}, or resets it.
     *
     * @param name  the breaker's name
     * @param state {@code closed}, {@code open}, {@code half_open}, {@code forced_open},
     *              {@code disabled}, {@code metrics_only} (any case, {@code -} for {@code _}), or {@code reset}
     * @return the breaker's details after the move
     * @throws InvalidEndpointRequestException (400) if the registry holds no breaker {@code name}, or
     *                                         if {@code state} is none of these; the message quotes it
     */
    @WriteOperation
    public Map<String, Object> transition(@Selector String name, String state) {
        CircuitBreaker breaker = registry.findBreaker(name).orElseThrow(() -> new InvalidEndpointRequestException(
                "name must name a circuit breaker of the registry, one of " + registry.breakers().keySet() + ", but was '"
                        + name + "'", "unknown circuit breaker"));
        String s = state == null ? "" : state.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (s.equals("RESET")) {
            breaker.reset();
        } else {
            CircuitBreaker.State target = null;
            for (CircuitBreaker.State candidate : CircuitBreaker.State.values()) {
                if (candidate.name().equals(s)) {
                    target = candidate;
                }
            }
            if (target == null) {
                throw new InvalidEndpointRequestException("state must be one of closed, open, half_open, forced_open, disabled, "
                        + "metrics_only or reset, but was " + (state == null ? "null" : "'" + state + "'"), "unknown state");
            }
            breaker.transitionTo(target);
        }
        return details(breaker);
    }

    private static Map<String, Object> details(Map<String, ?> policies) {
        Map<String, Object> byName = new LinkedHashMap<>();
        policies.forEach((name, policy) -> byName.put(name, details(policy)));
        return byName;
    }

    /** The details of one policy: state and metrics for what has them. */
    static Map<String, Object> details(Object policy) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (policy instanceof CircuitBreaker b) {
            CircuitBreakerMetrics m = b.metrics();
            d.put("state", m.state().name());
            d.put("failureRate", m.failureRate());
            d.put("slowCallRate", m.slowCallRate());
            d.put("calls", m.calls());
            d.put("failures", m.failures());
            d.put("slowCalls", m.slowCalls());
            d.put("notPermitted", m.notPermitted());
            d.put("failureRateThreshold", b.config().failureRateThreshold());
        } else if (policy instanceof Bulkhead b) {
            BulkheadMetrics m = b.metrics();
            d.put("maxConcurrent", m.maxConcurrent());
            d.put("availablePermits", m.availablePermits());
            d.put("inFlight", m.inFlight());
            d.put("queued", m.queued());
            d.put("rejectedCalls", m.rejectedCalls());
            AdaptiveLimit adaptive = b.config().adaptiveLimit();
            if (adaptive != null) {
                d.put("adaptiveLimit", details(adaptive, m.maxConcurrent()));
            }
        } else if (policy instanceof RateLimiter l) {
            RateLimiterMetrics m = l.metrics();
            d.put("limitForPeriod", m.limitForPeriod());
            d.put("period", l.config().period().toString());
            d.put("burst", l.config().burst());
            d.put("maxWait", l.config().maxWait().toString());
            d.put("availablePermits", m.availablePermits());
            d.put("waiting", m.waiting());
            d.put("refusedCalls", m.refusedCalls());
        } else if (policy instanceof Hedge h) {
            HedgeMetrics m = h.metrics();
            HedgeConfig c = h.config();
            d.put("delay", m.delay().toString());
            if (c.adaptive()) {
                d.put("delayPercentile", c.percentile());
                d.put("minDelay", c.minDelay().toString());
            }
            d.put("maxHedges", c.maxHedges());
            d.put("calls", m.calls());
            d.put("hedgesIssued", m.hedgesIssued());
            d.put("hedgesWon", m.hedgesWon());
            d.put("refusedByBudget", m.refusedByBudget());
            d.put("refusedByBreaker", m.refusedByBreaker());
            d.put("budgetTokens", m.budgetTokens());
        } else if (policy instanceof Retry r) {
            d.put("maxAttempts", r.maxAttempts());
            d.put("backoff", String.valueOf(r.backoff()));
        } else if (policy instanceof Pipeline p) {         // the stages in the order a call meets them
            p.rateLimiter().ifPresent(l -> d.put("rateLimiter", l.name()));
            p.bulkhead().ifPresent(b -> d.put("bulkhead", b.name()));
            p.timeout().ifPresent(t -> d.put("timeout", t.toString()));
            p.retry().ifPresent(r -> d.put("retry", r.name()));
            p.hedge().ifPresent(h -> d.put("hedge", h.name()));
            p.breaker().ifPresent(b -> {
                d.put("breaker", b.name());
                d.put("breakerState", b.state().name());
            });
            p.attemptTimeout().ifPresent(t -> d.put("attemptTimeout", t.toString()));
        } else {
            d.put("policy", String.valueOf(policy));
        }
        return d;
    }

    /**
     * An adaptive limit: its algorithm as the keys name it ({@code aimd}, {@code gradient}), its
     * bounds and window, the settings of its algorithm, and the limit it has reached.
     */
    private static Map<String, Object> details(AdaptiveLimit adaptive, int limit) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("algorithm", adaptive.algorithm().name().toLowerCase(Locale.ROOT));
        d.put("limit", limit);
        d.put("minLimit", adaptive.minLimit());
        d.put("maxLimit", adaptive.maxLimit());
        d.put("initialLimit", adaptive.initialLimit());
        d.put("windowSize", adaptive.windowSize());
        d.put("windowDuration", adaptive.windowDuration().toString());
        if (adaptive.algorithm() == AdaptiveLimit.Algorithm.AIMD) {
            d.put("backoffRatio", adaptive.backoffRatio());
            d.put("latencyThreshold", adaptive.latencyThreshold().toString());
        } else {
            d.put("tolerance", adaptive.tolerance());
            d.put("smoothing", adaptive.smoothing());
        }
        return d;
    }
}
