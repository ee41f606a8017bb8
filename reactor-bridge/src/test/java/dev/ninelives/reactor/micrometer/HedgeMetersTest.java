package dev.ninelives.reactor.micrometer;

import dev.ninelives.hedge.Hedge;
import dev.ninelives.reactor.NineLives;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hedge's meters, read from its counters while hedged calls run on virtual time. */
class HedgeMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, new MockClock());

    @Test
    void countersAndGauges() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        Hedge h = Hedge.builder("search").delay(Duration.ofMillis(100)).budget(0.01, 1).build();
        NineLivesMeters.hedge(h, Tags.of("region", "eu")).bindTo(registry);
        assertThat(registry.get(HedgeMeters.DELAY).tag("name", "search").tag("region", "eu").gauge().value()).isEqualTo(0.1);
        assertThat(registry.get(HedgeMeters.TOKENS).gauge().value()).isEqualTo(1.0);
        Mono<Integer> slowOnce = Mono.delay(Duration.ofMillis(300), vts).thenReturn(1);
        for (int i = 0; i < 2; i++) {
            slowOnce.transform(NineLives.hedge(h, vts)).subscribe();
            vts.advanceTimeBy(Duration.ofMillis(400));
        }
        assertThat(registry.get(HedgeMeters.CALLS).functionCounter().count()).isEqualTo(2.0);
        assertThat(registry.get(HedgeMeters.ISSUED).functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get(HedgeMeters.WON).functionCounter().count()).isZero();
        assertThat(registry.get(HedgeMeters.REFUSED).tag("reason", "budget").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get(HedgeMeters.REFUSED).tag("reason", "breaker").functionCounter().count()).isZero();
        assertThat(registry.get(HedgeMeters.TOKENS).gauge().value()).as("the second call earned 1 %").isEqualTo(0.01, org.assertj.core.data.Offset.offset(0.001));
        vts.dispose();
    }

    @Test
    void oneHedgePerSeries() {
        NineLivesMeters.hedge(Hedge.builder("search").build()).bindTo(registry);
        assertThatThrownBy(() -> NineLivesMeters.hedge(Hedge.builder("search").build()).bindTo(registry))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("search");
        assertThatThrownBy(() -> NineLivesMeters.hedge(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("hedge");
    }
}
