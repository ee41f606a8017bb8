package dev.ninelives.breaker;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link CircuitBreakerConfig#toBuilder(String)}: a copy builds a breaker equal in every setting;
 * the copy's builder is independent of the original; an adaptive the user gave stays shared, an
 * adaptive of the breaker's own is copied as a fixed value.
 */
class BreakerToBuilderTest {

    private final ManualTicker ticker = new ManualTicker();
    private final Predicate<Throwable> onlyIo = e -> e instanceof IOException;

    private CircuitBreaker everySettingChanged() {
        return CircuitBreaker.builder("inventory")
                .slidingWindow(20)
                .minimumNumberOfCalls(7)
                .failureRateThreshold(30f)
                .slowCallDuration(Duration.ofMillis(250))
                .slowCallRateThreshold(60f)
                .openDuration(Duration.ofSeconds(3))
                .openDurationBackoff(2.0, Duration.ofSeconds(30))
                .permittedCallsInHalfOpen(4)
                .recordFailureIf(onlyIo)
                .ticker(ticker)
                .rejectionStackTraces(true)
                .build();
    }

    private static void assertSameSettings(CircuitBreakerConfig copy, CircuitBreakerConfig original) {
        assertThat(copy.windowType()).isEqualTo(original.windowType());
        assertThat(copy.windowSize()).isEqualTo(original.windowSize());
        assertThat(copy.windowDuration()).isEqualTo(original.windowDuration());
        assertThat(copy.windowBuckets()).isEqualTo(original.windowBuckets());
        assertThat(copy.minimumNumberOfCalls()).isEqualTo(original.minimumNumberOfCalls());
        assertThat(copy.failureRateThreshold()).isEqualTo(original.failureRateThreshold());
        assertThat(copy.slowCallDetection()).isEqualTo(original.slowCallDetection());
        assertThat(copy.slowCallDuration()).isEqualTo(original.slowCallDuration());
        assertThat(copy.slowCallRateThreshold()).isEqualTo(original.slowCallRateThreshold());
        assertThat(copy.openDuration()).isEqualTo(original.openDuration());
        assertThat(copy.openDurationMultiplier()).isEqualTo(original.openDurationMultiplier());
        assertThat(copy.maxOpenDuration()).isEqualTo(original.maxOpenDuration());
        for (int openings = 1; openings <= 6; openings++) {
            assertThat(copy.openDurationNanos(openings)).isEqualTo(original.openDurationNanos(openings));
        }
        assertThat(copy.permittedCallsInHalfOpen()).isEqualTo(original.permittedCallsInHalfOpen());
        assertThat(copy.recordFailure()).isSameAs(original.recordFailure());
        assertThat(copy.ticker()).isSameAs(original.ticker());
        assertThat(copy.rejectionStackTraces()).isEqualTo(original.rejectionStackTraces());
        assertThat(copy.toString()).isEqualTo(original.toString());
    }

    @Test
    void aCopyBuildsABreakerEqualInEverySetting() {
        CircuitBreaker original = everySettingChanged();
        CircuitBreaker copy = original.config().toBuilder("payments").build();

        assertThat(copy.name()).isEqualTo("payments");
        assertThat(copy.config().name()).isEqualTo("payments");
        assertSameSettings(copy.config(), original.config());
        assertThat(original.config().toBuilder().build().name()).isEqualTo("inventory");
    }

    @Test
    void theDefaultsAndATimeWindowCopyToo() {
        CircuitBreaker defaults = CircuitBreaker.ofDefaults("defaults");
        assertSameSettings(defaults.config().toBuilder("x").build().config(), defaults.config());

        CircuitBreaker timed = CircuitBreaker.builder("timed").slidingTimeWindow(Duration.ofSeconds(10), 5).build();
        CircuitBreakerConfig copy = timed.config().toBuilder("y").build().config();
        assertThat(copy.windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
        assertSameSettings(copy, timed.config());
    }

    @Test
    void changingTheCopysBuilderNeverChangesTheOriginal() {
        CircuitBreaker original = everySettingChanged();
        String before = original.config().toString();

        CircuitBreakerBuilder copy = original.config().toBuilder("other");
        copy.slidingTimeWindow(Duration.ofSeconds(5)).minimumNumberOfCalls(1).failureRateThreshold(90f)
                .slowCallDuration(Duration.ofSeconds(9)).openDuration(Duration.ofMinutes(1)).permittedCallsInHalfOpen(1)
                .recordFailureIf(e -> true).ticker(() -> 0L).rejectionStackTraces(false);
        CircuitBreaker other = copy.build();

        assertThat(original.config().toString()).isEqualTo(before);
        assertThat(original.config().recordFailure()).isSameAs(onlyIo);
        assertThat(original.config().ticker()).isSameAs(ticker);
        assertThat(other.config().failureRateThreshold()).isEqualTo(90f);
        assertThat(other.config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
    }

    @Test
    void aSettingBoundToTheUsersAdaptiveStaysSharedAndAFixedOneIsCopiedAsAValue() {
        Adaptive<Float> threshold = Adaptive.of(40f);
        Adaptive<Integer> trials = Adaptive.of(3);
        CircuitBreaker original = CircuitBreaker.builder("a").failureRateThreshold(threshold)
                .permittedCallsInHalfOpen(trials).openDuration(Duration.ofSeconds(2)).build();
        CircuitBreakerBuilder builder = original.config().toBuilder("b");
        CircuitBreaker first = builder.build();
        CircuitBreaker second = builder.build();

        threshold.set(20f);
        trials.set(5);
        for (CircuitBreaker b : new CircuitBreaker[] {original, first, second}) {
            assertThat(b.config().failureRateThreshold()).as(b.name()).isEqualTo(20f);
            assertThat(b.config().permittedCallsInHalfOpen()).as(b.name()).isEqualTo(5);
        }
        // the shared adaptive checks its values against every copy
        assertThatThrownBy(() -> threshold.set(0f)).isInstanceOf(IllegalArgumentException.class);

        // the open duration was a fixed value: each breaker has an adaptive of its own, never linked
        assertThat(first.config().openDurationSetting()).isNotSameAs(original.config().openDurationSetting())
                .isNotSameAs(second.config().openDurationSetting());
        first.config().openDurationSetting().set(Duration.ofSeconds(9));
        assertThat(second.config().openDuration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(original.config().openDuration()).isEqualTo(Duration.ofSeconds(2));
        // a copy of a changed own adaptive takes the value in force then
        assertThat(first.config().toBuilder("c").build().config().openDuration()).isEqualTo(Duration.ofSeconds(9));
    }

    @Test
    void aBlankNameIsRefused() {
        CircuitBreakerConfig config = CircuitBreaker.ofDefaults("a").config();
        assertThatThrownBy(() -> config.toBuilder(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name").hasMessageContaining("' '");
        assertThatThrownBy(() -> config.toBuilder(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("name");
    }
}
