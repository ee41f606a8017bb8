package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.scheduler.Schedulers;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over a composition: {@code Flux.range(..).publishOn(Schedulers.parallel())} protected
 * by a pipeline with every stage and a fallback for timeouts. Every element and the completion
 * come from a parallel thread while the TCK requests and cancels from its own, so the fused
 * subscriber's demand, its outcome and its timer entry are raced across two threads on every
 * test. The failed publisher: the same, with the breaker held open.
 */
public class FluxPublishOnPipelineTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements).publishOn(Schedulers.parallel()).transform(NineLives.pipeline(
                Policies.everyStage("tck-publish-on", Policies.rateLimiter(), Policies.bulkhead(), Policies.breaker()),
                Policies.onTimeout()));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).publishOn(Schedulers.parallel()).transform(NineLives.pipeline(
                Policies.everyStage("tck-publish-on-refusing", Policies.rateLimiter(), Policies.bulkhead(), Policies.forcedOpen()),
                Policies.onTimeout()));
    }
}
