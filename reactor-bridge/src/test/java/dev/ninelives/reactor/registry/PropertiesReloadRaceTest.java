package dev.ninelives.reactor.registry;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.registry.ReloadReport.Action;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Reloads racing with calls. */
class PropertiesReloadRaceTest {

    private static Map<String, String> limit(int n) {
        Map<String, String> m = new HashMap<>();
        m.put("ninelives.bulkhead.db.max-concurrent", Integer.toString(n));
        return m;
    }

    /**
     * Guards against a reload that loses permits or admits beyond every limit: while one thread
     * reloads the bulkhead's limit between 2 and 4 (in place) as fast as it can, two callers look
     * the bulkhead up, take a permit and give it back. The callers must always find the same
     * instance, never hold more than 4 permits between them, and leave every permit free.
     */
    @Test
    void reloadsInPlaceWhileCallsRunLoseNoPermitAndKeepTheInstance() throws Exception {
        NineLivesProperties p = NineLivesProperties.load(limit(2));
        Bulkhead db = p.registry().bulkhead("db");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger held = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        AtomicInteger otherInstance = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Runnable caller = () -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                while (running.get()) {
                    Bulkhead b = p.registry().bulkhead("db");
                    if (b != db) {
                        otherInstance.incrementAndGet();
                    }
                    if (b.tryAcquire()) {
                        mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                        held.decrementAndGet();
                        b.release();
                    }
                }
            };
            Future<?> a = pool.submit(caller);
            Future<?> b = pool.submit(caller);
            Future<Integer> reloads = pool.submit(() -> {
                start.countDown();
                int changed = 0;
                for (int i = 0; i < 2_000; i++) {
                    ReloadReport r = p.reload(limit(i % 2 == 0 ? 4 : 2));
                    changed += r.changes().size();
                    assertThat(r.changes()).allMatch(c -> c.action() == Action.CHANGED);
                }
                running.set(false);
                return changed;
            });
            assertThat(reloads.get(60, TimeUnit.SECONDS)).isEqualTo(2_000);
            a.get(60, TimeUnit.SECONDS);
            b.get(60, TimeUnit.SECONDS);
        } finally {
            running.set(false);
            pool.shutdownNow();
        }
        assertThat(otherInstance.get()).isZero();
        assertThat(mostHeld.get()).isLessThanOrEqualTo(4);
        assertThat(db.metrics().inFlight()).isZero();
        assertThat(db.metrics().availablePermits()).isEqualTo(2);   // the last reload set 2
    }
}
