package dev.ninelives.reactor.registry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeConfig;
import dev.ninelives.internal.HedgeGate;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.RegistryEvent.Type;
import dev.ninelives.reactor.registry.ReloadReport.Action;
import dev.ninelives.reactor.registry.ReloadReport.PolicyChange;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ninelives.reactor.registry.Keys.keys;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Hedges in the registry (one per name, defaults and overrides, named by pipelines, metered,
 * released on removal) and from properties ({@code ninelives.hedge.*}, the pipeline's
 * {@code hedge} stage): load, bad values, and reloads that keep the latency window and the tokens.
 */
class HedgeConfigurationTest {

    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;

    private NineLivesProperties load(Map<String, String> keys) {
        return NineLivesProperties.builder().hedgeDefaults(b -> b.ticker(ticker)).load(keys);
    }

    private static PolicyChange change(ReloadReport report, Kind kind, String name) {
        return report.changes().stream().filter(c -> c.kind() == kind && c.name().equals(name)).findFirst().orElseThrow();
    }

    private static HedgeGate gate(Hedge h) {
        return (HedgeGate) h;
    }

    // ---------------------------------------------------------------- registry

    @Test
    void aHedgeIsCreatedFromTheDefaultsThenItsOverrideAndIsTheSameInstanceAfter() {
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .hedgeDefaults(b -> b.delay(Duration.ofMillis(40)).maxHedges(2))
                .hedge("search", b -> b.delayPercentile(95))
                .build();
        List<RegistryEvent> events = new CopyOnWriteArrayList<>();
        registry.onEvent(events::add);
        Hedge search = registry.hedge("search");
        assertThat(search.config().adaptive()).isTrue();
        assertThat(search.config().maxHedges()).as("from the defaults").isEqualTo(2);
        assertThat(registry.hedge("other").config().delay()).isEqualTo(Duration.ofMillis(40));
        assertThat(registry.hedge("search")).isSameAs(search);
        assertThat(registry.findHedge("search")).containsSame(search);
        assertThat(registry.findHedge("none")).isEmpty();
        assertThat(registry.hedges().keySet()).containsExactly("other", "search");
        assertThat(events).extracting(RegistryEvent::kind, RegistryEvent::type, RegistryEvent::name)
                .containsExactly(tuple(Kind.HEDGE, Type.ADDED, "search"), tuple(Kind.HEDGE, Type.ADDED, "other"));
        assertThat(registry.toString()).contains("hedges=[other, search]");
    }

