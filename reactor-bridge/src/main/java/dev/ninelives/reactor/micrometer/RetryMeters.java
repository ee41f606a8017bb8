package dev.ninelives.reactor.micrometer;

import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

/**
 * The meters of one retry policy; see {@link NineLivesMeters} for the table. Every meter is a
 * counter fed by the policy's listeners: each call ends in exactly one of SUCCEEDED, FAILED,
 * EXHAUSTED or BUDGET_REFUSED (unless cancelled), and its attempt number tells whether it was
 * retried.
 */
final class RetryMeters extends PolicyMeters {

    static final String CALLS = "ninelives.retry.calls";
    static final String RETRIES = "ninelives.retry.retries";
    static final String BUDGET_REFUSALS = "ninelives.retry.budget.refusals";

    private final Retry retry;

    RetryMeters(Retry retry, Iterable<Tag> extraTags) {
        super(retry, retry.name(), "retry policy", "ninelives.retry.", extraTags);
        this.retry = retry;
    }

    @Override
    void register(MeterRegistry registry) {
        Counter succeeded = calls(registry, "success_without_retry");
        Counter succeededAfterRetry = calls(registry, "success_after_retry");
        Counter failed = calls(registry, "failed_without_retry");
        Counter failedAfterRetry = calls(registry, "failed_after_retry");
        Counter retries = Counter.builder(RETRIES).tags(tags)
                .description("Retries scheduled (each attempt after the first)")
                .register(registry);
        Counter refusals = Counter.builder(BUDGET_REFUSALS).tags(tags)
                .description("Retries the retry budget refused; each such call ends failed")
                .register(registry);

        retry.onSucceeded(e -> (e.attempt() > 1 ? succeededAfterRetry : succeeded).increment());
        retry.onFailed(e -> (e.attempt() > 1 ? failedAfterRetry : failed).increment());
        retry.onExhausted(e -> (e.attempt() > 1 ? failedAfterRetry : failed).increment());
        retry.onBudgetRefused(e -> {
            refusals.increment();
            (e.attempt() > 1 ? failedAfterRetry : failed).increment();
        });
        retry.onRetry(e -> retries.increment());
    }

    private Counter calls(MeterRegistry registry, String outcome) {
        return Counter.builder(CALLS).tags(tags).tag("outcome", outcome)
                .description("Calls through the retry policy by outcome")
                .register(registry);
    }
}
