package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;

/**
 * The TCK over {@code NineLives.pipeline} on a Mono with a retry, a breaker and an attempt
 * timeout but no total timeout: the fused subscriber times its first attempt itself, as the
 * shared timer's entry. The source answers from a {@code Schedulers.parallel()} thread, so the
 * attempt is still running when the TCK subscribes; each call's first attempt fails, and the
 * retried one has the attempt timeout's own operator. The failed publisher: a source that never
 * answers, with an attempt timeout of two milliseconds, so the timer fires three times: it
 * cancels each attempt, the retry starts the next from the timer's thread, and the last timeout
 * ends the call from there.
 */
public class MonoPipelineAttemptTimeoutTckTest extends MonoVerification {

    private static Pipeline pipeline(Duration attemptTimeout) {
        return Pipeline.builder("tck-attempt-timeout").retry(Policies.retry()).breaker(Policies.breaker())
                .attemptTimeout(attemptTimeout).build();
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnce(elements, source -> source.subscribeOn(Schedulers.parallel())
                .transform(NineLives.pipeline(pipeline(Policies.ATTEMPT))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>never().transform(NineLives.pipeline(pipeline(Policies.SOON)));
    }
}
