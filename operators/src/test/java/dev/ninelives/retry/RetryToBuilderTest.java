package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Retry#toBuilder(String)}: a copy decides exactly like the original (every accessor, and
 * the predicates, random generator and budget, which have none); the copy's builder is
 * independent; an adaptive the user gave stays shared, the policy's own is copied as a value.
 */
class RetryToBuilderTest {

    private static void assertSameSettings(Retry copy, Retry original) {
        assertThat(copy.maxAttempts()).isEqualTo(original.maxAttempts());
        assertThat(copy.backoff()).isEqualTo(original.backoff());
        assertThat(copy.deadlineNanos()).isEqualTo(original.deadlineNanos());
        assertThat(copy.budget()).isSameAs(original.budget());
        assertThat(copy.exhaustedException()).isEqualTo(original.exhaustedException());
        assertThat(copy.retryAfterElements()).isEqualTo(original.retryAfterElements());
        assertThat(copy.resetOnElement()).isEqualTo(original.resetOnElement());
        assertThat(copy.ticker()).isSameAs(original.ticker());
        PolicyRules c = copy.rules;
        PolicyRules o = original.rules;
        assertThat(c.delayFunction).isSameAs(o.delayFunction);
        assertThat(c.jitter).isEqualTo(o.jitter);
        assertThat(c.jitterFactor).isEqualTo(o.jitterFactor);
        assertThat(c.random).isSameAs(o.random);
        assertThat(c.retryIf).isSameAs(o.retryIf);
        assertThat(c.retryOnCallNotPermitted).isEqualTo(o.retryOnCallNotPermitted);
        assertThat(c.resultType).isSameAs(o.resultType);
        assertThat(c.retryOnResult).isSameAs(o.retryOnResult);
        assertThat(copy.toString().substring(copy.toString().indexOf(':')))
                .isEqualTo(original.toString().substring(original.toString().indexOf(':')));
    }

    @Test
    void aCopyBuildsAPolicyEqualInEverySetting() {
        Retry original = Retry.builder("quotes").maxAttempts(5)
                .exponentialBackoff(Duration.ofMillis(10), 3.0, Duration.ofSeconds(2)).jitter(0.25)
                .random(new SplittableRandom(7)).retryIf(e -> e instanceof IOException).retryOnCallNotPermitted(true)
                .retryOnResult(String.class, s -> s.isEmpty()).deadline(Duration.ofSeconds(4))
                .budget(RetryBudget.builder().ratio(0.5).build()).exhaustedException(true).retryAfterElements(false)
                .resetOnElement(true).ticker(new ManualTicker()).build();
        Retry copy = original.toBuilder("reports").build();

        assertThat(copy.name()).isEqualTo("reports");
        assertSameSettings(copy, original);
        assertSameSettings(Retry.ofDefaults("d").toBuilder("e").build(), Retry.ofDefaults("d"));
    }

    @Test
    void aBackoffFunctionIsCopied() {
        BiFunction<Integer, Throwable, Duration> delays = (attempt, error) -> Duration.ofMillis(attempt);
        Retry original = Retry.builder("f").backoff(delays).jitter(Jitter.FULL).build();
        Retry copy = original.toBuilder("g").build();
        assertThat(copy.backoff()).isNull();
        assertSameSettings(copy, original);
    }

    @Test
    void changingTheCopysBuilderNeverChangesTheOriginal() {
        Retry original = Retry.builder("quotes").maxAttempts(5).constantBackoff(Duration.ofMillis(5)).build();
        String before = original.toString();
        original.toBuilder("other").maxAttempts(2).noBackoff().deadline(Duration.ofSeconds(1)).build();
        assertThat(original.toString()).isEqualTo(before);
        assertThat(original.maxAttempts()).isEqualTo(5);
    }

    @Test
    void attemptsBoundToTheUsersAdaptiveStaySharedAndFixedOnesAreCopiedAsValues() {
        Adaptive<Integer> attempts = Adaptive.of(3);
        Adaptive<Backoff> backoff = Adaptive.of(Backoff.constant(Duration.ofMillis(5)));
        Retry original = Retry.builder("a").maxAttempts(attempts).backoff(backoff).build();
        Retry copy = original.toBuilder("b").build();
        attempts.set(4);
        backoff.set(Backoff.none());
        assertThat(copy.maxAttempts()).isEqualTo(4);
        assertThat(copy.backoff()).isEqualTo(Backoff.none());
        assertThatThrownBy(() -> attempts.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retry 'a'");

        Retry fixed = Retry.builder("c").maxAttempts(3).build();
        RetryBuilder builder = fixed.toBuilder("d");
        Retry first = builder.build();
        Retry second = builder.build();
        assertThat(first.rules.maxAttempts).isNotSameAs(second.rules.maxAttempts).isNotSameAs(fixed.rules.maxAttempts);
        first.rules.maxAttempts.set(7);
        assertThat(second.maxAttempts()).isEqualTo(3);
        assertThat(first.toBuilder("e").build().maxAttempts()).isEqualTo(7);
    }
}
