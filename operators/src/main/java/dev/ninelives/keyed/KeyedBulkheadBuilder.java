package dev.ninelives.keyed;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadConfig;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;
import java.util.function.Function;

/**
 * Builds a {@link KeyedBulkhead}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value.
 *
 * <p>Defaults: at most 10,000 keys, a key is forgotten after 10 minutes without a
 * {@link KeyedBulkhead#get get}, the system ticker.
 *
 * <pre>{@code
 * KeyedBulkhead<String> perTenant = KeyedBulkhead.<String>builder("inventory")
 *     .maximumKeys(10_000)
 *     .expireAfterIdle(Duration.ofMinutes(10))
 *     .build(tenant -> Bulkhead.builder("inventory-" + tenant).maxConcurrent(5).build());
 * }</pre>
 *
 * @param <K> the type of the keys
 */
public final class KeyedBulkheadBuilder<K> {

    private final KeyedSettings settings;

    KeyedBulkheadBuilder(String name) {
        this.settings = new KeyedSettings(name);
    }

    /**
     * Sets how many keys the family keeps at most. Past it, keys that are asked for the least
     * leave the map. A bulkhead that leaves the map while calls hold its permits stays the
     * bulkhead of its key until they end (see {@link KeyedBulkhead}), so the bound never lets a
     * key run more calls than its limit.
     *
     * @param keys the bound, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code keys} is less than 1
     */
    public KeyedBulkheadBuilder<K> maximumKeys(int keys) {
        settings.maximumKeys(keys);
        return this;
    }

    /**
     * Sets how long a key stays in the map without being asked for through
     * {@link KeyedBulkhead#get}.
     *
     * @param idle the idle duration, positive
     * @return this builder
     * @throws NullPointerException     if {@code idle} is null
     * @throws IllegalArgumentException if {@code idle} is zero or negative
     */
    public KeyedBulkheadBuilder<K> expireAfterIdle(Duration idle) {
        settings.expireAfterIdle(idle);
        return this;
    }

    /**
     * Sets the clock of the idle expiry, for tests. It does not reach the bulkheads: give the
     * same ticker to the bulkheads the factory builds.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public KeyedBulkheadBuilder<K> ticker(Ticker ticker) {
        settings.ticker(ticker);
        return this;
    }

    /**
     * Builds the family. The factory runs once for each key that enters the map without a
     * bulkhead (see {@link KeyedBulkhead#get}); it should build a new bulkhead each time, named after
     * the key if its meters or logs must tell the keys apart. It runs while the map holds a
     * lock for the key, so it must be quick and must not use this family.
     *
     * @param factory builds the bulkhead of a key
     * @return the new family, with no key
     * @throws NullPointerException  if {@code factory} is null
     * @throws IllegalStateException if Caffeine ({@code com.github.ben-manes.caffeine:caffeine}),
     *                               an optional dependency, is not on the class path
     */
    public KeyedBulkhead<K> build(Function<? super K, ? extends Bulkhead> factory) {
        return new KeyedBulkhead<>(settings, factory);
    }

    /**
     * Builds the family from a template: each key's bulkhead has every setting of
     * {@code template} and is named after the family and the key ({@code "inventory[acme]"}),
     * so its meters and logs tell the keys apart. A setting the template's bulkhead has bound to
     * an {@link dev.ninelives.core.Adaptive} you gave stays bound to it in every key's bulkhead:
     * one change reaches every key, keeping each one's state (see {@code toBuilder} of the
     * config).
     *
     * <pre>{@code
     * KeyedBulkhead<String> perTenant = KeyedBulkhead.<String>builder("inventory")
     *     .build(inventory.config());           // every tenant's bulkhead like inventory's
     * }</pre>
     *
     * @param template the settings of every key's bulkhead, e.g. another bulkhead's {@code config()}
     * @return the new family, with no key
     * @throws NullPointerException  if {@code template} is null
     * @throws IllegalStateException if Caffeine ({@code com.github.ben-manes.caffeine:caffeine}),
     *                               an optional dependency, is not on the class path
     */
    public KeyedBulkhead<K> build(BulkheadConfig template) {
        Check.notNull(template, "template");
        String family = settings.name;
        return build(key -> template.toBuilder(family + "[" + key + "]").build());
    }
}
