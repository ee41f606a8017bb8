package dev.ninelives.breaker;

import dev.ninelives.testing.ManualTicker;
import dev.ninelives.breaker.CallRecordedEvent.Outcome;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.testing.Allocations;
import dev.ninelives.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-call listener, {@link CircuitBreaker#onCallRecorded}: what it is told, and when it is not. */
class CallRecordedTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final ManualTicker ticker = new ManualTicker();

    private CircuitBreaker slowAfterOneSecond(String name) {
        return CircuitBreaker.builder(name).ticker(ticker).slidingWindow(10).minimumNumberOfCalls(10)
                .recordFailureIf(e -> e instanceof IOException)
                .slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(100).build();
    }

    @Test
    void everyReportedOutcomeIsAnnouncedWithItsSpeedAndDuration() {
        CircuitBreaker b = slowAfterOneSecond("calls");
        List<CallRecordedEvent> events = new ArrayList<>();
        b.onCallRecorded(events::add);

        b.onSuccess(b.tryAcquire(), 5);
        b.onSuccess(b.tryAcquire(), SECOND);
        b.onError(b.tryAcquire(), SECOND - 1, new IOException("down"));
        b.onError(b.tryAcquire(), 2 * SECOND, new IOException("down"));
        b.onError(b.tryAcquire(), 7, new IllegalArgumentException("not counted"));
        b.onError(b.tryAcquire(), 3 * SECOND, new IllegalArgumentException("not counted"));

        assertThat(events).containsExactly(
                new CallRecordedEvent("calls", Outcome.SUCCESS, false, 5),
                new CallRecordedEvent("calls", Outcome.SUCCESS, true, SECOND),
                new CallRecordedEvent("calls", Outcome.FAILURE, false, SECOND - 1),
                new CallRecordedEvent("calls", Outcome.FAILURE, true, 2 * SECOND),
                new CallRecordedEvent("calls", Outcome.IGNORED, false, 7),
                new CallRecordedEvent("calls", Outcome.IGNORED, true, 3 * SECOND));
        assertThat(b.metrics().calls()).as("ignored errors are not recorded").isEqualTo(4);
        assertThat(b.metrics().slowCalls()).isEqualTo(2);
        assertThat(events.get(1).toString()).contains("calls").contains("SUCCESS").contains("slow");
    }

    @Test
    void withoutSlowCallDetectionNoCallIsSlow() {
        CircuitBreaker b = CircuitBreaker.builder("fast").ticker(ticker).build();
        List<CallRecordedEvent> events = new ArrayList<>();
        b.onCallRecorded(events::add);
        b.onSuccess(b.tryAcquire(), Long.MAX_VALUE);
        b.onError(b.tryAcquire(), Long.MAX_VALUE, new IOException("down"));
        assertThat(events).extracting(CallRecordedEvent::slow).containsExactly(false, false);
        assertThat(events).extracting(CallRecordedEvent::outcome).containsExactly(Outcome.SUCCESS, Outcome.FAILURE);
    }

    @Test
    void aReleasedPermitAndARefusalAnnounceNoCall() {
        CircuitBreaker b = CircuitBreaker.builder("released").ticker(ticker).build();
        List<CallRecordedEvent> events = new ArrayList<>();
        b.onCallRecorded(events::add);
        b.release(b.tryAcquire());
        b.transitionTo(State.FORCED_OPEN);
        long refused = b.tryAcquire();
        assertThat(refused).isNegative();
        b.onSuccess(refused, 0);                              // a caller that passes its refusal back
        b.onError(refused, 0, new IOException("down"));
        assertThat(events).isEmpty();
    }

    /** The event describes the call: it is announced even where the window does not count it. */
    @Test
    void outcomesTheWindowDoesNotCountAreStillAnnounced() {
        CircuitBreaker b = CircuitBreaker.builder("uncounted").ticker(ticker).build();
        List<Outcome> events = new ArrayList<>();
        b.onCallRecorded(e -> events.add(e.outcome()));
        long stale = b.tryAcquire();
        b.transitionTo(State.DISABLED);
        b.onSuccess(b.tryAcquire(), 0);                       // DISABLED records nothing
        b.transitionTo(State.CLOSED);
        b.onError(stale, 0, new IOException("late"));         // its epoch is over
        assertThat(b.metrics().calls()).isZero();
        assertThat(events).containsExactly(Outcome.SUCCESS, Outcome.FAILURE);
    }

    /** The call that trips the breaker is announced after the transition it caused. */
    @Test
    void theCallIsAnnouncedAfterTheTransitionItCaused() {
        CircuitBreaker b = CircuitBreaker.builder("order").ticker(ticker).slidingWindow(2).minimumNumberOfCalls(2)
                .failureRateThreshold(50).build();
        List<String> seen = new ArrayList<>();
        b.onStateTransition(e -> seen.add("transition to " + e.to()));
        b.onCallRecorded(e -> seen.add("call " + e.outcome() + " while " + b.state()));
        b.onSuccess(b.tryAcquire(), 0);
        b.onError(b.tryAcquire(), 0, new IOException("down"));
        assertThat(seen).containsExactly("call SUCCESS while CLOSED", "transition to OPEN", "call FAILURE while OPEN");
    }

    /** Guards the "listeners only when registered" rule: a listener sees calls from its registration on, of its own breaker. */
    @Test
    void aListenerSeesOnlyTheCallsOfItsBreakerAfterItWasRegistered() {
        CircuitBreaker listened = CircuitBreaker.builder("listened").ticker(ticker).build();
        CircuitBreaker other = CircuitBreaker.builder("other").ticker(ticker).build();
        other.onSuccess(other.tryAcquire(), 0);
        listened.onSuccess(listened.tryAcquire(), 0);
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        listened.onCallRecorded(e -> first.incrementAndGet());
        listened.onSuccess(listened.tryAcquire(), 0);
        other.onSuccess(other.tryAcquire(), 0);
        listened.onCallRecorded(e -> second.incrementAndGet());
        listened.onError(listened.tryAcquire(), 0, new IOException("down"));
        assertThat(first).hasValue(2);
        assertThat(second).hasValue(1);
    }

    @Test
    void aThrowingListenerIsLoggedAndRecordingCarriesOn() throws Exception {
        try (LogCapture log = new LogCapture()) {
            CircuitBreaker b = CircuitBreaker.builder("guarded").ticker(ticker).slidingWindow(4).minimumNumberOfCalls(4)
                    .failureRateThreshold(50).build();
            List<Outcome> seen = new ArrayList<>();
            b.onCallRecorded(e -> {
                throw new IllegalStateException("listener bug");
            });
            b.onCallRecorded(e -> seen.add(e.outcome()));
            b.onSuccess(b.tryAcquire(), 0);
            b.onSuccess(b.tryAcquire(), 0);
            b.onError(b.tryAcquire(), 0, new IOException("down"));
            b.onError(b.tryAcquire(), 0, new IOException("down"));

            assertThat(b.state()).as("every outcome was recorded").isEqualTo(State.OPEN);
            assertThat(seen).as("the next listener still ran")
                    .containsExactly(Outcome.SUCCESS, Outcome.SUCCESS, Outcome.FAILURE, Outcome.FAILURE);
            String text = log.text();
            assertThat(text.split("listener of 'guarded' threw", -1)).as("one log line per call").hasSize(5);
            assertThat(text).contains("WARNING").contains("IllegalStateException: listener bug").contains("FAILURE");
        }
    }

    @Test
    void aNullListenerIsRefused() {
        CircuitBreaker b = CircuitBreaker.ofDefaults("nulls");
        assertThatThrownBy(() -> b.onCallRecorded(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("listener");
    }

    /**
     * Guards the cost promise: without a call listener, recording a fast success in CLOSED
     * allocates nothing; a registered listener gets one event per call.
     */
    @Test
    void withoutAListenerRecordingAllocatesNothing() throws Exception {
        Allocations allocations = new Allocations();
        CircuitBreaker b = CircuitBreaker.builder("quiet").ticker(ticker).build();
        int calls = 10_000;
        long without = allocations.during(calls, () -> b.onSuccess(b.tryAcquire(), 0));
        assertThat(without).as("bytes for %d calls without a listener", calls).isLessThan(calls / 10);

        AtomicInteger seen = new AtomicInteger();
        b.onCallRecorded(e -> seen.incrementAndGet());
        long with = allocations.during(calls, () -> b.onSuccess(b.tryAcquire(), 0));
        assertThat(seen).hasValue(2 * calls);
        assertThat(with).as("one event per call with a listener").isGreaterThanOrEqualTo(16L * calls);
    }
}
