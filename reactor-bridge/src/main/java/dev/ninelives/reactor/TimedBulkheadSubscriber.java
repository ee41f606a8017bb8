package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import reactor.core.CoreSubscriber;

/*
 * A bulkhead subscriber whose bulkhead has an adaptive limit: it reads the bulkhead's ticker
 * when the call starts (inside subscribeSource's try, so a ticker that throws ends the call and
 * returns the permit like a failing subscribe) and gives the latency and the outcome back with
 * the permit. A cancel returns the permit without a sample (BulkheadSubscriber.releasePermit), and
 * so does a call refused inside the bulkhead by a breaker (CallNotPermittedException, as in a
 * pipeline whose breaker is OPEN): the dependency was never asked, so the refusal says nothing of
 * its latency, and counting it as a drop would drive the limit to its minimum during every outage
 * (AIMD), or, as an instant sample, take the gradient's shortest latency to zero.
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
    void releaseFailed(Throwable error) {
        if (error instanceof CallNotPermittedException) {
            releasePermit();                           // refused by a breaker inside: no sample
        } else {
            releaseOutcome(true);
        }
    }

    @Override
    void releaseOutcome(boolean failed) {
        plan.permits.release(startedAt, failed);
    }
}
