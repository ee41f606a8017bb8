package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.retry} on a Mono, retrying: each call's first attempt fails and
 * the retry resubscribes a millisecond later from a {@code Schedulers.parallel()} thread, so
 * the value (or the empty completion) comes from the second attempt, on that thread. The failed
 * publisher: a policy of one attempt over a source that always fails.
 * A retry at once, on the thread of the failed signal, is covered by
 * MonoNestedOperatorsTckTest.
 */
public class MonoRetryTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnce(elements, source -> source.transform(NineLives.retry(Policies.delayedRetry())));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>error(new IOException("the source always fails")).transform(NineLives.retry(Policies.noRetry()));
    }
}
