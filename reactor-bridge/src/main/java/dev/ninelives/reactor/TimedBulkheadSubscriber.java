package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;

/*
 * A bulkhead subscriber whose bulkhead has an adaptive limit: it reads the bulkhead's ticker
 * when the call starts (inside subscribeSource's try, so a ticker that throws ends the call and
 * returns the permit like a failing subscribe) and gives the latency and the outcome back with
 * the permit. A cancel returns the permit without a sample (BulkheadSubscriber.releasePermit).
 * Only adaptive bulkheads allocate this class, so a fixed one keeps its 32-byte subscriber.
 */
final class TimedBulkheadSubscriber<T> extends BulkheadSubscriber<T> {

    long startedAt;

    TimedBulkheadSubscriber(CoreSubscriber<? super T> actual, BulkheadPlan<T> plan) {
        super(actual, plan, HELD);
    }

    @Override
    void started() {
        startedAt = plan.permits.callStarted();
    }

    @Override
    void releaseOutcome(boolean failed) {
        plan.permits.release(startedAt, failed);
    }
}
