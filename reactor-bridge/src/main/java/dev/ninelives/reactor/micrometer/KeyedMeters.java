package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CallRecordedEvent;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.keyed.KeyEvent;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
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

    /** What differs between a keyed breaker and a keyed bulkhead. */
    interface Family<P> {
        String name();

        String kind();

        long estimatedSize();

        Iterable<P> policies();

        void onKeyAdded(Consumer<KeyEvent<?, P>> listener);

        void onKeyRemoved(Consumer<KeyEvent<?, P>> listener);

        /** Registers the family's own meters and returns how to watch one of its policies. */
        Consumer<P> register(MeterRegistry registry, Tags tags);
    }

    private final Family<P> family;
    private final Tags tags;
    private final Set<MeterRegistry> boundTo = Collections.newSetFromMap(new WeakHashMap<>());

    KeyedMeters(Family<P> family, Iterable<io.micrometer.core.instrument.Tag> tags) {
        this.family = family;
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
        Tags t = tags.and("kind", family.kind());
        Gauge.builder(KEYS, family, f -> f.estimatedSize()).tags(t)
                .description("Keys in the family's map (an estimate: keys that expired may still count until maintenance)")
                .register(registry);
        Map<KeyEvent.Kind, Counter> events = new EnumMap<>(KeyEvent.Kind.class);
        for (KeyEvent.Kind k : KeyEvent.Kind.values()) {
            events.put(k, Counter.builder(KEY_EVENTS).tags(t).tag("event", PolicyMeters.tagValue(k))
                    .description("Keys that entered or left the family's map, by how").register(registry));
        }
        Consumer<P> count = family.register(registry, tags);
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
        for (P p : family.policies()) {
            watch.accept(p);
        }
    }

    // ---------------------------------------------------------------- the two families

    static Family<CircuitBreaker> breakers(KeyedBreaker<?> keyed) {
        return new Family<>() {
            @Override
            public String name() {
                return keyed.name();
            }

            @Override
            public String kind() {
                return "breaker";
            }

            @Override
            public long estimatedSize() {
                return keyed.estimatedSize();
            }

            @Override
            public Iterable<CircuitBreaker> policies() {
                return present(keyed);
            }

            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public void onKeyAdded(Consumer<KeyEvent<?, CircuitBreaker>> listener) {
                ((KeyedBreaker) keyed).onKeyAdded(listener);
            }

            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public void onKeyRemoved(Consumer<KeyEvent<?, CircuitBreaker>> listener) {
                ((KeyedBreaker) keyed).onKeyRemoved(listener);
            }

            @Override
            public Consumer<CircuitBreaker> register(MeterRegistry registry, Tags tags) {
                Gauge.builder(BREAKER_REFUSING, keyed, k -> count(present(k), b -> b.state().refusesCalls()))
                        .tags(tags).description("Keys whose breaker refuses calls now (OPEN or FORCED_OPEN)")
                        .register(registry);
                CallRecordedEvent.Outcome[] outcomes = CallRecordedEvent.Outcome.values();
                Counter[] calls = new Counter[outcomes.length];
                for (CallRecordedEvent.Outcome o : outcomes) {
                    calls[o.ordinal()] = Counter.builder(BREAKER_CALLS).tags(tags).tag("outcome", PolicyMeters.tagValue(o))
                            .description("Calls through the family's breakers, every key together, by outcome")
                            .register(registry);
                }
                Counter notPermitted = Counter.builder(BREAKER_CALLS).tags(tags).tag("outcome", "not_permitted")
                        .description("Calls through the family's breakers, every key together, by outcome")
                        .register(registry);
                return b -> {
                    b.onCallRecorded(e -> calls[e.outcome().ordinal()].increment());
                    b.onCallNotPermitted(e -> notPermitted.increment());
                };
            }
        };
    }

    static Family<Bulkhead> bulkheads(KeyedBulkhead<?> keyed) {
        return new Family<>() {
            @Override
            public String name() {
                return keyed.name();
            }

            @Override
            public String kind() {
                return "bulkhead";
            }

            @Override
            public long estimatedSize() {
                return keyed.estimatedSize();
            }

            @Override
            public Iterable<Bulkhead> policies() {
                return present(keyed);
            }

            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public void onKeyAdded(Consumer<KeyEvent<?, Bulkhead>> listener) {
                ((KeyedBulkhead) keyed).onKeyAdded(listener);
            }

            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            public void onKeyRemoved(Consumer<KeyEvent<?, Bulkhead>> listener) {
                ((KeyedBulkhead) keyed).onKeyRemoved(listener);
            }

            @Override
            public Consumer<Bulkhead> register(MeterRegistry registry, Tags tags) {
                Gauge.builder(BULKHEAD_IN_FLIGHT, keyed, k -> sum(present(k), b -> b.metrics().inFlight()))
                        .tags(tags).description("Calls holding a permit now, every key together")
                        .register(registry);
                Counter permitted = Counter.builder(BULKHEAD_CALLS).tags(tags).tag("outcome", "permitted")
                        .description("Calls through the family's bulkheads, every key together, by outcome")
                        .register(registry);
                Counter rejected = Counter.builder(BULKHEAD_CALLS).tags(tags).tag("outcome", "rejected")
                        .description("Calls through the family's bulkheads, every key together, by outcome")
                        .register(registry);
                return b -> {
                    b.onPermitted(e -> permitted.increment());
                    b.onRejected(e -> rejected.increment());
                };
            }
        };
    }

    /** The breakers of the keys in the map now; a gauge reads them when the registry is scraped. */
    private static <K> List<CircuitBreaker> present(KeyedBreaker<K> keyed) {
        List<CircuitBreaker> out = new ArrayList<>();
        for (K key : keyed.keys()) {
            keyed.getIfPresent(key).ifPresent(out::add);
        }
        return out;
    }

    /** The bulkheads of the keys in the map now. */
    private static <K> List<Bulkhead> present(KeyedBulkhead<K> keyed) {
        List<Bulkhead> out = new ArrayList<>();
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
