package dev.ninelives.keyed;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;

import java.util.Set;
import java.util.function.Function;

/*
 * The two maps of a keyed family, both Caffeine caches.
 *
 * `live` is the bounded map: at most maximumKeys of weight (each entry weighs 1, except a pinned
 * one, see below), an entry expires when its key has not been asked for during the idle
 * duration, and maintenance runs on the calling thread (executor Runnable::run) with the
 * family's ticker as its clock, so a test that moves a ManualTicker sees exactly what it set up.
 * Caffeine's own admission policy (W-TinyLFU) decides which key leaves when the map is full: a
 * key asked for often outlives a flood of keys asked for once.
 *
 * `retired` holds, by weak reference, every policy that left `live` (evicted, expired or
 * invalidated). A policy stays there exactly as long as something else still references it: a
 * call in flight (its subscriber, or the caller that must release its permit), or a caller that
 * fetched it and has not used it yet. When its key is asked for again, the policy is taken back
 * from `retired` instead of building a new one. So, for each key, at most one policy is ever
 * reachable: a bulkhead's limit holds across eviction, and an outcome recorded on a breaker after
 * its key left the map is not lost. Once nothing references a retired policy the garbage
 * collector clears it and Caffeine drops the entry; the next call for its key builds a fresh one,
 * which nobody can tell from the old one except by its counts.
 *
 * Who races, and why it is safe. Both moves happen under `live`'s lock for the key (the bin lock
 * of its ConcurrentHashMap): Caffeine calls the eviction listener inside the atomic removal,
 * and invalidate() moves the policy inside computeIfPresent; the mapping function of get(),
 * which takes a policy back from `retired` or builds one, runs inside the atomic computeIfAbsent
 * of the same key. So no get() can find the key in neither map while its policy moves between
 * them, and two gets of one absent key run the mapping function once (Caffeine's guarantee).
 *
 * Pinning. A family may say that a policy must stay for a while whatever the idle duration and
 * the size bound (keepNanos > 0: a breaker while OPEN or FORCED_OPEN). Such an entry weighs 0, so
 * size eviction skips it, and expires after max(idle, keep) instead of the idle duration. The
 * weight and the expiry are computed when the entry is written, so the family calls refresh()
 * (a replace of the value by itself) when the policy's answer changes: a breaker's transition
 * listener does. A read never shortens the time left (expireAfterRead keeps the larger of the
 * remaining time and the idle duration), and costs no call into the policy.
 */
final class CaffeineStore<K, P> implements Store<K, P> {

    private final Family<K, P> family;
    private final Cache<K, P> live;
    private final Cache<K, P> retired;
    /** The mapping function of get(), made once so that a lookup allocates nothing. */
    private final Function<K, P> load = this::load;

    private CaffeineStore(Family<K, P> family) {
        this.family = family;
        this.retired = Caffeine.newBuilder()
                .weakValues()
                .executor(Runnable::run)
                .build();
        long idle = family.idleNanos;
        this.live = Caffeine.newBuilder()
                .maximumWeight(family.maximumKeys)
                .weigher((K key, P policy) -> family.keepNanos(policy) > 0 ? 0 : 1)
                .expireAfter(new Expiry<K, P>() {
                    @Override
                    public long expireAfterCreate(K key, P policy, long now) {
                        return Math.max(idle, family.keepNanos(policy));
                    }

                    @Override
                    public long expireAfterUpdate(K key, P policy, long now, long remaining) {
                        return Math.max(idle, family.keepNanos(policy));
                    }

                    @Override
                    public long expireAfterRead(K key, P policy, long now, long remaining) {
                        return Math.max(remaining, idle);
                    }
                })
                .ticker(family.ticker::read)
                .executor(Runnable::run)
                .evictionListener((K key, P policy, RemovalCause cause) -> {
                    if (key != null && policy != null) {
                        retire(key, policy, cause == RemovalCause.EXPIRED ? KeyEvent.Kind.EXPIRED : KeyEvent.Kind.EVICTED);
                    }
                })
                .build();
    }

    /** Called only once Family has checked that Caffeine is on the class path. */
    static <K, P> Store<K, P> create(Family<K, P> family) {
        return new CaffeineStore<>(family);
    }

    /** Under live's lock for the key: keeps the policy findable while it is in use, and tells. */
    private void retire(K key, P policy, KeyEvent.Kind kind) {
        retired.put(key, policy);
        family.removed(key, policy, kind);
    }

    @Override
    public P get(K key) {
        return live.get(key, load);
    }

    /** Under live's lock for the key, which has no policy in the map: the one still in use, else a new one. */
    private P load(K key) {
        P back = retired.asMap().remove(key);
        return back != null ? family.restored(key, back) : family.create(key);
    }

    @Override
    public P getIfPresent(K key) {
        return live.policy().getIfPresentQuietly(key);
    }

    @Override
    public Set<K> keys() {
        return Set.copyOf(live.asMap().keySet());
    }

    @Override
    public long estimatedSize() {
        return live.estimatedSize();
    }

    @Override
    public void invalidate(K key) {
        live.asMap().computeIfPresent(key, (k, policy) -> {
            retire(k, policy, KeyEvent.Kind.INVALIDATED);
            return null;
        });
    }

    @Override
    public void cleanUp() {
        live.cleanUp();
        retired.cleanUp();
    }

    @Override
    public void refresh(K key, P policy) {
        live.asMap().replace(key, policy, policy);
    }
}
