package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.bulkhead} on a Flux with a fixed limit: a free permit admits the
 * call on the subscribing thread, and the permit comes back at the terminal signal or the
 * cancel. The failed publisher is a bulkhead of one permit, taken, that does not wait: the
 * refusal ({@code BulkheadFullException}, {@code FULL}) comes after {@code onSubscribe}.
 */
public class FluxBulkheadTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements).transform(NineLives.bulkhead(Policies.bulkhead()));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.bulkhead(Policies.fullBulkhead()));
    }
}
