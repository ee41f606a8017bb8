package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import static dev.ninelives.reactor.tck.Calls.range;

/**
 * The TCK over {@code NineLives.timeout} inside {@code NineLives.deadline} on a Flux, neither of
 * which fires during a test: every element passes the timeout's guard (two atomic operations,
 * so that a firing timeout could never overlap an element, §1.3), and every call takes and
 * clears a slot of the shared timer, whose entries must not keep a cancelled subscriber
 * reachable (§3.13). The failed publisher: a source that never answers, whose timeout fires
 * two milliseconds in: the source is cancelled and the error comes from the timer's thread,
 * through the deadline.
 */
public class FluxTimeoutTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return range(elements)
                .transform(NineLives.timeout(Policies.ATTEMPT))
                .transform(NineLives.deadline(Policies.TOTAL));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>never()
                .transform(NineLives.timeout(Policies.SOON))
                .transform(NineLives.deadline(Policies.TOTAL));
    }
}
