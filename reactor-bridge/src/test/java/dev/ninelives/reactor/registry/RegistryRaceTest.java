package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.core.Adaptive;
import dev.ninelives.reactor.Pipeline;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Threads racing to create one new name. */
class RegistryRaceTest {

    /**
     * Two threads ask for one new breaker at once, both inside its creation (a latch in the
     * customizer holds each until the other arrives), so both build one. Guards against two
     * instances escaping under one name (each caller keeping its own breaker, two ADDED events),
     * and against the losing breaker staying bound to the shared adaptive: it would go on checking
     * every change and being told about it, and stay reachable from the adaptive for ever.
     *
     * <p>The bindings are counted through a view: a change of the source runs the view's mapping
     * once to refresh the view, and once more for each policy whose check is registered through
     * it. With the loser released, one change runs it twice; left bound, three times.
     */
    @Test
    void twoThreadsAskingForOneNewNameGetOneInstanceAndTheLoserIsReleased() throws Exception {
        Adaptive<Float> threshold = Adaptive.of(50f);
        AtomicInteger mappings = new AtomicInteger();
        Adaptive<Float> counted = threshold.map(v -> {
            mappings.incrementAndGet();
            return v;
        });
        CountDownLatch bothInside = new CountDownLatch(2);
        AtomicInteger builds = new AtomicInteger();
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .breaker("contended", b -> {
                    builds.incrementAndGet();
                    bothInside.countDown();
                    try {
                        assertThat(bothInside.await(10, TimeUnit.SECONDS)).as("the other thread arrived").isTrue();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    b.failureRateThreshold(counted);
                })
                .build();
        List<RegistryEvent> events = new CopyOnWriteArrayList<>();
        registry.onEvent(events::add);

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<CircuitBreaker> first = pool.submit(() -> registry.breaker("contended"));
            Future<CircuitBreaker> second = pool.submit(() -> registry.breaker("contended"));
            CircuitBreaker a = first.get(20, TimeUnit.SECONDS);
            CircuitBreaker b = second.get(20, TimeUnit.SECONDS);

            assertThat(builds).hasValue(2);
            assertThat(a).isSameAs(b).isSameAs(registry.breaker("contended"));
            assertThat(events).singleElement().satisfies(e -> assertThat(e.policy()).isSameAs(a));
        } finally {
            pool.shutdownNow();
        }

        mappings.set(0);
        threshold.set(40f);
        assertThat(mappings).as("one refresh of the view + the check of the one breaker still bound").hasValue(2);
        assertThat(registry.breaker("contended").config().failureRateThreshold()).isEqualTo(40f);
    }

    /**
     * Two threads create one new pipeline, whose creation looks up (and creates) its breaker,
     * retry and bulkhead. Guards against a lookup made while creating holding a lock that the
     * other thread's creation waits for (a deadlock, or ConcurrentHashMap's "recursive update"
     * when a creation runs inside computeIfAbsent), and against the two pipelines holding
     * different breakers of one name.
     */
    @Test
    void twoThreadsCreatingOnePipelineGetOneAndItsPoliciesAreTheRegistrys() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .pipeline("orders", p -> {
                    bothInside.countDown();
                    try {
                        assertThat(bothInside.await(10, TimeUnit.SECONDS)).as("the other thread arrived").isTrue();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    p.retry().bulkhead();
                })
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Pipeline> first = pool.submit(() -> registry.pipeline("orders"));
            Future<Pipeline> second = pool.submit(() -> registry.pipeline("orders"));
            Pipeline a = first.get(20, TimeUnit.SECONDS);
            Pipeline b = second.get(20, TimeUnit.SECONDS);
            assertThat(a).isSameAs(b);
            assertThat(a.breaker()).containsSame(registry.breaker("orders"));
            assertThat(a.retry()).containsSame(registry.retry("orders"));
            assertThat(a.bulkhead()).containsSame(registry.bulkhead("orders"));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two threads create and remove one name over and over while a listener records its events.
     * Guards against events delivered outside the order of the changes (a REMOVED overtaking the
     * ADDED it follows, when two threads each deliver their own event), against a listener called
     * concurrently with itself, and against an event lost when one thread queues it while the
     * other finishes delivering.
     */
    @Test
    void theEventsOfOneNameArriveInTheOrderOfItsChangesWhateverThreadsMakeThem() throws Exception {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        List<RegistryEvent> events = new java.util.ArrayList<>();          // the listener is never concurrent
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        registry.onEvent(e -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            events.add(e);
            inside.decrementAndGet();
        });
        int rounds = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> workers = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                workers.add(pool.submit(() -> {
                    start.await();
                    int removed = 0;
                    for (int i = 0; i < rounds; i++) {
                        registry.breaker("x");
                        if (registry.removeBreaker("x").isPresent()) {
                            removed++;
                        }
                    }
                    return removed;
                }));
            }
            start.countDown();
            int removed = 0;
            for (Future<Integer> w : workers) {
                removed += w.get(60, TimeUnit.SECONDS);
            }

            assertThat(overlaps).hasValue(0);
            assertThat(registry.findBreaker("x")).isEmpty();
            assertThat(events).hasSize(2 * removed);                        // every change announced, once
            for (int i = 0; i < events.size(); i++) {
                RegistryEvent e = events.get(i);
                assertThat(e.type()).as("event %d", i).isEqualTo(i % 2 == 0 ? RegistryEvent.Type.ADDED : RegistryEvent.Type.REMOVED);
                if (i % 2 == 1) {
                    assertThat(e.policy()).as("event %d removes what event %d added", i, i - 1).isSameAs(events.get(i - 1).policy());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
