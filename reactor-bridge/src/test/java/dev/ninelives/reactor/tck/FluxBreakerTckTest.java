package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.breaker} on a Flux: a closed breaker admits the call and the
 * elements pass through (the completion, or a cancel after an element, records a success); the
 * failed publisher is a {@code FORCED_OPEN} breaker's refusal, {@code onSubscribe} then
 * {@code onError(CallNotPermittedException)} without the source ever being subscribed.
 */
public class FluxBreakerTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements).transform(NineLives.breaker(Policies.breaker()));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.breaker(Policies.forcedOpen()));
    }
}
