package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

import java.io.IOException;

/**
 * The TCK over {@code NineLives.fallback} on a Mono that falls back: each call's source fails and
 * the fallback publisher gives the value (or completes empty), asked for what the subscriber
 * asked. The failed publisher: the fallback publisher fails too.
 */
public class MonoFallbackTckTest extends MonoVerification {

    @Override
    Publisher<Integer> protect(long elements) {
        return Mono.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.fallback(Fallback.to(Calls.value(elements))));
    }

    @Override
    Publisher<Integer> refuse() {
        return Mono.<Integer>error(new IOException("the source fails"))
                .transform(NineLives.fallback(Fallback.to(Mono.error(new IOException("the fallback fails too")))));
    }
}
