package dev.ninelives.reactor;

import dev.ninelives.internal.RetryRules;
import dev.ninelives.retry.Retry;
import reactor.core.CorePublisher;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What a retry operator fixes at assembly; one instance per assembled operator, shared by its subscriptions. */
final class RetryPlan<T> {

    final CorePublisher<? extends T> source;
    /** The policy's decisions, obtained once here, so a subscriber reaches each with one field load. */
    final RetryRules rules;
    /** The scheduler for delayed retries, or null for {@code Schedulers.parallel()} looked up when a delay is scheduled. */
    final Scheduler scheduler;
    final boolean mono;
    /** A Mono whose values the policy tests: each attempt then gets its own small subscriber. */
    final boolean testsResults;

    RetryPlan(CorePublisher<? extends T> source, Retry retry, Scheduler scheduler, boolean mono) {
        this.source = source;
        this.rules = RetryRules.of(retry);
        this.scheduler = scheduler;
        this.mono = mono;
        this.testsResults = mono && rules.testsResults();
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }
}
