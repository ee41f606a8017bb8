package dev.ninelives.reactor.registry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.RegistryEvent.Type;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rate limiters in the registry: one per name, from defaults and overrides, named by pipelines, metered, removed. */
class RegistryRateLimiterTest {

    @Test
    void aRateLimiterIsCreatedFromTheDefaultsThenItsOverrideAndIsTheSameInstanceAfter() {
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .rateLimiterDefaults(b -> b.limitForPeriod(20).maxWait(Duration.ofMillis(5)))
                .rateLimiter("geo", b -> b.limitForPeriod(3))
                .build();
        List<RegistryEvent> events = new CopyOnWriteArrayList<>();
        registry.onEvent(events::add);
        RateLimiter geo = registry.rateLimiter("geo");
        assertThat(geo.config().limitForPeriod()).isEqualTo(3);
        assertThat(geo.config().maxWait()).isEqualTo(Duration.ofMillis(5));
        assertThat(registry.rateLimiter("other").config().limitForPeriod()).isEqualTo(20);
        assertThat(registry.rateLimiter("geo")).isSameAs(geo);
        assertThat(registry.findRateLimiter("geo")).containsSame(geo);
        assertThat(registry.findRateLimiter("none")).isEmpty();
        assertThat(registry.rateLimiters().keySet()).containsExactly("geo", "other");
        assertThat(events).extracting(RegistryEvent::kind, RegistryEvent::type, RegistryEvent::name)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.RATE_LIMITER, Type.ADDED, "geo"),
                        org.assertj.core.groups.Tuple.tuple(Kind.RATE_LIMITER, Type.ADDED, "other"));
    }

    @Test
    void oneNameOneRateLimiterReplaceAndRemove() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        RateLimiter geo = registry.rateLimiter("geo");
        RateLimiter twin = RateLimiter.builder("geo").build();
        assertThatThrownBy(() -> registry.register(twin)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Cannot register rate limiter 'geo'");
        assertThat(registry.register(geo)).isSameAs(geo);
        assertThat(registry.replace(twin)).isSameAs(geo);
        assertThat(registry.rateLimiter("geo")).isSameAs(twin);
        assertThat(registry.removeRateLimiter("geo")).containsSame(twin);
        assertThat(registry.findRateLimiter("geo")).isEmpty();
        assertThatThrownBy(() -> registry.replace(twin)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the registry holds no rate limiter of that name");
        assertThat(registry.register(RateLimiter.builder("solo").build()).name()).isEqualTo("solo");
    }

    @Test
    void aRemovedRateLimiterIsReleasedFromItsSharedAdaptives() {
        Adaptive<Integer> limit = Adaptive.of(10);
        NineLivesRegistry registry = NineLivesRegistry.builder().rateLimiterDefaults(b -> b.limitForPeriod(limit)).build();
        RateLimiter geo = registry.rateLimiter("geo");
        assertThatThrownBy(() -> limit.set(0)).hasMessageContaining("rate limiter 'geo'");
        registry.removeRateLimiter("geo");
        limit.set(0);                                   // no policy checks it any more
        assertThat(geo.metrics().limitForPeriod()).as("keeps the rate it had").isEqualTo(10);
    }

    @Test
    void aPipelineSpecNamesARateLimiterOfTheRegistry() {
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .pipelineDefaults(p -> p.rateLimiter("shared"))
                .pipeline("own", p -> p.rateLimiter())
                .pipeline("none", p -> p.noRateLimiter())
                .build();
        Pipeline a = registry.pipeline("a");
        assertThat(a.rateLimiter()).containsSame(registry.rateLimiter("shared"));
        assertThat(registry.pipeline("b").rateLimiter()).containsSame(registry.rateLimiter("shared"));
        assertThat(registry.pipeline("own").rateLimiter()).containsSame(registry.rateLimiter("own"));
        assertThat(registry.pipeline("none").rateLimiter()).isEmpty();
        assertThat(a.explain()).contains("rate limiter 'shared'");
        assertThatThrownBy(() -> NineLivesRegistry.builder().pipelineDefaults(p -> p.rateLimiter(" ")).build().pipeline("x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRegistryBinderMetersRateLimitersPresentAndFutureAndDropsRemovedOnes() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.rateLimiter("before");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        NineLivesMeters.registry(registry).bindTo(meters);
        registry.rateLimiter("after");
        assertThat(meters.find("ninelives.ratelimiter.limit.for.period").tag("name", "before").gauge()).isNotNull();
        assertThat(meters.find("ninelives.ratelimiter.limit.for.period").tag("name", "after").gauge().value()).isEqualTo(50.0);
        registry.removeRateLimiter("before");
        assertThat(meters.find("ninelives.ratelimiter.limit.for.period").tag("name", "before").gauge()).isNull();
    }
}
