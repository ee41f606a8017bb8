package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An adaptive limit whose specification changes while the bulkhead runs: state kept. */
class AdaptiveLimitChangeTest {

    private final ManualTicker ticker = new ManualTicker();

    /** Runs {@code n} one-at-a-time calls that take {@code ms} each and succeed. */
    private void calls(Bulkhead b, int n, long ms, boolean failed) {
        WaitingBulkhead w = (WaitingBulkhead) b;
        for (int i = 0; i < n; i++) {
            assertThat(b.tryAcquire()).isTrue();
            long start = w.callStarted();
            ticker.advance(Duration.ofMillis(ms));
            w.release(start, failed);
        }
    }

    @Test
    void boundsThatStillHoldTheLimitLeaveIt() {
        Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().minLimit(1).maxLimit(10).initialLimit(1).windowSize(1));
        Bulkhead b = Bulkhead.builder("b").ticker(ticker).adaptiveLimit(spec).build();
        calls(b, 4, 1, false);                         // one in flight: grows while at least half used, to 3
        int reached = b.config().maxConcurrent();
        assertThat(reached).isEqualTo(3);
        assertThat(b.tryAcquire()).isTrue();           // a call in flight across the change
        spec.update(s -> s.minLimit(2).maxLimit(50).initialLimit(2));
        assertThat(b.config().maxConcurrent()).as("the limit reached is kept").isEqualTo(reached);
        assertThat(b.metrics().availablePermits()).as("the permit in flight is kept").isEqualTo(reached - 1);
        assertThat(b.config().adaptiveLimit().maxLimit()).isEqualTo(50);
        b.release();
    }

    @Test
    void boundsThatExcludeTheLimitMoveItInsideAtOnce() {
        Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().minLimit(1).maxLimit(100).initialLimit(40));
        Bulkhead b = Bulkhead.builder("b").ticker(ticker).adaptiveLimit(spec).build();
        spec.update(s -> s.maxLimit(10).initialLimit(5));
        assertThat(b.config().maxConcurrent()).isEqualTo(10);
        assertThat(b.metrics().availablePermits()).isEqualTo(10);
        spec.update(s -> s.minLimit(20).maxLimit(30).initialLimit(25));
        assertThat(b.config().maxConcurrent()).isEqualTo(20);
    }

    @Test
    void aChangedAlgorithmJudgesTheNextWindowFromTheLimitInForce() {
        Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().minLimit(1).maxLimit(100).initialLimit(20).windowSize(2));
        Bulkhead b = Bulkhead.builder("b").ticker(ticker).adaptiveLimit(spec).build();
        calls(b, 2, 1, true);                          // AIMD: a drop multiplies by 0.9
        assertThat(b.config().maxConcurrent()).isEqualTo(18);
        spec.set(AdaptiveLimit.gradient().minLimit(1).maxLimit(100).initialLimit(20).windowSize(2).smoothing(1.0));
        assertThat(b.config().maxConcurrent()).as("the switch keeps the limit").isEqualTo(18);
        calls(b, 2, 1, true);                          // the gradient ignores drops; equal latencies: g = 1, idle: no headroom
        assertThat(b.config().maxConcurrent()).isEqualTo(18);
        assertThat(b.config().adaptiveLimit().algorithm()).isEqualTo(AdaptiveLimit.Algorithm.GRADIENT);
    }

    @Test
    void aSmallerWindowClosesTheOpenWindowAtItsNextSample() {
        Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().minLimit(1).maxLimit(100).initialLimit(20).windowSize(10));
        Bulkhead b = Bulkhead.builder("b").ticker(ticker).adaptiveLimit(spec).build();
        calls(b, 3, 1, true);
        assertThat(b.config().maxConcurrent()).as("3 of 10 samples: open").isEqualTo(20);
        spec.update(s -> s.windowSize(2));
        calls(b, 1, 1, true);
        assertThat(b.config().maxConcurrent()).as("4 samples, past the new size of 2: closed").isEqualTo(18);
    }

    @Test
    void crossedLimitsAreRefusedNamingTheBulkheadAndNothingChanges() {
        AdaptiveLimit first = AdaptiveLimit.aimd().minLimit(1).maxLimit(10).initialLimit(5);
        Adaptive<AdaptiveLimit> spec = Adaptive.of(first);
        Bulkhead b = Bulkhead.builder("payments").ticker(ticker).adaptiveLimit(spec).build();
        assertThatThrownBy(() -> spec.update(s -> s.minLimit(20)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minLimit (20) must not exceed maxLimit (10)")
                .hasMessageContaining("bulkhead 'payments'");
        assertThat(spec.get()).isSameAs(first);
        assertThat(b.config().maxConcurrent()).isEqualTo(5);
        assertThatThrownBy(() -> Bulkhead.builder("x").adaptiveLimit(Adaptive.of(first.initialLimit(50))).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initialLimit must be between");
    }

    @Test
    void anEqualSpecificationChangesNothingAndToBuilderKeepsAGivenAdaptive() {
        Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.gradient().windowDuration(Duration.ofSeconds(2)));
        Bulkhead b = Bulkhead.builder("b").ticker(ticker).adaptiveLimit(spec).build();
        int[] changes = new int[1];
        spec.onChange(c -> changes[0]++);
        spec.set(AdaptiveLimit.gradient().windowDuration(Duration.ofSeconds(2)));
        assertThat(changes[0]).as("equal specifications are equal").isZero();
        Bulkhead copy = b.config().toBuilder("c").build();
        spec.update(s -> s.maxLimit(7).initialLimit(7));
        assertThat(copy.config().adaptiveLimit().maxLimit()).as("the copy follows the same adaptive").isEqualTo(7);
        Bulkhead fixed = Bulkhead.builder("f").adaptiveLimit(AdaptiveLimit.aimd()).build();
        assertThat(fixed.config().toBuilder("g").build().config().adaptiveLimit()).isEqualTo(AdaptiveLimit.aimd());
    }
}
