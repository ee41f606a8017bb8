package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.pipeline} on a Flux with every stage a Flux can have (rate
 * limiter, bulkhead, total timeout, retry, breaker, attempt timeout) and a fallback for
 * timeouts: the fused subscriber that runs them all in one object per call, with its deadline
 * timer entry. Each call's first attempt delivers half of the elements and fails; the retry goes
 * on at once with a second attempt, through the breaker again, which resumes where the first
 * stopped. The failed publisher is the same pipeline with its breaker held open: the refusal is
 * not retried, is not a timeout for the fallback, and arrives after {@code onSubscribe}.
 */
public class FluxPipelineTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnceHalfway(elements, source -> source.transform(NineLives.pipeline(
                Policies.everyStage("tck", Policies.rateLimiter(), Policies.bulkhead(), Policies.breaker()),
                Policies.onTimeout())));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.pipeline(
                Policies.everyStage("tck-refusing", Policies.rateLimiter(), Policies.bulkhead(), Policies.forcedOpen()),
                Policies.onTimeout()));
    }
}
