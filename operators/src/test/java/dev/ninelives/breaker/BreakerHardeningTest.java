package dev.ninelives.breaker;

import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the breaker guarantees when the world misbehaves: listeners that throw JVM-fatal errors,
 * listeners that move the breaker while it refuses, clocks that jump, and readers of an OPEN
 * breaker's metrics long after it opened.
 */
class BreakerHardeningTest {

    private final ManualTicker ticker = new ManualTicker();

    private CircuitBreaker countBreaker(String name) {
        return CircuitBreaker.builder(name).slidingWindow(4).minimumNumberOfCalls(4).permittedCallsInHalfOpen(2)
                .openDuration(Duration.ofSeconds(10)).ticker(ticker).build();
    }

    private static void fail(CircuitBreaker b) {
        b.onError(b.tryAcquire(), 0, new IOException("down"));
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(b.tryAcquire(), 0);
    }

    /**
     * Guards against: a transition listener that threw StackOverflowError on OPEN -> HALF_OPEN
     * left the first trial counted as taken while the caller never got its permit, so HALF_OPEN
     * refused every later call, forever.
     */
    @Test
    void aFatalTransitionListenerOnTheWayToHalfOpenReturnsTheTrialPermit() {
        CircuitBreaker b = countBreaker("fatal-transition");
        AtomicInteger calls = new AtomicInteger();
        b.onStateTransition(e -> {
            if (e.to() == State.HALF_OPEN && calls.getAndIncrement() == 0) {
                throw new StackOverflowError("listener blew the stack");
            }
        });
        b.transitionTo(State.OPEN);
        ticker.advance(Duration.ofSeconds(10));
        assertThatThrownBy(b::tryAcquire).isInstanceOf(StackOverflowError.class);
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);

        long first = b.tryAcquire();
        long second = b.tryAcquire();
        assertThat(first).as("both trial slots are free again").isNotNegative();
        assertThat(second).isNotNegative();
        assertThat(b.tryAcquire()).isNegative();
        b.onSuccess(first, 0);
        b.onSuccess(second, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    /** A fatal error from a call listener leaves the outcome recorded: the breaker still trips on it. */
    @Test
    void aFatalCallListenerLeavesTheOutcomeRecorded() {
        CircuitBreaker b = countBreaker("fatal-call");
        b.onCallRecorded(e -> {
            throw new StackOverflowError();
        });
        for (int i = 0; i < 4; i++) {
            long permit = b.tryAcquire();
            assertThatThrownBy(() -> b.onError(permit, 0, new IOException())).isInstanceOf(StackOverflowError.class);
        }
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.metrics().failures()).isEqualTo(4);
    }

    /** A fatal failure predicate returns the permit unrecorded before the error leaves. */
    @Test
    void aFatalFailurePredicateReleasesTheTrialPermit() {
        CircuitBreaker b = CircuitBreaker.builder("fatal-predicate").permittedCallsInHalfOpen(1).ticker(ticker)
                .recordFailureIf(e -> {
                    throw new StackOverflowError();
                }).build();
        b.transitionTo(State.HALF_OPEN);
        long trial = b.tryAcquire();
        assertThatThrownBy(() -> b.onError(trial, 0, new IOException())).isInstanceOf(StackOverflowError.class);
        assertThat(b.tryAcquire()).as("the slot came back").isNotNegative();
    }

