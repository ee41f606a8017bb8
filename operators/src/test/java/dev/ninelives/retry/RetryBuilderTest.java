package dev.ninelives.retry;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every retry builder parameter is checked at the call, naming the parameter and quoting the value. */
class RetryBuilderTest {

    private static RetryBuilder b() {
        return Retry.builder("retry");
    }

    @Test
    void name() {
        assertThatThrownBy(() -> Retry.builder(null)).isInstanceOf(NullPointerException.class).hasMessage("name must not be null");
        assertThatThrownBy(() -> Retry.builder(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name").hasMessageContaining("' '");
        assertThatThrownBy(() -> Retry.ofDefaults(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> Retry.ofDefaults("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("''");
        assertThat(Retry.builder("quotes").build().name()).isEqualTo("quotes");
        assertThat(Retry.ofDefaults("orders").name()).isEqualTo("orders");
    }

    @Test
    void maxAttempts() {
        assertThatThrownBy(() -> b().maxAttempts(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts").hasMessageContaining("0");
        assertThatThrownBy(() -> b().maxAttempts(RetryBuilder.MAX_ATTEMPTS + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(RetryBuilder.MAX_ATTEMPTS + 1));
        assertThat(b().maxAttempts(1).build().maxAttempts()).isEqualTo(1);
    }

    @Test
    void backoffs() {
        assertThatThrownBy(() -> b().constantBackoff(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("constantBackoff delay");
        assertThatThrownBy(() -> b().constantBackoff(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("constantBackoff delay").hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> b().linearBackoff(Duration.ofMillis(-1), Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linearBackoff initial");
        assertThatThrownBy(() -> b().linearBackoff(Duration.ZERO, Duration.ofMillis(-2), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linearBackoff increment");
        assertThatThrownBy(() -> b().linearBackoff(Duration.ofSeconds(2), Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linearBackoff max").hasMessageContaining("PT1S");
        assertThatThrownBy(() -> b().linearBackoff(null, Duration.ZERO, Duration.ZERO)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b().exponentialBackoff(Duration.ZERO, 2, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exponentialBackoff initial").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b().exponentialBackoff(Duration.ofMillis(1), 0.9, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiplier").hasMessageContaining("0.9");
        assertThatThrownBy(() -> b().exponentialBackoff(Duration.ofMillis(1), Double.NaN, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> b().exponentialBackoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exponentialBackoff max");
        assertThatThrownBy(() -> b().backoff((java.util.function.BiFunction<Integer, Throwable, Duration>) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("backoff function");
    }

    @Test
    void jitter() {
        assertThatThrownBy(() -> b().jitter((Jitter) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("jitter");
        assertThatThrownBy(() -> b().jitter(Jitter.PROPORTIONAL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PROPORTIONAL");
        assertThatThrownBy(() -> b().jitter(1.5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
        assertThatThrownBy(() -> b().jitter(-0.1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-0.1");
        assertThatThrownBy(() -> b().random(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("random");
    }

    @Test
    void predicatesDeadlineBudgetTicker() {
        assertThatThrownBy(() -> b().retryIf(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("retryIf");
        assertThatThrownBy(() -> b().retryOnResult(null, v -> true)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("retryOnResult type");
        assertThatThrownBy(() -> b().retryOnResult(String.class, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("retryOnResult predicate");
        assertThatThrownBy(() -> b().deadline(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("deadline");
        assertThatThrownBy(() -> b().deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadline").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b().budget(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("budget");
        assertThatThrownBy(() -> b().ticker(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("ticker");
        Retry r = Retry.ofDefaults("retry");
        assertThatThrownBy(() -> r.onRetry(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
    }

    @Test
    void aReusedBuilderNeverChangesABuiltPolicy() {
        RetryBuilder builder = b().maxAttempts(2).deadline(Duration.ofSeconds(1));
        Retry first = builder.build();
        builder.maxAttempts(5).deadline(Duration.ofSeconds(9)).retryAfterElements(false);
        assertThat(first.maxAttempts()).isEqualTo(2);
        assertThat(first.deadlineNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(first.retryAfterElements()).isTrue();
        assertThat(builder.build().maxAttempts()).isEqualTo(5);
    }
}
