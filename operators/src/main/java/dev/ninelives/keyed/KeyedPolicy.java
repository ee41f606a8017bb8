package dev.ninelives.keyed;

import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A policy per key, in a bounded map with an idle expiry: what {@link KeyedBreaker} and
 * {@link KeyedBulkhead} have in common. Their class comments say what leaving the map means for
 * each kind of policy.
 *
 * <pre>{@code
 * KeyedPolicy<String, CircuitBreaker> perTenant = KeyedBreaker.<String>builder("inventory")
 *     .build(CircuitBreakerConfig.ofDefaults());
 * CircuitBreaker tenantsBreaker = perTenant.get("tenant-42");
 * }</pre>
 *
 * @param <K> the type of the keys: {@code equals} and {@code hashCode} decide which calls share a policy
 * @param <P> the type of the policies
 */
public abstract sealed class KeyedPolicy<K, P> permits KeyedBreaker, KeyedBulkhead {

    final Family<K, P> family;

    KeyedPolicy(Family<K, P> family) {
        this.family = family;
    }

    /**
     * Returns the family's name.
     *
     * @return the name given to the builder
     */
    public final String name() {
        return family.name;
    }

    /**
     * Returns the key's policy: the one in the map, else the one the key had if it is still in
     * use, else a new one from the factory. Counts as a use of the key for the idle expiry.
     *
     * @param key the key
     * @return the key's policy, never null
     * @throws NullPointerException if {@code key} is null, or the factory returned null
     * @throws RuntimeException     or {@link Error}, whatever the factory threw; nothing is kept
     * @throws VirtualMachineError  or {@link LinkageError} thrown by a key listener, once the map is whole
     */
    public final P get(K key) {
        return family.get(key);
    }

    /**
     * Returns the key's policy if the key is in the map, without building one and without
     * counting as a use of the key.
     *
     * @param key the key
     * @return the policy, or empty if the key is not in the map
     * @throws NullPointerException if {@code key} is null
     */
    public final Optional<P> getIfPresent(K key) {
        return family.getIfPresent(key);
    }

    /**
     * Returns a snapshot of the keys in the map.
     *
     * @return an unmodifiable set, which later changes do not affect
     */
    public final Set<K> keys() {
        return family.keys();
    }

    /**
     * Returns about how many keys are in the map: it may still count keys that have expired
     * but have not been removed yet ({@link #cleanUp()} removes them).
     *
     * @return the estimated number of keys
     */
    public final long estimatedSize() {
        return family.estimatedSize();
    }

    /**
     * Removes the key from the map. Its policy is forgotten once nothing uses it; until then,
     * the next {@link #get} gives it back, its state with it (to start a key afresh, reset its
     * breaker).
     *
     * @param key the key
     * @throws NullPointerException if {@code key} is null
     * @throws VirtualMachineError  or {@link LinkageError} thrown by a key listener, once the map is whole
     */
    public final void invalidate(K key) {
        family.invalidate(key);
    }

    /**
     * Runs the maintenance that operations otherwise do as they go: removes the keys that have
     * expired, and evicts keys over the maximum.
     *
     * @throws VirtualMachineError or {@link LinkageError} thrown by a key listener, once the map is whole
     */
    public final void cleanUp() {
        family.cleanUp();
    }

    /**
     * Registers a listener for keys entering the map: {@link KeyEvent.Kind#ADDED} with a policy
     * from the factory, {@link KeyEvent.Kind#RESTORED} with the policy the key had. It runs after
     * the map changed, on a thread using the family, one event at a time and in the order of the
     * changes (see the class comment of each kind); only while at least one is registered does a
     * change allocate its event.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    public final void onKeyAdded(Consumer<? super KeyEvent<K, P>> listener) {
        family.onKeyAdded(listener);
    }

    /**
     * Registers a listener for keys leaving the map: {@link KeyEvent.Kind#EXPIRED},
     * {@link KeyEvent.Kind#EVICTED} or {@link KeyEvent.Kind#INVALIDATED}, with the policy the key
     * had. It runs as {@link #onKeyAdded} listeners do.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    public final void onKeyRemoved(Consumer<? super KeyEvent<K, P>> listener) {
        family.onKeyRemoved(listener);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{name='" + family.name + "', keys=" + family.estimatedSize() + '}';
    }
}
