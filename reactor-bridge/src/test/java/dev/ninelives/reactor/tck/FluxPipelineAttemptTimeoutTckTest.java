package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import java.time.Duration;

/**
 * The TCK over {@code NineLives.pipeline} on a Flux with a retry, a breaker and an attempt
 * timeout but no total timeout: the fused subscriber times its first attempt itself, as the
 * shared timer's entry (no TimeoutSubscriber of its own), and the retried attempt gets the
 * attempt timeout's own operator. Each call's first attempt delivers half of the elements and
 * fails. The failed publisher: a source that never answers, with an attempt timeout of two
 * milliseconds, so the timer fires three times: it cancels each attempt, the retry starts the
 * next from the timer's thread, and the last timeout ends the call from there.
 */
public class FluxPipelineAttemptTimeoutTckTest extends NineLivesVerification {

    private static Pipeline pipeline(Duration attemptTimeout) {
        return Pipeline.builder("tck-attempt-timeout").retry(Policies.retry()).breaker(Policies.breaker())
                .attemptTimeout(attemptTimeout).build();
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnceHalfway(elements, source -> source.transform(NineLives.pipeline(pipeline(Policies.ATTEMPT))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>never().transform(NineLives.pipeline(pipeline(Policies.SOON)));
    }
}
