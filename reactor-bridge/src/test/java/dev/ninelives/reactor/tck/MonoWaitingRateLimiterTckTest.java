package dev.ninelives.reactor.tck;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.rateLimiter} on a Mono whose calls wait for their instant (one
 * permit a millisecond, just taken by another call, see {@link Calls#afterAnotherCall}): the
 * subscriber gets {@code onSubscribe} at once and the source is subscribed from a
 * {@code Schedulers.parallel()} task. The failed publisher: a wait longer than the limiter's
 * {@code maxWait}, refused at once.
 */
public class MonoWaitingRateLimiterTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        RateLimiter limiter = Calls.oneAMillisecond("tck-waiting");
        return Calls.afterAnotherCall(limiter, value(elements).transform(NineLives.rateLimiter(limiter)));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.rateLimiter(Policies.spentWaitingRateLimiter()));
    }
}
