package dev.ninelives.reactor.tck;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.value;

/**
 * The TCK over {@code NineLives.bulkhead} on a Mono whose calls wait for their permit: each call
 * finds the bulkhead full until its subscriber first requests or cancels (see
 * {@link Calls#onFullBulkhead}), gets {@code onSubscribe} at once, and has its source subscribed
 * from the {@code Schedulers.parallel()} thread that gives the permits back, with the demand
 * asked meanwhile. The failed publisher waits a millisecond on a full bulkhead and is refused
 * from the wait timer's thread ({@code WAIT_TIMED_OUT}).
 */
public class MonoWaitingBulkheadTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        Bulkhead bulkhead = Policies.waitingBulkhead();
        return Calls.onFullBulkhead(bulkhead, value(elements).transform(NineLives.bulkhead(bulkhead)));
    }

    @Override
    Publisher<Integer> refuse() {
        return value(1).transform(NineLives.bulkhead(Policies.fullBulkheadTimingOut()));
    }
}
