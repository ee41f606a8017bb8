package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.retry.Retry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fused pipeline against the same policies stacked as separate operators
 * ({@code bulkhead(retry(breaker(source)))}, the reference), side by side on virtual time: for
 * generated pipelines (every combination with a retry or a breaker, waiting or failing fast, with
 * or without a total and an attempt timeout),
 * generated source behaviours per attempt (a value, empty, a counted and an ignored error, never,
 * late values and errors, several elements then a completion or an error), several calls that
 * overlap, cancels at random moments and one-at-a-time demand, the two give identical signals to
 * every subscriber (with their virtual times), identical listener events of every policy, in the
 * same order, and identical metrics at the end.
 *
 * <p>The shapes include a rate limiter in front (its permit always free; one permit per 5 s and
 * no waiting, so that later calls are refused; one per 2 s with up to 3 s of waiting, so that
 * calls wait on the clock and some are cancelled while waiting) and, for a Mono, a hedge (a
 * fixed 1 s delay, up to two hedges, a budget of two tokens that runs out). Neither is fused: the
 * rate limiter is its own operator in front of the rest in both assemblies, and the hedge is its
 * own operator with the breaker moved into it (see {@code PipelineAssembly}); what is compared is
 * the fused subscriber around them (bulkhead, total timeout, retry, fallback) against the stacked
 * operators, and that the hedge's breaker permits and the limiter's refusals reach the same
 * events and metrics. A Flux with a hedge is not generated: a pipeline with a hedge refuses a
 * Flux at assembly, in both forms.
 *
 * <p>Guards against: a fused subscriber that drifts from the operators it replaces (a permit
 * returned at another moment, an outcome recorded once too often or not at all, a retry that sees
 * an attempt the breaker refused differently, demand lost between attempts, an event out of order).
 */
class PipelineEquivalenceTest {

    enum Attempt { VALUE, EMPTY, COUNTED_ERROR, IGNORED_ERROR, NEVER, LATE_VALUE, LATE_ERROR, ELEMENTS, ELEMENTS_THEN_ERROR, DEAF_VALUE }

    /** One call: when it subscribes, what each of its attempts does, when (if ever) it cancels, how it requests. */
    record Call(int startSeconds, List<Attempt> attempts, int cancelAtSeconds, boolean oneAtATime) {
    }

    /** What the generated pipeline holds. */
    record Shape(boolean bulkhead, boolean retry, boolean breaker, int maxConcurrent, int maxWaitSeconds,
                 int maxAttempts, int backoffSeconds, int window, int permittedInHalfOpen, boolean mono,
                 int totalTimeoutSeconds, int attemptTimeoutSeconds, FallbackKind fallback, RateKind rate,
                 boolean hedge) {
        boolean valid() {
            return retry || breaker;     // a bulkhead alone is the bulkhead's own operator
        }
    }

