package dev.ninelives.hedge;

import dev.ninelives.internal.HedgeGate;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HedgeTest {

    private static HedgeGate gate(Hedge h) {
        return (HedgeGate) h;
    }

    @Test
    void badInputNamesTheParameterAndTheValue() {
        assertThatThrownBy(() -> Hedge.builder(" ")).hasMessageContaining("name").hasMessageContaining("' '");
        assertThatThrownBy(() -> Hedge.builder(null)).hasMessageContaining("name");
        HedgeBuilder b = Hedge.builder("h");
        assertThatThrownBy(() -> b.delay(Duration.ZERO)).hasMessageContaining("delay").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b.delay((Duration) null)).hasMessageContaining("delay");
        assertThatThrownBy(() -> b.minDelay(Duration.ofMillis(-1))).hasMessageContaining("minDelay").hasMessageContaining("-0.001");
        assertThatThrownBy(() -> b.delayPercentile(100)).hasMessageContaining("percentile").hasMessageContaining("100.0");
        assertThatThrownBy(() -> b.delayPercentile(Double.NaN)).hasMessageContaining("percentile").hasMessageContaining("NaN");
        assertThatThrownBy(() -> b.delayPercentile(0)).hasMessageContaining("percentile").hasMessageContaining("0.0");
        assertThatThrownBy(() -> b.maxHedges(0)).hasMessageContaining("maxHedges").hasMessageContaining("0");
        assertThatThrownBy(() -> b.maxHedges(11)).hasMessageContaining("maxHedges").hasMessageContaining("11");
        assertThatThrownBy(() -> b.window(9)).hasMessageContaining("window").hasMessageContaining("9");
        assertThatThrownBy(() -> b.budget(0, 10)).hasMessageContaining("ratio").hasMessageContaining("0.0");
        assertThatThrownBy(() -> b.budget(11, 10)).hasMessageContaining("ratio").hasMessageContaining("11.0");
        assertThatThrownBy(() -> b.budget(0.1, 0)).hasMessageContaining("burst").hasMessageContaining("0");
        assertThatThrownBy(() -> b.errorEndsRace(null)).hasMessageContaining("predicate");
        assertThatThrownBy(() -> b.ticker(null)).hasMessageContaining("ticker");
        assertThatThrownBy(() -> Hedge.builder("h").build().onHedge(null)).hasMessageContaining("listener");
    }

    @Test
    void aReusedBuilderNeverChangesABuiltHedge() {
        HedgeBuilder b = Hedge.builder("h").delay(Duration.ofMillis(50));
        Hedge first = b.build();
        b.delayPercentile(95).maxHedges(3);
        assertThat(first.config().adaptive()).isFalse();
        assertThat(first.config().maxHedges()).isEqualTo(1);
        assertThat(first.metrics().delay()).isEqualTo(Duration.ofMillis(50));
        assertThat(b.build().config().adaptive()).isTrue();
    }

    @Test
    void theBudgetStartsFullThenEarnsItsRatioPerCall() {
        Hedge h = Hedge.builder("h").budget(0.1, 3).build();
        HedgeGate g = gate(h);
        for (int i = 0; i < 3; i++) {
            assertThat(g.tryToken()).isTrue();
        }
        assertThat(g.tryToken()).isFalse();
        for (int i = 0; i < 9; i++) {
            g.called();
        }
        assertThat(g.tryToken()).as("0.9 of a token").isFalse();
        g.called();
        assertThat(g.tryToken()).as("a whole token after 10 calls").isTrue();
        assertThat(g.tryToken()).isFalse();
        for (int i = 0; i < 1000; i++) {
            g.called();
        }
        assertThat(h.metrics().budgetTokens()).as("capped at the burst").isEqualTo(3.0);
        g.refundToken();
        assertThat(h.metrics().budgetTokens()).as("a refund never passes the burst").isEqualTo(3.0);
    }

    /**
     * Guards against tokens double-spent or income counted twice when hedgers, refunds and calls
     * race on the budget word: over any run, the tokens taken are at most the burst plus the
     * ratio of the calls, plus the refunds.
     */
    @Test
    void racingHedgersNeverTakeMoreThanTheBudget() throws Exception {
        for (int round = 0; round < 20; round++) {
            Hedge h = Hedge.builder("h").budget(0.25, 5).build();
            HedgeGate g = gate(h);
            AtomicLong taken = new AtomicLong();
            AtomicLong refunded = new AtomicLong();
            Race.run(4, t -> {
                for (int i = 0; i < 2_000; i++) {
                    g.called();
                    if (g.tryToken()) {
                        taken.incrementAndGet();
                        if (i % 7 == t) {
                            g.refundToken();
                            refunded.incrementAndGet();
                        }
                    }
                }
            });
            long calls = h.metrics().calls();
            assertThat(calls).isEqualTo(8_000);
            assertThat(taken.get()).isLessThanOrEqualTo(5 + calls / 4 + refunded.get());
            assertThat(taken.get()).as("the ratio is spent when every call asks").isGreaterThanOrEqualTo(calls / 4 - 5);
        }
    }

    @Test
    void bucketsAreAtMostAnEighthWideAndTheEdgeIsNeverBelowTheValue() {
        Random r = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            long v = 1024 + (r.nextLong() >>> (24 + r.nextInt(30)));
            int idx = LatencyWindow.index(v);
            long edge = LatencyWindow.upperEdge(idx);
            assertThat(edge).isGreaterThan(v);
            assertThat((double) (edge - v) / v).isLessThanOrEqualTo(0.125);
            assertThat(LatencyWindow.index(edge - 1)).isEqualTo(idx);
            assertThat(LatencyWindow.index(edge)).isEqualTo(Math.min(idx + 1, LatencyWindow.BUCKETS - 1));
        }
        assertThat(LatencyWindow.index(0)).isZero();
        assertThat(LatencyWindow.index(Long.MAX_VALUE)).isEqualTo(LatencyWindow.BUCKETS - 1);
    }

    @Test
    void theAdaptiveDelayIsTheMinimumUntilAWindowClosesThenItsPercentile() {
        Hedge h = Hedge.builder("h").delayPercentile(90).minDelay(Duration.ofMillis(5)).window(100).build();
        HedgeGate g = gate(h);
        assertThat(g.delayNanos()).isEqualTo(Duration.ofMillis(5).toNanos());
        for (int i = 0; i < 99; i++) {
            g.answered(Duration.ofMillis(i < 85 ? 20 : 400).toNanos());
        }
        assertThat(g.delayNanos()).as("window not closed yet").isEqualTo(Duration.ofMillis(5).toNanos());
        g.answered(Duration.ofMillis(400).toNanos());
        // 85 % at 20 ms, 15 % at 400 ms: the p90 is 400 ms, reported as its bucket's upper edge
        long p90 = g.delayNanos();
        assertThat(p90).isBetween(Duration.ofMillis(400).toNanos() + 1, (long) (Duration.ofMillis(400).toNanos() * 1.125));
        for (int i = 0; i < 100; i++) {
            g.answered(Duration.ofMillis(i < 95 ? 20 : 400).toNanos());
        }
        assertThat(g.delayNanos()).as("the next window alone: p90 is 20 ms")
                .isBetween(Duration.ofMillis(20).toNanos() + 1, (long) (Duration.ofMillis(20).toNanos() * 1.125));
        for (int i = 0; i < 100; i++) {
            g.answered(Duration.ofMillis(1).toNanos());
        }
        assertThat(h.metrics().delay()).as("never below the minimum").isEqualTo(Duration.ofMillis(5));
    }

    /**
     * Guards against a lost or corrupted window when recorders race the call that closes it: the
     * delay published after many racing windows is the percentile of what was recorded.
     */
    @Test
    void racingRecordersStillYieldThePercentile() throws Exception {
        Hedge h = Hedge.builder("h").delayPercentile(50).window(1000).build();
        HedgeGate g = gate(h);
        Race.run(4, t -> {
            for (int i = 0; i < 25_000; i++) {
                g.answered(Duration.ofMillis(i % 2 == 0 ? 10 : 30).toNanos());
            }
        });
        assertThat(g.delayNanos()).isBetween(Duration.ofMillis(10).toNanos(), (long) (Duration.ofMillis(30).toNanos() * 1.125));
    }

    @Test
    void countersAndListenersWithAThrowingOneLogged() {
        Hedge h = Hedge.builder("h").build();
        List<HedgeEvent> events = new ArrayList<>();
        h.onHedge(e -> {
            throw new IllegalStateException("listener bug");
        });
        h.onHedge(events::add);
        HedgeGate g = gate(h);
        g.called();
        g.issued(1);
        g.won(1);
        g.refusedByBudget(2);
        g.refusedByBreaker(1);
        HedgeMetrics m = h.metrics();
        assertThat(m.calls()).isEqualTo(1);
        assertThat(m.hedgesIssued()).isEqualTo(1);
        assertThat(m.hedgesWon()).isEqualTo(1);
        assertThat(m.refusedByBudget()).isEqualTo(1);
        assertThat(m.refusedByBreaker()).isEqualTo(1);
        assertThat(events).extracting(HedgeEvent::type).containsExactly(HedgeEvent.Type.ISSUED, HedgeEvent.Type.WON,
                HedgeEvent.Type.REFUSED_BY_BUDGET, HedgeEvent.Type.REFUSED_BY_BREAKER);
        assertThat(events.get(2).attempt()).isEqualTo(2);
        assertThat(h.toString()).contains("Hedge{h", "PT0.1S", "up to 1 hedge");
    }

    @Test
    void aListenersFatalErrorPropagatesOnceCounted() {
        Hedge h = Hedge.builder("h").build();
        h.onHedge(e -> {
            throw new OutOfMemoryError("test");
        });
        assertThatThrownBy(() -> gate(h).issued(1)).isInstanceOf(OutOfMemoryError.class);
        assertThat(h.metrics().hedgesIssued()).isEqualTo(1);
    }
}
