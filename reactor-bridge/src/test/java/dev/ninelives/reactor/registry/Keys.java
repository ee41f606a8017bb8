package dev.ninelives.reactor.registry;

import java.util.HashMap;
import java.util.Map;

/** Key maps for the properties tests: {@code keys("k1", "v1", "k2", "v2")}, and a map with more keys. */
final class Keys {

    private Keys() {
    }

    /** A new mutable map of the given key and value pairs. */
    static Map<String, String> keys(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A copy of {@code base} with the given pairs added or replaced. */
    static Map<String, String> with(Map<String, String> base, String... kv) {
        Map<String, String> m = new HashMap<>(base);
        m.putAll(keys(kv));
        return m;
    }
}
