package dev.ninelives.reactor.tck;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * The TCK over nested single operators on a Flux, the way the README stacks them: a breaker
 * inside a retry inside a bulkhead, each a separate operator with a SignalCheck behind it, so a
 * breach names the operator that made it. Each call's first attempt delivers half of the
 * elements and fails; the retry resubscribes at once through the breaker, holding the
 * bulkhead's permit. The failed publisher: the breaker held open; its refusal is not retried and
 * passes through the bulkhead, after {@code onSubscribe}.
 */
public class FluxNestedOperatorsTckTest extends NineLivesVerification {

    private Publisher<Integer> nested(Flux<Integer> source, CircuitBreaker breaker) {
        Publisher<Integer> broken = checked(source.transform(NineLives.breaker(breaker)), "breaker");
        Publisher<Integer> retried = checked(Flux.from(broken).transform(NineLives.retry(Policies.retry())), "retry");
        return Flux.from(retried).transform(NineLives.bulkhead(Policies.bulkhead()));
    }

    @Override
    Publisher<Integer> protect(long elements) {
        return Calls.failingOnceHalfway(elements, source -> nested(source, Policies.breaker()));
    }

    @Override
    Publisher<Integer> refuse() {
        return nested(Calls.range(3), Policies.forcedOpen());
    }
}
