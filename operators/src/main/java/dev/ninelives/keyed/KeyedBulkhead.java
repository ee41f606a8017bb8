package dev.ninelives.keyed;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.Check;

import java.util.function.Function;

/**
 * A bulkhead per key: at most N calls in flight per tenant, per endpoint, per host, so that one
 * tenant's burst cannot take every connection. The bulkheads live in a bounded map with an idle
 * expiry, so a flood of keys cannot exhaust memory.
 *
 * <pre>{@code
 * KeyedBulkhead<String> perTenant = KeyedBulkhead.<String>builder("inventory")
 *     .maximumKeys(10_000)
 *     .expireAfterIdle(Duration.ofMinutes(10))
 *     .build(tenant -> Bulkhead.builder("inventory-" + tenant).maxConcurrent(5).build());
 *
 * // With Reactor (ninelives-reactor): ask for the bulkhead on each call
 * Mono<Stock> stock = client.stock(tenant, item).transform(NineLives.bulkhead(perTenant.get(tenant)));
 * }</pre>
 *
 * <p>Needs Caffeine ({@code com.github.ben-manes.caffeine:caffeine}), an optional dependency of
 * {@code ninelives-operators}; {@link #builder} works without it, and {@code build} then throws an
 * {@link IllegalStateException} that names the artifact to add.
 *
 * <h2>One bulkhead per key</h2>
 * {@link #get} returns the key's bulkhead, building it with the factory if the key has none:
 * two threads asking for one new key get one bulkhead, and the factory runs once. A factory that
 * throws propagates its exception to the caller of {@code get}, and nothing is kept: the next
 * {@code get} runs the factory again. A factory that returns null makes {@code get} throw a
 * {@link NullPointerException} naming the family and the key.
 *
 * <h2>The limit of a key holds, whatever leaves the map</h2>
 * A key leaves the map when it has not been asked for during the idle duration, when the map
 * is over its maximum number of keys (Caffeine's W-TinyLFU policy picks the key: one asked for
 * rarely goes before one asked for often), or by {@link #invalidate}. There is no background
 * thread: a key leaves during a later operation on the family, or in {@link #cleanUp()}.
 *
 * <p>Were a bulkhead with calls in flight simply dropped, the next call for its key would get a
 * fresh bulkhead with every permit free, and the key would run more calls than its limit. So a
 * bulkhead that left the map stays its key's bulkhead as long as anything references it: a call
 * holding a permit (it must release it), a caller waiting for one, a caller that fetched it and
 * has not called yet. The next {@code get} of the key returns that same bulkhead and puts it back
 * in the map ({@link KeyEvent.Kind#RESTORED}); the factory does not run. For each key there is
 * never more than one bulkhead in use, so its limit holds exactly, under any eviction pressure,
 * even for a caller that kept the bulkhead across an eviction. Once nothing references it, the
 * garbage collector reclaims it, and the next call gets a fresh bulkhead: with no call in
 * flight, nobody can tell them apart, except by the rejection count of its metrics.
 *
 * <p>When every key is busy, the size bound still holds for the map: keys leave it, and
 * their busy bulkheads live on only through the calls that hold them, which the application's
 * own concurrency bounds. Memory is the map's bound plus the bulkheads that calls in flight
 * hold anyway.
 *
 * <h2>Listeners</h2>
 * {@link #onKeyAdded} and {@link #onKeyRemoved} hear keys enter and leave the map. They run on a
 * thread that uses the family, right after the change, once the map is whole (never inside the
 * map's locks), one at a time and in the order of the changes. A listener that throws is logged
 * through {@link System.Logger} (logger {@code dev.ninelives}) and the others still run; a
 * JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) is rethrown once every
 * queued event has been delivered, from the operation that delivered it ({@link #get} then
 * throws it instead of returning the bulkhead, which stays in the map).
 *
 * <h2>Metrics</h2>
 * Bind a meter per key only for a small, fixed set of keys: one series per tenant would grow
 * without bound. Count the family as a whole instead, through listeners the factory registers
 * on each bulkhead, and {@link #estimatedSize()}.
 *
 * <p>All methods are thread-safe. {@link #get} of a key in the map is one lookup in Caffeine's map.
 *
 * @param <K> the type of the keys: {@code equals} and {@code hashCode} decide which calls share a bulkhead
 */
public final class KeyedBulkhead<K> extends KeyedPolicy<K, Bulkhead> {

    KeyedBulkhead(KeyedSettings settings, Function<? super K, ? extends Bulkhead> factory) {
        super(new Family<>("KeyedBulkhead", settings.name, settings.maximumKeys, settings.idleNanos(),
                settings.ticker, Bulkhead.class, Check.notNull(factory, "factory"), null, null));
    }

    /**
     * Starts a builder for a family of bulkheads.
     *
     * @param name the family's name, for its events and log lines
     * @param <K>  the type of the keys
     * @return a new builder with the defaults described on {@link KeyedBulkheadBuilder}
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static <K> KeyedBulkheadBuilder<K> builder(String name) {
        return new KeyedBulkheadBuilder<>(name);
    }
}
