package dev.ninelives.reactor.micrometer;

import dev.ninelives.internal.Check;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/*
 * What the three binders share: the tags of every meter (the caller's extra tags, then `name`
 * = the policy's name, which wins over an extra tag of that key), and binding each policy at
 * most once per registry.
 *
 * Why a registry must know its policies. A binding registers meters and then listeners on the
 * policy that feed them; Micrometer hands back the existing meter for an id it already has. So a
 * second binding of the same series does not fail, it merges: bound again, the same policy would
 * count every event twice (listeners cannot be removed); a different policy of the same type,
 * name and tags would add its events to the first one's counters while the gauges, which
 * Micrometer keeps from the first registration, go on reading the first policy (a second, OPEN
 * breaker named like a CLOSED one showed state closed). Neither is visible in the registry.
 *
 * So every binding is recorded in BOUND: per registry (weakly: a registry that is dropped takes
 * its entries with it), per policy type and tag set (the series the binding would write), the
 * policy (weakly, as Micrometer's gauges hold it) and the ids of the meters it registered. A
 * binding of the same policy is a no-op, whichever binder makes it; a binding of another policy
 * is refused with an IllegalStateException, unless the one bound before has been garbage
 * collected: then its meters, whose gauges can only read NaN, are removed and the new policy gets
 * fresh ones. BOUND is read and written under its own lock, at bind time only; nothing on a
 * policy's hot path touches it. unbind() (a registry removed the policy) removes a policy's meters
 * and its entries, under the same lock, so that its name is free to be bound again.
 */
abstract class PolicyMeters implements MeterBinder {

    /** The tag that carries the policy's name on every meter. */
    static final String NAME = "name";

    /** Every binding, per registry, then per series: guarded by its own lock. */
    private static final Map<MeterRegistry, Map<Series, Binding>> BOUND = new WeakHashMap<>();

    /** The series a binding writes: the binder's meter-name prefix and its tags. */
    private record Series(String prefix, Tags tags) {
    }

    /** What is bound to one series: the policy, weakly, and the ids of the meters registered for it. */
    private record Binding(WeakReference<Object> policy, List<Meter.Id> meters) {
    }

    final Tags tags;
    private final Object policy;
    private final String policyName;
    private final String kind;
    private final String prefix;

    /**
     * @param policy     the policy whose meters these are
     * @param policyName its name
     * @param kind       what it is, for messages: "circuit breaker", "retry policy", "bulkhead"
     * @param prefix     the start of every meter name of this binder, such as "ninelives.breaker."
     * @param extraTags  the caller's extra tags
     */
    PolicyMeters(Object policy, String policyName, String kind, String prefix, Iterable<Tag> extraTags) {
        this.tags = Tags.of(extraTags).and(NAME, policyName);
        this.policy = policy;
        this.policyName = policyName;
        this.kind = kind;
        this.prefix = prefix;
    }

    @Override
    public final void bindTo(MeterRegistry registry) {
        Check.notNull(registry, "registry");
        Series series = new Series(prefix, tags);
        // The one lock of the library, and off every call path: it runs once per bindTo (when a
        // service starts), to make "one name, one series" per registry atomic with the
        // registration of the meters. The meters themselves read the policies lock-free.
        synchronized (BOUND) {
            Map<Series, Binding> bound = BOUND.computeIfAbsent(registry, r -> new HashMap<>());
            Binding before = bound.get(series);
            if (before != null) {
                Object held = before.policy().get();
                if (held == policy) {
                    return;                            // this policy is bound here already, by this binder or another
                }
                if (held != null) {
                    throw new IllegalStateException("Cannot bind " + describe() + ": another " + kind + " named '"
                            + policyName + "' is already bound to this registry" + (tagsBeyondName() ? " with the same tags" : "")
                            + ", and the two would share every series (" + prefix + "* " + tags + "), their counts added up"
                            + " and their gauges reading the first one. Give each " + kind + " a name of its own"
                            + " (or extra tags that tell them apart).");
                }
                before.meters().forEach(registry::remove);   // its policy was collected: its gauges could only read NaN
                bound.remove(series);
            }
            Set<Meter.Id> existing = ids(registry);
            try {
                register(registry);
            } catch (Throwable e) {                   // any failure: none of this binding's meters stay, then it propagates
                registeredSince(registry, existing).forEach(registry::remove);
                throw e;
            }
            bound.put(series, new Binding(new WeakReference<>(policy), registeredSince(registry, existing)));
        }
    }

    /**
     * Removes from {@code registry} the meters of every binding of {@code policy} (by any binder,
     * with any tags) and forgets the bindings, so that the policy's name can be bound again. The
     * listeners that fed those meters stay on the policy (a policy's listeners cannot be removed):
     * they go on counting into meters no registry holds any more. Does nothing if the policy is not
     * bound there.
     *
     * @param registry the registry
     * @param policy   the policy
     */
    static void unbind(MeterRegistry registry, Object policy) {
        synchronized (BOUND) {                         // a registry removing a policy: off every call path
            Map<Series, Binding> bound = BOUND.get(registry);
            if (bound == null) {
                return;
            }
            for (var it = bound.values().iterator(); it.hasNext(); ) {
                Binding b = it.next();
                if (b.policy().get() == policy) {
                    b.meters().forEach(registry::remove);
                    it.remove();
                }
            }
        }
    }

    /**
     * Tells whether {@code policy} is bound to {@code registry} (by any binder, with any tags).
     *
     * @param registry the registry
     * @param policy   the policy
     * @return true if some of its meters are registered there by a binding
     */
    static boolean isBound(MeterRegistry registry, Object policy) {
        synchronized (BOUND) {                         // at bind time only: off every call path
            Map<Series, Binding> bound = BOUND.get(registry);
            return bound != null && bound.values().stream().anyMatch(b -> b.policy().get() == policy);
        }
    }

    private String describe() {
        return kind + " '" + policyName + "'" + (tagsBeyondName() ? " with tags " + tags : "");
    }

    private boolean tagsBeyondName() {
        return tags.stream().count() > 1;
    }

    private Set<Meter.Id> ids(MeterRegistry registry) {
        Set<Meter.Id> ids = new HashSet<>();
        for (Meter m : registry.getMeters()) {
            if (m.getId().getName().startsWith(prefix)) {
                ids.add(m.getId());
            }
        }
        return ids;
    }

    /** This binder's meters registered since {@code existing} was read: no other binding runs meanwhile, BOUND's lock is held. */
    private List<Meter.Id> registeredSince(MeterRegistry registry, Set<Meter.Id> existing) {
        List<Meter.Id> ids = new ArrayList<>();
        for (Meter.Id id : ids(registry)) {
            if (!existing.contains(id) && policyName.equals(id.getTag(NAME))) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** Registers the meters in {@code registry}, then the listeners that feed them. Called once per registry and series. */
    abstract void register(MeterRegistry registry);

    /** An enum constant as a tag value: {@code HALF_OPEN} becomes {@code half_open}. */
    static String tagValue(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
