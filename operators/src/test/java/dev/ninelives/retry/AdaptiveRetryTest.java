package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A retry's attempts and backoff, and a budget's ratio, bound to an {@link Adaptive}: the policy
 * follows each change at its next decision, refuses bad values with the builder's message while
 * the old value stays, and keeps its state (the budget's tokens). The Reactor side (a call
 * already retrying) is in the bridge's {@code AdaptiveRetryOperatorTest}.
 */
class AdaptiveRetryTest {

    private static final long MS = 1_000_000L;
    private static final IOException E = new IOException("down");

    // ---------------------------------------------------------------- max attempts

    @Test
    void maxAttemptsFollowsItsAdaptive() {
        Adaptive<Integer> attempts = Adaptive.of(3);
        Retry retry = Retry.builder("quotes").maxAttempts(attempts).build();
        assertThat(retry.maxAttempts()).isEqualTo(3);
        assertThat(retry.rules.maxAttempts()).isEqualTo(3);
        attempts.set(7);
        assertThat(retry.maxAttempts()).isEqualTo(7);
        assertThat(retry.rules.maxAttempts()).isEqualTo(7);
        assertThat(retry).hasToString("Retry 'quotes': up to 7 attempts, delays of 100ms x2.0 up to 10s");
        attempts.set(1);
        assertThat(retry.toString()).startsWith("Retry 'quotes': 1 attempt, ");
    }

