package dev.ninelives.breaker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every builder parameter is checked at the call, with a message that names it and quotes the value. */
class CircuitBreakerBuilderTest {

    private static CircuitBreakerBuilder b() {
        return CircuitBreaker.builder("b");
    }

    @Test
    void nameIsRequiredAndNotBlank() {
        assertThatThrownBy(() -> CircuitBreaker.builder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> CircuitBreaker.builder("  ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name").hasMessageContaining("'  '");
        assertThatThrownBy(() -> CircuitBreaker.ofDefaults(null)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, CircuitBreakerBuilder.MAX_WINDOW_SIZE + 1, 32_767})
    void slidingWindowRange(int calls) {
        assertThatThrownBy(() -> b().slidingWindow(calls)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slidingWindow").hasMessageContaining(String.valueOf(calls));
    }

    @Test
    void slidingTimeWindowArguments() {
        assertThatThrownBy(() -> b().slidingTimeWindow(null, 10)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("slidingTimeWindow duration");
        assertThatThrownBy(() -> b().slidingTimeWindow(Duration.ZERO, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slidingTimeWindow duration").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b().slidingTimeWindow(Duration.ofSeconds(-1), 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> b().slidingTimeWindow(Duration.ofSeconds(10), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slidingTimeWindow buckets").hasMessageContaining("0");
        assertThatThrownBy(() -> b().slidingTimeWindow(Duration.ofSeconds(10), 129)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("129");
        assertThatThrownBy(() -> b().slidingTimeWindow(Duration.ofMillis(10), 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> b().slidingTimeWindow(null)).isInstanceOf(NullPointerException.class);
        assertThat(b().slidingTimeWindow(Duration.ofSeconds(10)).build().config().windowBuckets()).isEqualTo(10);
        assertThat(b().slidingTimeWindow(Duration.ofMinutes(10)).build().config().windowBuckets()).isEqualTo(128);
        assertThat(b().slidingTimeWindow(Duration.ofMillis(20)).build().config().windowBuckets()).isEqualTo(20);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -5})
    void minimumNumberOfCalls(int calls) {
        assertThatThrownBy(() -> b().minimumNumberOfCalls(calls)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minimumNumberOfCalls").hasMessageContaining(String.valueOf(calls));
    }

    @Test
    void minimumNumberOfCallsIsCappedAtACountWindow() {
        assertThat(b().slidingWindow(10).minimumNumberOfCalls(50).build().config().minimumNumberOfCalls()).isEqualTo(10);
        assertThat(b().slidingTimeWindow(Duration.ofSeconds(10)).minimumNumberOfCalls(50).build().config()
                .minimumNumberOfCalls()).isEqualTo(50);
    }

    @ParameterizedTest
    @ValueSource(floats = {0f, -1f, 100.5f, Float.NaN})
    void thresholds(float percent) {
        assertThatThrownBy(() -> b().failureRateThreshold(percent)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failureRateThreshold").hasMessageContaining(String.valueOf(percent));
        assertThatThrownBy(() -> b().slowCallRateThreshold(percent)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slowCallRateThreshold").hasMessageContaining(String.valueOf(percent));
    }

    @Test
    void durations() {
        assertThatThrownBy(() -> b().slowCallDuration((Duration) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("slowCallDuration");
        assertThatThrownBy(() -> b().slowCallDuration(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slowCallDuration").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b().openDuration((Duration) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("openDuration");
        assertThatThrownBy(() -> b().openDuration(Duration.ofMillis(-3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openDuration").hasMessageContaining("PT-0.003S");
    }

    @Test
    void openDurationBackoff() {
        assertThatThrownBy(() -> b().openDurationBackoff(0.5, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiplier").hasMessageContaining("0.5");
        assertThatThrownBy(() -> b().openDurationBackoff(Double.NaN, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> b().openDurationBackoff(101, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("101");
        assertThatThrownBy(() -> b().openDurationBackoff(2, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("openDurationBackoff max");
        assertThatThrownBy(() -> b().openDuration(Duration.ofSeconds(10)).openDurationBackoff(2, Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT5S").hasMessageContaining("PT10S");

        CircuitBreakerConfig c = b().openDuration(Duration.ofSeconds(5)).openDurationBackoff(2, Duration.ofSeconds(30)).build().config();
        assertThat(c.openDurationNanos(1)).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(c.openDurationNanos(2)).isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(c.openDurationNanos(3)).isEqualTo(Duration.ofSeconds(20).toNanos());
        assertThat(c.openDurationNanos(4)).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(c.openDurationNanos(31)).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 1024})
    void permittedCallsInHalfOpen(int calls) {
        assertThatThrownBy(() -> b().permittedCallsInHalfOpen(calls)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("permittedCallsInHalfOpen").hasMessageContaining(String.valueOf(calls));
    }

    @Test
    void nullsAreNamed() {
        assertThatThrownBy(() -> b().recordFailureIf(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("recordFailureIf");
        assertThatThrownBy(() -> b().ticker(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("ticker");
        CircuitBreaker breaker = b().build();
        assertThatThrownBy(() -> breaker.transitionTo(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("target");
        assertThatThrownBy(() -> breaker.onStateTransition(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
        assertThatThrownBy(() -> breaker.onCallNotPermitted(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
    }

    @Test
    void defaults() {
        CircuitBreakerConfig c = CircuitBreaker.ofDefaults("d").config();
        assertThat(c.windowType()).isEqualTo(CircuitBreakerConfig.WindowType.COUNT_BASED);
        assertThat(c.windowSize()).isEqualTo(100);
        assertThat(c.minimumNumberOfCalls()).isEqualTo(100);
        assertThat(c.failureRateThreshold()).isEqualTo(50f);
        assertThat(c.slowCallDetection()).isFalse();
        assertThat(c.openDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.permittedCallsInHalfOpen()).isEqualTo(10);
        assertThat(c.recordFailure().test(new RuntimeException())).isTrue();
        assertThat(c.recordFailure().test(new AssertionError())).isFalse();
    }

    @Test
    void aReusedBuilderNeverChangesABuiltBreaker() {
        CircuitBreakerBuilder builder = b().slidingWindow(10).failureRateThreshold(20);
        CircuitBreaker first = builder.build();
        builder.slidingWindow(50).failureRateThreshold(80);
        assertThat(first.config().windowSize()).isEqualTo(10);
        assertThat(first.config().failureRateThreshold()).isEqualTo(20f);
        assertThat(builder.build().config().windowSize()).isEqualTo(50);
    }
}
