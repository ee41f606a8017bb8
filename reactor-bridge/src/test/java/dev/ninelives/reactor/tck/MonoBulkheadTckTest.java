package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.bulkhead} on a Mono with a fixed limit: a free permit admits
 * the call, and the permit comes back at the value (before it goes downstream), the empty
 * completion, the error or the cancel. The failed publisher is a bulkhead of one permit, taken,
 * that does not wait: refused after {@code onSubscribe}.
 */
public class MonoBulkheadTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return value(elements).transform(NineLives.bulkhead(Policies.bulkhead()));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.bulkhead(Policies.fullBulkhead()));
    }
}
