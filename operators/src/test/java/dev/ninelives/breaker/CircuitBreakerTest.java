package dev.ninelives.breaker;

import dev.ninelives.testing.ManualTicker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.core.Ticker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The breaker's state machine, single-threaded, with a manual ticker. */
class CircuitBreakerTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<StateTransitionEvent> transitions = new ArrayList<>();

    private CircuitBreaker breaker(CircuitBreakerBuilder b) {
        CircuitBreaker breaker = b.ticker(ticker).build();
        breaker.onStateTransition(transitions::add);
        return breaker;
    }

    private CircuitBreaker fourCalls() {
        return breaker(CircuitBreaker.builder("four").slidingWindow(4).minimumNumberOfCalls(4).failureRateThreshold(50)
                .openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(2));
    }

    private static void succeed(CircuitBreaker b) {
        long p = b.tryAcquire();
        assertThat(p).isNotNegative();
        b.onSuccess(p, 0);
    }

    private static void fail(CircuitBreaker b) {
        long p = b.tryAcquire();
        assertThat(p).isNotNegative();
        b.onError(p, 0, new IOException("down"));
    }

    private void open(CircuitBreaker b) {
        succeed(b);
        succeed(b);
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void opensWhenTheFailureRateReachesTheThreshold() {
        CircuitBreaker b = fourCalls();
        succeed(b);
        succeed(b);
        fail(b);
        assertThat(b.state()).as("below the minimum number of calls").isEqualTo(State.CLOSED);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(transitions).singleElement().satisfies(e -> {
            assertThat(e.from()).isEqualTo(State.CLOSED);
            assertThat(e.to()).isEqualTo(State.OPEN);
            assertThat(e.reason()).isEqualTo(StateTransitionEvent.Reason.FAILURE_RATE_EXCEEDED);
            assertThat(e.detail()).contains("failure rate 50.0%").contains("over 4 calls");
        });
    }

    @Test
    void staysClosedBelowTheThreshold() {
        CircuitBreaker b = fourCalls();
        succeed(b);
        succeed(b);
        succeed(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics()).satisfies(m -> {
            assertThat(m.calls()).isEqualTo(4);
            assertThat(m.failures()).isEqualTo(1);
            assertThat(m.successes()).isEqualTo(3);
            assertThat(m.failureRate()).isEqualTo(25f);
            assertThat(m.slowCallRate()).isEqualTo(0f);
        });
    }

    @Test
    void theCountWindowForgetsOlderCalls() {
        CircuitBreaker b = fourCalls();
        fail(b);
        succeed(b);
        succeed(b);
        succeed(b);
        succeed(b); // evicts the failure
        assertThat(b.metrics().failures()).isZero();
        fail(b);
        succeed(b);
        fail(b);
        assertThat(b.metrics().failures()).isEqualTo(2);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aFailureAfterAHealthyFullWindowIsEvictedAfterExactlyNCalls() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("healthy").slidingWindow(5).minimumNumberOfCalls(5)
                .failureRateThreshold(60));
        for (int i = 0; i < 12; i++) {
            succeed(b);       // full of successes: later successes take the no-write shortcut
        }
        fail(b);
        for (int i = 0; i < 4; i++) {
            succeed(b);
            assertThat(b.metrics().failures()).as("still within the last 5 calls").isEqualTo(1);
        }
        succeed(b);
        assertThat(b.metrics().failures()).isZero();
        assertThat(b.metrics().calls()).isEqualTo(5);
        fail(b);
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void ratesAreMinusOneBelowTheMinimum() {
        CircuitBreaker b = fourCalls();
        fail(b);
        assertThat(b.metrics().failureRate()).isEqualTo(-1f);
        assertThat(b.metrics().calls()).isEqualTo(1);
    }

    @Test
    void openRefusesWithASharedStacklessExceptionThatSaysWhen() {
        CircuitBreaker b = fourCalls();
        AtomicInteger refusals = new AtomicInteger();
        b.onCallNotPermitted(e -> {
            assertThat(e.breakerName()).isEqualTo("four");
            assertThat(e.state()).isEqualTo(State.OPEN);
            refusals.incrementAndGet();
        });
        open(b);
        long openedAt = ticker.read();
        long first = b.tryAcquire();
        long second = b.tryAcquire();
        assertThat(first).isNegative();
        assertThat(second).isNegative();
        CallNotPermittedException e = b.rejection(first);
        assertThat(e).isSameAs(b.rejection(second));
        assertThat(e.getStackTrace()).isEmpty();
        assertThat(e.breakerName()).isEqualTo("four");
        assertThat(e.state()).isEqualTo(State.OPEN);
        assertThat(e.nextTrialAtNanos()).isEqualTo(openedAt + Duration.ofSeconds(10).toNanos());
        assertThat(e.getMessage()).contains("'four'").contains("OPEN").contains("10s")
                .endsWith("; next trial call in 10.0 s");
        ticker.advance(Duration.ofMillis(2_250));
        assertThat(e.getMessage()).as("relative to when it is read").endsWith("; next trial call in 7.8 s");
        assertThat(refusals).hasValue(2);
        assertThat(b.metrics().notPermitted()).isEqualTo(2);
        assertThat(b.metrics().calls()).as("OPEN keeps the window that tripped it").isEqualTo(4);
    }

    @Test
    void rejectionStackTracesGiveAFreshExceptionPerCall() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("traced").rejectionStackTraces(true));
        b.transitionTo(State.FORCED_OPEN);
        long refusal = b.tryAcquire();
        assertThat(refusal).isNegative();
        CallNotPermittedException e = b.rejection(refusal);
        assertThat(e).isNotSameAs(b.rejection(refusal));
        assertThat(e.getStackTrace()).isNotEmpty();
        assertThat(e.state()).isEqualTo(State.FORCED_OPEN);
        assertThat(e.getMessage()).contains("FORCED_OPEN");
    }

    @Test
    void halfOpenAdmitsExactlyThePermittedTrialsAndClosesWhenTheySucceed() {
        CircuitBreaker b = fourCalls();
        open(b);
        ticker.advance(Duration.ofSeconds(9));
        assertThat(b.tryAcquire()).isNegative();
        ticker.advance(Duration.ofSeconds(1));
        long first = b.tryAcquire();
        assertThat(first).isNotNegative();
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        long second = b.tryAcquire();
        assertThat(second).isNotNegative();
        long refusal = b.tryAcquire();
        assertThat(refusal).isNegative();
        assertThat(b.rejection(refusal).state()).isEqualTo(State.HALF_OPEN);
        assertThat(b.rejection(refusal).getMessage()).contains("all 2 trial calls are taken");
        b.onSuccess(first, 0);
        assertThat(b.tryAcquire()).as("a recorded trial does not free a slot").isNegative();
        assertThat(b.metrics().calls()).isEqualTo(1);
        b.onSuccess(second, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics().calls()).as("a fresh window").isZero();
        assertThat(transitions).extracting(StateTransitionEvent::reason).containsExactly(
                StateTransitionEvent.Reason.FAILURE_RATE_EXCEEDED,
                StateTransitionEvent.Reason.OPEN_DURATION_ELAPSED,
                StateTransitionEvent.Reason.TRIAL_CALLS_SUCCEEDED);
    }

    /**
     * The acquire that moves OPEN to HALF_OPEN holds the first trial permit while it announces
     * the transition. Guards against a transition listener's fatal error (or one from the
     * logging of a listener's failure, a StackOverflowError deep in a stack) leaking that slot:
     * with one trial permitted, the breaker would stay HALF_OPEN and refuse every call forever.
     */
    @Test
    void aFatalErrorAnnouncingHalfOpenGivesTheTrialSlotBack() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("fatalHalfOpen").slidingWindow(4).minimumNumberOfCalls(4)
                .failureRateThreshold(50).openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(1));
        open(b);
        b.onStateTransition(e -> {
            if (e.to() == State.HALF_OPEN) {
                throw new StackOverflowError("deep");
            }
        });
        ticker.advance(Duration.ofSeconds(10));
        assertThatThrownBy(b::tryAcquire).isInstanceOf(StackOverflowError.class);
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        long trial = b.tryAcquire();
        assertThat(trial).as("the only trial slot is free again").isNotNegative();
        b.onSuccess(trial, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aReleasedTrialFreesItsSlot() {
        CircuitBreaker b = fourCalls();
        open(b);
        ticker.advance(Duration.ofSeconds(10));
        long first = b.tryAcquire();
        long second = b.tryAcquire();
        assertThat(b.tryAcquire()).isNegative();
        b.release(first);
        long third = b.tryAcquire();
        assertThat(third).isNotNegative();
        assertThat(b.tryAcquire()).isNegative();
        b.onSuccess(second, 0);
        b.onSuccess(third, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void failedTrialsReopenForLongerWithBackoff() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("backoff").slidingWindow(2).minimumNumberOfCalls(2)
                .openDuration(Duration.ofSeconds(10)).openDurationBackoff(3, Duration.ofSeconds(60)).permittedCallsInHalfOpen(1));
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.rejection(b.tryAcquire()).nextTrialAtNanos() - ticker.read()).isEqualTo(Duration.ofSeconds(10).toNanos());
        ticker.advance(Duration.ofSeconds(10));
        fail(b); // the trial
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.rejection(b.tryAcquire()).nextTrialAtNanos() - ticker.read()).isEqualTo(Duration.ofSeconds(30).toNanos());
        ticker.advance(Duration.ofSeconds(29));
        assertThat(b.tryAcquire()).isNegative();
        ticker.advance(Duration.ofSeconds(1));
        fail(b);
        assertThat(b.rejection(b.tryAcquire()).nextTrialAtNanos() - ticker.read()).as("capped").isEqualTo(Duration.ofSeconds(60).toNanos());
        ticker.advance(Duration.ofSeconds(60));
        succeed(b);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        fail(b);
        fail(b);
        assertThat(b.rejection(b.tryAcquire()).nextTrialAtNanos() - ticker.read()).as("closing starts the count again")
                .isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(transitions).filteredOn(e -> e.reason() == StateTransitionEvent.Reason.TRIAL_CALLS_FAILED).hasSize(2);
    }

    @Test
    void errorsTheFailurePredicateRejectsAreReleasedUnrecorded() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("pred").slidingWindow(2).minimumNumberOfCalls(2)
                .recordFailureIf(e -> e instanceof IOException));
        long p = b.tryAcquire();
        b.onError(p, 0, new IllegalArgumentException("bad request"));
        assertThat(b.metrics().calls()).isZero();
        p = b.tryAcquire();
        b.onError(p, 0, new IOException("down"));
        assertThat(b.metrics().failures()).isEqualTo(1);
    }

    @Test
    void anIgnoredErrorInHalfOpenReturnsTheTrialPermit() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("pred").permittedCallsInHalfOpen(1)
                .recordFailureIf(e -> e instanceof IOException));
        b.transitionTo(State.HALF_OPEN);
        long p = b.tryAcquire();
        assertThat(b.tryAcquire()).isNegative();
        b.onError(p, 0, new IllegalStateException("not counted"));
        long again = b.tryAcquire();
        assertThat(again).as("the breaker is not stuck").isNotNegative();
        b.onSuccess(again, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aThrowingPredicateCountsAFailure() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("throwing").slidingWindow(1).minimumNumberOfCalls(1)
                .recordFailureIf(e -> {
                    throw new IllegalStateException("predicate bug");
                }));
        long p = b.tryAcquire();
        b.onError(p, 0, new IOException("down"));
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void slowCallsOpenTheBreaker() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("slow").slidingWindow(4).minimumNumberOfCalls(4)
                .slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(75));
        long slow = Duration.ofSeconds(1).toNanos();
        for (int i = 0; i < 3; i++) {
            b.onSuccess(b.tryAcquire(), slow);
        }
        b.onSuccess(b.tryAcquire(), slow - 1);
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(transitions).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo(StateTransitionEvent.Reason.SLOW_CALL_RATE_EXCEEDED);
            assertThat(e.detail()).contains("slow-call rate 75.0%");
        });
        assertThat(b.metrics().slowCalls()).isEqualTo(3);
        assertThat(b.metrics().failures()).isZero();
    }

    @Test
    void slowTrialsReopen() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("slowTrial").permittedCallsInHalfOpen(2)
                .slowCallDuration(Duration.ofMillis(100)).slowCallRateThreshold(50));
        b.transitionTo(State.HALF_OPEN);
        long p1 = b.tryAcquire();
        long p2 = b.tryAcquire();
        b.onSuccess(p1, Duration.ofMillis(100).toNanos());
        b.onSuccess(p2, 0);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void slowCallsAreIgnoredWhenNotConfigured() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("fast").slidingWindow(1).minimumNumberOfCalls(1));
        b.onSuccess(b.tryAcquire(), Long.MAX_VALUE);
        assertThat(b.metrics().slowCalls()).isZero();
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void theTimeWindowForgetsOldBuckets() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("timed").slidingTimeWindow(Duration.ofSeconds(10), 10)
                .minimumNumberOfCalls(3).failureRateThreshold(50));
        fail(b);
        fail(b);
        ticker.advance(Duration.ofSeconds(10)); // both failures leave the window
        succeed(b);
        assertThat(b.metrics().calls()).isEqualTo(1);
        succeed(b);
        fail(b);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        ticker.advance(Duration.ofSeconds(5));
        fail(b);
        assertThat(b.metrics().calls()).isEqualTo(4);
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void theTimeWindowKeepsItsRatesWhenABucketOverflows() {
        CircuitBreaker b = breaker(CircuitBreaker.builder("busy").slidingTimeWindow(Duration.ofSeconds(1), 1)
                .minimumNumberOfCalls(1).failureRateThreshold(60));
        for (int i = 0; i < 40_000; i++) {
            if (i % 2 == 0) {
                succeed(b);
            } else {
                fail(b);
            }
        }
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.calls()).isBetween(8_000, 16_383);
        assertThat(m.failureRate()).isBetween(49f, 51f);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void manualStates() {
        CircuitBreaker b = fourCalls();
        b.transitionTo(State.FORCED_OPEN);
        ticker.advance(Duration.ofDays(1));
        assertThat(b.tryAcquire()).isNegative();
        assertThat(b.rejection(b.tryAcquire()).state()).isEqualTo(State.FORCED_OPEN);

        b.transitionTo(State.DISABLED);
        for (int i = 0; i < 10; i++) {
            fail(b);
        }
        assertThat(b.state()).isEqualTo(State.DISABLED);

        b.transitionTo(State.METRICS_ONLY);
        for (int i = 0; i < 10; i++) {
            fail(b);
        }
        assertThat(b.state()).isEqualTo(State.METRICS_ONLY);
        assertThat(b.metrics().failures()).isEqualTo(4);
        assertThat(b.metrics().failureRate()).isEqualTo(100f);

        b.transitionTo(State.METRICS_ONLY); // already there: nothing happens
        b.reset();
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics().calls()).isZero();
        assertThat(b.metrics().notPermitted()).isZero();
        assertThat(transitions).extracting(StateTransitionEvent::reason).containsExactly(
                StateTransitionEvent.Reason.MANUAL, StateTransitionEvent.Reason.MANUAL,
                StateTransitionEvent.Reason.MANUAL, StateTransitionEvent.Reason.RESET);
    }

    @Test
    void manualOpenStartsTheOpenDuration() {
        CircuitBreaker b = fourCalls();
        b.transitionTo(State.OPEN);
        assertThat(b.tryAcquire()).isNegative();
        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquire()).isNotNegative();
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    }

    /** Guards against an outcome of an earlier epoch being counted against the state that followed it. */
    @Test
    void anOutcomeFromBeforeATransitionLeavesTheNewStateUnchanged() {
        CircuitBreaker b = fourCalls();
        long old = b.tryAcquire();
        b.reset();
        b.onError(old, 0, new IOException("late"));
        assertThat(b.metrics().calls()).isZero();

        long closedPermit = b.tryAcquire();
        b.transitionTo(State.HALF_OPEN);
        long trial = b.tryAcquire();
        b.onError(closedPermit, 0, new IOException("late"));
        assertThat(b.metrics().calls()).as("HALF_OPEN counts only its trials").isZero();

        b.transitionTo(State.OPEN);
        b.transitionTo(State.HALF_OPEN);
        long fresh = b.tryAcquire();
        b.onError(trial, 0, new IOException("trial of an earlier HALF_OPEN"));
        b.release(trial);
        assertThat(b.metrics().calls()).isZero();
        assertThat(b.metrics().failures()).isZero();
        b.onSuccess(fresh, 0);
        assertThat(b.metrics().calls()).isEqualTo(1);
        long second = b.tryAcquire();
        assertThat(b.tryAcquire()).as("the stale release freed nothing").isNegative();
        b.onSuccess(second, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aThrowingListenerNeverBreaksTheBreaker() {
        CircuitBreaker b = fourCalls();
        List<State> seen = new ArrayList<>();
        b.onStateTransition(e -> {
            throw new IllegalStateException("listener bug");
        });
        b.onStateTransition(e -> seen.add(e.to()));
        b.onCallNotPermitted(e -> {
            throw new IllegalStateException("listener bug");
        });
        open(b);
        assertThat(b.tryAcquire()).isNegative();
        ticker.advance(Duration.ofSeconds(10));
        succeed(b);
        succeed(b);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(seen).containsExactly(State.OPEN, State.HALF_OPEN, State.CLOSED);
    }

    @Test
    void theDefaultClosedPathReadsNoClock() {
        AtomicInteger reads = new AtomicInteger();
        Ticker counting = () -> {
            reads.incrementAndGet();
            return 0L;
        };
        CircuitBreaker b = CircuitBreaker.builder("quiet").ticker(counting).build();
        for (int i = 0; i < 1000; i++) {
            long p = b.tryAcquire();
            if (i % 4 == 0) {
                b.onError(p, 0, new IOException());
            } else if (i % 4 != 3) {
                b.onSuccess(p, 0);
            } else {
                b.release(p);
            }
        }
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(reads).hasValue(0);
    }

    @Test
    void toStringsSayWhatTheyAre() {
        CircuitBreaker b = fourCalls();
        assertThat(b.toString()).contains("four").contains("CLOSED");
        assertThat(b.config().toString()).contains("last 4 calls").contains("50.0%");
    }
}
