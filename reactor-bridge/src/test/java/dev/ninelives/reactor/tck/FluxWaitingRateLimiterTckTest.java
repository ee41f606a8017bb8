package dev.ninelives.reactor.tck;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.rateLimiter} on a Flux whose calls wait for their instant: one
 * permit a millisecond, and each call comes just after another took the next one (see
 * {@link Calls#afterAnotherCall}), so it gets {@code onSubscribe} at once, the TCK requests and
 * cancels while it waits, and its source is subscribed from a {@code Schedulers.parallel()} task
 * with the demand asked meanwhile. The failed publisher: a wait longer than the limiter's
 * {@code maxWait}, refused at once.
 */
public class FluxWaitingRateLimiterTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        RateLimiter limiter = Calls.oneAMillisecond("tck-waiting");
        return Calls.afterAnotherCall(limiter, range(elements).transform(NineLives.rateLimiter(limiter)));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.rateLimiter(Policies.spentWaitingRateLimiter()));
    }
}