    @Test
    void oneNameOneHedgeReplaceAndRemove() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        Hedge search = registry.hedge("search");
        Hedge twin = search.config().toBuilder().build();
        assertThatThrownBy(() -> registry.register(twin)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Cannot register hedge 'search'");
        assertThat(registry.register(search)).isSameAs(search);
        assertThat(registry.replace(twin)).isSameAs(search);
        assertThat(registry.hedge("search")).isSameAs(twin);
        assertThat(registry.removeHedge("search")).containsSame(twin);
        assertThat(registry.findHedge("search")).isEmpty();
        assertThatThrownBy(() -> registry.replace(twin)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the registry holds no hedge of that name");
    }

    @Test
    void aRemovedHedgeIsReleasedFromItsSharedAdaptives() {
        Adaptive<Integer> hedges = Adaptive.of(2);
        NineLivesRegistry registry = NineLivesRegistry.builder().hedgeDefaults(b -> b.maxHedges(hedges)).build();
        Hedge search = registry.hedge("search");
        assertThatThrownBy(() -> hedges.set(0)).hasMessageContaining("hedge 'search'");
        registry.removeHedge("search");
        hedges.set(7);                                  // no policy follows it any more
        assertThat(gate(search).maxHedges()).as("keeps the value it had").isEqualTo(2);
    }

    @Test
    void aPipelineSpecNamesAHedgeOfTheRegistry() {
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .pipelineDefaults(p -> p.hedge("shared"))
                .pipeline("own", PipelineSpec::hedge)
                .pipeline("none", PipelineSpec::noHedge)
                .build();
        Pipeline a = registry.pipeline("a");
        assertThat(a.hedge()).containsSame(registry.hedge("shared"));
        assertThat(registry.pipeline("b").hedge()).containsSame(registry.hedge("shared"));
        assertThat(registry.pipeline("own").hedge()).containsSame(registry.hedge("own"));
        assertThat(registry.pipeline("none").hedge()).isEmpty();
        assertThat(a.explain()).contains("'shared'");
        assertThatThrownBy(() -> NineLivesRegistry.builder().pipelineDefaults(p -> p.hedge(" ")).build().pipeline("x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRegistryBinderMetersHedgesPresentAndFutureAndDropsRemovedOnes() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.hedge("before");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        NineLivesMeters.registry(registry).bindTo(meters);
        registry.hedge("after");
        assertThat(meters.find("ninelives.hedge.calls").tag("name", "before").functionCounter()).isNotNull();
        assertThat(meters.find("ninelives.hedge.budget.tokens").tag("name", "after").gauge().value()).isEqualTo(10.0);
        registry.removeHedge("before");
        assertThat(meters.find("ninelives.hedge.calls").tag("name", "before").functionCounter()).isNull();
    }

    // ---------------------------------------------------------------- properties

    @Test
    void everyHedgeKeyIsReadInAnySpelling() {
        NineLivesProperties p = load(keys(
                "ninelives.hedge.default.max-hedges", "2",
                "ninelives.hedge.search.delayPercentile", "95",
                "ninelives.hedge.search.min_delay", "20ms",
                "ninelives.hedge.search.window", "400",
                "ninelives.hedge.search.budget.ratio", "0.05",
                "ninelives.hedge.search.budget.burst", "20",
                "ninelives.hedge.fixed.delay", "PT0.03S"));
        HedgeConfig c = p.registry().findHedge("search").orElseThrow().config();
        assertThat(c.adaptive()).isTrue();
        assertThat(c.percentile()).isEqualTo(95.0);
        assertThat(c.minDelay()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.window()).isEqualTo(400);
        assertThat(c.maxHedges()).as("from the defaults").isEqualTo(2);
        assertThat(c.budgetRatio()).isEqualTo(0.05);
        assertThat(c.budgetBurst()).isEqualTo(20);
        assertThat(c.ticker()).as("the code's customizer").isSameAs(ticker);
        HedgeConfig fixed = p.registry().findHedge("fixed").orElseThrow().config();
        assertThat(fixed.adaptive()).isFalse();
        assertThat(fixed.delay()).isEqualTo(Duration.ofMillis(30));
        HedgeConfig other = p.registry().hedge("other").config();
        assertThat(other.delay()).isEqualTo(Duration.ofMillis(100));
        assertThat(other.budgetRatio()).isEqualTo(0.1);
        assertThat(other.budgetBurst()).isEqualTo(10);
    }

    @Test
    void aNameThatGivesOneKindOfDelayDropsTheDefaultsOther() {
        NineLivesProperties p = load(keys(
                "ninelives.hedge.default.delay-percentile", "90",
                "ninelives.hedge.fixed.delay", "50ms",
                "ninelives.hedge.default2.delay", "70ms"));
        assertThat(p.registry().hedge("fixed").config().adaptive()).isFalse();
        assertThat(p.registry().hedge("fixed").config().delay()).isEqualTo(Duration.ofMillis(50));
        assertThat(p.registry().hedge("any").config().percentile()).isEqualTo(90.0);
    }

    @Test
    void aPipelineNamesItsHedgeAndAReplacedOneRebuildsIt() {
        NineLivesProperties p = load(keys(
                "ninelives.hedge.shared.delay", "50ms",
                "ninelives.pipeline.a.hedge", "shared",
                "ninelives.pipeline.b.hedge", "true"));
        NineLivesRegistry r = p.registry();
        Hedge shared = r.hedge("shared");
        assertThat(r.pipeline("a").hedge()).containsSame(shared);
        assertThat(r.pipeline("b").hedge()).containsSame(r.findHedge("b").orElseThrow());
        ReloadReport report = p.reload(keys(
                "ninelives.hedge.shared.delay", "50ms",
                "ninelives.hedge.shared.window", "300",                // not adaptive: a replacement
                "ninelives.pipeline.a.hedge", "shared",
                "ninelives.pipeline.b.hedge", "false"));
        assertThat(change(report, Kind.HEDGE, "shared").action()).isEqualTo(Action.REPLACED);
        assertThat(r.hedge("shared")).isNotSameAs(shared);
        assertThat(r.pipeline("a").hedge()).as("rebuilt with the replacement").containsSame(r.hedge("shared"));
        assertThat(r.pipeline("b").hedge()).isEmpty();
        assertThat(r.findHedge("b")).as("named by a pipeline no more").isEmpty();
    }

    /**
     * A reload of the adaptive keys changes the hedge in place: its latency window, the delay it
     * measured and its budget's tokens are kept; a change from a percentile to a fixed delay
     * replaces it (a fresh, full budget).
     */
    @Test
    void aReloadOfAdaptiveKeysKeepsTheWindowTheDelayAndTheTokens() {
        Map<String, String> before = keys(
                "ninelives.hedge.search.delay-percentile", "50",
                "ninelives.hedge.search.window", "10",
                "ninelives.hedge.search.budget.burst", "5");
        NineLivesProperties p = load(before);
        Hedge h = p.registry().hedge("search");
        HedgeGate g = gate(h);
        for (int i = 0; i < 10; i++) {
            g.answered(Duration.ofMillis(20).toNanos());
        }
        Duration measured = h.metrics().delay();
        assertThat(measured).isBetween(Duration.ofMillis(20), Duration.ofMillis(23));
        for (int i = 0; i < 3; i++) {
            assertThat(g.tryToken()).isTrue();
        }
        for (int i = 0; i < 5; i++) {
            g.answered(Duration.ofMillis(400).toNanos());      // half a window filling
        }
        ReloadReport report = p.reload(keys(
                "ninelives.hedge.search.delay-percentile", "40",
                "ninelives.hedge.search.window", "10",
                "ninelives.hedge.search.min-delay", "2ms",
                "ninelives.hedge.search.max-hedges", "3",
                "ninelives.hedge.search.budget.ratio", "0.5",
                "ninelives.hedge.search.budget.burst", "8"));
        PolicyChange c = change(report, Kind.HEDGE, "search");
        assertThat(c.action()).isEqualTo(Action.CHANGED);
        assertThat(c.settings()).allMatch(ReloadReport.SettingChange::inPlace).hasSize(5);
        assertThat(p.registry().hedge("search")).isSameAs(h);
        assertThat(h.metrics().delay()).as("the delay measured is kept").isEqualTo(measured);
        assertThat(h.metrics().budgetTokens()).as("the tokens are kept").isEqualTo(2.0);
        assertThat(g.maxHedges()).isEqualTo(3);
        assertThat(h.config().budgetBurst()).isEqualTo(8);
        for (int i = 0; i < 5; i++) {
            g.answered(Duration.ofMillis(20).toNanos());
        }
        assertThat(h.metrics().delay()).as("p40 of the window the reload found half full").isEqualTo(measured);

        p.reload(keys(
                "ninelives.hedge.search.delay-percentile", "40",
                "ninelives.hedge.search.window", "10",
                "ninelives.hedge.search.min-delay", "50ms"));
        assertThat(p.registry().hedge("search")).isSameAs(h);
        assertThat(h.metrics().delay()).as("the new floor, at once").isEqualTo(Duration.ofMillis(50));

        ReloadReport toFixed = p.reload(keys("ninelives.hedge.search.delay", "30ms"));
        assertThat(change(toFixed, Kind.HEDGE, "search").action()).isEqualTo(Action.REPLACED);
        Hedge fixed = p.registry().hedge("search");
        assertThat(fixed).isNotSameAs(h);
        assertThat(fixed.config().adaptive()).isFalse();
        assertThat(fixed.metrics().delay()).isEqualTo(Duration.ofMillis(30));
        assertThat(fixed.metrics().budgetTokens()).isEqualTo(10.0);
        assertThat(p.reload(keys("ninelives.hedge.search.delay", "45ms")).changes().get(0).action())
                .as("a fixed delay changes in place too").isEqualTo(Action.CHANGED);
        assertThat(p.registry().hedge("search").metrics().delay()).isEqualTo(Duration.ofMillis(45));
    }

    @Test
    void badHedgeKeysAreListedWithTheirValuesAndNothingIsApplied() {
        NineLivesProperties p = load(keys("ninelives.hedge.h.delay", "50ms"));
        Hedge h = p.registry().hedge("h");
        assertThatThrownBy(() -> p.reload(keys(
                "ninelives.hedge.h.delay", "0ms",
                "ninelives.hedge.a.delay-percentile", "100",
                "ninelives.hedge.a.min-delay", "-1ms",
                "ninelives.hedge.a.window", "5",
                "ninelives.hedge.a.max-hedges", "11",
                "ninelives.hedge.a.budget.ratio", "0",
                "ninelives.hedge.a.budget.burst", "0",
                "ninelives.hedge.b.delay", "10ms",
                "ninelives.hedge.b.delay-percentile", "90",
                "ninelives.hedge.c.max-hedge", "2",
                "ninelives.hegde.d.delay", "1s",
                "ninelives.pipeline.p.hedge", "a.b")))
                .isInstanceOf(PropertiesException.class)
                .hasMessageContaining("ninelives.hedge.h.delay = '0ms'")
                .hasMessageContaining("ninelives.hedge.a.delay-percentile = '100': percentile must be above 0 and below 100, but was 100.0")
                .hasMessageContaining("ninelives.hedge.a.min-delay = '-1ms'")
                .hasMessageContaining("ninelives.hedge.a.window = '5': window must be between 10 and 1000000, but was 5")
                .hasMessageContaining("ninelives.hedge.a.max-hedges = '11': maxHedges must be between 1 and 10, but was 11")
                .hasMessageContaining("ninelives.hedge.a.budget.ratio = '0': ratio must be between")
                .hasMessageContaining("ninelives.hedge.a.budget.burst = '0': burst must be between 1 and 1000, but was 0")
                .hasMessageContaining("ninelives.hedge.b.delay = '10ms': conflicts with ninelives.hedge.b.delay-percentile = '90'")
                .hasMessageContaining("ninelives.hedge.c.max-hedge = '2': unknown key; did you mean ninelives.hedge.c.max-hedges?")
                .hasMessageContaining("ninelives.hegde.d.delay = '1s': unknown kind of policy 'hegde'; did you mean ninelives.hedge.d.delay?")
                .hasMessageContaining("ninelives.pipeline.p.hedge = 'a.b'");
        assertThat(p.registry().hedge("h")).isSameAs(h);
        assertThat(h.metrics().delay()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void theHedgeKeysAreListedAndTheAdaptiveOnesSaySo() {
        assertThat(NineLivesProperties.settings(Kind.HEDGE)).containsExactly("delay", "delay-percentile", "min-delay",
                "window", "max-hedges", "budget.ratio", "budget.burst");
        assertThat(NineLivesProperties.isAdaptive(Kind.HEDGE, "max-hedges")).isTrue();
        assertThat(NineLivesProperties.isAdaptive(Kind.HEDGE, "window")).isFalse();
        assertThat(NineLivesProperties.settings(Kind.PIPELINE)).contains("hedge");
    }
}
