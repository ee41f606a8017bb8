package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.retry} on a Mono that retries at once: each call's first attempt
 * fails and the retry resubscribes on the same thread. The failed publisher: three attempts that
 * all fail at once.
 */
public class MonoImmediateRetryTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnce(elements, source -> source.transform(NineLives.retry(Policies.retry())));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>error(new IOException("the source always fails")).transform(NineLives.retry(Policies.retry()));
    }
}
