package dev.ninelives.reactor.tck;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.bulkhead} on a Flux whose calls wait for their permit: each call
 * finds the bulkhead full until its subscriber first requests or cancels (see
 * {@link Calls#onFullBulkhead}), so it gets {@code onSubscribe} at once and the TCK's first
 * request or cancel always finds it in the queue; the permits then come back from a
 * {@code Schedulers.parallel()} thread, which subscribes the source and carries the demand
 * asked meanwhile. The failed publisher waits a millisecond on a full bulkhead and is refused
 * from the wait timer's thread ({@code WAIT_TIMED_OUT}).
 */
public class FluxWaitingBulkheadTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        Bulkhead bulkhead = Policies.waitingBulkhead();
        return Calls.onFullBulkhead(bulkhead, range(elements).transform(NineLives.bulkhead(bulkhead)));
    }

    @Override
    Publisher<Integer> refuse() {
        return range(3).transform(NineLives.bulkhead(Policies.fullBulkheadTimingOut()));
    }
}