    /**
     * Guards against: a rejection listener that calls transitionTo (or a transition racing the
     * refusal) made the exception report CLOSED or DISABLED, a state that refuses nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"CLOSED", "DISABLED", "METRICS_ONLY", "HALF_OPEN"})
    void theRejectionNamesTheStateThatRefusedEvenIfTheBreakerMovedSince(State movedTo) {
        CircuitBreaker b = countBreaker("moving");
        b.onCallNotPermitted(e -> b.transitionTo(movedTo));
        b.transitionTo(State.OPEN);
        long refusal = b.tryAcquire();
        assertThat(refusal).isNegative();
        assertThat(b.state()).isEqualTo(movedTo);
        CallNotPermittedException e = b.rejection(refusal);
        assertThat(e.state()).isEqualTo(State.OPEN);
        assertThat(e.breakerName()).isEqualTo("moving");
        assertThat(e.getMessage()).contains("OPEN");
    }

    @Test
    void eachRefusingStateIsNamed() {
        CircuitBreaker b = countBreaker("states");
        b.transitionTo(State.FORCED_OPEN);
        assertThat(b.rejection(b.tryAcquire()).state()).isEqualTo(State.FORCED_OPEN);
        b.transitionTo(State.HALF_OPEN);
        b.tryAcquire();
        b.tryAcquire();
        long full = b.tryAcquire();
        b.transitionTo(State.FORCED_OPEN);
        assertThat(b.rejection(full).state()).as("refused by HALF_OPEN, read in FORCED_OPEN").isEqualTo(State.HALF_OPEN);
        assertThat(b.rejection(full).nextTrialAtNanos()).isEqualTo(CallNotPermittedException.UNKNOWN);
    }

    @Test
    void rejectionRefusesAPermitOrAMadeUpValue() {
        CircuitBreaker b = countBreaker("bad");
        long permit = b.tryAcquire();
        assertThatIllegalArgumentException().isThrownBy(() -> b.rejection(permit))
                .withMessageContaining("refusal").withMessageContaining(String.valueOf(permit));
        assertThatIllegalArgumentException().isThrownBy(() -> b.rejection(Long.MIN_VALUE))
                .withMessageContaining(String.valueOf(Long.MIN_VALUE));
        assertThatIllegalArgumentException().isThrownBy(() -> b.rejection(-1L)).withMessageContaining("-1");
    }

    @Test
    void theOpenMessageCountsDownToTheNextTrial() {
        CircuitBreaker b = countBreaker("countdown");
        b.transitionTo(State.OPEN);
        CallNotPermittedException e = b.rejection(b.tryAcquire());
        assertThat(e.getMessage()).isEqualTo(
                "CircuitBreaker 'countdown' is OPEN: calls are not permitted for 10s after it opened; next trial call in 10.0 s");
        ticker.advance(Duration.ofMillis(9_750));
        assertThat(e.getMessage()).endsWith("; next trial call in 250 ms");
        ticker.advance(Duration.ofMillis(250));
        assertThat(e.getMessage()).endsWith("; the next call is a trial call");
        assertThat(e.nextTrialAtNanos()).as("the absolute reading stays").isEqualTo(ticker.read());
    }

    /**
     * Guards against: an OPEN time-window breaker whose metrics drained as time passed (20 s
     * after opening, calls() read 0 and the failure rate -1) while the docs promise the window as
     * it was when OPEN was entered.
     */
    @Test
    void anOpenBreakersMetricsStayAsTheyWereWhenItOpened() {
        CircuitBreaker b = CircuitBreaker.builder("frozen").slidingTimeWindow(Duration.ofSeconds(10), 10)
                .minimumNumberOfCalls(4).failureRateThreshold(50).openDuration(Duration.ofMinutes(1)).ticker(ticker).build();
        succeed(b);
        succeed(b);
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
        ticker.advance(Duration.ofSeconds(20));
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.calls()).isEqualTo(4);
        assertThat(m.failures()).isEqualTo(2);
        assertThat(m.failureRate()).isEqualTo(50f);
        b.transitionTo(State.FORCED_OPEN);
        ticker.advance(Duration.ofSeconds(20));
        assertThat(b.metrics().calls()).as("FORCED_OPEN keeps what OPEN froze").isEqualTo(4);
        b.transitionTo(State.CLOSED);
        assertThat(b.metrics().calls()).as("CLOSED starts a fresh window").isZero();
    }

    /** A breaker that reopens from HALF_OPEN shows the trial calls that reopened it. */
    @Test
    void reopeningFreezesTheTrialCalls() {
        CircuitBreaker b = countBreaker("reopen");
        b.transitionTo(State.HALF_OPEN);
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.calls()).isEqualTo(2);
        assertThat(m.failureRate()).isEqualTo(100f);
    }

    /**
     * Guards against: a time window whose buckets were tagged from the clock at build time, so a
     * breaker built on one clock and used on another (StepVerifier.withVirtualTime) dropped every
     * call as late, and six failures left it CLOSED with zero calls.
     */
    @Test
    void aTimeWindowBuiltOnOneClockCountsOnTheClockItIsUsedWith() {
        long[] now = {System.nanoTime()};
        CircuitBreaker b = CircuitBreaker.builder("virtual").slidingTimeWindow(Duration.ofSeconds(60), 60)
                .minimumNumberOfCalls(6).ticker(() -> now[0]).build();
        b.metrics();                                         // read on the first clock: binds nothing
        now[0] = 0;                                          // a virtual clock starts at zero
        for (int i = 0; i < 5; i++) {
            fail(b);
            now[0] += Duration.ofMillis(100).toNanos();
        }
        assertThat(b.metrics().calls()).isEqualTo(5);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aTimeWindowUsedOnTwoVirtualClocksInTurnStartsEmptyOnTheSecond() {
        long[] now = {0};
        CircuitBreaker b = CircuitBreaker.builder("twice").slidingTimeWindow(Duration.ofSeconds(10), 10)
                .minimumNumberOfCalls(100).ticker(() -> now[0]).build();
        List<Integer> seen = new ArrayList<>();
        now[0] = Duration.ofSeconds(25).toNanos();           // the first test's calls come 25 s in
        for (int i = 0; i < 3; i++) {
            succeed(b);
            seen.add(b.metrics().calls());
            now[0] += Duration.ofSeconds(3).toNanos();
        }
        now[0] = 0;                                          // the next test's clock starts again at zero
        succeed(b);
        seen.add(b.metrics().calls());
        now[0] = Duration.ofSeconds(5).toNanos();
        succeed(b);
        seen.add(b.metrics().calls());
        assertThat(seen).containsExactly(1, 2, 3, 1, 2);
    }
}
