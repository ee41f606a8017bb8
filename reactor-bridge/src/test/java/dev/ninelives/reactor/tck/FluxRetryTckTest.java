package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.retry} on a Flux, retrying: each call's first attempt delivers
 * half of the elements and fails, and the retry resubscribes a millisecond later, from a
 * {@code Schedulers.parallel()} thread, to a source that resumes where the first attempt
 * stopped. So the TCK's requests meet both attempts, and the outstanding demand must carry over
 * to the second exactly (no element more than asked, §1.1; none lost). The failed publisher is a
 * policy of one attempt over a source that always fails: the error passes through, after
 * {@code onSubscribe}.
 * A retry at once, on the thread of the failed signal, is covered by
 * FluxNestedOperatorsTckTest.
 */
public class FluxRetryTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnceHalfway(elements, source -> source.transform(NineLives.retry(Policies.delayedRetry())));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>error(new IOException("the source always fails")).transform(NineLives.retry(Policies.noRetry()));
    }
}
