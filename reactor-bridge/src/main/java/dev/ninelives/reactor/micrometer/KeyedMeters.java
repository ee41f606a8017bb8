package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CallRecordedEvent;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.keyed.KeyEvent;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
import dev.ninelives.keyed.KeyedPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/*
 * The meters of a keyed family (KeyedBreaker, KeyedBulkhead) as a whole: a fixed handful of
 * series, tagged with the family's name, however many keys it holds. A meter per key would give
 * a registry one series per tenant or endpoint, without bound; NineLivesMeters' javadoc says how
 * to bind a bounded set of keys on their own.
 *
 * The family's policies are counted through listeners: each policy the factory builds (a key
 * ADDED or RESTORED) and each one in the map when the binder is bound is watched once: `watched`
 * (weak, so a policy gone for good is not held) makes sure of it whichever path reaches it first.
 * It is touched when a key enters the map or when the binder is bound, never on a call, so its
 * lock is off every call path, as is `boundTo`'s.
 */
final class KeyedMeters<P> implements MeterBinder {

    static final String KEYS = "ninelives.keyed.keys";
    static final String KEY_EVENTS = "ninelives.keyed.key.events";
    static final String BREAKER_CALLS = "ninelives.keyed.breaker.calls";
    static final String BREAKER_REFUSING = "ninelives.keyed.breaker.refusing";
    static final String BULKHEAD_CALLS = "ninelives.keyed.bulkhead.calls";
    static final String BULKHEAD_IN_FLIGHT = "ninelives.keyed.bulkhead.in.flight";

    /** What differs between a keyed breaker and a keyed bulkhead: the family's own meters. */
    @FunctionalInterface
    interface KindMeters<P> {
        /** Registers the family's own meters and returns how to watch one of its policies. */
        Consumer<P> register(MeterRegistry registry, Tags tags);
    }

    private final KeyedPolicy<?, P> family;
    private final String kind;
    private final KindMeters<P> kindMeters;
    private final Tags tags;
    private final Set<MeterRegistry> boundTo = Collections.newSetFromMap(new WeakHashMap<>());

    private KeyedMeters(KeyedPolicy<?, P> family, String kind, KindMeters<P> kindMeters,
                        Iterable<io.micrometer.core.instrument.Tag> tags) {
        this.family = family;
        this.kind = kind;
        this.kindMeters = kindMeters;
        this.tags = Tags.of(tags).and("name", family.name());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        dev.ninelives.internal.Check.notNull(registry, "registry");
        synchronized (boundTo) {                       // once per bindTo: off every call path
            if (!boundTo.add(registry)) {
                return;                                // bound to this registry already: count once
            }
        }
        Tags t = tags.and("kind", kind);
        Gauge.builder(KEYS, family, f -> f.estimatedSize()).tags(t)
                .description("Keys in the family's map (an estimate: keys that expired may still count until maintenance)")
                .register(registry);
        Map<KeyEvent.Kind, Counter> events = new EnumMap<>(KeyEvent.Kind.class);
        for (KeyEvent.Kind k : KeyEvent.Kind.values()) {
            events.put(k, Counter.builder(KEY_EVENTS).tags(t).tag("event", PolicyMeters.tagValue(k))
                    .description("Keys that entered or left the family's map, by how").register(registry));
        }
        Consumer<P> count = kindMeters.register(registry, tags);
        // weak: a policy that left the map for good is not held; policies keep Object's identity equality.
        // Its lock is taken when a key enters the map or at bind time, never on a call.
        Set<P> watched = Collections.newSetFromMap(Collections.synchronizedMap(new WeakHashMap<>()));
        Consumer<P> watch = p -> {
            if (watched.add(p)) {
                count.accept(p);
            }
        };
        family.onKeyAdded(e -> {
            events.get(e.kind()).increment();
            watch.accept(e.policy());
        });
        family.onKeyRemoved(e -> events.get(e.kind()).increment());
        for (P p : present(family)) {
            watch.accept(p);
        }
    }

    // ---------------------------------------------------------------- the two families

    static KeyedMeters<CircuitBreaker> breakers(KeyedBreaker<?> keyed, Iterable<io.micrometer.core.instrument.Tag> tags) {
        return new KeyedMeters<>(keyed, "breaker", (registry, t) -> {
            Gauge.builder(BREAKER_REFUSING, keyed, k -> count(present(k), b -> b.state().refusesCalls()))
                    .tags(t).description("Keys whose breaker refuses calls now (OPEN or FORCED_OPEN)")
                    .register(registry);
            CallRecordedEvent.Outcome[] outcomes = CallRecordedEvent.Outcome.values();
            Counter[] calls = new Counter[outcomes.length];
            for (CallRecordedEvent.Outcome o : outcomes) {
                calls[o.ordinal()] = Counter.builder(BREAKER_CALLS).tags(t).tag("outcome", PolicyMeters.tagValue(o))
                        .description("Calls through the family's breakers, every key together, by outcome")
                        .register(registry);
            }
            Counter notPermitted = Counter.builder(BREAKER_CALLS).tags(t).tag("outcome", "not_permitted")
                    .description("Calls through the family's breakers, every key together, by outcome")
                    .register(registry);
            return b -> {
                b.onCallRecorded(e -> calls[e.outcome().ordinal()].increment());
                b.onCallNotPermitted(e -> notPermitted.increment());
            };
        }, tags);
    }

    static KeyedMeters<Bulkhead> bulkheads(KeyedBulkhead<?> keyed, Iterable<io.micrometer.core.instrument.Tag> tags) {
        return new KeyedMeters<>(keyed, "bulkhead", (registry, t) -> {
            Gauge.builder(BULKHEAD_IN_FLIGHT, keyed, k -> sum(present(k), b -> b.metrics().inFlight()))
                    .tags(t).description("Calls holding a permit now, every key together")
                    .register(registry);
            Counter permitted = Counter.builder(BULKHEAD_CALLS).tags(t).tag("outcome", "permitted")
                    .description("Calls through the family's bulkheads, every key together, by outcome")
                    .register(registry);
            Counter rejected = Counter.builder(BULKHEAD_CALLS).tags(t).tag("outcome", "rejected")
                    .description("Calls through the family's bulkheads, every key together, by outcome")
                    .register(registry);
            return b -> {
                b.onPermitted(e -> permitted.increment());
                b.onRejected(e -> rejected.increment());
            };
        }, tags);
    }

    /** The policies of the keys in the map now; a gauge reads them when the registry is scraped. */
    private static <K, P> List<P> present(KeyedPolicy<K, P> keyed) {
        List<P> out = new ArrayList<>();
        for (K key : keyed.keys()) {
            keyed.getIfPresent(key).ifPresent(out::add);
        }
        return out;
    }

    private static <P> double count(Iterable<P> policies, Predicate<P> test) {
        int n = 0;
        for (P p : policies) {
            if (test.test(p)) {
                n++;
            }
        }
        return n;
    }

    private static <P> double sum(Iterable<P> policies, ToDoubleFunction<P> value) {
        double s = 0;
        for (P p : policies) {
            s += value.applyAsDouble(p);
        }
        return s;
    }
}
