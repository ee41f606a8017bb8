package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.WaitingBulkhead;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bulkhead's maxWait bound to an {@link Adaptive}, without Reactor: the config and the admit
 * decisions follow it, bad values are refused while the old one stays, and the WAIT_TIMED_OUT
 * exception quotes the wait a caller had. The timing of waits is in the bridge's
 * {@code AdaptiveWaitBulkheadTest}.
 */
class AdaptiveWaitTest {

    private static WaitingBulkhead w(Bulkhead b) {
        return (WaitingBulkhead) b;
    }

    @Test
    void theConfigAndTheAdmitDecisionFollowTheWait() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ZERO);
        Bulkhead b = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(wait).maxQueued(5).build();
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
        assertThat(w(b).admit()).as("waiting off").isEqualTo(WaitingBulkhead.REJECTED_FULL);
        wait.set(Duration.ofMillis(250));
        assertThat(b.config().maxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(w(b).maxWaitNanos()).isEqualTo(250_000_000L);
        assertThat(b.config().toString()).contains("maxWait=PT0.25S");
        assertThat(w(b).admit()).as("waiting on").isEqualTo(WaitingBulkhead.QUEUED);
        assertThat(b.metrics().queued()).isEqualTo(1);
        wait.set(Duration.ZERO);
        assertThat(w(b).admit()).as("off again: the newcomer is refused").isEqualTo(WaitingBulkhead.REJECTED_FULL);
        assertThat(b.metrics().queued()).as("the queued caller keeps its place").isEqualTo(1);
        w(b).leave(true);
        b.release();
        assertThat(b.metrics().availablePermits()).isEqualTo(1);
    }

    @Test
    void theTimeoutQuotesTheWaitTheCallerHad() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(2));
        Bulkhead b = Bulkhead.builder("inventory").maxWait(wait).build();
        BulkheadFullException two = w(b).rejection(-1);
        assertThat(two).hasMessage("Bulkhead 'inventory' is full: no permit came within PT2S");
        assertThat(two.reason()).isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT);
        assertThat(w(b).timedOut(2_000_000_000L)).isSameAs(two);
        wait.set(Duration.ofMillis(500));
        BulkheadFullException half = w(b).rejection(-1);
        assertThat(half).hasMessage("Bulkhead 'inventory' is full: no permit came within PT0.5S");
        assertThat(w(b).rejection(-1)).as("shared again, without allocation").isSameAs(half);
        assertThat(w(b).timedOut(500_000_000L)).isSameAs(half);
        assertThat(w(b).timedOut(2_000_000_000L)).as("a wait that started before the change")
                .hasMessage("Bulkhead 'inventory' is full: no permit came within PT2S")
                .isNotSameAs(two);

        Bulkhead traced = Bulkhead.builder("traced").maxWait(wait).rejectionStackTraces(true).build();
        assertThat(w(traced).timedOut(500_000_000L)).isNotSameAs(w(traced).timedOut(500_000_000L))
                .hasMessageContaining("PT0.5S");
        assertThat(w(traced).timedOut(1L).getStackTrace()).isNotEmpty();
    }

    @Test
    void aNegativeWaitIsRefusedNamingTheBulkheadAndNothingChanges() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(1));
        Bulkhead b = Bulkhead.builder("inventory").maxWait(wait).build();
        assertThatThrownBy(() -> wait.set(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxWait of bulkhead 'inventory' must be zero or positive, but was PT-0.000000001S");
        assertThat(b.config().maxWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(w(b).rejection(-1)).hasMessageContaining("PT1S");
        assertThatThrownBy(() -> Bulkhead.builder("b").maxWait((Adaptive<Duration>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("maxWait must not be null");
    }

    @Test
    void anAdaptiveHoldingABadValueFailsTheBuildAndIsNotBound() {
        Adaptive<Duration> negative = Adaptive.of(Duration.ofSeconds(-1));
        assertThatThrownBy(() -> Bulkhead.builder("b").maxWait(negative).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxWait of bulkhead 'b' must be zero or positive, but was PT-1S");

        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(1));
        Adaptive<Integer> badLimit = Adaptive.of(0);
        assertThatThrownBy(() -> Bulkhead.builder("b").maxConcurrent(badLimit).maxWait(wait).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConcurrent");
        wait.set(Duration.ofSeconds(-1));              // the failed build bound nothing to the wait
        assertThat(wait.get()).isEqualTo(Duration.ofSeconds(-1));
    }

    @Test
    void aQueueLimitGoesWithAnAdaptiveWaitEvenWhileItIsZero() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ZERO);
        Bulkhead b = Bulkhead.builder("b").maxConcurrent(1).maxWait(wait).maxQueued(1).build();
        assertThat(b.config().maxQueued()).isEqualTo(1);
        wait.set(Duration.ofSeconds(1));
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.REJECTED_QUEUE_FULL);
        // a fixed zero wait with a queue limit is still refused at build
        assertThatThrownBy(() -> Bulkhead.builder("b").maxQueued(1).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxQueued(1) needs a positive maxWait");
        // a reused builder: a fixed wait replaces the adaptive, and gets an adaptive of its own
        BulkheadBuilder builder = Bulkhead.builder("b").maxWait(wait);
        Bulkhead follows = builder.build();
        Bulkhead fixed = builder.maxWait(Duration.ofMillis(3)).build();
        wait.set(Duration.ofSeconds(4));
        assertThat(follows.config().maxWait()).isEqualTo(Duration.ofSeconds(4));
        assertThat(fixed.config().maxWait()).isEqualTo(Duration.ofMillis(3));
    }
}
