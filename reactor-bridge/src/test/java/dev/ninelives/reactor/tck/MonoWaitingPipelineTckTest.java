package dev.ninelives.reactor.tck;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.pipeline} on a Mono with every stage but the hedge, where each
 * call waits for its bulkhead permit (the bulkhead full until the call's first request or
 * cancel, its permits then given back from a {@code Schedulers.parallel()} thread, see
 * {@link Calls#onFullBulkhead}) and its retry waits a millisecond after the first attempt
 * fails. The rate limiter's wait is covered by MonoWaitingRateLimiterTckTest. The failed
 * publisher waits a millisecond on a full bulkhead and times out from the timer's thread.
 */
public class MonoWaitingPipelineTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        Bulkhead bulkhead = Policies.waitingBulkhead();
        Pipeline pipeline = Policies.everyStage("tck-waiting", Policies.rateLimiter(), bulkhead, Policies.delayedRetry(),
                Policies.breaker());
        return Calls.failingOnce(elements, source -> Calls.onFullBulkhead(bulkhead,
                source.transform(NineLives.pipeline(pipeline, Policies.onTimeout()))));
    }

    @Override
    Publisher<Integer> refuse() {
        Pipeline pipeline = Policies.everyStage("tck-timing-out", Policies.rateLimiter(), Policies.fullBulkheadTimingOut(),
                Policies.breaker());
        return value(1).transform(NineLives.pipeline(pipeline, Policies.onTimeout()));
    }
}
