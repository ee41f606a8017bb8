package dev.ninelives.reactor.micrometer;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;

/**
 * The meters of one bulkhead; see {@link NineLivesMeters} for the table. The permits and the
 * queue are gauges that read {@link Bulkhead#metrics()} when the registry asks; refusals and
 * waits are fed by the bulkhead's listeners.
 */
final class BulkheadMeters extends PolicyMeters {

    static final String IN_FLIGHT = "ninelives.bulkhead.in.flight";
    static final String QUEUED = "ninelives.bulkhead.queued";
    static final String AVAILABLE_PERMITS = "ninelives.bulkhead.available.permits";
    static final String MAX_CONCURRENT = "ninelives.bulkhead.max.concurrent";
    static final String REJECTED = "ninelives.bulkhead.rejected";
    static final String WAIT = "ninelives.bulkhead.wait";

    private static final BulkheadFullException.Reason[] REASONS = BulkheadFullException.Reason.values();

    private final Bulkhead bulkhead;

    BulkheadMeters(Bulkhead bulkhead, Iterable<Tag> extraTags) {
        super(bulkhead, bulkhead.name(), "bulkhead", "ninelives.bulkhead.", extraTags);
        this.bulkhead = bulkhead;
    }

    @Override
    void register(MeterRegistry registry) {
        Gauge.builder(IN_FLIGHT, bulkhead, b -> b.metrics().inFlight()).tags(tags)
                .description("Calls holding a permit")
                .register(registry);
        Gauge.builder(QUEUED, bulkhead, b -> b.metrics().queued()).tags(tags)
                .description("Calls waiting for a permit")
                .register(registry);
        Gauge.builder(AVAILABLE_PERMITS, bulkhead, b -> b.metrics().availablePermits()).tags(tags)
                .description("Free permits; negative after the limit shrank below the calls in flight")
                .register(registry);
        Gauge.builder(MAX_CONCURRENT, bulkhead, b -> b.metrics().maxConcurrent()).tags(tags)
                .description("The current limit of concurrent calls")
                .register(registry);
        Counter[] rejected = new Counter[REASONS.length];
        for (BulkheadFullException.Reason r : REASONS) {
            rejected[r.ordinal()] = Counter.builder(REJECTED).tags(tags).tag("reason", tagValue(r))
                    .description("Calls the bulkhead refused, by reason")
                    .register(registry);
        }
        Timer wait = Timer.builder(WAIT).tags(tags)
                .description("How long each permitted call waited for its permit (zero when it did not wait)")
                .register(registry);

        bulkhead.onRejected(e -> rejected[e.reason().ordinal()].increment());
        bulkhead.onPermitted(e -> wait.record(e.waitNanos(), TimeUnit.NANOSECONDS));
    }
}
