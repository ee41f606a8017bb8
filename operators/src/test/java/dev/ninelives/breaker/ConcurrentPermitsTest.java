package dev.ninelives.breaker;

import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.RepeatedTest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain threads released together by a latch ({@link Race}). Guards against HALF_OPEN admitting more trial
 * calls than configured when acquirers race (Resilience4j #1090), and against a count window
 * that loses or double-counts outcomes when recorders race on its slots.
 */
class ConcurrentPermitsTest {

    @RepeatedTest(20)
    void halfOpenGrantsExactlyItsTrials() throws Exception {
        CircuitBreaker b = CircuitBreaker.builder("exact").permittedCallsInHalfOpen(7).build();
        b.transitionTo(State.HALF_OPEN);
        AtomicInteger granted = new AtomicInteger();
        Race.run(4, id -> {
            for (int i = 0; i < 1000; i++) {
                if (b.tryAcquire() >= 0) {
                    granted.incrementAndGet();
                }
            }
        });
        assertThat(granted).hasValue(7);
        assertThat(b.metrics().notPermitted()).isEqualTo(4000 - 7);
    }

    @RepeatedTest(20)
    void openToHalfOpenHappensOnceAndItsTrialsAreExact() throws Exception {
        AtomicLong now = new AtomicLong();
        CircuitBreaker b = CircuitBreaker.builder("reopen").ticker(now::get).permittedCallsInHalfOpen(3)
                .openDuration(java.time.Duration.ofNanos(10)).build();
        List<StateTransitionEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        b.onStateTransition(events::add);
        b.transitionTo(State.OPEN);
        now.set(10);
        AtomicInteger granted = new AtomicInteger();
        Race.run(4, id -> {
            for (int i = 0; i < 200; i++) {
                if (b.tryAcquire() >= 0) {
                    granted.incrementAndGet();
                }
            }
        });
        assertThat(granted).hasValue(3);
        assertThat(events).filteredOn(e -> e.to() == State.HALF_OPEN).hasSize(1);
    }

    @RepeatedTest(10)
    void racingTrialsDecideOnce() throws Exception {
        CircuitBreaker b = CircuitBreaker.builder("decide").permittedCallsInHalfOpen(100).failureRateThreshold(50).build();
        b.transitionTo(State.HALF_OPEN);
        List<StateTransitionEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        b.onStateTransition(events::add);
        Race.run(4, id -> {
            for (int i = 0; i < 25; i++) {
                long p = b.tryAcquire();
                assertThat(p).isNotNegative();
                if (i % 5 == 0) {
                    b.onError(p, 0, new IOException());     // 20 of 100 fail
                } else {
                    b.onSuccess(p, 0);
                }
            }
        });
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(events).singleElement().satisfies(e -> assertThat(e.detail()).startsWith("20 of 100"));
    }

    @RepeatedTest(10)
    void theCountWindowAddsUpUnderRacingRecorders() throws Exception {
        CircuitBreaker b = CircuitBreaker.builder("window").slidingWindow(64).minimumNumberOfCalls(64)
                .failureRateThreshold(100).build();
        Race.run(4, id -> {
            for (int i = 0; i < 5000; i++) {
                long p = b.tryAcquire();
                if (id == 0 && i % 2 == 0) {
                    b.onError(p, 0, new IOException());
                } else {
                    b.onSuccess(p, 0);
                }
            }
        });
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.calls()).as("the totals equal the ring once recorders are quiet").isEqualTo(64);
        assertThat(m.failures()).isBetween(0, 64);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        // The ring and its totals agree: 64 more successes evict every failure.
        for (int i = 0; i < 64; i++) {
            b.onSuccess(b.tryAcquire(), 0);
        }
        assertThat(b.metrics().failures()).isZero();
        assertThat(b.metrics().calls()).isEqualTo(64);
    }
}
