package dev.ninelives.reactor.tck;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.time.Duration;

/**
 * The TCK over {@code NineLives.pipeline} on a Mono with every stage, the hedge included, and a
 * fallback for timeouts: the fused subscriber runs the rate limiter, the bulkhead, the total
 * timeout and the retry around the hedge operator, which asks the breaker for each attempt and
 * wraps each in its attempt timeout. The source answers three milliseconds after each
 * subscription, and the hedges start after one and two. The failed publisher: the breaker held
 * open, so the first attempt is refused and no hedge is issued.
 */
public class MonoHedgedPipelineTckTest extends MonoVerification {

    private static final Duration ANSWER = Duration.ofMillis(3);

    private static Pipeline pipeline(CircuitBreaker breaker) {
        return Policies.everyStage("tck-hedged", Policies.rateLimiter(), Policies.bulkhead(), breaker)
                .toBuilder("tck-hedged").hedge(Policies.hedge()).build();
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Mono.delay(ANSWER).then(Calls.value(elements))
                .transform(NineLives.pipeline(pipeline(Policies.breaker()), Policies.onTimeout()));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.delay(ANSWER).then(Calls.value(1))
                .transform(NineLives.pipeline(pipeline(Policies.forcedOpen()), Policies.onTimeout()));
    }
}
