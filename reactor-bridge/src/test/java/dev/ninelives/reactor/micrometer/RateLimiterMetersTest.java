package dev.ninelives.reactor.micrometer;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.NineLives;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rate limiter's meters, driven through the plain API and the Reactor operator under a hand-moved ticker. */
class RateLimiterMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, new MockClock());
    private final AtomicLong now = new AtomicLong();

    @Test
    void gaugesCountersAndTheWaitTimer() {
        RateLimiter rl = RateLimiter.builder("geo").limitForPeriod(10).burst(2).maxWait(Duration.ofMillis(150))
                .ticker(now::get).build();
        NineLivesMeters.rateLimiter(rl, Tags.of("region", "eu")).bindTo(registry);
        assertThat(registry.get(RateLimiterMeters.AVAILABLE_PERMITS).tag("name", "geo").tag("region", "eu").gauge().value())
                .isEqualTo(2.0);
        assertThat(registry.get(RateLimiterMeters.LIMIT).gauge().value()).isEqualTo(10.0);
        for (int i = 0; i < 5; i++) {
            Mono.just(i).transform(NineLives.rateLimiter(rl)).subscribe();
        }
        // two at once, then 100 ms and (refused, 200 ms > 150 ms) ... : one waiting, two refused
        assertThat(registry.get(RateLimiterMeters.AVAILABLE_PERMITS).gauge().value()).isZero();
        assertThat(registry.get(RateLimiterMeters.WAITING).gauge().value()).isEqualTo(1.0);
        assertThat(registry.get(RateLimiterMeters.REJECTED).counter().count()).isEqualTo(2.0);
        assertThat(registry.get(RateLimiterMeters.WAIT).timer().count()).isEqualTo(3);
        assertThat(registry.get(RateLimiterMeters.WAIT).timer().max(TimeUnit.MILLISECONDS)).isEqualTo(100.0);
    }

    @Test
    void oneLimiterPerSeries() {
        NineLivesMeters.rateLimiter(RateLimiter.builder("geo").build()).bindTo(registry);
        assertThatThrownBy(() -> NineLivesMeters.rateLimiter(RateLimiter.builder("geo").build()).bindTo(registry))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("geo");
        assertThatThrownBy(() -> NineLivesMeters.rateLimiter(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("limiter");
    }
}
