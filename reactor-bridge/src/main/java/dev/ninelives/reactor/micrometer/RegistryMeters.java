package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.RegistryEvent;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;

/*
 * The binder of a whole NineLivesRegistry. bindTo() first listens to the registry's events, then
 * binds the policies held now, so that no policy added in between is missed: one added meanwhile
 * may be bound twice (by the event and by the walk), which PolicyMeters makes a no-op. A policy
 * removed meanwhile could be bound by the walk after its REMOVED event unbound it; so the walk
 * checks, after binding each policy, that the registry still holds it, and unbinds it if not (a
 * removal after that check queued its event after our binding, and its delivery unbinds it).
 *
 * Pipelines are not bound: their policies are in the registry under their own names, and bound
 * as such.
 */
final class RegistryMeters implements MeterBinder {

    private final NineLivesRegistry registry;
    private final Tags tags;
    /** The meter registries this binder listens for, weakly: bound twice to one, it listens once. */
    private final Set<MeterRegistry> boundTo = Collections.newSetFromMap(new WeakHashMap<>());

    RegistryMeters(NineLivesRegistry registry, Iterable<Tag> tags) {
        this.registry = registry;
        this.tags = Tags.of(tags);
    }

    @Override
    public void bindTo(MeterRegistry meters) {
        dev.ninelives.internal.Check.notNull(meters, "registry");
        boolean first;
        synchronized (boundTo) {                       // once per bindTo, when a service starts: off every call path
            first = boundTo.add(meters);
        }
        if (first) {
            registry.onEvent(e -> follow(meters, e));
        }
        bindAll(meters, registry.breakers(), registry::findBreaker);
        bindAll(meters, registry.retries(), registry::findRetry);
        bindAll(meters, registry.bulkheads(), registry::findBulkhead);
        bindAll(meters, registry.rateLimiters(), registry::findRateLimiter);
        bindAll(meters, registry.hedges(), registry::findHedge);
    }

    private <P> void bindAll(MeterRegistry meters, Map<String, P> present,
                             java.util.function.Function<String, Optional<P>> find) {
        present.forEach((name, policy) -> {
            try {
                bind(meters, policy);
            } catch (IllegalStateException taken) {
                if (find.apply(name).orElse(null) == policy) {
                    throw taken;                             // a policy from outside the registry holds its series
                }
                return;                                      // replaced meanwhile: the new one holds the series
            }
            if (find.apply(name).orElse(null) != policy) {
                PolicyMeters.unbind(meters, policy);         // removed or replaced meanwhile
            }
        });
    }

    private void follow(MeterRegistry meters, RegistryEvent e) {
        if (e.kind() == RegistryEvent.Kind.PIPELINE) {
            return;
        }
        switch (e.type()) {
            case ADDED -> bind(meters, e.policy());
            case REMOVED -> PolicyMeters.unbind(meters, e.policy());
            case REPLACED -> {
                PolicyMeters.unbind(meters, e.previous());
                bind(meters, e.policy());
            }
            default -> throw new IllegalStateException("invalid event type: " + e.type());
        }
    }

    private void bind(MeterRegistry meters, Object policy) {
        MeterBinder binder;
        if (policy instanceof CircuitBreaker b) {
            binder = new BreakerMeters(b, tags);
        } else if (policy instanceof Retry r) {
            binder = new RetryMeters(r, tags);
        } else if (policy instanceof Bulkhead b) {
            binder = new BulkheadMeters(b, tags);
        } else if (policy instanceof RateLimiter l) {
            binder = new RateLimiterMeters(l, tags);
        } else if (policy instanceof Hedge h) {
            binder = new HedgeMeters(h, tags);
        } else {
            return;
        }
        binder.bindTo(meters);
    }
}
