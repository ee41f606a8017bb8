package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.breaker} on a Mono: a closed breaker admits the call; its value
 * records the success before it goes downstream, an empty completion records it at the end. The
 * failed publisher is a {@code FORCED_OPEN} breaker's refusal, after {@code onSubscribe}.
 */
public class MonoBreakerTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return value(elements).transform(NineLives.breaker(Policies.breaker()));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.breaker(Policies.forcedOpen()));
    }
}
