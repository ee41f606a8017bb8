package dev.ninelives.keyed;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.testing.ManualTicker;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

/** Plain threads released together by a latch ({@link Race}), with seeded randomness. */
class KeyedRaceTest {

    private static final long SEED = 0x4E1_7EDL;
    private static final int THREADS = 4;

    /**
     * Guards against two policies for one key when threads ask for a new key at once: a
     * check-then-put map would run the factory twice and hand each thread its own breaker, so the
     * key's calls would be counted in two windows. Every thread asks for the same keys, from
     * different starting points, and must get one breaker per key, built once.
     */
    @Test
    void threadsRacingForNewKeysGetOneBreakerPerKeyBuiltOnce() throws Exception {
        int keys = 5_000;
        ConcurrentHashMap<Integer, AtomicInteger> builds = new ConcurrentHashMap<>();
        KeyedBreaker<Integer> perKey = KeyedBreaker.<Integer>builder("race").maximumKeys(2 * keys).build(key -> {
            builds.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            return CircuitBreaker.ofDefaults("race-" + key);
        });
        ConcurrentHashMap<Integer, CircuitBreaker> seen = new ConcurrentHashMap<>();
        AtomicInteger mismatches = new AtomicInteger();
        Race.run(THREADS, id -> {
            for (int i = 0; i < keys; i++) {
                int key = (i + id * keys / THREADS) % keys;
                CircuitBreaker b = perKey.get(key);
                CircuitBreaker first = seen.putIfAbsent(key, b);
                if (first != null && first != b) {
                    mismatches.incrementAndGet();
                }
            }
        });
        assertThat(mismatches).as("threads that got another breaker for a key").hasValue(0);
        assertThat(builds).hasSize(keys);
        assertThat(builds.values()).allMatch(n -> n.get() == 1, "the factory ran once per key");
        assertThat(perKey.estimatedSize()).isEqualTo(keys);
    }

    /**
     * Guards against a key running more calls than its bulkhead's limit because its bulkhead left
     * the map (evicted for size, expired, invalidated) while calls held its permits, or while a
     * caller held it without having called yet, and a fresh bulkhead with every permit free was
     * built for the next call. A map of 2 keys for 8 keys, an idle duration that threads keep
     * passing, and random invalidations keep bulkheads leaving the map; every thread sometimes
     * keeps the bulkhead it fetched for a later call. A counter per key checks the calls in
     * flight never exceed the limit.
     */
    @Test
    void theLimitOfAKeyHoldsUnderEvictionPressure() throws Exception {
        int keys = 8;
        int limit = 2;
        ManualTicker ticker = new ManualTicker();
        AtomicInteger builds = new AtomicInteger();
        KeyedBulkhead<Integer> perKey = KeyedBulkhead.<Integer>builder("race")
                .maximumKeys(2)
                .expireAfterIdle(Duration.ofMillis(5))
                .ticker(ticker)
                .build(key -> {
                    builds.incrementAndGet();
                    return Bulkhead.builder("race-" + key).maxConcurrent(limit).build();
                });
        AtomicInteger left = new AtomicInteger();
        perKey.onKeyRemoved(e -> left.incrementAndGet());
        AtomicIntegerArray inFlight = new AtomicIntegerArray(keys);
        AtomicIntegerArray most = new AtomicIntegerArray(keys);
        AtomicInteger admitted = new AtomicInteger();
        Race.run(THREADS, id -> {
            SplittableRandom random = new SplittableRandom(SEED + id);
            Bulkhead kept = null;
            int keptKey = -1;
            for (int i = 0; i < 30_000; i++) {
                int key;
                Bulkhead b;
                if (kept != null && random.nextInt(4) == 0) {
                    key = keptKey;                        // a reference kept across evictions
                    b = kept;
                    kept = null;
                } else {
                    key = random.nextInt(keys);
                    b = perKey.get(key);
                    if (random.nextInt(8) == 0) {
                        kept = b;
                        keptKey = key;
                        continue;
                    }
                }
                if (b.tryAcquire()) {
                    admitted.incrementAndGet();
                    int n = inFlight.incrementAndGet(key);
                    most.accumulateAndGet(key, n, Math::max);
                    switch (random.nextInt(4)) {
                        case 0 -> ticker.advance(Duration.ofMillis(3));
                        case 1 -> perKey.invalidate(random.nextInt(keys));
                        case 2 -> perKey.get(random.nextInt(keys));
                        default -> Thread.onSpinWait();
                    }
                    inFlight.decrementAndGet(key);
                    b.release();
                }
            }
        });
        for (int key = 0; key < keys; key++) {
            assertThat(most.get(key)).as("most calls in flight for key %d", key).isBetween(1, limit);
        }
        assertThat(admitted.get()).isGreaterThan(1_000);
        assertThat(left.get()).as("keys that left the map").isGreaterThan(1_000);
    }
}
