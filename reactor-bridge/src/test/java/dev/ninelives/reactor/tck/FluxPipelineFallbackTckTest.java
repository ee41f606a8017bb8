package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.pipeline} on a Flux with no stage but the call's fallback: each
 * call's source delivers the first half of the elements and fails, and the fallback publisher
 * continues with the rest, asked for exactly the demand left over. The failed publisher: the
 * fallback publisher fails too.
 */
public class FluxPipelineFallbackTckTest extends NineLivesVerification {

    private static final Pipeline FALLBACK_ONLY = Pipeline.builder("tck-fallback-only").build();

    @Override
    Publisher<Integer> protect(long elements) {
        int n = Math.toIntExact(elements);
        int half = n / 2;
        Flux<Integer> failing = Flux.range(0, half).concatWith(Flux.error(new IOException("the source fails after " + half)));
        return failing.transform(NineLives.pipeline(FALLBACK_ONLY, Fallback.to(Flux.range(half, n - half))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Flux.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.pipeline(FALLBACK_ONLY, Fallback.to(Flux.error(new IOException("the fallback fails too")))));
    }
}
