package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CallRecordedEvent;
import dev.ninelives.breaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;

import java.util.concurrent.TimeUnit;

/**
 * The meters of one circuit breaker; see {@link NineLivesMeters} for the table. The state and
 * the rates are gauges that read the breaker when the registry asks; the calls are counters, and
 * their durations timers, fed by {@code onCallRecorded} and {@code onCallNotPermitted} listeners.
 */
final class BreakerMeters extends PolicyMeters {

    static final String STATE = "ninelives.breaker.state";
    static final String CALLS = "ninelives.breaker.calls";
    static final String FAILURE_RATE = "ninelives.breaker.failure.rate";
    static final String SLOW_CALL_RATE = "ninelives.breaker.slow.call.rate";
    static final String CALL_DURATION = "ninelives.breaker.call.duration";

    private static final CallRecordedEvent.Outcome[] OUTCOMES = CallRecordedEvent.Outcome.values();

    private final CircuitBreaker breaker;

    BreakerMeters(CircuitBreaker breaker, Iterable<Tag> extraTags) {
        super(breaker, breaker.name(), "circuit breaker", "ninelives.breaker.", extraTags);
        this.breaker = breaker;
    }

    @Override
    void register(MeterRegistry registry) {
        for (CircuitBreaker.State s : CircuitBreaker.State.values()) {
            Gauge.builder(STATE, breaker, b -> b.state() == s ? 1.0 : 0.0)
                    .tags(tags).tag("state", tagValue(s))
                    .description("1 for the breaker's current state, 0 for the others")
                    .register(registry);
        }
        Gauge.builder(FAILURE_RATE, breaker, b -> b.metrics().failureRate())
                .tags(tags).baseUnit(BaseUnits.PERCENT)
                .description("Failures as a percentage of the calls in the sliding window; -1 below the minimum number of calls")
                .register(registry);
        Gauge.builder(SLOW_CALL_RATE, breaker, b -> b.metrics().slowCallRate())
                .tags(tags).baseUnit(BaseUnits.PERCENT)
                .description("Slow calls as a percentage of the calls in the sliding window; -1 below the minimum number of calls")
                .register(registry);

        // index: outcome * 2 + (slow ? 1 : 0)
        Counter[] calls = new Counter[OUTCOMES.length * 2];
        Timer[] durations = new Timer[OUTCOMES.length * 2];
        for (CallRecordedEvent.Outcome o : OUTCOMES) {
            for (int slow = 0; slow < 2; slow++) {
                String kind = slow == 0 ? "fast" : "slow";
                calls[o.ordinal() * 2 + slow] = calls(registry, tagValue(o), kind);
                durations[o.ordinal() * 2 + slow] = Timer.builder(CALL_DURATION)
                        .tags(tags).tag("outcome", tagValue(o)).tag("kind", kind)
                        .description("How long calls through the breaker took, by outcome and speed")
                        .register(registry);
            }
        }
        Counter notPermitted = calls(registry, "not_permitted", "none");

        // Registering a call listener makes the breaker measure durations (measuresDurations()):
        // an unbound breaker reads no clock for them.
        breaker.onCallRecorded(e -> {
            int i = e.outcome().ordinal() * 2 + (e.slow() ? 1 : 0);
            calls[i].increment();
            durations[i].record(e.durationNanos(), TimeUnit.NANOSECONDS);
        });
        breaker.onCallNotPermitted(e -> notPermitted.increment());
    }

    private Counter calls(MeterRegistry registry, String outcome, String kind) {
        return Counter.builder(CALLS)
                .tags(tags).tag("outcome", outcome).tag("kind", kind)
                .description("Calls through the breaker by outcome and speed")
                .register(registry);
    }
}
