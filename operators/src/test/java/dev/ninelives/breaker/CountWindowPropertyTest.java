package dev.ninelives.breaker;

import dev.ninelives.testing.ManualTicker;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the CLOSED breaker against a reference model that keeps the last N outcomes in
 * a deque: for any window size, minimum, thresholds and sequence of outcomes, the breaker's
 * counts equal the model's after every call, and it opens at exactly the call where the model
 * crosses a threshold. Guards against off-by-one eviction, a healthy-window shortcut that skips
 * a call it should count, and a threshold compared with > instead of >=.
 */
class CountWindowPropertyTest {

    /** 0 = fast success, 1 = failure, 2 = slow success, 3 = slow failure. */
    @Property(tries = 300)
    void closedMatchesTheModel(@ForAll @IntRange(min = 1, max = 12) int size,
                               @ForAll @IntRange(min = 1, max = 12) int minimum,
                               @ForAll @IntRange(min = 1, max = 100) int failureThreshold,
                               @ForAll @IntRange(min = 1, max = 100) int slowThreshold,
                               @ForAll @Size(min = 1, max = 80) List<@IntRange(min = 0, max = 3) Integer> outcomes) {
        CircuitBreaker b = CircuitBreaker.builder("model").slidingWindow(size).minimumNumberOfCalls(minimum)
                .failureRateThreshold(failureThreshold).slowCallDuration(Duration.ofSeconds(1))
                .slowCallRateThreshold(slowThreshold).ticker(new ManualTicker()).build();
        int effectiveMinimum = Math.min(minimum, size);
        ArrayDeque<Integer> model = new ArrayDeque<>();
        for (int outcome : outcomes) {
            long permit = b.tryAcquire();
            assertThat(permit).isNotNegative();
            long duration = outcome >= 2 ? Duration.ofSeconds(1).toNanos() : 0L;
            if (outcome == 1 || outcome == 3) {
                b.onError(permit, duration, new IOException());
            } else {
                b.onSuccess(permit, duration);
            }
            model.addLast(outcome);
            if (model.size() > size) {
                model.removeFirst();
            }
            int calls = model.size();
            int failures = (int) model.stream().filter(o -> o == 1 || o == 3).count();
            int slow = (int) model.stream().filter(o -> o >= 2).count();
            CircuitBreakerMetrics m = b.metrics();
            assertThat(m.calls()).isEqualTo(calls);
            assertThat(m.failures()).isEqualTo(failures);
            assertThat(m.slowCalls()).isEqualTo(slow);
            boolean crossed = calls >= effectiveMinimum
                    && (failures * 100f >= failureThreshold * calls || slow * 100f >= slowThreshold * calls);
            if (crossed) {
                assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
                return;
            }
            assertThat(b.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }
}
