package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The TCK over {@code NineLives.timeout} inside {@code NineLives.deadline} on a Mono that answers
 * from a {@code Schedulers.parallel()} thread, so that both are armed when the TCK subscribes
 * (a Mono that answers inside its subscribe is never timed) and their shared timer entries are
 * taken and cleared on every call. Neither fires during a test. The failed publisher: a source
 * that never answers, whose timeout fires two milliseconds in: the source is cancelled and the
 * error comes from the timer's thread, through the deadline.
 */
public class MonoTimeoutTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.value(elements).subscribeOn(Schedulers.parallel())
                .transform(NineLives.timeout(Policies.ATTEMPT))
                .transform(NineLives.deadline(Policies.TOTAL));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>never()
                .transform(NineLives.timeout(Policies.SOON))
                .transform(NineLives.deadline(Policies.TOTAL));
    }
}
