package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.pipeline} on a Mono with every stage but the hedge (rate limiter,
 * bulkhead, total timeout, retry, breaker, attempt timeout) and a fallback for timeouts: the
 * fused Mono subscriber with its deadline timer entry. Each call's first attempt fails and the
 * retry goes on at once. The failed publisher: the same pipeline with its breaker held open.
 */
public class MonoPipelineTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnce(elements, source -> source.transform(NineLives.pipeline(
                Policies.everyStage("tck", Policies.rateLimiter(), Policies.bulkhead(), Policies.breaker()),
                Policies.onTimeout())));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.pipeline(
                Policies.everyStage("tck-refusing", Policies.rateLimiter(), Policies.bulkhead(), Policies.forcedOpen()),
                Policies.onTimeout()));
    }
}
