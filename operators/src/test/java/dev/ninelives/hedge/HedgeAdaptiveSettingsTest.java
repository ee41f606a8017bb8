package dev.ninelives.hedge;

import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.HedgeGate;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The hedge's settings bound to adaptives: each change applies for the next call and keeps the state; {@link HedgeConfig#toBuilder}. */
class HedgeAdaptiveSettingsTest {

    private static HedgeGate gate(Hedge h) {
        return (HedgeGate) h;
    }

    private static long ms(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }

    /** The bucket's upper edge the window reports for a latency of {@code millis}. */
    private static long edge(long millis) {
        return LatencyWindow.upperEdge(LatencyWindow.index(ms(millis)));
    }

    @Test
    void anAdaptiveFixedDelayAppliesToTheNextCallAndRefusesABadValueNamingTheHedge() {
        Adaptive<Duration> delay = Adaptive.of(Duration.ofMillis(50));
        Hedge h = Hedge.builder("search").delay(delay).build();
        assertThat(gate(h).delayNanos()).isEqualTo(ms(50));
        delay.set(Duration.ofMillis(80));
        assertThat(gate(h).delayNanos()).isEqualTo(ms(80));
        assertThat(h.metrics().delay()).isEqualTo(Duration.ofMillis(80));
        assertThat(h.config().delay()).isEqualTo(Duration.ofMillis(80));
        assertThatThrownBy(() -> delay.set(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delay of hedge 'search' must be positive, but was PT0S");
        assertThat(delay.get()).isEqualTo(Duration.ofMillis(80));
        assertThat(gate(h).delayNanos()).isEqualTo(ms(80));
    }

    @Test
    void aNewPercentileJudgesTheWindowFillingWithItsSamplesKept() {
        Adaptive<Double> percentile = Adaptive.of(90.0);
        Hedge h = Hedge.builder("h").delayPercentile(percentile).minDelay(Duration.ofMillis(1)).window(10).build();
        HedgeGate g = gate(h);
        for (int i = 0; i < 10; i++) {
            g.answered(ms(i < 9 ? 10 : 400));
        }
        assertThat(g.delayNanos()).as("p90 of nine 10 ms and one 400 ms").isEqualTo(edge(10));
        for (int i = 0; i < 5; i++) {
            g.answered(ms(400));
        }
        percentile.set(40.0);
        assertThat(g.delayNanos()).as("the delay in force stays until the next window closes").isEqualTo(edge(10));
        for (int i = 0; i < 5; i++) {
            g.answered(ms(10));
        }
        assertThat(g.delayNanos()).as("p40 of the whole window, the five 400 ms before the change included")
                .isEqualTo(edge(10));
        percentile.set(60.0);
        for (int i = 0; i < 10; i++) {
            g.answered(ms(i < 5 ? 400 : 10));
        }
        assertThat(g.delayNanos()).isEqualTo(edge(400));
        assertThat(h.config().percentile()).isEqualTo(60.0);
        assertThatThrownBy(() -> percentile.set(100.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("percentile of hedge 'h' must be above 0 and below 100, but was 100.0");
    }

    @Test
    void aNewMinimumDelayMovesTheDelayAtOnceAndKeepsTheLastPercentile() {
        Adaptive<Duration> min = Adaptive.of(Duration.ofMillis(5));
        Hedge h = Hedge.builder("h").delayPercentile(50).minDelay(min).window(10).build();
        HedgeGate g = gate(h);
        assertThat(g.delayNanos()).as("the minimum until a window closes").isEqualTo(ms(5));
        min.set(Duration.ofMillis(7));
        assertThat(g.delayNanos()).isEqualTo(ms(7));
        for (int i = 0; i < 10; i++) {
            g.answered(ms(20));
        }
        assertThat(g.delayNanos()).isEqualTo(edge(20));
        min.set(Duration.ofMillis(100));
        assertThat(g.delayNanos()).as("the floor rises above the percentile").isEqualTo(ms(100));
        min.set(Duration.ofMillis(2));
        assertThat(g.delayNanos()).as("and falls back to the last window's percentile").isEqualTo(edge(20));
        assertThatThrownBy(() -> min.set(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minDelay of hedge 'h' must be positive, but was PT-0.001S");
    }

    @Test
    void anAdaptiveMaxHedgesAppliesToTheNextCall() {
        Adaptive<Integer> hedges = Adaptive.of(1);
        Hedge h = Hedge.builder("h").maxHedges(hedges).build();
        assertThat(gate(h).maxHedges()).isEqualTo(1);
        hedges.set(3);
        assertThat(gate(h).maxHedges()).isEqualTo(3);
        assertThat(h.config().maxHedges()).isEqualTo(3);
        assertThat(h.toString()).contains("up to 3 hedges");
        assertThatThrownBy(() -> hedges.set(11)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxHedges of hedge 'h' must be between 1 and 10, but was 11");
        assertThatThrownBy(() -> hedges.set(0)).hasMessageContaining("but was 0");
        assertThat(gate(h).maxHedges()).isEqualTo(3);
    }

    @Test
    void aNewRatioKeepsTheTokensEarnedAtTheOldOne() {
        Adaptive<Double> ratio = Adaptive.of(0.1);
        Hedge h = Hedge.builder("h").budget(0.1, 3).budgetRatio(ratio).build();
        HedgeGate g = gate(h);
        for (int i = 0; i < 3; i++) {
            assertThat(g.tryToken()).isTrue();
        }
        for (int i = 0; i < 10; i++) {
            g.called();                                // ten calls at 0.1: one token
        }
        assertThat(h.metrics().budgetTokens()).isCloseTo(1.0, within(0.01));
        ratio.set(0.5);
        assertThat(h.metrics().budgetTokens()).as("the ten calls before the change earned at 0.1")
                .isCloseTo(1.0, within(0.01));
        g.called();
        g.called();
        assertThat(h.metrics().budgetTokens()).as("the calls after it earn at 0.5").isCloseTo(2.0, within(0.01));
        assertThat(h.config().budgetRatio()).isEqualTo(0.5);
        assertThatThrownBy(() -> ratio.set(0.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget ratio of hedge 'h' must be between").hasMessageContaining("but was 0.0");
    }

    @Test
    void aSmallerBurstCutsTheTokensALargerOneLetsCallsEarnTheRoom() {
        Adaptive<Integer> burst = Adaptive.of(10);
        Hedge h = Hedge.builder("h").budget(0.5, 10).budgetBurst(burst).build();
        HedgeGate g = gate(h);
        assertThat(h.metrics().budgetTokens()).isEqualTo(10.0);
        burst.set(4);
        assertThat(h.metrics().budgetTokens()).isEqualTo(4.0);
        burst.set(6);
        assertThat(h.metrics().budgetTokens()).as("not topped up").isEqualTo(4.0);
        for (int i = 0; i < 10; i++) {
            g.called();
        }
        assertThat(h.metrics().budgetTokens()).as("earned up to the new burst").isEqualTo(6.0);
        assertThat(g.tryToken()).isTrue();
        assertThat(h.metrics().budgetTokens()).isEqualTo(5.0);
        assertThatThrownBy(() -> burst.set(1001)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget burst of hedge 'h' must be between 1 and 1000, but was 1001");
    }

    @Test
    void badAdaptivesFailTheBuildNamingTheHedgeAndNothingIsBound() {
        Adaptive<Integer> zero = Adaptive.of(0);
        assertThatThrownBy(() -> Hedge.builder("h").maxHedges(zero).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHedges of hedge 'h'");
        zero.set(-5);                                  // nothing bound: no check runs
        assertThatThrownBy(() -> Hedge.builder("h").delay(Adaptive.of(Duration.ofSeconds(-1))).build())
                .hasMessageContaining("delay of hedge 'h'");
        assertThatThrownBy(() -> Hedge.builder("h").delayPercentile(Adaptive.of(0.0)).build())
                .hasMessageContaining("percentile of hedge 'h'");
        assertThatThrownBy(() -> Hedge.builder("h").budgetBurst(Adaptive.of(0)).build())
                .hasMessageContaining("budget burst of hedge 'h'");
        assertThatThrownBy(() -> Hedge.builder("h").budgetRatio(null)).hasMessageContaining("ratio");
    }

    @Test
    void aFixedDelayAfterAnAdaptivePercentileMakesTheHedgeFixedAndUnbound() {
        Adaptive<Double> percentile = Adaptive.of(95.0);
        Hedge h = Hedge.builder("h").delayPercentile(percentile).delay(Duration.ofMillis(30)).build();
        assertThat(h.config().adaptive()).isFalse();
        percentile.set(100.0 - 1e-9);
        assertThat(gate(h).delayNanos()).isEqualTo(ms(30));
    }

    @Test
    void toBuilderCopiesEverySettingAndKeepsGivenAdaptivesShared() {
        Adaptive<Integer> hedges = Adaptive.of(2);
        Hedge a = Hedge.builder("a").delayPercentile(95).minDelay(Duration.ofMillis(3)).window(50).maxHedges(hedges)
                .budget(0.2, 7).errorEndsRace(e -> e instanceof IllegalStateException).build();
        Hedge b = a.config().toBuilder("b").build();
        HedgeConfig copy = b.config();
        assertThat(copy.name()).isEqualTo("b");
        assertThat(copy.adaptive()).isTrue();
        assertThat(copy.percentile()).isEqualTo(95.0);
        assertThat(copy.minDelay()).isEqualTo(Duration.ofMillis(3));
        assertThat(copy.window()).isEqualTo(50);
        assertThat(copy.budgetRatio()).isEqualTo(0.2);
        assertThat(copy.budgetBurst()).isEqualTo(7);
        assertThat(copy.errorEndsRace()).isSameAs(a.config().errorEndsRace());
        assertThat(copy.ticker()).isSameAs(a.config().ticker());
        hedges.set(4);
        assertThat(gate(b).maxHedges()).as("a given adaptive stays shared").isEqualTo(4);
        Adaptive<Duration> fixed = Adaptive.of(Duration.ofMillis(40));
        Hedge c = Hedge.builder("c").delay(fixed).budget(0.3, 5).build();
        Hedge d = c.config().toBuilder().build();
        assertThat(d.name()).isEqualTo("c");
        assertThat(d.config().adaptive()).isFalse();
        assertThat(d.config().delay()).isEqualTo(Duration.ofMillis(40));
        fixed.set(Duration.ofMillis(60));
        assertThat(gate(d).delayNanos()).isEqualTo(ms(60));
        Hedge e = Hedge.builder("e").budget(0.3, 5).build();
        Hedge f = e.config().toBuilder("f").build();
        assertThat(f.config().budgetRatio()).isEqualTo(0.3);
        assertThat(f.config().delay()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void releasedTheHedgeKeepsItsValuesAndChecksNoMore() {
        Adaptive<Integer> hedges = Adaptive.of(2);
        Hedge h = Hedge.builder("h").maxHedges(hedges).build();
        Bindings.release(h);
        hedges.set(0);                               // no check runs: the hedge is released
        assertThat(gate(h).maxHedges()).isEqualTo(2);
    }

    /**
     * Guards against a refresh that read older values writing them last: with two threads changing
     * the maximum of hedges and the budget's burst at once (each change announced on its own
     * thread, in any order), the values in force once both are done are the adaptives' last ones.
     */
    @Test
    void concurrentChangesLeaveTheLatestValuesInForce() throws Exception {
        for (int round = 0; round < 200; round++) {
            Adaptive<Integer> hedges = Adaptive.of(1);
            Adaptive<Integer> burst = Adaptive.of(1);
            Hedge h = Hedge.builder("h").maxHedges(hedges).budgetBurst(burst).build();
            Race.run(2, id -> {
                for (int i = 2; i <= 10; i++) {
                    if (id == 0) {
                        hedges.set(i);
                    } else {
                        burst.set(i * 10);
                    }
                }
            });
            assertThat(gate(h).maxHedges()).isEqualTo(10);
            for (int i = 0; i < 10_000; i++) {
                gate(h).called();
            }
            assertThat(h.metrics().budgetTokens()).isEqualTo(100.0);
        }
    }
}
