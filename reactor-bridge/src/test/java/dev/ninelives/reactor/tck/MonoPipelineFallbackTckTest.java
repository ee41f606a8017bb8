package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.pipeline} on a Mono with no stage but the call's fallback: each
 * call's source fails and the fallback publisher, a Flux, gives the value: its first element,
 * the rest cancelled, as {@code Mono.from} does (or it completes empty). The failed publisher:
 * the fallback publisher fails too.
 */
public class MonoPipelineFallbackTckTest extends MonoVerification {

    private static final Pipeline FALLBACK_ONLY = Pipeline.builder("tck-fallback-only").build();

    @Override
    Publisher<Integer> protect(long elements) {
        return Mono.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.pipeline(FALLBACK_ONLY, Fallback.to(Calls.range(elements == 0 ? 0 : 3))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.pipeline(FALLBACK_ONLY, Fallback.to(Mono.error(new IOException("the fallback fails too")))));
    }
}
