package dev.ninelives.breaker;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.RepeatedTest;

import java.io.IOException;
import java.lang.reflect.Field;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three threads make calls through a breaker whose count window one thread resizes (between 1
 * and 64 calls) a thousand times; one call in four fails. The breaker is METRICS_ONLY, whose
 * window records and resizes like a CLOSED one but never trips, so every call is made. Once everyone is quiet, the window in place must have the last size
 * set, and the totals in its word must equal what its ring holds.
 *
 * <p>Guards against a prefilled window whose word does not match its ring (head, lap or full
 * bit wrong: the next records then reserve the wrong slots, spin on a stale lap or count
 * outcomes the ring does not hold; a wrong lap was seen to hang the recorders, which the race's
 * time-out turns into a failure); and against racing resizes leaving a window of a size no
 * longer in force (a resize that lost its phase CAS and gave up, or one that installed a stale
 * size after a later one). A torn copy (a slot overwritten by a later lap while it was read)
 * needs a whole lap of records during one copy; this test rarely makes one, so the tag check
 * in {@code CountWindow.resized} is held by review, not by this test.
 */
class AdaptiveWindowRaceTest {

    @RepeatedTest(20)
    void theWindowInPlaceHasTheLastSizeAndItsTotalsEqualItsRing() throws Exception {
        Adaptive<Integer> size = Adaptive.of(16);
        CircuitBreaker b = CircuitBreaker.builder("resize-race").slidingWindow(size).minimumNumberOfCalls(1)
                .ticker(() -> 0L).build();
        b.transitionTo(CircuitBreaker.State.METRICS_ONLY);
        IOException down = new IOException("down");
        Race.run(4, id -> {
            if (id == 0) {
                for (int i = 0; i < 1_000; i++) {
                    size.set(1 + (i * 37) % 64);
                }
                size.set(48);
                return;
            }
            for (int i = 0; i < 5_000; i++) {
                long p = b.tryAcquire();
                assertThat(p).isNotNegative();
                if (i % 4 == id) {
                    b.onError(p, 0, down);
                } else {
                    b.onSuccess(p, 0);
                }
            }
        });
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.METRICS_ONLY);
        CountWindow window = (CountWindow) ((LockFreeCircuitBreaker) b).currentWindow();
        assertThat(window.size()).isEqualTo(48);
        Field ringField = CountWindow.class.getDeclaredField("ring");
        ringField.setAccessible(true);
        int[] ring = (int[]) ringField.get(window);
        int calls = 0;
        int failures = 0;
        for (int slot : ring) {
            calls += (slot & SlidingWindow.CALL) != 0 ? 1 : 0;
            failures += (slot & SlidingWindow.FAILURE) != 0 ? 1 : 0;
        }
        assertThat(window.totals()).containsExactly(calls, failures, 0);
        assertThat(b.metrics().calls()).isEqualTo(calls);
    }
}