    @Test
    void aBadNumberOfAttemptsIsRefusedNamingThePolicyAndTheOldValueStays() {
        Adaptive<Integer> attempts = Adaptive.of(3);
        Retry retry = Retry.builder("quotes").maxAttempts(attempts).build();
        List<Adaptive.Change<Integer>> changes = new ArrayList<>();
        attempts.onChange(changes::add);
        assertThatThrownBy(() -> attempts.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAttempts of retry 'quotes' must be between 1 and 1000000, but was 0");
        assertThatThrownBy(() -> attempts.set(RetryBuilder.MAX_ATTEMPTS + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1000001");
        assertThatThrownBy(() -> attempts.update(n -> -n)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-3");
        assertThat(attempts.get()).isEqualTo(3);
        assertThat(retry.maxAttempts()).isEqualTo(3);
        assertThat(changes).isEmpty();
    }

    @Test
    void anAdaptiveHoldingABadValueFailsTheBuildAndIsNotBound() {
        Adaptive<Integer> attempts = Adaptive.of(0);
        RetryBuilder builder = Retry.builder("quotes").maxAttempts(attempts);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxAttempts of retry 'quotes' must be between 1 and 1000000, but was 0");
        attempts.set(-1);                              // nothing was bound: nobody refuses it
        assertThat(attempts.get()).isEqualTo(-1);
        assertThatThrownBy(() -> Retry.builder("r").maxAttempts((Adaptive<Integer>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("maxAttempts must not be null");
    }

    @Test
    void aViewBindsLikeASourceAndItsSourceRefusesWhatThePolicyRefuses() {
        Adaptive<Integer> total = Adaptive.of(6);
        Retry retry = Retry.builder("quotes").maxAttempts(total.map(n -> n / 2)).build();
        assertThat(retry.maxAttempts()).isEqualTo(3);
        total.set(10);
        assertThat(retry.maxAttempts()).isEqualTo(5);
        assertThatThrownBy(() -> total.set(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retry 'quotes'").hasMessageContaining("but was 0");
        assertThat(retry.maxAttempts()).isEqualTo(5);
    }

    @Test
    void everyPolicyBuiltFromABuilderFollowsItsAdaptiveAndAFixedValueLinksNone() {
        Adaptive<Integer> attempts = Adaptive.of(2);
        RetryBuilder builder = Retry.builder("quotes").maxAttempts(attempts);
        Retry first = builder.build();
        Retry second = builder.build();
        attempts.set(4);
        assertThat(first.maxAttempts()).isEqualTo(4);
        assertThat(second.maxAttempts()).isEqualTo(4);

        builder.maxAttempts(5);                        // a fixed value replaces the adaptive
        Retry fixed = builder.build();
        attempts.set(6);
        assertThat(fixed.maxAttempts()).isEqualTo(5);
        assertThat(first.maxAttempts()).isEqualTo(6);
    }

    // ---------------------------------------------------------------- backoff

    @Test
    void theNextDelayUsesTheBackoffInForce() {
        Adaptive<Backoff> backoff = Adaptive.of(Backoff.constant(Duration.ofMillis(40)));
        Retry retry = Retry.builder("quotes").backoff(backoff).build();
        assertThat(retry.rules.delayNanos(1, E, 0)).isEqualTo(40 * MS);
        assertThat(retry.backoff()).isEqualTo(Backoff.constant(Duration.ofMillis(40)));
        assertThat(retry.toString()).contains("40ms between them");

        backoff.set(Backoff.exponential(Duration.ofMillis(10), 3, Duration.ofMillis(200)));
        assertThat(retry.rules.delayNanos(2, E, 40 * MS)).isEqualTo(30 * MS);   // attempt 2 of the new backoff
        assertThat(retry.rules.delayNanos(5, E, 0)).isEqualTo(200 * MS);
        assertThat(retry.toString()).contains("delays of 10ms x3.0 up to 200ms");

        backoff.set(Backoff.linear(Duration.ofMillis(10), Duration.ofMillis(15), Duration.ofMillis(50)));
        assertThat(retry.rules.delayNanos(3, E, 0)).isEqualTo(40 * MS);
        backoff.set(Backoff.none());
        assertThat(retry.rules.delayNanos(3, E, 0)).isZero();
        assertThat(retry.toString()).contains("no delay between them");
        assertThat(retry.backoff()).isSameAs(Backoff.none());
    }

    @Test
    void jitterAppliesToTheBackoffInForce() {
        Adaptive<Backoff> backoff = Adaptive.of(Backoff.constant(Duration.ofMillis(100)));
        Retry retry = Retry.builder("quotes").backoff(backoff).jitter(Jitter.FULL).random(RetryPolicyTest.fixed(0.5)).build();
        assertThat(retry.rules.delayNanos(1, E, 0)).isEqualTo(50 * MS);
        backoff.set(Backoff.constant(Duration.ofMillis(300)));
        assertThat(retry.rules.delayNanos(1, E, 0)).isEqualTo(150 * MS);

        Adaptive<Backoff> decorrelated = Adaptive.of(Backoff.exponential(Duration.ofMillis(100), 2, Duration.ofSeconds(1)));
        Retry d = Retry.builder("d").backoff(decorrelated).jitter(Jitter.DECORRELATED).random(RetryPolicyTest.fixed(1.0)).build();
        assertThat(d.rules.delayNanos(1, E, 0)).isEqualTo(300 * MS);               // between 100 and 3 x 100
        decorrelated.set(Backoff.exponential(Duration.ofMillis(100), 2, Duration.ofMillis(500)));
        assertThat(d.rules.delayNanos(2, E, 300 * MS)).isEqualTo(500 * MS);        // the new cap
    }

    @Test
    void theBuildersBackoffMethodsAndBackoffValuesAgree() {
        assertThat(Retry.builder("r").constantBackoff(Duration.ofMillis(5)).build().backoff())
                .isEqualTo(Backoff.constant(Duration.ofMillis(5)));
        assertThat(Retry.builder("r").linearBackoff(Duration.ofMillis(5), Duration.ofMillis(1), Duration.ofMillis(9)).build().backoff())
                .isEqualTo(Backoff.linear(Duration.ofMillis(5), Duration.ofMillis(1), Duration.ofMillis(9)));
        assertThat(Retry.builder("r").exponentialBackoff(Duration.ofMillis(5), 2, Duration.ofMillis(9)).build().backoff())
                .isEqualTo(Backoff.exponential(Duration.ofMillis(5), 2, Duration.ofMillis(9)));
        assertThat(Retry.builder("r").noBackoff().build().backoff()).isEqualTo(Backoff.none());
        assertThat(Retry.ofDefaults("r").backoff()).isEqualTo(Backoff.exponential(Duration.ofMillis(100), 2, Duration.ofSeconds(10)));
        assertThat(Retry.builder("r").backoff((a, e) -> Duration.ZERO).build().backoff()).isNull();
        assertThat(Retry.builder("r").backoff(Backoff.constant(Duration.ofMillis(7))).build().rules.delayNanos(1, E, 0))
                .isEqualTo(7 * MS);
        // the last call wins: a function after an adaptive, an adaptive after a function
        Adaptive<Backoff> adaptive = Adaptive.of(Backoff.constant(Duration.ofMillis(3)));
        assertThat(Retry.builder("r").backoff(adaptive).backoff((a, e) -> Duration.ofMillis(8)).build().rules.delayNanos(1, E, 0))
                .isEqualTo(8 * MS);
        assertThat(Retry.builder("r").backoff((a, e) -> Duration.ofMillis(8)).backoff(adaptive).build().rules.delayNanos(1, E, 0))
                .isEqualTo(3 * MS);
        assertThat(Retry.builder("r").backoff(adaptive).noBackoff().build().rules.delayNanos(1, E, 0)).isZero();
    }

    @Test
    void aBackoffIsCheckedWhenItIsMadeNamingTheParameterAndQuotingTheValue() {
        assertThatThrownBy(() -> Backoff.constant(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("constant delay must not be negative, but was PT-0.001S");
        assertThatThrownBy(() -> Backoff.constant(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("constant delay must not be null");
        assertThatThrownBy(() -> Backoff.linear(Duration.ofSeconds(2), Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("linear max must be at least the initial delay (PT2S), but was PT1S");
        assertThatThrownBy(() -> Backoff.linear(Duration.ZERO, Duration.ofMillis(-2), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linear increment");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exponential initial").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(1), Double.NaN, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("exponential multiplier must be between 1 and 100, but was NaN");
        assertThatThrownBy(() -> Retry.builder("r").backoff((Backoff) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("backoff must not be null");
        assertThatThrownBy(() -> Retry.builder("r").backoff((Adaptive<Backoff>) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("backoff must not be null");
    }

    @Test
    void backoffValuesAreEqualByKindAndDurationsAndDescribeThemselves() {
        Backoff a = Backoff.exponential(Duration.ofMillis(100), 2, Duration.ofSeconds(1));
        assertThat(a).isEqualTo(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofMillis(1000)))
                .hasSameHashCodeAs(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofMillis(1000)))
                .isNotEqualTo(Backoff.exponential(Duration.ofMillis(100), 3, Duration.ofSeconds(1)))
                .isNotEqualTo(Backoff.linear(Duration.ofMillis(100), Duration.ZERO, Duration.ofSeconds(1)));
        assertThat(a).hasToString("delays of 100ms x2.0 up to 1s");
        assertThat(a.initialDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(a.maxDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(a.multiplier()).isEqualTo(2.0);
        assertThat(a.increment()).isZero();
        Backoff l = Backoff.linear(Duration.ofMillis(10), Duration.ofMillis(5), Duration.ofMillis(30));
        assertThat(l.increment()).isEqualTo(Duration.ofMillis(5));
        assertThat(l).hasToString("delays of 10ms growing by 5ms up to 30ms");
        assertThat(Backoff.constant(Duration.ofMillis(250))).hasToString("250ms");
        assertThat(Backoff.none()).hasToString("no delay");
        // an equal value is not a change: setting it again calls no listener
        Adaptive<Backoff> adaptive = Adaptive.of(a);
        List<Adaptive.Change<Backoff>> changes = new ArrayList<>();
        adaptive.onChange(changes::add);
        adaptive.set(Backoff.exponential(Duration.ofMillis(100), 2, Duration.ofSeconds(1)));
        assertThat(changes).isEmpty();
    }

    // ---------------------------------------------------------------- budget ratio

    @Test
    void theRatioFollowsItsAdaptiveAndAChangeKeepsTheTokens() {
        ManualTicker ticker = new ManualTicker();
        Adaptive<Double> ratio = Adaptive.of(0.5);
        RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(0).capacity(10).ticker(ticker).build();
        for (int i = 0; i < 10; i++) {
            assertThat(budget.tryAcquireRetry()).isTrue();
        }
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(0.5);
        ratio.set(2.0);
        assertThat(budget.availableTokens()).isEqualTo(0.5);           // kept: a change neither fills nor empties
        assertThat(budget.ratio()).isEqualTo(2.0);
        assertThat(budget.toString()).contains("ratio=2.0");
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(2.5);
        ratio.set(0.0);
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(2.5);
        ratio.set(0.0004);                                              // a positive ratio deposits at least 0.001
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(2.501);
        assertThat(budget.ratio()).isEqualTo(0.001);
    }

    @Test
    void aBadRatioIsRefusedWithTheBuildersMessageAndTheOldValueStays() {
        Adaptive<Double> ratio = Adaptive.of(0.2);
        RetryBudget budget = RetryBudget.builder().ratio(ratio).build();
        for (double bad : new double[] {-0.1, 1000.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> ratio.set(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("ratio of retry budget must be a finite number between 0 and 1000.0, but was " + bad);
        }
        assertThat(ratio.get()).isEqualTo(0.2);
        assertThat(budget.ratio()).isEqualTo(0.2);

        Adaptive<Double> bad = Adaptive.of(-1.0);
        RetryBudgetBuilder builder = RetryBudget.builder().ratio(bad);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was -1.0");
        assertThatThrownBy(() -> RetryBudget.builder().ratio((Adaptive<Double>) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("ratio must not be null");
    }

    @Test
    void aFixedRatioGetsABudgetOfItsOwnAndTheRetryDescribesTheRatioInForce() {
        Adaptive<Double> ratio = Adaptive.of(0.1);
        RetryBudgetBuilder builder = RetryBudget.builder().ratio(ratio);
        RetryBudget adaptive = builder.build();
        RetryBudget fixed = builder.ratio(0.3).build();
        ratio.set(0.4);
        assertThat(adaptive.ratio()).isEqualTo(0.4);
        assertThat(fixed.ratio()).isEqualTo(0.3);
        Retry retry = Retry.builder("quotes").budget(adaptive).build();
        assertThat(retry.toString()).contains("a budget of 40% of calls");
    }
}
