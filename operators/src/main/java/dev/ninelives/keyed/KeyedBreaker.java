package dev.ninelives.keyed;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.internal.Check;

import java.util.function.Function;

/**
 * A circuit breaker per key: per tenant, per endpoint, per host. One failing tenant opens its
 * own breaker and the others carry on. The breakers live in a bounded map with an idle expiry,
 * so a flood of keys cannot exhaust memory.
 *
 * <pre>{@code
 * KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory")
 *     .maximumKeys(10_000)
 *     .expireAfterIdle(Duration.ofMinutes(10))
 *     .build(tenant -> CircuitBreaker.builder("inventory-" + tenant).failureRateThreshold(30).build());
 *
 * // With Reactor (ninelives-reactor): ask for the breaker on each call
 * Mono<Stock> stock = client.stock(tenant, item).transform(NineLives.breaker(perTenant.get(tenant)));
 * }</pre>
 *
 * <p>Needs Caffeine ({@code com.github.ben-manes.caffeine:caffeine}), an optional dependency of
 * {@code ninelives-operators}; {@link #builder} works without it, and {@code build} then throws an
 * {@link IllegalStateException} that names the artifact to add.
 *
 * <h2>One breaker per key</h2>
 * {@link #get} returns the key's breaker, building it with the factory if the key has none:
 * two threads asking for one new key get one breaker, and the factory runs once. A factory that
 * throws propagates its exception to the caller of {@code get}, and nothing is kept: the next
 * {@code get} runs the factory again. A factory that returns null makes {@code get} throw a
 * {@link NullPointerException} naming the family and the key.
 *
 * <p>Ask for the breaker on each call rather than keeping it: the map counts a key as used when
 * it is asked for. A breaker kept by the caller is still the key's breaker, though (below).
 *
 * <h2>Bounds, and what leaving the map means</h2>
 * A key leaves the map when it has not been asked for during the idle duration, when the map
 * is over its maximum number of keys (Caffeine's W-TinyLFU policy picks the key: one asked for
 * rarely goes before one asked for often, so a flood of new keys does not push out the tenants
 * that keep calling), or by {@link #invalidate}. There is no background thread: a key leaves
 * during a later operation on the family, or in {@link #cleanUp()}.
 * <ul>
 *   <li><b>A breaker that is still in use keeps its key.</b> While anything references the
 *       breaker that left the map (a call in flight holds it until its outcome is recorded; a
 *       caller may hold it), the next {@code get} of its key returns that same breaker and puts
 *       it back in the map ({@link KeyEvent.Kind#RESTORED}): for each key, there is never more
 *       than one breaker in use, and no outcome is recorded on a breaker that the key has left
 *       behind.</li>
 *   <li><b>A breaker nothing references is forgotten</b> once the garbage collector reclaims it:
 *       the next call builds a fresh, CLOSED breaker with an empty window. Until then, the next
 *       call may still get the old one back.</li>
 *   <li><b>An OPEN breaker stays until its open duration has passed.</b> Forgetting it sooner
 *       would let a failing tenant's calls through again after an idle spell, or after a flood
 *       of other keys. So while a breaker is OPEN it does not count towards the maximum number of
 *       keys and cannot be evicted for size, and it expires no sooner than its longest open
 *       duration ({@code maxOpenDuration}) after it opened, nor than the idle duration after the
 *       last {@code get}. Once the open duration has passed, forgetting it costs little: its
 *       next call would have been a trial call. FORCED_OPEN, entered by hand, stays until the
 *       breaker leaves it. The map may therefore hold more keys than its maximum, by the number
 *       of breakers refusing calls.</li>
 * </ul>
 *
 * <h2>Listeners</h2>
 * {@link #onKeyAdded} and {@link #onKeyRemoved} hear keys enter and leave the map. They run on a
 * thread that uses the family, right after the change, once the map is whole (never inside the
 * map's locks), one at a time and in the order of the changes. A listener that throws is logged
 * through {@link System.Logger} (logger {@code dev.ninelives}) and the others still run; a
 * JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) is rethrown once every
 * queued event has been delivered, from the operation that delivered it ({@link #get} then
 * throws it instead of returning the breaker, which stays in the map).
 *
 * <h2>Metrics</h2>
 * Bind a meter per key only for a small, fixed set of keys: one series per tenant would grow
 * without bound. Count the family as a whole instead, through listeners the factory registers
 * on each breaker, and {@link #estimatedSize()}.
 *
 * <p>All methods are thread-safe. {@link #get} of a key in the map is one lookup in Caffeine's map.
 *
 * @param <K> the type of the keys: {@code equals} and {@code hashCode} decide which calls share a breaker
 */
public final class KeyedBreaker<K> extends KeyedPolicy<K, CircuitBreaker> {

    KeyedBreaker(KeyedSettings settings, Function<? super K, ? extends CircuitBreaker> factory) {
        super(new Family<>("KeyedBreaker", settings.name, settings.maximumKeys, settings.idleNanos(),
                settings.ticker, CircuitBreaker.class, Check.notNull(factory, "factory"), KeyedBreaker::keepNanos,
                KeyedBreaker::watch));
    }

    /**
     * Starts a builder for a family of breakers.
     *
     * @param name the family's name, for its events and log lines
     * @param <K>  the type of the keys
     * @return a new builder with the defaults described on {@link KeyedBreakerBuilder}
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static <K> KeyedBreakerBuilder<K> builder(String name) {
        return new KeyedBreakerBuilder<>(name);
    }

    /** How long a breaker must stay in the map, whatever its idle time and the size bound. */
    private static long keepNanos(CircuitBreaker breaker) {
        CircuitBreaker.State state = breaker.state();
        if (state == CircuitBreaker.State.OPEN) {
            return Check.nanos(breaker.config().maxOpenDuration());
        }
        return state == CircuitBreaker.State.FORCED_OPEN ? Long.MAX_VALUE : 0L;
    }

    /** Pins the key's entry when its breaker starts refusing calls, and unpins it when it stops. */
    private static <K> void watch(Family<K, CircuitBreaker> family, K key, CircuitBreaker breaker) {
        breaker.onStateTransition(event -> {
            if (event.from().refusesCalls() || event.to().refusesCalls()) {
                family.refresh(key, breaker);
            }
        });
    }
}
