package dev.ninelives.internal;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Adaptive;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Releasing a policy's bindings: afterwards the adaptive no longer checks values against the
 * policy nor calls its applier, on a source and through a view, while the other policies bound
 * to it keep their bindings; the policy keeps the values it had.
 */
class BindingsTest {

    private static List<String> bindPositive(Adaptive<Integer> adaptive, Bindings bindings, String who) {
        List<String> applied = new ArrayList<>();
        AdaptiveBinding.bind(adaptive, v -> {
            if (v < 1) {
                throw new IllegalArgumentException(who + " must be positive, but was " + v);
            }
        }, c -> applied.add(c.oldValue() + "->" + c.newValue()), bindings);
        return applied;
    }

    @Test
    void aReleasedBindingNoLongerChecksNorApplies() {
        Adaptive<Integer> a = Adaptive.of(5);
        Bindings first = new Bindings();
        List<String> firstApplied = bindPositive(a, first, "first");
        List<String> secondApplied = bindPositive(a, new Bindings(), "second");
        a.set(6);

        first.release();
        assertThat(first.released()).isTrue();
        a.set(7);
        assertThat(firstApplied).containsExactly("5->6");
        assertThat(secondApplied).containsExactly("5->6", "6->7");
        assertThatThrownBy(() -> a.set(0)).hasMessageContaining("second must be positive");

        first.release();                                   // a second release does nothing
        assertThat(a.get()).isEqualTo(7);
    }

    @Test
    void aReleasedBindingThroughAViewLeavesNoCheckOnTheSource() {
        Adaptive<Integer> a = Adaptive.of(5);
        Adaptive<Integer> minusThree = a.map(v -> v - 3);
        Bindings bindings = new Bindings();
        List<String> applied = bindPositive(minusThree, bindings, "view");
        assertThatThrownBy(() -> a.set(3)).hasMessageContaining("view must be positive, but was 0");

        bindings.release();
        a.set(3);
        assertThat(minusThree.get()).isZero();             // the view itself still follows
        assertThat(applied).isEmpty();
    }

    @Test
    void aBindingAddedAfterTheReleaseIsReleasedAtOnce() {
        Adaptive<Integer> a = Adaptive.of(5);
        Bindings bindings = new Bindings();
        bindings.release();
        List<String> applied = bindPositive(a, bindings, "late");
        a.set(0);
        assertThat(applied).isEmpty();
    }

    @Test
    void aReleasedBreakerNoLongerFollowsItsSharedThreshold() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker kept = CircuitBreaker.builder("kept").slidingWindow(4).minimumNumberOfCalls(4)
                .failureRateThreshold(threshold).build();
        CircuitBreaker released = CircuitBreaker.builder("released").slidingWindow(4).minimumNumberOfCalls(4)
                .failureRateThreshold(threshold).build();
        for (CircuitBreaker b : List.of(kept, released)) {             // a quarter of the window failed
            b.onError(b.tryAcquire(), 0, new IOException("down"));
            for (int i = 0; i < 3; i++) {
                b.onSuccess(b.tryAcquire(), 0);
            }
        }

        Bindings.release(released);
        threshold.set(25f);                                // judges the window of the breakers still bound

        assertThat(kept.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(released.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aReleasedBulkheadKeepsItsLimitAndNoLongerRefusesValues() {
        Adaptive<Integer> limit = Adaptive.of(3);
        Adaptive<Duration> wait = Adaptive.of(Duration.ofMillis(5));
        Bulkhead bulkhead = Bulkhead.builder("b").maxConcurrent(limit).maxWait(wait).build();
        assertThatThrownBy(() -> limit.set(0)).hasMessageContaining("bulkhead 'b'");

        Bindings.release(bulkhead);
        limit.set(0);
        wait.set(Duration.ofMillis(-1));
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(3);
        assertThat(Bindings.of(bulkhead).released()).isTrue();
    }

    @Test
    void aReleasedRetryNoLongerChecksItsAttempts() {
        Adaptive<Integer> attempts = Adaptive.of(3);
        Retry retry = Retry.builder("r").maxAttempts(attempts).build();
        assertThatThrownBy(() -> attempts.set(0)).hasMessageContaining("retry 'r'");

        Bindings.release(retry);
        attempts.set(0);
        assertThat(Bindings.of(retry).released()).isTrue();
        assertThat(Bindings.of("not a policy")).isNull();
    }
}
