package dev.ninelives.reactor.tck;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.pipeline} on a Flux with every stage, where each call waits for
 * its bulkhead permit (the bulkhead full until the call's first request or cancel, its permits
 * then given back from a {@code Schedulers.parallel()} thread, see {@link Calls#onFullBulkhead})
 * and its retry waits a millisecond between attempts. So the TCK's requests and cancels meet the
 * fused subscriber's waiting path (the waiting bulkhead's subscriber around the pipeline's inner
 * plan), and a second attempt starts from a timer thread. (The rate limiter is always an operator
 * of its own, in front of the fused one; its wait is covered by FluxWaitingRateLimiterTckTest.)
 * The failed publisher waits a millisecond on a full bulkhead and times out
 * ({@code WAIT_TIMED_OUT}) from the timer's thread.
 */
public class FluxWaitingPipelineTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        Bulkhead bulkhead = Policies.waitingBulkhead();
        Pipeline pipeline = Policies.everyStage("tck-waiting", Policies.rateLimiter(), bulkhead, Policies.delayedRetry(),
                Policies.breaker());
        return Calls.failingOnceHalfway(elements, source -> Calls.onFullBulkhead(bulkhead,
                source.transform(NineLives.pipeline(pipeline, Policies.onTimeout()))));
    }

    @Override
    Publisher<Integer> refuse() {
        Pipeline pipeline = Policies.everyStage("tck-timing-out", Policies.rateLimiter(), Policies.fullBulkheadTimingOut(),
                Policies.breaker());
        return range(3).transform(NineLives.pipeline(pipeline, Policies.onTimeout()));
    }
}
