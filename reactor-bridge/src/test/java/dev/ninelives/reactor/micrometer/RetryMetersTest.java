package dev.ninelives.reactor.micrometer;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry policy's meters, driven through the Reactor operator: every outcome, retries, budget refusals. */
class RetryMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private double calls(String retry, String outcome) {
        return registry.get("ninelives.retry.calls").tags("name", retry, "outcome", outcome).counter().count();
    }

    private double counter(String name, String retry) {
        return registry.get(name).tags("name", retry).counter().count();
    }

    /** Fails with the given errors in turn, then emits "ok". */
    private static Mono<String> failing(Throwable... errors) {
        AtomicInteger subscriptions = new AtomicInteger();
        return Mono.defer(() -> {
            int n = subscriptions.getAndIncrement();
            return n < errors.length ? Mono.error(errors[n]) : Mono.just("ok");
        });
    }

    @Test
    void everyOutcomeIsCountedAndEveryRetry() {
        Retry retry = Retry.builder("quotes").maxAttempts(3).constantBackoff(Duration.ofSeconds(1))
                .retryIf(e -> e instanceof IOException).build();
        NineLivesMeters.retry(retry).bindTo(registry);
        assertThat(registry.get("ninelives.retry.calls").tag("name", "quotes").counters()).hasSize(4)
                .allSatisfy(c -> assertThat(c.count()).isZero());
        IOException down = new IOException("down");
        IllegalArgumentException bad = new IllegalArgumentException("bad request");

        StepVerifier.create(Mono.just("ok").transform(NineLives.retry(retry))).expectNext("ok").verifyComplete();
        StepVerifier.create(Flux.just(1, 2).transform(NineLives.retry(retry))).expectNext(1, 2).verifyComplete();
        StepVerifier.withVirtualTime(() -> failing(down).transform(NineLives.retry(retry)))
                .expectSubscription().thenAwait(Duration.ofSeconds(1)).expectNext("ok").verifyComplete();
        StepVerifier.create(failing(bad).transform(NineLives.retry(retry))).verifyError(IllegalArgumentException.class);
        StepVerifier.withVirtualTime(() -> failing(down, bad).transform(NineLives.retry(retry)))
                .expectSubscription().thenAwait(Duration.ofSeconds(1)).verifyError(IllegalArgumentException.class);
        StepVerifier.withVirtualTime(() -> failing(down, down, down).transform(NineLives.retry(retry)))
                .expectSubscription().thenAwait(Duration.ofSeconds(2)).verifyError(IOException.class);   // exhausted
        StepVerifier.withVirtualTime(() -> failing(down).transform(NineLives.retry(retry)))
                .expectSubscription().expectNoEvent(Duration.ofMillis(500)).thenCancel().verify();    // cancelled in its backoff

        assertThat(calls("quotes", "success_without_retry")).isEqualTo(2);
        assertThat(calls("quotes", "success_after_retry")).isEqualTo(1);
        assertThat(calls("quotes", "failed_without_retry")).isEqualTo(1);
        assertThat(calls("quotes", "failed_after_retry")).isEqualTo(2);
        assertThat(counter("ninelives.retry.retries", "quotes")).as("1 + 1 + 2 + the cancelled call's 1").isEqualTo(5);
        assertThat(counter("ninelives.retry.budget.refusals", "quotes")).isZero();
    }

    @Test
    void budgetRefusalsAndASingleAttemptCountAsFailures() {
        AtomicLong now = new AtomicLong();
        RetryBudget budget = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).capacity(1).ticker(now::get).build();
        Retry budgeted = Retry.builder("budgeted").maxAttempts(5).noBackoff().budget(budget).build();
        Retry once = Retry.builder("once").maxAttempts(1).build();
        NineLivesMeters.retry(budgeted).bindTo(registry);
        NineLivesMeters.retry(once).bindTo(registry);
        IOException down = new IOException("down");

        StepVerifier.create(failing(down, down, down).transform(NineLives.retry(budgeted))).verifyError(IOException.class);
        StepVerifier.create(failing(down).transform(NineLives.retry(budgeted))).verifyError(IOException.class);
        StepVerifier.create(failing(down).transform(NineLives.retry(once))).verifyError(IOException.class);

        assertThat(counter("ninelives.retry.retries", "budgeted")).as("the budget's one token").isEqualTo(1);
        assertThat(counter("ninelives.retry.budget.refusals", "budgeted")).isEqualTo(2);
        assertThat(calls("budgeted", "failed_after_retry")).isEqualTo(1);
        assertThat(calls("budgeted", "failed_without_retry")).isEqualTo(1);
        assertThat(calls("once", "failed_without_retry")).as("exhausted at the first attempt").isEqualTo(1);
        assertThat(counter("ninelives.retry.retries", "once")).isZero();
        assertThat(counter("ninelives.retry.budget.refusals", "once")).isZero();
    }

    @Test
    void aRetriedResultThatRunsOutCountsAsFailed() {
        Retry retry = Retry.builder("results").maxAttempts(2).noBackoff().retryOnResult(String.class, "busy"::equals).build();
        NineLivesMeters.retry(retry).bindTo(registry);
        StepVerifier.create(Mono.just("busy").transform(NineLives.retry(retry))).expectNext("busy").verifyComplete();
        AtomicInteger n = new AtomicInteger();
        StepVerifier.create(Mono.fromCallable(() -> n.getAndIncrement() == 0 ? "busy" : "done").transform(NineLives.retry(retry)))
                .expectNext("done").verifyComplete();
        assertThat(calls("results", "failed_after_retry")).as("the last value was still one to retry").isEqualTo(1);
        assertThat(calls("results", "success_after_retry")).isEqualTo(1);
        assertThat(counter("ninelives.retry.retries", "results")).isEqualTo(2);
    }
}
