package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.rateLimiter} on a Flux whose limit every call is within: the
 * source is subscribed at once with the subscriber itself. The failed publisher is a limiter
 * whose permit is spent and whose callers do not wait: {@code onSubscribe}, then
 * {@code onError(RequestNotPermittedException)}.
 */
public class FluxRateLimiterTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements).transform(NineLives.rateLimiter(Policies.rateLimiter()));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.rateLimiter(Policies.spentRateLimiter()));
    }
}
