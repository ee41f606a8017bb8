package dev.ninelives.keyed;

import java.util.Set;

/**
 * The bounded, expiring map behind a {@link Family}. Its only implementation is
 * {@link CaffeineStore}; this interface keeps every reference to Caffeine out of the classes a
 * user loads, so that they load, and fail with a clear message, without Caffeine.
 */
interface Store<K, P> {

    /** The key's policy: the mapped one, else the one it had while still in use, else a new one. */
    P get(K key);

    /** The mapped policy, or null; does not count as a use of the key. */
    P getIfPresent(K key);

    /** A snapshot of the mapped keys. */
    Set<K> keys();

    /** The number of mapped keys, possibly counting expired ones not yet removed. */
    long estimatedSize();

    /** Removes the key from the map. */
    void invalidate(K key);

    /** Runs the pending maintenance: expiry and size eviction. */
    void cleanUp();

    /** Weighs and times the key's entry again, if it still maps {@code policy}. */
    void refresh(K key, P policy);
}
