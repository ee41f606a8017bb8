package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.retry} on a Flux that retries at once (no backoff): each call's
 * first attempt delivers half of the elements and fails, and the retry resubscribes on the same
 * thread, inside the signal that failed, to a source that resumes where the first attempt
 * stopped. The demand left over must carry over exactly. The failed publisher: three attempts
 * that all fail at once; the last error passes through, after {@code onSubscribe}.
 */
public class FluxImmediateRetryTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnceHalfway(elements, source -> source.transform(NineLives.retry(Policies.retry())));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>error(new IOException("the source always fails")).transform(NineLives.retry(Policies.retry()));
    }
}
