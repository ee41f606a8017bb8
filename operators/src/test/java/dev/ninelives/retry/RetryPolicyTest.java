package dev.ninelives.retry;

import dev.ninelives.breaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policy's decisions, without Reactor: delays for every backoff and jitter, predicates, final errors. */
class RetryPolicyTest {

    private static final long MS = 1_000_000L;
    private static final IOException E = new IOException("down");

    /** Returns the given doubles in turn, so jittered delays can be computed by hand. */
    static RandomGenerator fixed(double... values) {
        return new RandomGenerator() {
            int i;

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return values[i++ % values.length];
            }
        };
    }

    private static List<Long> delays(Retry r, int retries) {
        List<Long> out = new ArrayList<>();
        long previous = 0;
        for (int attempt = 1; attempt <= retries; attempt++) {
            previous = r.delayNanos(attempt, E, previous);
            out.add(previous / MS);
        }
        return out;
    }

    @Test
    void backoffs() {
        assertThat(delays(Retry.builder().noBackoff().build(), 3)).containsExactly(0L, 0L, 0L);
        assertThat(delays(Retry.builder().constantBackoff(Duration.ofMillis(40)).build(), 3)).containsExactly(40L, 40L, 40L);
        assertThat(delays(Retry.builder().linearBackoff(Duration.ofMillis(10), Duration.ofMillis(15), Duration.ofMillis(50)).build(), 5))
                .containsExactly(10L, 25L, 40L, 50L, 50L);
        assertThat(delays(Retry.builder().exponentialBackoff(Duration.ofMillis(10), 3, Duration.ofMillis(200)).build(), 5))
                .containsExactly(10L, 30L, 90L, 200L, 200L);
        assertThat(delays(Retry.ofDefaults(), 2)).containsExactly(100L, 200L);
    }

    @Test
    void aCustomBackoffSeesTheAttemptAndTheErrorAndCanSayStop() {
        Retry r = Retry.builder().backoff((attempt, error) -> attempt < 3 ? Duration.ofMillis(attempt * 7L) : null).build();
        assertThat(r.delayNanos(1, E, 0)).isEqualTo(7 * MS);
        assertThat(r.delayNanos(2, E, 0)).isEqualTo(14 * MS);
        assertThat(r.delayNanos(3, E, 0)).isEqualTo(Retry.NO_RETRY);
        Retry negative = Retry.builder().name("neg").backoff((a, e) -> Duration.ofMillis(-1)).build();
        assertThatThrownBy(() -> negative.delayNanos(1, E, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("neg").hasMessageContaining("negative");
    }

    @Test
    void jitters() {
        RetryBuilder base = Retry.builder().exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofSeconds(10));
        assertThat(delays(base.jitter(Jitter.FULL).random(fixed(0.5, 0.25)).build(), 2)).containsExactly(50L, 50L);
        assertThat(delays(base.jitter(Jitter.EQUAL).random(fixed(0.5, 0.0)).build(), 2)).containsExactly(75L, 100L);
        assertThat(delays(base.jitter(0.2).random(fixed(0.0, 1.0, 0.5)).build(), 3)).containsExactly(80L, 240L, 400L);
        // decorrelated: uniform in [initial, 3 * previous], capped
        Retry decorrelated = Retry.builder().exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofMillis(1000))
                .jitter(Jitter.DECORRELATED).random(fixed(0.5, 1.0, 1.0, 1.0)).build();
        assertThat(delays(decorrelated, 4)).containsExactly(200L, 600L, 1000L, 1000L);
        assertThat(delays(base.jitter(Jitter.NONE).build(), 2)).containsExactly(100L, 200L);
    }

    @Test
    void retryablesAndFatals() {
        Retry r = Retry.builder().retryIf(e -> !(e instanceof IllegalArgumentException)).build();
        assertThat(r.isRetryable(E)).isTrue();
        assertThat(r.isRetryable(new IllegalArgumentException())).isFalse();
        assertThat(r.isRetryable(new OutOfMemoryError())).as("JVM-fatal, whatever the predicate").isFalse();
        assertThat(r.isRetryable(new NoClassDefFoundError())).isFalse();
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("b");
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
        assertThat(r.isRetryable(breaker.rejection(breaker.tryAcquire()))).as("refusals are not retried by default").isFalse();
        assertThat(Retry.builder().retryOnCallNotPermitted(true).build().isRetryable(breaker.rejection(breaker.tryAcquire()))).isTrue();
        assertThat(Retry.ofDefaults().isRetryable(new AssertionError())).as("only Exceptions by default").isFalse();
        Retry throwing = Retry.builder().retryIf(e -> {
            throw new IllegalStateException("predicate bug");
        }).build();
        IOException victim = new IOException();
        assertThat(throwing.isRetryable(victim)).isFalse();
        assertThat(victim.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void results() {
        assertThat(Retry.ofDefaults().testsResults()).isFalse();
        Retry r = Retry.builder().retryOnResult(v -> "busy".equals(v)).build();
        assertThat(r.testsResults()).isTrue();
        assertThat(r.isRetryableResult("busy")).isTrue();
        assertThat(r.isRetryableResult("ok")).isFalse();
    }

    @Test
    void finalErrorsCarryTheEarlierOnes() {
        IOException first = new IOException("first");
        IOException second = new IOException("second");
        IOException last = new IOException("last");
        Throwable plain = Retry.ofDefaults().finalError(last, new Throwable[] {first, second, null}, 2, 3, true);
        assertThat(plain).isSameAs(last);
        assertThat(plain.getSuppressed()).containsExactly(first, second);

        IOException last2 = new IOException("last");
        Throwable wrapped = Retry.builder().name("quotes").exhaustedException(true).build()
                .finalError(last2, new Throwable[] {first, last2}, 2, 3, true);
        assertThat(wrapped).isInstanceOf(RetryExhaustedException.class).hasCause(last2)
                .hasMessageContaining("quotes").hasMessageContaining("3 attempts");
        assertThat(((RetryExhaustedException) wrapped).attempts()).isEqualTo(3);
        assertThat(wrapped.getSuppressed()).as("never the last error itself").containsExactly(first);

        IOException notExhausted = new IOException("refused by budget");
        assertThat(Retry.builder().exhaustedException(true).build().finalError(notExhausted, null, 0, 2, false))
                .isSameAs(notExhausted);
    }

    @Test
    void listenersAreGuardedAndTyped() {
        Retry r = Retry.builder().name("listened").build();
        List<RetryEvent> events = new ArrayList<>();
        r.onRetry(e -> {
            throw new IllegalStateException("listener bug");
        });
        r.onRetry(events::add);
        r.onExhausted(events::add);
        r.onBudgetRefused(events::add);
        r.announce(RetryEvent.Type.RETRY, 1, 5 * MS, E);
        r.announce(RetryEvent.Type.EXHAUSTED, 3, 0, E);
        r.announce(RetryEvent.Type.BUDGET_REFUSED, 2, 0, E);
        assertThat(events).extracting(RetryEvent::type).containsExactly(
                RetryEvent.Type.RETRY, RetryEvent.Type.EXHAUSTED, RetryEvent.Type.BUDGET_REFUSED);
        assertThat(events.get(0).delay()).isEqualTo(Duration.ofMillis(5));
        assertThat(events.get(0).toString()).contains("listened").contains("RETRY").contains("attempt 1");
    }

    @Test
    void endingsGoToTheirOwnListeners() {
        Retry r = Retry.builder().name("endings").build();
        List<RetryEvent> succeeded = new ArrayList<>();
        List<RetryEvent> failed = new ArrayList<>();
        List<RetryEvent> others = new ArrayList<>();
        r.onSucceeded(e -> {
            throw new IllegalStateException("listener bug");
        });
        r.onSucceeded(succeeded::add);
        r.onFailed(failed::add);
        r.onRetry(others::add);
        r.onExhausted(others::add);
        r.onBudgetRefused(others::add);
        r.announce(RetryEvent.Type.SUCCEEDED, 3, 0, null);
        r.announce(RetryEvent.Type.FAILED, 2, 0, E);
        assertThat(succeeded).containsExactly(new RetryEvent("endings", RetryEvent.Type.SUCCEEDED, 3, Duration.ZERO, null));
        assertThat(failed).containsExactly(new RetryEvent("endings", RetryEvent.Type.FAILED, 2, Duration.ZERO, E));
        assertThat(others).isEmpty();
        assertThat(succeeded.get(0).toString()).isEqualTo("Retry 'endings' SUCCEEDED at attempt 3");
        assertThat(failed.get(0).toString()).contains("FAILED after attempt 2");
    }

    @Test
    void announcingWithoutListenersOrANullTypeAndRegisteringNull() {
        Retry r = Retry.builder().build();
        for (RetryEvent.Type type : RetryEvent.Type.values()) {
            r.announce(type, 1, 0, E);                                  // nobody listens: nothing happens
        }
        assertThatThrownBy(() -> r.announce(null, 1, 0, E)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> r.onSucceeded(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
        assertThatThrownBy(() -> r.onFailed(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
    }
}
