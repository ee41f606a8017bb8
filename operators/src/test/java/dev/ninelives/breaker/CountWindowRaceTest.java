package dev.ninelives.breaker;

import dev.ninelives.testing.Race;
import org.junit.jupiter.api.RepeatedTest;

import java.lang.reflect.Field;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four plain threads record into one count window; afterwards the totals in the window's word
 * must equal what its ring holds. Guards against a recorder reserving a slot on a stale word:
 * head had come round to that slot again, and the stale reservation overwrote a later lap's
 * counted outcome, leaving the totals with a failure the ring no longer held (found by this
 * test's first run: about 1 run in 100 failed).
 */
class CountWindowRaceTest {

    @RepeatedTest(100)
    void theTotalsEqualTheRingOnceRecordersAreQuiet() throws Exception {
        CircuitBreakerConfig config = CircuitBreaker.builder("race").slidingWindow(64).minimumNumberOfCalls(64)
                .failureRateThreshold(100).slowCallDuration(java.time.Duration.ofSeconds(1)).build().config();
        CountWindow window = new CountWindow(config, true);
        Race.run(4, id -> {
            for (int i = 0; i < 5000; i++) {
                window.record(SlidingWindow.code(id == 0 && i % 2 == 0, id == 1 && i % 3 == 0));
            }
        });
        Field ringField = CountWindow.class.getDeclaredField("ring");
        ringField.setAccessible(true);
        int[] ring = (int[]) ringField.get(window);
        int calls = 0;
        int failures = 0;
        int slow = 0;
        for (int slot : ring) {
            calls += (slot & SlidingWindow.CALL) != 0 ? 1 : 0;
            failures += (slot & SlidingWindow.FAILURE) != 0 ? 1 : 0;
            slow += (slot & SlidingWindow.SLOW) != 0 ? 1 : 0;
        }
        assertThat(window.totals()).containsExactly(calls, failures, slow);
        assertThat(calls).isEqualTo(64);
    }
}
