package dev.ninelives.spring.boot.actuate;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.retry.Retry;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Actuator endpoint {@code ninelives}: every policy of the registry with its state and key
 * metrics, and manual transitions of a breaker. Exposed like any endpoint
 * ({@code management.endpoints.web.exposure.include=ninelives}); its write operation obeys
 * {@code management.endpoint.ninelives.access} ({@code read-only} turns it off).
 *
 * <ul>
 * <li>{@code GET /actuator/ninelives}: {@code breakers}, {@code retries}, {@code bulkheads},
 *     {@code pipelines}, each a map from name to details.</li>
 * <li>{@code GET /actuator/ninelives/{name}}: the policies of that name, by kind.</li>
 * <li>{@code POST /actuator/ninelives/{name}} with {@code {"state": "..."}}: moves the breaker
 *     {@code name} to {@code closed}, {@code open}, {@code half_open}, {@code forced_open},
 *     {@code disabled} or {@code metrics_only} (as {@link CircuitBreaker#transitionTo}), or
 *     {@code reset} (as {@link CircuitBreaker#reset}); answers the breaker's details after the
 *     move. An unknown breaker or state is answered 400, with a message that quotes it.</li>
 * </ul>
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
     * Every policy, by kind then name.
     *
     * @return {@code breakers}, {@code retries}, {@code bulkheads}, {@code pipelines}: name to details
     */
    @ReadOperation
    public Map<String, Object> policies() {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("breakers", details(registry.breakers()));
        all.put("retries", details(registry.retries()));
        all.put("bulkheads", details(registry.bulkheads()));
        all.put("pipelines", details(registry.pipelines()));
        return all;
    }

    /**
     * The policies named {@code name}, by kind ({@code breaker}, {@code retry}, {@code bulkhead},
     * {@code pipeline}); creates none.
     *
     * @param name the name
     * @return kind to details; null (404) if no policy has that name
     */
    @ReadOperation
    public Map<String, Object> policy(@Selector String name) {
        Map<String, Object> found = new LinkedHashMap<>();
        registry.findBreaker(name).ifPresent(b -> found.put("breaker", details(b)));
        registry.findRetry(name).ifPresent(r -> found.put("retry", details(r)));
        registry.findBulkhead(name).ifPresent(b -> found.put("bulkhead", details(b)));
        registry.findPipeline(name).ifPresent(p -> found.put("pipeline", details(p)));
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
        } else if (policy instanceof Retry r) {
            d.put("maxAttempts", r.maxAttempts());
            d.put("backoff", String.valueOf(r.backoff()));
        } else if (policy instanceof Pipeline p) {
            p.bulkhead().ifPresent(b -> d.put("bulkhead", b.name()));
            p.retry().ifPresent(r -> d.put("retry", r.name()));
            p.breaker().ifPresent(b -> {
                d.put("breaker", b.name());
                d.put("breakerState", b.state().name());
            });
            p.timeout().ifPresent(t -> d.put("timeout", t.toString()));
            p.attemptTimeout().ifPresent(t -> d.put("attemptTimeout", t.toString()));
        } else {
            d.put("policy", String.valueOf(policy));
        }
        return d;
    }
}
