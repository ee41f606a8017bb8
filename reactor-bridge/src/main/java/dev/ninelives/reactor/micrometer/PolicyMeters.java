package dev.ninelives.reactor.micrometer;

import dev.ninelives.internal.Check;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/*
 * What the three binders share: the tags of every meter (the caller's extra tags, then `name`
 * = the policy's name, which wins over an extra tag of that key), and binding at most once per
 * registry. A binding registers the meters and then the policy listeners that feed its
 * counters and timer; listeners cannot be removed, so binding the same binder to the same
 * registry again must not register them twice, or every event would be counted twice.
 */
abstract class PolicyMeters implements MeterBinder {

    /** The tag that carries the policy's name on every meter. */
    static final String NAME = "name";

    final Tags tags;
    private final Set<MeterRegistry> bound = ConcurrentHashMap.newKeySet();

    PolicyMeters(String policyName, Iterable<Tag> extraTags) {
        this.tags = Tags.of(extraTags).and(NAME, policyName);
    }

    @Override
    public final void bindTo(MeterRegistry registry) {
        Check.notNull(registry, "registry");
        if (bound.add(registry)) {                        // MeterRegistry keeps Object's identity equality
            register(registry);
        }
    }

    /** Registers the meters in {@code registry}, then the listeners that feed them. Called once per registry. */
    abstract void register(MeterRegistry registry);

    /** An enum constant as a tag value: {@code HALF_OPEN} becomes {@code half_open}. */
    static String tagValue(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
