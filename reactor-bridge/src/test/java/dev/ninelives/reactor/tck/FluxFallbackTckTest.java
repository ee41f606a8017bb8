package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.fallback} on a Flux that falls back: each call's source delivers
 * the first half of the elements and fails, and the fallback publisher continues with the rest,
 * asked for exactly the demand the source left over. The failed publisher: the fallback
 * publisher fails too, and its error ends the call (the source's attached as suppressed).
 */
public class FluxFallbackTckTest extends NineLivesVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        int n = Math.toIntExact(elements);
        int half = n / 2;
        Flux<Integer> failing = Flux.range(0, half).concatWith(Flux.error(new IOException("the source fails after " + half)));
        return failing.transform(NineLives.fallback(Fallback.to(Flux.range(half, n - half))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.fallback(Fallback.to(Flux.error(new IOException("the fallback fails too")))));
    }
}
