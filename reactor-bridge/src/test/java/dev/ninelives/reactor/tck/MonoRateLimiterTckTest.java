package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.rateLimiter} on a Mono whose limit every call is within: the
 * source is subscribed at once with the subscriber itself. The failed publisher is a limiter
 * whose permit is spent and whose callers do not wait: refused after {@code onSubscribe}.
 */
public class MonoRateLimiterTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return value(elements).transform(NineLives.rateLimiter(Policies.rateLimiter()));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.rateLimiter(Policies.spentRateLimiter()));
    }
}
