package dev.ninelives.reactor.tck;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * The TCK over nested single operators on a Mono: a breaker inside a retry inside a bulkhead,
 * each with a SignalCheck behind it. Each call's first attempt fails; the retry resubscribes at
 * once through the breaker, holding the bulkhead's permit. The failed publisher: the breaker
 * held open; its refusal is not retried and passes through the bulkhead.
 */
public class MonoNestedOperatorsTckTest extends MonoVerification {

    private Mono<Integer> nested(Mono<Integer> source, CircuitBreaker breaker) {
        Mono<Integer> broken = Mono.from(checked(source.transform(NineLives.breaker(breaker)), "breaker"));
        Mono<Integer> retried = Mono.from(checked(broken.transform(NineLives.retry(Policies.retry())), "retry"));
        return retried.transform(NineLives.bulkhead(Policies.bulkhead()));
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnce(elements, source -> nested(source, Policies.breaker()));
    }

    @Override
    Publisher<Integer> refuse() {
        return nested(Calls.value(1), Policies.forcedOpen());
    }
}
