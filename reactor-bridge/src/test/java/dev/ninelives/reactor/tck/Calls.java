package dev.ninelives.reactor.tck;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.ratelimit.RateLimiter;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The sources and the circumstances the TCK classes put their operators in: plain calls, calls
 * that fail once so that a retry or a fallback takes over, calls that must wait for a permit.
 * Each keeps its state per subscription, so that every subscription the TCK makes is a call of
 * its own, as a user's would be.
 */
final class Calls {

    private Calls() {
    }

    /** Elements {@code 0 .. elements - 1}, then completion. */
    static Flux<Integer> range(long elements) {
        return Flux.range(0, Math.toIntExact(elements));
    }

    /** One value for one element, an empty completion for none. */
    static Mono<Integer> value(long elements) {
        if (elements > 1) {
            throw new IllegalArgumentException("a Mono has one element at most, but " + elements + " were asked for");
        }
        return elements == 0 ? Mono.empty() : Mono.just(0);
    }

    /**
     * A call whose source fails once, after half of its elements, and resumes at the first
     * element it did not deliver when it is subscribed again: through a retry, exactly
     * {@code elements} elements arrive, and the retry's second attempt must be asked only for
     * the demand the first left over. {@code protection} gets the source and returns it
     * protected; the state is made per subscription of the result.
     */
    static Flux<Integer> failingOnceHalfway(long elements, Function<Flux<Integer>, Publisher<Integer>> protection) {
        int n = Math.toIntExact(elements);
        Flux<Integer> source = Flux.deferContextual(ctx -> ctx.get(Resumption.class).attempt(n));
        return Flux.from(protection.apply(source)).contextWrite(ctx -> ctx.put(Resumption.class, new Resumption()));
    }

    /** As {@link #failingOnceHalfway} for a Mono: its first attempt fails, the next gives the value (or completes empty). */
    static Mono<Integer> failingOnce(long elements, Function<Mono<Integer>, Mono<Integer>> protection) {
        Mono<Integer> source = Mono.deferContextual(ctx -> ctx.get(Resumption.class).first()
                ? Mono.error(new IOException("the call's first attempt fails"))
                : value(elements));
        return protection.apply(source).contextWrite(ctx -> ctx.put(Resumption.class, new Resumption()));
    }

    /** One call's progress across its attempts. */
    static final class Resumption {
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicBoolean failed = new AtomicBoolean();

        /** True for the first attempt only. */
        boolean first() {
            return failed.compareAndSet(false, true);
        }

        /** An attempt: from the first element not delivered; the first one fails after half of them. */
        Flux<Integer> attempt(int n) {
            int from = next.get();
            if (first()) {
                int half = n / 2;
                return Flux.range(from, half - from)
                        .doOnNext(i -> next.set(i + 1))
                        .concatWith(Flux.error(new IOException("the call's first attempt fails after " + half + " elements")));
            }
            return Flux.range(from, n - from).doOnNext(i -> next.set(i + 1));
        }
    }

    /**
     * Runs each subscription of {@code call} on a full bulkhead: it takes every free permit of
     * {@code bulkhead} just before the call asks for one, as calls already in flight would, and
     * gives them back from a {@code Schedulers.parallel()} task once the call's subscriber first
     * requests (or once its cancel has gone through, so that the cancel always finds the call
     * waiting). So the call always waits in the bulkhead's queue and gets {@code onSubscribe} at
     * once; the TCK's first request or cancel finds it waiting, and its source is subscribed on
     * the parallel thread, with the demand asked meanwhile. The hooks that watch for the request
     * sit outside the operator and pass every signal through.
     */
    static Flux<Integer> onFullBulkhead(Bulkhead bulkhead, Flux<Integer> call) {
        return Flux.defer(() -> {
            Runnable giveBack = fill(bulkhead);
            return call.doOnRequest(n -> giveBack.run()).doFinally(signal -> giveBack.run());
        });
    }

    /** As {@link #onFullBulkhead(Bulkhead, Flux)} for a Mono. */
    static Mono<Integer> onFullBulkhead(Bulkhead bulkhead, Mono<Integer> call) {
        return Mono.defer(() -> {
            Runnable giveBack = fill(bulkhead);
            return call.doOnRequest(n -> giveBack.run()).doFinally(signal -> giveBack.run());
        });
    }

    /** Takes every free permit of {@code bulkhead}; the task returned gives them back once, from a parallel thread. */
    private static Runnable fill(Bulkhead bulkhead) {
        int held = 0;
        while (bulkhead.tryAcquire()) {
            held++;
        }
        int taken = held;
        AtomicBoolean given = new AtomicBoolean();
        return () -> {
            if (taken > 0 && given.compareAndSet(false, true)) {
                Schedulers.parallel().schedule(() -> {
                    for (int i = 0; i < taken; i++) {
                        bulkhead.release();
                    }
                });
            }
        };
    }

    /**
     * Runs each subscription of {@code call} just after another call took the rate limiter's
     * next permit: the call reserves the instant after it and waits for it, then has its source
     * subscribed from a {@code Schedulers.parallel()} task. For a limiter of one permit a
     * millisecond with a long {@code maxWait}.
     */
    static Flux<Integer> afterAnotherCall(RateLimiter limiter, Publisher<Integer> call) {
        return Flux.defer(() -> {
            limiter.tryAcquire();
            return call;
        });
    }

    /** As {@link #afterAnotherCall(RateLimiter, Publisher)} for a Mono. */
    static Mono<Integer> afterAnotherCall(RateLimiter limiter, Mono<Integer> call) {
        return Mono.defer(() -> {
            limiter.tryAcquire();
            return call;
        });
    }

    /** A rate limiter of one permit a millisecond, whose callers may wait ten seconds: every call after another waits. */
    static RateLimiter oneAMillisecond(String name) {
        return RateLimiter.builder(name).limitForPeriod(1).period(Duration.ofMillis(1)).burst(1)
                .maxWait(Duration.ofSeconds(10)).build();
    }
}
