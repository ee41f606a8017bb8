package dev.ninelives.keyed;

/**
 * A key entered or left the bounded map of a {@link KeyedBreaker} or a {@link KeyedBulkhead}.
 *
 * @param family the name of the keyed family, given to its builder
 * @param key    the key
 * @param policy the key's policy: the one just built, brought back, or the one that left the map
 * @param kind   what happened
 * @param <K>    the type of the keys
 * @param <P>    the type of the policies ({@code CircuitBreaker} or {@code Bulkhead})
 */
public record KeyEvent<K, P>(String family, K key, P policy, Kind kind) {

    /** What happened to a key. */
    public enum Kind {
        /** The factory built a policy for a key that had none: the key entered the map. */
        ADDED,
        /**
         * A key came back with the policy it had before it left the map, because that policy was
         * still in use (a call in flight held it); the factory did not run.
         */
        RESTORED,
        /** The key left the map because it was not asked for during the idle duration. */
        EXPIRED,
        /** The key left the map to keep it within its maximum number of keys. */
        EVICTED,
        /** The key left the map because {@code invalidate} was called. */
        INVALIDATED;

        /**
         * Tells whether the key entered the map ({@link #ADDED}, {@link #RESTORED}) rather than
         * left it.
         *
         * @return true for ADDED and RESTORED
         */
        public boolean added() {
            return this == ADDED || this == RESTORED;
        }
    }

    @Override
    public String toString() {
        return "KeyEvent{family='" + family + "', key=" + key + ", " + kind + '}';
    }
}
