package dev.ninelives.reactor;

import dev.ninelives.core.Adaptive;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NineLives.retry with settings bound to an {@link Adaptive}, on virtual time: a call already
 * retrying follows a change of its attempts or backoff at its next failure; a retry already
 * scheduled keeps its delay.
 */
class AdaptiveRetryOperatorTest {

    /** One call of a source that always fails, recording when each attempt was subscribed. */
    private static final class Call {
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final List<Long> attempts = new ArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Call(Retry retry) {
            AtomicInteger n = new AtomicInteger();
            Mono.defer(() -> {
                        attempts.add(clock.now(TimeUnit.MILLISECONDS));
                        return Mono.<String>error(new IOException("failure " + n.incrementAndGet()));
                    })
                    .transform(NineLives.retry(retry, clock))
                    .subscribe(v -> { }, error::set);
        }

        void advanceTo(long millis) {
            clock.advanceTimeTo(java.time.Instant.ofEpochMilli(millis));
        }
    }

    @Test
    void aCallAlreadyRetryingEndsAtItsNextFailureOnceTheAttemptsAreLowered() {
        Adaptive<Integer> attempts = Adaptive.of(5);
        Retry retry = Retry.builder("quotes").maxAttempts(attempts).constantBackoff(Duration.ofSeconds(1)).build();
        List<RetryEvent> exhausted = new ArrayList<>();
        retry.onExhausted(exhausted::add);
        Call call = new Call(retry);
        call.advanceTo(1_500);                         // attempts at 0 and 1 s failed; the third is scheduled for 2 s
        assertThat(call.attempts).containsExactly(0L, 1000L);
        attempts.set(2);
        call.advanceTo(60_000);
        assertThat(call.attempts).as("the retry already scheduled still runs; none after it").containsExactly(0L, 1000L, 2000L);
        assertThat(call.error.get()).hasMessage("failure 3");
        assertThat(exhausted).singleElement().satisfies(e -> assertThat(e.attempt()).isEqualTo(3));
    }

    @Test
    void aCallOnItsLastAttemptGetsTheAttemptsOfARaise() {
        Adaptive<Integer> attempts = Adaptive.of(2);
        Retry retry = Retry.builder("quotes").maxAttempts(attempts).constantBackoff(Duration.ofSeconds(1)).build();
        Call call = new Call(retry);
        call.advanceTo(1_000);                         // the second and last attempt of two runs at 1 s
        assertThat(call.attempts).containsExactly(0L, 1000L);
        assertThat(call.error.get()).hasMessage("failure 2");

        Call next = new Call(retry);
        next.advanceTo(500);                           // attempt 1 failed, attempt 2 (the last of two) is scheduled
        attempts.set(4);
        next.advanceTo(60_000);
        assertThat(next.attempts).containsExactly(0L, 1000L, 2000L, 3000L);
        assertThat(next.error.get()).hasMessage("failure 4");
    }

    @Test
    void theNextDelayOfACallAlreadyRetryingUsesTheNewBackoff() {
        Adaptive<Backoff> backoff = Adaptive.of(Backoff.constant(Duration.ofSeconds(1)));
        Retry retry = Retry.builder("quotes").maxAttempts(4).backoff(backoff).build();
        Call call = new Call(retry);
        call.advanceTo(500);
        backoff.set(Backoff.exponential(Duration.ofSeconds(5), 2, Duration.ofSeconds(100)));
        call.advanceTo(600_000);
        // the retry scheduled before the change keeps its 1 s; after it, attempt 2 waits 10 s and attempt 3 20 s
        assertThat(call.attempts).containsExactly(0L, 1_000L, 11_000L, 31_000L);
        assertThat(call.error.get()).hasMessage("failure 4");
    }

    @Test
    void aLoweredRatioLeavesTheTokensAndDepositsLessFromTheNextCall() {
        Adaptive<Double> ratio = Adaptive.of(1.0);
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(0).capacity(2).ticker(now::get).build();
        Retry retry = Retry.builder("quotes").maxAttempts(3).noBackoff().budget(budget).build();
        Call first = new Call(retry);                  // full bucket (2): two retries, deposit lost to the cap
        assertThat(first.attempts).hasSize(3);
        assertThat(budget.availableTokens()).isZero();
        Call second = new Call(retry);                 // deposits 1: one retry, then refused
        assertThat(second.attempts).hasSize(2);
        ratio.set(0.5);
        assertThat(budget.availableTokens()).isZero();
        Call third = new Call(retry);                  // deposits 0.5: no retry
        assertThat(third.attempts).hasSize(1);
        assertThat(budget.availableTokens()).isEqualTo(0.5);
        Call fourth = new Call(retry);                 // 0.5 more: one whole token, one retry
        assertThat(fourth.attempts).hasSize(2);
        assertThat(budget.availableTokens()).isZero();
    }
}
