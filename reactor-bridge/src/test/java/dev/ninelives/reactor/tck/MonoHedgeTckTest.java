package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.time.Duration;

/**
 * The TCK over {@code NineLives.hedge} (a Mono only), racing: the source answers three
 * milliseconds after each subscription, from a {@code Schedulers.parallel()} thread, and the
 * hedge subscribes it again after one and two milliseconds, so up to three attempts are in
 * flight and answer from different threads; the first answer wins and the others are
 * cancelled. The failed publisher: every attempt fails, and the call fails with the error of
 * the last one in flight.
 */
public class MonoHedgeTckTest extends MonoVerification {

    private static final Duration ANSWER = Duration.ofMillis(3);

    @Override
    Publisher<Integer> protect(long elements) {
        return Mono.delay(ANSWER).then(Calls.value(elements)).transform(NineLives.hedge(Policies.hedge()));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.delay(ANSWER).then(Mono.<Integer>error(new IOException("every attempt fails")))
                .transform(NineLives.hedge(Policies.hedge()));
    }
}
