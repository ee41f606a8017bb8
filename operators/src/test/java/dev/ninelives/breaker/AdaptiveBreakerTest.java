package dev.ninelives.breaker;

import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.Allocations;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The breaker's settings bound to {@link Adaptive}s, single-threaded with a manual ticker: each
 * change takes effect for the next call or decision and keeps the state (window, trial permits,
 * OPEN deadline); a refused value changes nothing.
 */
class AdaptiveBreakerTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<StateTransitionEvent> transitions = new ArrayList<>();

    private CircuitBreaker breaker(CircuitBreakerBuilder b) {
        CircuitBreaker breaker = b.ticker(ticker).build();
        breaker.onStateTransition(transitions::add);
        return breaker;
    }

    private static CircuitBreakerBuilder tenCalls() {
        return CircuitBreaker.builder("ten").slidingWindow(10).minimumNumberOfCalls(10)
                .openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(2);
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(acquire(b), 0);
    }

    private static void fail(CircuitBreaker b) {
        b.onError(acquire(b), 0, new IOException("down"));
    }

    private static long acquire(CircuitBreaker b) {
        long p = b.tryAcquire();
        assertThat(p).as("a permit").isNotNegative();
        return p;
    }

    private static void record(CircuitBreaker b, int successes, int failures) {
        for (int i = 0; i < successes; i++) {
            succeed(b);
        }
        for (int i = 0; i < failures; i++) {
            fail(b);
        }
    }

    private StateTransitionEvent last() {
        return transitions.get(transitions.size() - 1);
    }

    /** OPEN with a window of 10 calls, 3 of them failed; then HALF_OPEN once 10 s passed. */
    private CircuitBreaker halfOpen(CircuitBreakerBuilder b) {
        CircuitBreaker breaker = breaker(b);
        breaker.transitionTo(State.OPEN);
        ticker.advance(Duration.ofSeconds(10));
        return breaker;
    }

    // ---------------------------------------------------------------- failure-rate threshold

    @Test
    void aLoweredFailureThresholdOpensAClosedBreakerAtOnceOverTheWindowItHas() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = breaker(tenCalls().failureRateThreshold(threshold));
        record(b, 7, 3);
        assertThat(b.state()).isEqualTo(State.CLOSED);

        threshold.set(30f);

        assertThat(b.state()).as("opened by the change itself").isEqualTo(State.OPEN);
        assertThat(b.metrics().calls()).as("the window was kept, not emptied").isEqualTo(10);
        assertThat(b.metrics().failures()).isEqualTo(3);
        assertThat(last().reason()).isEqualTo(StateTransitionEvent.Reason.FAILURE_RATE_EXCEEDED);
        assertThat(last().detail()).contains(">= 30.0%");
        assertThat(b.config().failureRateThreshold()).isEqualTo(30f);
    }

    @Test
    void aLoweredFailureThresholdBelowTheMinimumWaitsForTheOutcomeThatReachesIt() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = breaker(tenCalls().failureRateThreshold(threshold));
        record(b, 7, 2);
        threshold.set(20f);
        assertThat(b.state()).as("9 calls, below the minimum of 10").isEqualTo(State.CLOSED);

        succeed(b);                                          // 2 of 10 failed: 20 % >= 20 %

        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aRaisedFailureThresholdJudgesTheNextOutcomesKeepingTheWindow() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = breaker(tenCalls().failureRateThreshold(threshold));
        record(b, 5, 4);
        threshold.set(80f);

        fail(b);                                             // 5 of 10: would have opened at 50 %

        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics().calls()).isEqualTo(10);
        assertThat(b.metrics().failures()).isEqualTo(5);
        record(b, 0, 3);                                     // 8 of 10 (the oldest successes leave)
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aLoweredThresholdOpensATimeWindowAtOnceToo() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = breaker(CircuitBreaker.builder("time").slidingTimeWindow(Duration.ofSeconds(10))
                .minimumNumberOfCalls(4).failureRateThreshold(threshold));
        record(b, 3, 1);
        assertThat(b.state()).isEqualTo(State.CLOSED);

        threshold.set(25f);

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.metrics().calls()).isEqualTo(4);
    }

    @Test
    void halfOpenDecidesWithTheThresholdInForceWhenTheLastTrialEnds() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = halfOpen(tenCalls().failureRateThreshold(threshold));
        long first = acquire(b);
        long second = acquire(b);
        b.onError(first, 0, new IOException("down"));
        threshold.set(60f);                                  // 1 of 2 failed: 50 % < 60 %

        b.onSuccess(second, 0);

        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(last().reason()).isEqualTo(StateTransitionEvent.Reason.TRIAL_CALLS_SUCCEEDED);
    }

    @Test
    void aRefusedThresholdChangesNothingAndNamesTheBreaker() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreaker b = breaker(tenCalls().failureRateThreshold(threshold));
        record(b, 5, 4);

        assertThatThrownBy(() -> threshold.set(0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failureRateThreshold").hasMessageContaining("'ten'").hasMessageContaining("0.0");
        assertThatThrownBy(() -> threshold.set(Float.NaN)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");

        assertThat(threshold.get()).isEqualTo(50f);
        assertThat(b.config().failureRateThreshold()).isEqualTo(50f);
        assertThat(b.state()).isEqualTo(State.CLOSED);
        fail(b);                                             // 5 of 10 at the old 50 %
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aBuildWithARefusedValueFailsAndBindsNothing() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        Adaptive<Integer> permits = Adaptive.of(0);
        CircuitBreakerBuilder builder = tenCalls().failureRateThreshold(threshold).permittedCallsInHalfOpen(permits);

        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("permittedCallsInHalfOpen").hasMessageContaining("but was 0");

        threshold.set(150f);                                 // no breaker checks it: nothing was bound
        assertThat(threshold.get()).isEqualTo(150f);
    }

    @Test
    void breakersBuiltFromOneBuilderFollowItsAdaptiveAndAFixedValueIsEachBreakersOwn() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        CircuitBreakerBuilder builder = tenCalls().failureRateThreshold(threshold);
        CircuitBreaker one = breaker(builder);
        CircuitBreaker two = breaker(builder);
        CircuitBreaker fixed = breaker(builder.failureRateThreshold(50f));
        record(one, 8, 2);
        record(two, 9, 1);
        record(fixed, 8, 2);

        threshold.set(20f);

        assertThat(one.state()).isEqualTo(State.OPEN);
        assertThat(two.state()).isEqualTo(State.CLOSED);
        assertThat(two.config().failureRateThreshold()).isEqualTo(20f);
        assertThat(fixed.state()).isEqualTo(State.CLOSED);
        assertThat(fixed.config().failureRateThreshold()).isEqualTo(50f);
    }

    @Test
    void aViewWorksAndItsRefusalNamesTheSourceValue() {
        Adaptive<Float> strictness = Adaptive.of(2f);
        CircuitBreaker b = breaker(tenCalls().failureRateThreshold(strictness.map(s -> 100f / s)));
        assertThat(b.config().failureRateThreshold()).isEqualTo(50f);
        record(b, 7, 3);

        strictness.set(4f);                                  // 25 %

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThatThrownBy(() -> strictness.set(0.5f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("200.0").hasMessageContaining("0.5");
        assertThat(b.config().failureRateThreshold()).isEqualTo(25f);
    }

    // ---------------------------------------------------------------- slow calls

    @Test
    void aLoweredSlowCallRateThresholdOpensAtOnce() {
        Adaptive<Float> threshold = Adaptive.of(80f);
        CircuitBreaker b = breaker(tenCalls().slowCallDuration(Duration.ofSeconds(1)).slowCallRateThreshold(threshold));
        for (int i = 0; i < 10; i++) {
            b.onSuccess(acquire(b), i < 5 ? Duration.ofSeconds(2).toNanos() : 0L);
        }
        assertThat(b.state()).isEqualTo(State.CLOSED);

        threshold.set(50f);

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(last().reason()).isEqualTo(StateTransitionEvent.Reason.SLOW_CALL_RATE_EXCEEDED);
        assertThatThrownBy(() -> threshold.set(101f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slowCallRateThreshold").hasMessageContaining("101.0");
        assertThat(b.config().slowCallRateThreshold()).isEqualTo(50f);
    }

    @Test
    void aChangedSlowCallDurationJudgesTheCallsThatEndAfterIt() {
        Adaptive<Duration> slow = Adaptive.of(Duration.ofSeconds(1));
        CircuitBreaker b = breaker(tenCalls().slowCallDuration(slow));
        assertThat(b.config().slowCallDetection()).isTrue();
        long started = acquire(b);
        b.onSuccess(acquire(b), Duration.ofMillis(500).toNanos());
        assertThat(b.metrics().slowCalls()).isZero();

        slow.set(Duration.ofMillis(400));

        assertThat(b.metrics().slowCalls()).as("recorded outcomes keep their verdict").isZero();
        b.onSuccess(started, Duration.ofMillis(500).toNanos());
        assertThat(b.metrics().slowCalls()).as("a call that started before the change").isEqualTo(1);
        assertThat(b.metrics().calls()).isEqualTo(2);
        assertThat(b.config().slowCallDuration()).isEqualTo(Duration.ofMillis(400));

        assertThatThrownBy(() -> slow.set(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slowCallDuration").hasMessageContaining("PT0S");
        assertThat(b.config().slowCallDuration()).isEqualTo(Duration.ofMillis(400));
    }

    // ---------------------------------------------------------------- open duration

    @Test
    void aChangedOpenDurationKeepsTheCurrentDeadlineAndAppliesFromTheNextOpening() {
        Adaptive<Duration> open = Adaptive.of(Duration.ofSeconds(10));
        CircuitBreaker b = breaker(tenCalls().openDuration(open));
        b.transitionTo(State.OPEN);

        open.set(Duration.ofSeconds(1));
        ticker.advance(Duration.ofSeconds(1));
        assertThat(b.tryAcquire()).as("shortened: the deadline computed at the opening stands").isNegative();
        open.set(Duration.ofSeconds(60));
        ticker.advance(Duration.ofSeconds(9));
        long trial = b.tryAcquire();
        assertThat(trial).as("lengthened: the deadline computed at the opening stands").isNotNegative();
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(last().detail()).contains("open for 10s");

        b.onError(trial, 0, new IOException("down"));
        b.onError(acquire(b), 0, new IOException("down"));   // both trials failed: open again, now for 60 s
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(last().detail()).contains("open for 60s");
        ticker.advance(Duration.ofSeconds(59));
        assertThat(b.tryAcquire()).isNegative();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(b.tryAcquire()).isNotNegative();

        assertThatThrownBy(() -> open.set(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openDuration").hasMessageContaining("PT-1S");
        assertThat(b.config().openDuration()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void anOpenDurationPastTheBackoffCapIsUsedAsItIs() {
        Adaptive<Duration> open = Adaptive.of(Duration.ofSeconds(5));
        CircuitBreakerConfig config = breaker(tenCalls().openDuration(open)
                .openDurationBackoff(2.0, Duration.ofSeconds(20))).config();
        assertThat(config.openDurationNanos(3)).isEqualTo(Duration.ofSeconds(20).toNanos());

        open.set(Duration.ofSeconds(30));

        assertThat(config.openDurationNanos(1)).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(config.openDurationNanos(3)).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(config.maxOpenDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> CircuitBreaker.builder("x").openDuration(open)
                .openDurationBackoff(2.0, Duration.ofSeconds(20))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT30S");
    }

    // ---------------------------------------------------------------- trial calls in HALF_OPEN

    @Test
    void moreTrialsWhileHalfOpenAreAdmittedAtOnceAndAllOfThemDecide() {
        Adaptive<Integer> permits = Adaptive.of(2);
        CircuitBreaker b = halfOpen(tenCalls().permittedCallsInHalfOpen(permits));
        long first = acquire(b);
        long second = acquire(b);
        assertThat(b.tryAcquire()).isNegative();

        permits.set(3);

        long third = acquire(b);
        assertThat(b.tryAcquire()).isNegative();
        b.onSuccess(first, 0);
        b.onSuccess(second, 0);
        assertThat(b.state()).as("2 of 3 trials recorded").isEqualTo(State.HALF_OPEN);
        b.onError(third, 0, new IOException("down"));        // 1 of 3 failed: 33 % < 50 %
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(last().detail()).startsWith("1 of 3 trial calls failed");
    }

    @Test
    void fewerTrialsWhileHalfOpenAdmitNoMoreAndDecideOverEveryTrialAdmitted() {
        Adaptive<Integer> permits = Adaptive.of(3);
        CircuitBreaker b = halfOpen(tenCalls().permittedCallsInHalfOpen(permits));
        long first = acquire(b);
        long second = acquire(b);
        long third = acquire(b);

        permits.set(1);

        assertThat(b.tryAcquire()).isNegative();
        b.onSuccess(first, 0);
        assertThat(b.state()).as("two admitted trials still out").isEqualTo(State.HALF_OPEN);
        assertThat(b.tryAcquire()).isNegative();
        b.onError(second, 0, new IOException("down"));
        b.onError(third, 0, new IOException("down"));        // 2 of 3 failed
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(last().detail()).startsWith("2 of 3 trial calls failed");
    }

    @Test
    void fewerTrialsThanTheRecordedOnesDecideAtOnce() {
        Adaptive<Integer> permits = Adaptive.of(3);
        CircuitBreaker b = halfOpen(tenCalls().permittedCallsInHalfOpen(permits));
        succeed(b);
        succeed(b);

        permits.set(2);

        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(last().detail()).startsWith("0 of 2 trial calls failed");
    }

    @Test
    void fewerTrialsDecideWhenTheLastTrialOutIsReleased() {
        Adaptive<Integer> permits = Adaptive.of(3);
        CircuitBreaker b = halfOpen(tenCalls().permittedCallsInHalfOpen(permits));
        long first = acquire(b);
        long second = acquire(b);
        b.onError(first, 0, new IOException("down"));
        permits.set(1);
        assertThat(b.state()).as("the second trial is still out").isEqualTo(State.HALF_OPEN);

        b.release(second);

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(last().detail()).startsWith("1 of 1 trial calls failed");
    }

    @Test
    void aChangeWhileClosedAppliesToTheNextHalfOpen() {
        Adaptive<Integer> permits = Adaptive.of(2);
        CircuitBreakerBuilder builder = tenCalls().permittedCallsInHalfOpen(permits);
        CircuitBreaker b = breaker(builder);
        permits.set(1);
        assertThat(b.config().permittedCallsInHalfOpen()).isEqualTo(1);
        b.transitionTo(State.OPEN);
        ticker.advance(Duration.ofSeconds(10));

        long trial = acquire(b);
        long refusal = b.tryAcquire();

        assertThat(refusal).isNegative();
        assertThat(b.rejection(refusal).getMessage()).contains("all 1 trial calls are taken");
        assertThat(last().detail()).contains("admitting 1 trial call(s)");
        b.onSuccess(trial, 0);
        assertThat(b.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aRefusedNumberOfTrialsChangesNothing() {
        Adaptive<Integer> permits = Adaptive.of(2);
        CircuitBreaker b = halfOpen(tenCalls().permittedCallsInHalfOpen(permits));
        acquire(b);

        assertThatThrownBy(() -> permits.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("permittedCallsInHalfOpen").hasMessageContaining("'ten'").hasMessageContaining("but was 0");
        assertThatThrownBy(() -> permits.set(CircuitBreakerBuilder.MAX_PERMITTED_CALLS_IN_HALF_OPEN + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024");

        assertThat(b.config().permittedCallsInHalfOpen()).isEqualTo(2);
        acquire(b);
        assertThat(b.tryAcquire()).isNegative();
    }

    // ---------------------------------------------------------------- count window size

    private static void record(CircuitBreaker b, String outcomes) {
        for (char c : outcomes.toCharArray()) {
            if (c == 'F') {
                fail(b);
            } else {
                succeed(b);
            }
        }
    }

    @Test
    void aShrunkWindowKeepsTheNewestOutcomes() {
        Adaptive<Integer> size = Adaptive.of(10);
        CircuitBreaker b = breaker(CircuitBreaker.builder("resize").slidingWindow(size).minimumNumberOfCalls(10));
        record(b, "FFFFSSSSSS");                             // 40 %, the failures oldest

        size.set(5);

        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics().calls()).isEqualTo(5);
        assertThat(b.metrics().failures()).as("the older outcomes left").isZero();
        assertThat(b.config().windowSize()).isEqualTo(5);
        assertThat(b.config().minimumNumberOfCalls()).as("capped at the new size").isEqualTo(5);
        record(b, "FFS");                                    // the window slides over the kept outcomes: SSFFS
        assertThat(b.metrics().failures()).isEqualTo(2);
        fail(b);                                             // SFFSF: 60 %
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aShrinkThatLeavesMostlyFailuresOpensAtOnce() {
        Adaptive<Integer> size = Adaptive.of(10);
        CircuitBreaker b = breaker(CircuitBreaker.builder("resize").slidingWindow(size).minimumNumberOfCalls(10));
        record(b, "SSSSSSFFFF");                             // 40 %, the failures newest

        size.set(5);

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.metrics().calls()).isEqualTo(5);
        assertThat(b.metrics().failures()).isEqualTo(4);
    }

    @Test
    void aGrownWindowKeepsEveryOutcomeAndFillsUp() {
        Adaptive<Integer> size = Adaptive.of(4);
        CircuitBreaker b = breaker(CircuitBreaker.builder("resize").slidingWindow(size).minimumNumberOfCalls(8));
        record(b, "SSSSFS");                                 // the window holds SSFS

        size.set(8);

        assertThat(b.metrics().calls()).isEqualTo(4);
        assertThat(b.metrics().failures()).isEqualTo(1);
        assertThat(b.metrics().failureRate()).as("below the minimum of 8 now").isEqualTo(-1f);
        record(b, "SSFF");                                   // SSFSSSFF: 3 of 8
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.metrics().calls()).isEqualTo(8);
        fail(b);                                             // SFSSSFFF: 4 of 8
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aResizeWhileOpenAppliesToTheNextClosedWindow() {
        Adaptive<Integer> size = Adaptive.of(10);
        CircuitBreaker b = breaker(CircuitBreaker.builder("resize").slidingWindow(size).minimumNumberOfCalls(10)
                .openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(1));
        b.transitionTo(State.OPEN);
        size.set(3);
        ticker.advance(Duration.ofSeconds(10));
        succeed(b);                                          // the trial closes it
        assertThat(b.state()).isEqualTo(State.CLOSED);

        record(b, "SFF");

        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.metrics().calls()).isEqualTo(3);
    }

    @Test
    void aRefusedSizeChangesNothing() {
        Adaptive<Integer> size = Adaptive.of(10);
        CircuitBreaker b = breaker(CircuitBreaker.builder("resize").slidingWindow(size).minimumNumberOfCalls(10));
        record(b, "SSF");

        assertThatThrownBy(() -> size.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slidingWindow calls").hasMessageContaining("'resize'").hasMessageContaining("but was 0");
        assertThatThrownBy(() -> size.set(CircuitBreakerBuilder.MAX_WINDOW_SIZE + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8192");

        assertThat(b.config().windowSize()).isEqualTo(10);
        assertThat(b.metrics().calls()).isEqualTo(3);
    }

    @Test
    void aTimeWindowIgnoresTheCountSize() {
        Adaptive<Integer> size = Adaptive.of(10);
        CircuitBreaker b = breaker(CircuitBreaker.builder("time").slidingWindow(size)
                .slidingTimeWindow(Duration.ofSeconds(10)).minimumNumberOfCalls(2));
        record(b, "SS");

        size.set(0);                                         // not bound: a time window has no count size

        assertThat(b.metrics().calls()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- costs

    /**
     * A breaker whose settings are all adaptive allocates nothing per call, like a fixed one: less
     * than a byte per call on average (one allocation per call would be 16 bytes or more; the
     * rest is the measurement's and the JIT's noise).
     */
    @Test
    void adaptiveSettingsAllocateNothingPerCall() throws Exception {
        Allocations allocations = new Allocations();
        CircuitBreaker b = breaker(CircuitBreaker.builder("adaptive")
                .failureRateThreshold(Adaptive.of(50f))
                .slowCallDuration(Adaptive.of(Duration.ofSeconds(1)))
                .slowCallRateThreshold(Adaptive.of(90f))
                .openDuration(Adaptive.of(Duration.ofSeconds(1)))
                .permittedCallsInHalfOpen(Adaptive.of(3)));
        int calls = 10_000;
        long bytes = allocations.during(calls, () -> b.onSuccess(b.tryAcquire(), 0));
        assertThat(bytes).as("bytes for %d calls", calls).isLessThan(calls);
        IOException down = new IOException("down");
        int[] n = new int[1];
        long failing = allocations.during(calls, () -> {       // every third call fails: 33 % < 50 %
            long p = b.tryAcquire();
            if (n[0]++ % 3 == 0) {
                b.onError(p, 0, down);
            } else {
                b.onSuccess(p, 0);
            }
        });
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(failing).as("bytes for %d calls with failures in the window", calls).isLessThan(calls);
    }
}
