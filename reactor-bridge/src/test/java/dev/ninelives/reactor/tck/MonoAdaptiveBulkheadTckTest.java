package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.bulkhead} on a Mono with an adaptive limit (AIMD, one sample a
 * window, so each call's outcome recomputes the limit). The failed publisher is an adaptive
 * bulkhead held at one permit, taken: refused after {@code onSubscribe}.
 */
public class MonoAdaptiveBulkheadTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return value(elements).transform(NineLives.bulkhead(Policies.adaptiveBulkhead()));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.bulkhead(Policies.fullAdaptiveBulkhead()));
    }
}
