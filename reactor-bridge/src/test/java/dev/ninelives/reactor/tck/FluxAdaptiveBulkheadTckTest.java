package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.bulkhead} on a Flux with an adaptive limit (AIMD, one sample a
 * window, so the end of every call, its terminal signal or cancel, feeds the limit and recomputes
 * it). The failed publisher is an adaptive bulkhead held at one permit, taken: refused after
 * {@code onSubscribe}.
 */
public class FluxAdaptiveBulkheadTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements).transform(NineLives.bulkhead(Policies.adaptiveBulkhead()));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.bulkhead(Policies.fullAdaptiveBulkhead()));
    }
}
