package dev.ninelives.reactor.micrometer;

import dev.ninelives.ratelimit.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/**
 * The meters of one rate limiter; see {@link NineLivesMeters} for the table. The permits and the
 * waiting calls are gauges that read {@link RateLimiter#metrics()} when the registry asks;
 * refusals and waits are fed by the limiter's listeners.
 */
final class RateLimiterMeters extends PolicyMeters {

    static final String AVAILABLE_PERMITS = "ninelives.ratelimiter.available.permits";
    static final String WAITING = "ninelives.ratelimiter.waiting";
    static final String LIMIT = "ninelives.ratelimiter.limit.for.period";
    static final String REJECTED = "ninelives.ratelimiter.rejected";
    static final String WAIT = "ninelives.ratelimiter.wait";

    private final RateLimiter limiter;

    RateLimiterMeters(RateLimiter limiter, Iterable<Tag> extraTags) {
        super(limiter, limiter.name(), "rate limiter", "ninelives.ratelimiter.", extraTags);
        this.limiter = limiter;
    }

    @Override
    void register(MeterRegistry registry) {
        Gauge.builder(AVAILABLE_PERMITS, limiter, l -> l.metrics().availablePermits()).tags(tags)
                .description("Permits that could be taken now without waiting")
                .register(registry);
        Gauge.builder(WAITING, limiter, l -> l.metrics().waiting()).tags(tags)
                .description("Calls that reserved a permit and wait for its instant")
                .register(registry);
        Gauge.builder(LIMIT, limiter, l -> l.metrics().limitForPeriod()).tags(tags)
                .description("The current limit of permits per period")
                .register(registry);
        Counter rejected = Counter.builder(REJECTED).tags(tags)
                .description("Calls the rate limiter refused")
                .register(registry);
        Timer wait = Timer.builder(WAIT).tags(tags)
                .description("How long each permitted call waits for its permit (zero when free at once)")
                .register(registry);

        limiter.onRejected(e -> rejected.increment());
        limiter.onPermitted(e -> wait.record(e.waitNanos(), TimeUnit.NANOSECONDS));
    }
}
