package dev.ninelives.retry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.internal.RetryRules;
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
            previous = r.rules.delayNanos(attempt, E, previous);
            out.add(previous / MS);
        }
        return out;
    }

    @Test
    void backoffs() {
        assertThat(delays(Retry.builder("retry").noBackoff().build(), 3)).containsExactly(0L, 0L, 0L);
        assertThat(delays(Retry.builder("retry").constantBackoff(Duration.ofMillis(40)).build(), 3)).containsExactly(40L, 40L, 40L);
        assertThat(delays(Retry.builder("retry").linearBackoff(Duration.ofMillis(10), Duration.ofMillis(15), Duration.ofMillis(50)).build(), 5))
                .containsExactly(10L, 25L, 40L, 50L, 50L);
        assertThat(delays(Retry.builder("retry").exponentialBackoff(Duration.ofMillis(10), 3, Duration.ofMillis(200)).build(), 5))
                .containsExactly(10L, 30L, 90L, 200L, 200L);
        assertThat(delays(Retry.ofDefaults("retry"), 2)).containsExactly(100L, 200L);
    }

    @Test
    void aCustomBackoffSeesTheAttemptAndTheErrorAndCanSayStop() {
        Retry r = Retry.builder("retry").backoff((attempt, error) -> attempt < 3 ? Duration.ofMillis(attempt * 7L) : null).build();
        assertThat(r.rules.delayNanos(1, E, 0)).isEqualTo(7 * MS);
        assertThat(r.rules.delayNanos(2, E, 0)).isEqualTo(14 * MS);
        assertThat(r.rules.delayNanos(3, E, 0)).isEqualTo(RetryRules.NO_RETRY);
        Retry negative = Retry.builder("neg").backoff((a, e) -> Duration.ofMillis(-1)).build();
        assertThatThrownBy(() -> negative.rules.delayNanos(1, E, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("neg").hasMessageContaining("negative");
    }

    @Test
    void jitters() {
        RetryBuilder base = Retry.builder("retry").exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofSeconds(10));
        assertThat(delays(base.jitter(Jitter.FULL).random(fixed(0.5, 0.25)).build(), 2)).containsExactly(50L, 50L);
        assertThat(delays(base.jitter(Jitter.EQUAL).random(fixed(0.5, 0.0)).build(), 2)).containsExactly(75L, 100L);
        assertThat(delays(base.jitter(0.2).random(fixed(0.0, 1.0, 0.5)).build(), 3)).containsExactly(80L, 240L, 400L);
        // decorrelated: uniform in [initial, 3 * previous], capped
        Retry decorrelated = Retry.builder("retry").exponentialBackoff(Duration.ofMillis(100), 2, Duration.ofMillis(1000))
                .jitter(Jitter.DECORRELATED).random(fixed(0.5, 1.0, 1.0, 1.0)).build();
        assertThat(delays(decorrelated, 4)).containsExactly(200L, 600L, 1000L, 1000L);
        assertThat(delays(base.jitter(Jitter.NONE).build(), 2)).containsExactly(100L, 200L);
    }

    @Test
    void retryablesAndFatals() {
        Retry r = Retry.builder("retry").retryIf(e -> !(e instanceof IllegalArgumentException)).build();
        assertThat(r.rules.isRetryable(E)).isTrue();
        assertThat(r.rules.isRetryable(new IllegalArgumentException())).isFalse();
        assertThat(r.rules.isRetryable(new OutOfMemoryError())).as("JVM-fatal, whatever the predicate").isFalse();
        assertThat(r.rules.isRetryable(new NoClassDefFoundError())).isFalse();
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("b");
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
        assertThat(r.rules.isRetryable(breaker.rejection(breaker.tryAcquire()))).as("refusals are not retried by default").isFalse();
        assertThat(Retry.builder("retry").retryOnCallNotPermitted(true).build().rules.isRetryable(breaker.rejection(breaker.tryAcquire()))).isTrue();
        assertThat(Retry.ofDefaults("retry").rules.isRetryable(new AssertionError())).as("only Exceptions by default").isFalse();
        Retry throwing = Retry.builder("retry").retryIf(e -> {
            throw new IllegalStateException("predicate bug");
        }).build();
        IOException victim = new IOException();
        assertThat(throwing.rules.isRetryable(victim)).isFalse();
        assertThat(victim.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
    }

    /** Any non-fatal throwable of retryIf is a "no" (an AssertionError too); a JVM-fatal one gets through as it is. */
    @Test
    void aRetryIfPredicateThatThrowsAnyNonFatalThrowableSaysNoAndAFatalOneGetsThrough() {
        AssertionError assertion = new AssertionError("predicate assertion");
        IOException victim = new IOException("down");
        assertThat(Retry.builder("r").retryIf(e -> {
            throw assertion;
        }).build().rules.isRetryable(victim)).isFalse();
        assertThat(victim.getSuppressed()).containsExactly(assertion);

        Retry selfThrowing = Retry.builder("r").retryIf(e -> {
            throw (RuntimeException) e;
        }).build();
        IllegalStateException itself = new IllegalStateException("thrown back as it came");
        assertThat(selfThrowing.rules.isRetryable(itself)).as("no self-suppression").isFalse();
        assertThat(itself.getSuppressed()).isEmpty();

        StackOverflowError fatal = new StackOverflowError("predicate overflow");
        Retry overflowing = Retry.builder("r").retryIf(e -> {
            throw fatal;
        }).build();
        IOException untouched = new IOException("down");
        assertThatThrownBy(() -> overflowing.rules.isRetryable(untouched)).isSameAs(fatal);
        assertThat(untouched.getSuppressed()).isEmpty();
    }

    @Test
    void results() {
        assertThat(Retry.ofDefaults("retry").rules.testsResults()).isFalse();
        Retry r = Retry.builder("retry").retryOnResult(String.class, "busy"::equals).build();
        assertThat(r.rules.testsResults()).isTrue();
        assertThat(r.rules.isRetryableResult("busy")).isTrue();
        assertThat(r.rules.isRetryableResult("ok")).isFalse();
    }

    /** The result predicate sees only values of its type; the others are never retried. */
    @Test
    void aTypedResultPredicateSeesOnlyItsType() {
        List<Object> seen = new ArrayList<>();
        Retry r = Retry.builder("typed").retryOnResult(CharSequence.class, v -> {
            seen.add(v);
            return v.length() == 0;
        }).build();
        assertThat(r.rules.isRetryableResult("")).isTrue();
        assertThat(r.rules.isRetryableResult(new StringBuilder("x"))).isFalse();
        assertThat(r.rules.isRetryableResult(42)).as("not a CharSequence: never retried").isFalse();
        assertThat(r.rules.isRetryableResult(null)).isFalse();
        assertThat(seen).hasSize(2);

        Retry boxed = Retry.builder("boxed").retryOnResult(int.class, v -> v < 0).build();
        assertThat(boxed.rules.isRetryableResult(-1)).as("int.class stands for Integer").isTrue();
        assertThat(boxed.rules.isRetryableResult(1)).isFalse();
        assertThat(boxed.rules.isRetryableResult(-1L)).as("a Long is not an int").isFalse();
    }

    /** What the result predicate, the backoff function and the jitter's generator throw reaches the operator as it is. */
    @Test
    void resultPredicateBackoffAndRandomThrowablesGetThrough() {
        AssertionError assertion = new AssertionError("result assertion");
        Retry result = Retry.builder("r").retryOnResult(String.class, v -> {
            throw assertion;
        }).build();
        assertThatThrownBy(() -> result.rules.isRetryableResult("v")).isSameAs(assertion);

        IllegalArgumentException bug = new IllegalArgumentException("backoff bug");
        Retry backoff = Retry.builder("r").backoff((a, e) -> {
            throw bug;
        }).build();
        assertThatThrownBy(() -> backoff.rules.delayNanos(1, E, 0)).isSameAs(bug);

        StackOverflowError overflow = new StackOverflowError("random overflow");
        Retry jittered = Retry.builder("r").jitter(Jitter.FULL).random(new RandomGenerator() {
            @Override
            public long nextLong() {
                throw overflow;
            }

            @Override
            public double nextDouble() {
                throw overflow;
            }
        }).build();
        assertThatThrownBy(() -> jittered.rules.delayNanos(1, E, 0)).isSameAs(overflow);
    }

    @Test
    void theRulesOfAPolicyAreTheOnesTheBridgeGets() {
        Retry r = Retry.ofDefaults("shared");
        assertThat(RetryRules.of(r)).isSameAs(r.rules);
        assertThat(RetryRules.of(r).name()).isEqualTo("shared");
        assertThatThrownBy(() -> RetryRules.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("retry");
        assertThatThrownBy(() -> RetryRules.register(x -> null)).as("registered once, by Retry")
                .isInstanceOf(IllegalStateException.class);
        assertThat(RetryRules.isFatal(new StackOverflowError())).isTrue();
        assertThat(RetryRules.isFatal(new NoClassDefFoundError())).isTrue();
        assertThat(RetryRules.isFatal(new AssertionError())).isFalse();
        assertThat(RetryRules.isFatal(new IllegalStateException())).isFalse();
    }

    @Test
    void finalErrorsCarryTheEarlierOnes() {
        IOException first = new IOException("first");
        IOException second = new IOException("second");
        IOException last = new IOException("last");
        Throwable plain = Retry.ofDefaults("retry").rules.finalError(last, new Throwable[] {first, second, null}, 2, 3, true);
        assertThat(plain).isSameAs(last);
        assertThat(plain.getSuppressed()).containsExactly(first, second);

        IOException last2 = new IOException("last");
        Throwable wrapped = Retry.builder("quotes").exhaustedException(true).build()
                .rules.finalError(last2, new Throwable[] {first, last2}, 2, 3, true);
        assertThat(wrapped).isInstanceOf(RetryExhaustedException.class).hasCause(last2)
                .hasMessageContaining("quotes").hasMessageContaining("3 attempts");
        assertThat(((RetryExhaustedException) wrapped).attempts()).isEqualTo(3);
        assertThat(wrapped.getSuppressed()).as("never the last error itself").containsExactly(first);

        StackOverflowError fatal = new StackOverflowError("fatal");
        assertThat(Retry.ofDefaults("retry").rules.finalError(fatal, new Throwable[] {first}, 1, 2, false)).isSameAs(fatal);
        assertThat(fatal.getSuppressed()).as("a JVM-fatal error is signalled as it is").isEmpty();

        IOException notExhausted = new IOException("refused by budget");
        assertThat(Retry.builder("retry").exhaustedException(true).build().rules.finalError(notExhausted, null, 0, 2, false))
                .isSameAs(notExhausted);
    }

    @Test
    void listenersAreGuardedAndTyped() {
        Retry r = Retry.builder("listened").build();
        List<RetryEvent> events = new ArrayList<>();
        r.onRetry(e -> {
            throw new IllegalStateException("listener bug");
        });
        r.onRetry(events::add);
        r.onExhausted(events::add);
        r.onBudgetRefused(events::add);
        r.rules.announce(RetryEvent.Type.RETRY, 1, 5 * MS, E);
        r.rules.announce(RetryEvent.Type.EXHAUSTED, 3, 0, E);
        r.rules.announce(RetryEvent.Type.BUDGET_REFUSED, 2, 0, E);
        assertThat(events).extracting(RetryEvent::type).containsExactly(
                RetryEvent.Type.RETRY, RetryEvent.Type.EXHAUSTED, RetryEvent.Type.BUDGET_REFUSED);
        assertThat(events.get(0).delay()).isEqualTo(Duration.ofMillis(5));
        assertThat(events.get(0).toString()).contains("listened").contains("RETRY").contains("attempt 1");
    }

    @Test
    void endingsGoToTheirOwnListeners() {
        Retry r = Retry.builder("endings").build();
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
        r.rules.announce(RetryEvent.Type.SUCCEEDED, 3, 0, null);
        r.rules.announce(RetryEvent.Type.FAILED, 2, 0, E);
        assertThat(succeeded).containsExactly(new RetryEvent("endings", RetryEvent.Type.SUCCEEDED, 3, Duration.ZERO, null));
        assertThat(failed).containsExactly(new RetryEvent("endings", RetryEvent.Type.FAILED, 2, Duration.ZERO, E));
        assertThat(others).isEmpty();

        StackOverflowError fatal = new StackOverflowError("listener overflow");
        List<RetryEvent> after = new ArrayList<>();
        r.onFailed(e -> {
            throw fatal;
        });
        r.onFailed(after::add);
        assertThatThrownBy(() -> r.rules.announce(RetryEvent.Type.FAILED, 1, 0, E)).as("after every listener ran")
                .isSameAs(fatal);
        assertThat(after).hasSize(1);
        assertThat(succeeded.get(0).toString()).isEqualTo("Retry 'endings' SUCCEEDED at attempt 3");
        assertThat(failed.get(0).toString()).contains("FAILED after attempt 2");
    }

    @Test
    void announcingWithoutListenersOrANullTypeAndRegisteringNull() {
        Retry r = Retry.builder("retry").build();
        for (RetryEvent.Type type : RetryEvent.Type.values()) {
            r.rules.announce(type, 1, 0, E);                                  // nobody listens: nothing happens
        }
        assertThatThrownBy(() -> r.rules.announce(null, 1, 0, E)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> r.onSucceeded(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
        assertThatThrownBy(() -> r.onFailed(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
    }
}
