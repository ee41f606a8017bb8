package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.reactor.NineLives;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The breaker's meters, driven through the Reactor operator with a hand-moved ticker: calls by
 * outcome and speed, the state gauge through every state, the rates.
 */
class BreakerMetersTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong();

    private double calls(String breaker, String outcome, String kind) {
        return registry.get("ninelives.breaker.calls").tags("name", breaker, "outcome", outcome, "kind", kind).counter().count();
    }

    private double gauge(String name, String breaker) {
        return registry.get(name).tags("name", breaker).gauge().value();
    }

    private void assertState(String breaker, String expected) {
        for (State s : State.values()) {
            String tag = s.name().toLowerCase(java.util.Locale.ROOT);
            assertThat(registry.get("ninelives.breaker.state").tags("name", breaker, "state", tag).gauge().value())
                    .as("state %s while %s", tag, expected)
                    .isEqualTo(tag.equals(expected) ? 1.0 : 0.0);
        }
    }

    /** A call that takes {@code nanos} by the breaker's ticker, then ends with {@code outcome}. */
    private <T> Mono<T> taking(long nanos, Mono<T> outcome) {
        return Mono.defer(() -> {
            now.addAndGet(nanos);
            return outcome;
        });
    }

    /** Runs one call through the breaker, whatever its outcome. */
    private <T> void through(CircuitBreaker b, Mono<T> call) {
        StepVerifier.create(call.transform(NineLives.breaker(b)).materialize())     // a value or an error, as a signal
                .expectNextMatches(signal -> signal.isOnNext() || signal.isOnError())
                .verifyComplete();
    }

    @Test
    void callsAreCountedByOutcomeAndSpeed() {
        CircuitBreaker b = CircuitBreaker.builder("quotes").ticker(now::get).slidingWindow(100)
                .slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(100)
                .recordFailureIf(e -> e instanceof IOException).build();
        NineLivesMeters.breaker(b).bindTo(registry);
        assertThat(registry.get("ninelives.breaker.calls").tag("name", "quotes").counters())
                .as("every series is there from the start, at zero").hasSize(7)
                .allSatisfy(c -> assertThat(c.count()).isZero());

        through(b, Mono.just("fast"));
        through(b, taking(2 * SECOND, Mono.just("slow")));
        through(b, taking(SECOND - 1, Mono.error(new IOException("down"))));
        through(b, taking(SECOND, Mono.error(new IOException("slowly down"))));
        through(b, Mono.error(new IllegalArgumentException("not a failure")));
        StepVerifier.create(Flux.just(1, 2, 3).transform(NineLives.breaker(b))).expectNext(1, 2, 3).verifyComplete();
        StepVerifier.create(Mono.never().transform(NineLives.breaker(b))).thenCancel().verify();  // released: not counted

        b.transitionTo(State.FORCED_OPEN);
        StepVerifier.create(Mono.just(1).transform(NineLives.breaker(b))).verifyError(CallNotPermittedException.class);
        StepVerifier.create(Flux.just(1).transform(NineLives.breaker(b))).verifyError(CallNotPermittedException.class);

        assertThat(calls("quotes", "success", "fast")).isEqualTo(2);
        assertThat(calls("quotes", "success", "slow")).isEqualTo(1);
        assertThat(calls("quotes", "failure", "fast")).isEqualTo(1);
        assertThat(calls("quotes", "failure", "slow")).isEqualTo(1);
        assertThat(calls("quotes", "ignored", "fast")).isEqualTo(1);
        assertThat(calls("quotes", "ignored", "slow")).isZero();
        assertThat(calls("quotes", "not_permitted", "none")).isEqualTo(2);
        assertThat(b.metrics().calls()).as("the breaker's own window agrees").isEqualTo(5);
    }

    /**
     * The call-duration timer by outcome, on a breaker without slow-call detection: binding
     * turns on duration measurement, so a migrated Resilience4j dashboard has its timer.
     */
    @Test
    void callDurationsAreTimedByOutcomeEvenWithoutSlowCallDetection() {
        CircuitBreaker b = CircuitBreaker.builder("timed").ticker(now::get)
                .recordFailureIf(e -> e instanceof IOException).build();
        assertThat(b.measuresDurations()).as("unbound: no clock read for durations").isFalse();
        NineLivesMeters.breaker(b).bindTo(registry);
        assertThat(b.measuresDurations()).isTrue();
        assertThat(registry.get("ninelives.breaker.call.duration").tag("name", "timed").timers())
                .as("every series from the start").hasSize(6);

        through(b, taking(2 * SECOND, Mono.just("ok")));
        through(b, taking(3 * SECOND, Mono.just("ok")));
        through(b, taking(SECOND, Mono.error(new IOException("down"))));
        through(b, taking(5 * SECOND, Mono.error(new IllegalArgumentException("not counted"))));

        io.micrometer.core.instrument.Timer success = registry.get("ninelives.breaker.call.duration")
                .tags("name", "timed", "outcome", "success", "kind", "fast").timer();
        assertThat(success.count()).isEqualTo(2);
        assertThat(success.totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(5.0);
        assertThat(registry.get("ninelives.breaker.call.duration").tags("name", "timed", "outcome", "failure", "kind", "fast")
                .timer().totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1.0);
        assertThat(registry.get("ninelives.breaker.call.duration").tags("name", "timed", "outcome", "ignored", "kind", "fast")
                .timer().max(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(5.0);
    }

    @Test
    void theStateGaugeFollowsEveryTransition() {
        CircuitBreaker b = CircuitBreaker.builder("states").ticker(now::get).slidingWindow(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(1).build();
        NineLivesMeters.breaker(b).bindTo(registry);
        assertState("states", "closed");

        through(b, Mono.error(new IOException("down")));
        through(b, Mono.error(new IOException("down")));
        assertState("states", "open");

        now.addAndGet(10 * SECOND);
        through(b, Mono.fromCallable(() -> {
            assertState("states", "half_open");                 // the trial call runs in HALF_OPEN
            return "trial";
        }));
        assertState("states", "closed");

        b.transitionTo(State.FORCED_OPEN);
        assertState("states", "forced_open");
        b.transitionTo(State.DISABLED);
        assertState("states", "disabled");
        b.transitionTo(State.METRICS_ONLY);
        assertState("states", "metrics_only");
        b.reset();
        assertState("states", "closed");
    }

    @Test
    void theRatesAreMinusOneBelowTheMinimumThenPercentages() {
        CircuitBreaker b = CircuitBreaker.builder("rates").ticker(now::get).slidingWindow(4).minimumNumberOfCalls(4)
                .failureRateThreshold(100).slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(100).build();
        NineLivesMeters.breaker(b).bindTo(registry);
        assertThat(registry.get("ninelives.breaker.failure.rate").gauge().getId().getBaseUnit()).isEqualTo("percent");
        assertThat(registry.get("ninelives.breaker.slow.call.rate").gauge().getId().getBaseUnit()).isEqualTo("percent");

        assertThat(gauge("ninelives.breaker.failure.rate", "rates")).isEqualTo(-1.0);
        assertThat(gauge("ninelives.breaker.slow.call.rate", "rates")).isEqualTo(-1.0);
        through(b, Mono.error(new IOException("down")));
        through(b, taking(SECOND, Mono.just("slow")));
        through(b, Mono.just("fast"));
        assertThat(gauge("ninelives.breaker.failure.rate", "rates")).as("3 of 4 calls").isEqualTo(-1.0);
        through(b, Mono.just("fast"));
        assertThat(gauge("ninelives.breaker.failure.rate", "rates")).isEqualTo(25.0);
        assertThat(gauge("ninelives.breaker.slow.call.rate", "rates")).isEqualTo(25.0);
        through(b, taking(SECOND, Mono.error(new IOException("slowly down"))));   // the oldest call leaves the window
        assertThat(gauge("ninelives.breaker.failure.rate", "rates")).isEqualTo(25.0);
        assertThat(gauge("ninelives.breaker.slow.call.rate", "rates")).isEqualTo(50.0);
    }

    @Test
    void everyMeterHasADescription() {
        CircuitBreaker b = CircuitBreaker.ofDefaults("described");
        NineLivesMeters.breaker(b).bindTo(registry);
        assertThat(registry.getMeters()).hasSize(6 + 7 + 2 + 6)
                .allSatisfy(m -> assertThat(m.getId().getDescription()).isNotBlank());
        assertThat(registry.getMeters()).filteredOn(m -> m instanceof Gauge).hasSize(8);
        assertThat(registry.getMeters()).filteredOn(m -> m instanceof Counter).hasSize(7);
        assertThat(registry.getMeters()).filteredOn(m -> m instanceof io.micrometer.core.instrument.Timer).hasSize(6);
    }
}