    @Provide
    Arbitrary<Shape> shapes() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Combinators.combine(
                Combinators.combine(b, b, b, Arbitraries.integers().between(1, 2), Arbitraries.of(0, 0, 2, 5))
                        .as((bh, r, cb, mc, mw) -> new int[] {bh ? 1 : 0, r ? 1 : 0, cb ? 1 : 0, mc, mw}),
                Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.of(0, 0, 1, 3),
                        Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 2), b)
                        .as((ma, bo, w, ph, mono) -> new Object[] {ma, bo, w, ph, mono}))
                .as((x, y) -> new Object[] {x, y})
                .flatMap(xy -> Combinators.combine(Arbitraries.of(0, 0, 3, 7), Arbitraries.of(0, 0, 2),
                                Arbitraries.of(FallbackKind.class), Arbitraries.of(RateKind.NONE, RateKind.NONE,
                                        RateKind.FREE, RateKind.REFUSING, RateKind.WAITING), Arbitraries.of(false, false, true))
                        .as((total, attempt, fallback, rate, hedge) -> {
                            int[] x = (int[]) xy[0];
                            Object[] y = (Object[]) xy[1];
                            boolean mono = (Boolean) y[4];
                            return new Shape(x[0] == 1, x[1] == 1, x[2] == 1, x[3], x[4],
                                    (Integer) y[0], (Integer) y[1], (Integer) y[2], (Integer) y[3], mono,
                                    total, attempt, fallback, rate, hedge && mono);
                        }))
                .filter(Shape::valid);
    }

    @Provide
    Arbitrary<List<Call>> calls() {
        Arbitrary<Call> call = Combinators.combine(
                Arbitraries.integers().between(0, 6),
                Arbitraries.of(Attempt.class).list().ofMinSize(1).ofMaxSize(4),
                Arbitraries.integers().between(-1, 12).map(c -> c < 2 ? -1 : c),   // mostly no cancel
                Arbitraries.of(true, false))
                .as(Call::new);
        return call.list().ofMinSize(1).ofMaxSize(3);
    }

    /** A rate limiter in front of the pipeline, or none. */
    enum RateKind {
        NONE, FREE, REFUSING, WAITING;

        RateLimiter create(VirtualTimeScheduler clock) {
            var b = RateLimiter.builder("rl").ticker(() -> clock.now(TimeUnit.NANOSECONDS));
            return switch (this) {
                case NONE -> null;
                case FREE -> b.limitForPeriod(1000).period(Duration.ofSeconds(1)).build();
                case REFUSING -> b.limitForPeriod(1).period(Duration.ofSeconds(5)).build();
                case WAITING -> b.limitForPeriod(1).period(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(3)).build();
            };
        }
    }

    /** A fallback around the pipeline, or none. */
    enum FallbackKind {
        NONE, VALUE, ON_IO_TO_TWO, FAILING, LATE;

        Fallback<Object> create(VirtualTimeScheduler clock) {
            return switch (this) {
                case NONE -> null;
                case VALUE -> Fallback.toValue("fallback");
                case ON_IO_TO_TWO -> Fallback.<Object>to(Flux.just("f1", "f2")).on(IOException.class);
                case FAILING -> Fallback.to(Mono.error(new IllegalStateException("fallback down")));
                case LATE -> Fallback.to(Mono.delay(Duration.ofSeconds(1), clock).map(x -> (Object) "late fallback"));
            };
        }
    }

    @Property(tries = 10_000)
    void theFusedPipelineBehavesExactlyAsTheStackedOperators(@ForAll("shapes") Shape shape, @ForAll("calls") List<Call> calls) {
        List<String> fused = run(shape, calls, (source, p, fallback) -> PipelineAssembly.assemble(source, p, fallback));
        List<String> stacked = run(shape, calls, (source, p, fallback) -> fallback == null
                ? PipelineAssembly.stacked(source, p)
                : NineLives.<Object>fallback(fallback).apply(PipelineAssembly.stacked(source, p)));
        assertThat(fused).as("shape %s, calls %s", shape, calls).containsExactlyElementsOf(stacked);
    }

    /** Runs every call on a fresh clock and fresh policies; returns the log of signals, events and final metrics. */
    /** Assembles a pipeline, with a fallback around it or none. */
    interface Assembly {
        Publisher<Object> apply(Publisher<Object> source, Pipeline p, Fallback<Object> fallback);
    }

    private static List<String> run(Shape shape, List<Call> calls, Assembly assemble) {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        List<String> log = new ArrayList<>();
        try {
            Pipeline.Builder builder = Pipeline.builder("equivalence").scheduler(clock);
            CircuitBreaker breaker = null;
            Bulkhead bulkhead = null;
            Retry retry = null;
            if (shape.breaker()) {
                breaker = CircuitBreaker.builder("b").slidingWindow(shape.window()).minimumNumberOfCalls(shape.window())
                        .permittedCallsInHalfOpen(shape.permittedInHalfOpen()).openDuration(Duration.ofSeconds(4))
                        .slowCallDuration(Duration.ofSeconds(2))
                        .recordFailureIf(e -> e instanceof IOException || e instanceof TimeoutExceededException)
                        .ticker(() -> clock.now(TimeUnit.NANOSECONDS)).build();
                breaker.onStateTransition(e -> log.add(at(clock) + " breaker " + e.from() + "->" + e.to() + " " + e.reason()));
                breaker.onCallNotPermitted(e -> log.add(at(clock) + " breaker refused " + e.state()));
                breaker.onCallRecorded(e -> log.add(at(clock) + " breaker " + e.outcome() + (e.slow() ? " slow" : "")
                        + " " + e.durationNanos()));
                builder.breaker(breaker);
            }
            if (shape.retry()) {
                var rb = Retry.builder("r").maxAttempts(shape.maxAttempts());
                retry = (shape.backoffSeconds() == 0 ? rb.noBackoff() : rb.constantBackoff(Duration.ofSeconds(shape.backoffSeconds()))).build();
                retry.onRetry(e -> log.add(at(clock) + " retry " + e.type() + " " + e.attempt() + " " + e.delay()));
                retry.onExhausted(e -> log.add(at(clock) + " retry " + e.type() + " " + e.attempt()));
                retry.onFailed(e -> log.add(at(clock) + " retry " + e.type() + " " + e.attempt()));
                retry.onSucceeded(e -> log.add(at(clock) + " retry " + e.type() + " " + e.attempt()));
                retry.onBudgetRefused(e -> log.add(at(clock) + " retry " + e.type()));
                builder.retry(retry);
            }
            if (shape.bulkhead()) {
                var bb = Bulkhead.builder("h").maxConcurrent(shape.maxConcurrent())
                        .ticker(() -> clock.now(TimeUnit.NANOSECONDS));
                if (shape.maxWaitSeconds() > 0) {
                    bb.maxWait(Duration.ofSeconds(shape.maxWaitSeconds()));
                }
                bulkhead = bb.build();
                bulkhead.onPermitted(e -> log.add(at(clock) + " bulkhead permitted " + e.waitNanos()));
                bulkhead.onRejected(e -> log.add(at(clock) + " bulkhead rejected " + e.reason()));
                bulkhead.onFinished(e -> log.add(at(clock) + " bulkhead finished"));
                builder.bulkhead(bulkhead);
            }
            RateLimiter limiter = shape.rate().create(clock);
            if (limiter != null) {
                limiter.onPermitted(e -> log.add(at(clock) + " rate limiter permitted " + e.waitNanos()));
                limiter.onRejected(e -> log.add(at(clock) + " rate limiter rejected"));
                builder.rateLimiter(limiter);
            }
            Hedge hedge = null;
            if (shape.hedge()) {
                hedge = Hedge.builder("hg").delay(Duration.ofSeconds(1)).maxHedges(2).budget(0.5, 2)
                        .ticker(() -> clock.now(TimeUnit.NANOSECONDS)).build();
                hedge.onHedge(e -> log.add(at(clock) + " hedge " + e.type() + " " + e.attempt()));
                builder.hedge(hedge);
            }
            if (shape.totalTimeoutSeconds() > 0) {
                builder.timeout(Duration.ofSeconds(shape.totalTimeoutSeconds()));
            }
            if (shape.attemptTimeoutSeconds() > 0) {
                builder.attemptTimeout(Duration.ofSeconds(shape.attemptTimeoutSeconds()));
            }
            Pipeline pipeline = builder.build();
            Fallback<Object> fallback = shape.fallback().create(clock);

            for (int i = 0; i < calls.size(); i++) {
                Call call = calls.get(i);
                int index = i;
                clock.schedule(() -> start(index, call, shape.mono(), pipeline, fallback, assemble, clock, log),
                        call.startSeconds(), TimeUnit.SECONDS);
            }
            clock.advanceTimeBy(Duration.ofMinutes(10));
            if (breaker != null) {
                log.add("breaker metrics " + breaker.metrics());
            }
            if (bulkhead != null) {
                log.add("bulkhead metrics " + bulkhead.metrics());
            }
            if (limiter != null) {
                log.add("rate limiter metrics " + limiter.metrics());
            }
            if (hedge != null) {
                log.add("hedge metrics " + hedge.metrics());
            }
            return log;
        } finally {
            clock.dispose();
        }
    }

    private static String at(VirtualTimeScheduler clock) {
        return clock.now(TimeUnit.MILLISECONDS) + "ms";
    }

    private static void start(int index, Call call, boolean mono, Pipeline pipeline, Fallback<Object> fallback,
                              Assembly assemble,
                              VirtualTimeScheduler clock, List<String> log) {
        int[] attempt = {0};
        Publisher<Object> source = mono
                ? Mono.defer(() -> monoAttempt(call.attempts().get(Math.min(attempt[0]++, call.attempts().size() - 1)), clock))
                : Flux.defer(() -> fluxAttempt(call.attempts().get(Math.min(attempt[0]++, call.attempts().size() - 1)), clock));
        Publisher<Object> protectedCall = assemble.apply(source, pipeline, fallback);
        String name = "call" + index;
        Recorder recorder = new Recorder(name, call.oneAtATime(), clock, log);
        protectedCall.subscribe(recorder);
        if (call.cancelAtSeconds() > 0) {
            clock.schedule(() -> {
                log.add(at(clock) + " " + name + " cancels");
                recorder.cancel();
            }, call.cancelAtSeconds() - call.startSeconds() < 0 ? 0 : call.cancelAtSeconds() - call.startSeconds(), TimeUnit.SECONDS);
        }
    }

    private static Mono<Object> monoAttempt(Attempt a, VirtualTimeScheduler clock) {
        return switch (a) {
            case VALUE, ELEMENTS -> Mono.just("v");
            case EMPTY -> Mono.empty();
            case COUNTED_ERROR, ELEMENTS_THEN_ERROR -> Mono.error(new IOException("down"));
            case IGNORED_ERROR -> Mono.error(new IllegalArgumentException("bad"));
            case NEVER -> Mono.never();
            case LATE_VALUE -> Mono.delay(Duration.ofSeconds(3), clock).map(x -> (Object) "late");
            case LATE_ERROR -> Mono.delay(Duration.ofSeconds(1), clock).then(Mono.error(new IOException("late")));
            case DEAF_VALUE -> Mono.fromDirect(new Deaf(clock));
        };
    }

    private static Flux<Object> fluxAttempt(Attempt a, VirtualTimeScheduler clock) {
        return switch (a) {
            case VALUE -> Flux.just("v");
            case EMPTY -> Flux.empty();
            case COUNTED_ERROR -> Flux.error(new IOException("down"));
            case IGNORED_ERROR -> Flux.error(new IllegalArgumentException("bad"));
            case NEVER -> Flux.never();
            case LATE_VALUE -> Mono.delay(Duration.ofSeconds(3), clock).map(x -> (Object) "late").flux();
            case LATE_ERROR -> Mono.delay(Duration.ofSeconds(1), clock).thenMany(Flux.error(new IOException("late")));
            case ELEMENTS -> Flux.just("a", "b", "c");
            case ELEMENTS_THEN_ERROR -> Flux.concat(Flux.just("a", "b"), Mono.delay(Duration.ofSeconds(1), clock)
                    .then(Mono.error(new IOException("mid-stream"))));
            case DEAF_VALUE -> Flux.from(new Deaf(clock));
        };
    }

    /**
     * A source that does not hear a cancel: 3 s after its subscription it delivers "deaf" (if asked)
     * and completes, cancelled or not, as rule 1.8 allows for a while ("eventually stop"). What an
     * operator does with an abandoned attempt's late signals shows here: the stacked attempt
     * timeout drops them, and so must the fused pipeline, whose subscriber takes a later attempt's
     * signals too.
     */
    static final class Deaf implements Publisher<Object> {
        final VirtualTimeScheduler clock;

        Deaf(VirtualTimeScheduler clock) {
            this.clock = clock;
        }

        @Override
        public void subscribe(org.reactivestreams.Subscriber<? super Object> s) {
            long[] requested = {0};
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requested[0] += n;
                }

                @Override
                public void cancel() {
                    // not heard
                }
            });
            clock.schedule(() -> {
                if (requested[0] > 0) {
                    s.onNext("deaf");
                }
                s.onComplete();
            }, 3, TimeUnit.SECONDS);
        }
    }

    /** Logs every signal with its virtual time; asks for everything, or for one element at a time. */
    static final class Recorder implements CoreSubscriber<Object> {
        final String name;
        final boolean oneAtATime;
        final VirtualTimeScheduler clock;
        final List<String> log;
        Subscription s;

        Recorder(String name, boolean oneAtATime, VirtualTimeScheduler clock, List<String> log) {
            this.name = name;
            this.oneAtATime = oneAtATime;
            this.clock = clock;
            this.log = log;
        }

        @Override
        public void onSubscribe(Subscription s) {
            this.s = s;
            log.add(at(clock) + " " + name + " onSubscribe");
            s.request(oneAtATime ? 1 : Long.MAX_VALUE);
        }

        @Override
        public void onNext(Object o) {
            log.add(at(clock) + " " + name + " onNext " + o);
            if (oneAtATime) {
                s.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            log.add(at(clock) + " " + name + " onError " + t.getClass().getSimpleName() + " " + t.getMessage()
                    + " suppressed=" + t.getSuppressed().length);
        }

        @Override
        public void onComplete() {
            log.add(at(clock) + " " + name + " onComplete");
        }

        void cancel() {
            Subscription current = s;
            if (current != null) {
                current.cancel();
            }
        }
    }
}
