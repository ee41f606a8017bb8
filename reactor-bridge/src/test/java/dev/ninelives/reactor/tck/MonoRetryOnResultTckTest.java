package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The TCK over {@code NineLives.retry} on a Mono whose policy tests the values: each call's first
 * attempt answers -1, which the result predicate retries (the attempt is cancelled, its value
 * never reaches the subscriber), and the second attempt gives the value or completes empty. Each
 * attempt then has a subscriber of its own, a path of its own to check. The failed publisher:
 * every attempt fails, and the attempts run out on the error. (Not on a retried value: the
 * TCK's failed publisher must fail with nothing requested, and a value is only produced on
 * request; attempts that run out on a value deliver that value anyway.)
 */
public class MonoRetryOnResultTckTest extends MonoVerification {

    private static Retry retryingNegatives() {
        return Retry.builder("tck-on-result").maxAttempts(3).noBackoff()
                .retryOnResult(Integer.class, v -> v < 0).build();
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Mono.defer(() -> {
            AtomicBoolean answered = new AtomicBoolean();
            return Mono.defer(() -> answered.compareAndSet(false, true) ? Mono.just(-1) : Calls.value(elements))
                    .transform(NineLives.retry(retryingNegatives()));
        });
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>error(new IOException("every attempt fails")).transform(NineLives.retry(retryingNegatives()));
    }
}
