package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scenario harness: every operator, Mono and Flux, goes through the same contract (cancel
 * on subscribe, a source whose subscribe throws, empty, never then cancel, backpressure one at a
 * time, error, a misbehaving source that signals after completing, a source that calls
 * onSubscribe twice). After each scenario the protection must account for its permit: no leak,
 * nothing counted twice. New operators add a row to {@link #protections()}.
 */
class OperatorContractTest {

    /** An operator under test, with the check that it returned what it took. */
    interface Protection {
        <T> Function<Publisher<T>, Publisher<T>> operator();

        /** Asserts that every permit taken so far has been returned or recorded exactly once. */
        void assertAccounted();
    }

    /** A breaker in HALF_OPEN with many trials: free slots + recorded trials must equal the permitted count. */
    static final class BreakerProtection implements Protection {
        final CircuitBreaker breaker = CircuitBreaker.builder("contract").permittedCallsInHalfOpen(1000).build();

        BreakerProtection() {
            breaker.transitionTo(State.HALF_OPEN);
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            return NineLives.breaker(breaker);
        }

        @Override
        public void assertAccounted() {
            List<Long> permits = new ArrayList<>();
            for (long p; (p = breaker.tryAcquire()) >= 0; ) {
                permits.add(p);
            }
            permits.forEach(breaker::release);
            assertThat(permits.size() + breaker.metrics().calls()).as("free + recorded trial slots").isEqualTo(1000);
            assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        }

        @Override
        public String toString() {
            return "breaker";
        }
    }

    /** A retry over the breaker: every attempt takes a permit, and every permit must still be accounted for. */
    static final class RetryOverBreakerProtection implements Protection {
        final BreakerProtection breaker = new BreakerProtection();
        final dev.ninelives.retry.Retry retry = dev.ninelives.retry.Retry.builder("retry").maxAttempts(3).noBackoff().build();

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Function<Publisher<T>, Publisher<T>> protect = breaker.operator();
            Function<Publisher<T>, Publisher<T>> retrying = NineLives.retry(retry);
            return protect.andThen(retrying);
        }

        @Override
        public void assertAccounted() {
            breaker.assertAccounted();
        }

        @Override
        public String toString() {
            return "retry over breaker";
        }
    }

    /**
     * A retry on its own, next to the source (with a result predicate that matches nothing, a
     * Mono's attempts each go through their own subscriber): every call announces at most one
     * ending (success, failure, exhaustion or refusal), none twice.
     */
    static final class RetryProtection implements Protection {
        final boolean testsResults;
        final dev.ninelives.retry.Retry retry;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger endings = new AtomicInteger();

        RetryProtection(boolean testsResults) {
            this.testsResults = testsResults;
            dev.ninelives.retry.RetryBuilder b = dev.ninelives.retry.Retry.builder(testsResults ? "contractResults" : "contractRetry")
                    .maxAttempts(3).noBackoff();
            if (testsResults) {
                b.retryOnResult(Integer.class, v -> v < 0);
            }
            this.retry = b.build();
            retry.onSucceeded(e -> endings.incrementAndGet());
            retry.onFailed(e -> endings.incrementAndGet());
            retry.onExhausted(e -> endings.incrementAndGet());
            retry.onBudgetRefused(e -> endings.incrementAndGet());
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Function<Publisher<T>, Publisher<T>> retrying = NineLives.retry(retry);
            return source -> {
                Publisher<T> retried = retrying.apply(source);
                if (retried instanceof Mono) {
                    return Mono.defer(() -> {
                        calls.incrementAndGet();
                        return (Mono<T>) retried;
                    });
                }
                return Flux.defer(() -> {
                    calls.incrementAndGet();
                    return retried;
                });
            };
        }

        @Override
        public void assertAccounted() {
            assertThat(calls).as("calls").hasPositiveValue();
            assertThat(endings.get()).as("endings announced, at most one per call").isLessThanOrEqualTo(calls.get());
        }

        @Override
        public String toString() {
            return testsResults ? "retry testing results" : "retry";
        }
    }

    /**
     * A bulkhead whose calls get their permit at once. Every permit taken must come back exactly
     * once: all permits free, nobody queued, as many FINISHED events as PERMITTED ones.
     */
    static class BulkheadProtection implements Protection {
        final Bulkhead bulkhead;
        final BulkheadTestSupport.Events events;

        BulkheadProtection() {
            this(Bulkhead.builder("contract").maxConcurrent(2).build());
        }

        BulkheadProtection(Bulkhead bulkhead) {
            this.bulkhead = bulkhead;
            this.events = new BulkheadTestSupport.Events(bulkhead);
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            return NineLives.bulkhead(bulkhead);
        }

        @Override
        public void assertAccounted() {
            BulkheadTestSupport.assertAllPermitsBack(bulkhead);
            assertThat(events.permitted).as("permits handed out").isNotEmpty();
            assertThat(events.finished).as("each permit returned exactly once").hasValue(events.permitted.size());
            assertThat(events.rejected).isEmpty();
        }

        @Override
        public String toString() {
            return "bulkhead";
        }
    }

    /**
     * A bulkhead whose every call waits: at subscribe a holder takes the only permit, and lets it
     * go once the waiting subscriber has been handed its onSubscribe, so the call runs through the
     * queue and the waiting subscriber. The accounting also checks that every call did wait.
     */
    static final class WaitingBulkheadProtection extends BulkheadProtection {
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger waited = new AtomicInteger();

        WaitingBulkheadProtection() {
            super(Bulkhead.builder("contractWaiting").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).build());
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Function<Publisher<T>, Publisher<T>> bulkheadOperator = NineLives.bulkhead(bulkhead, clock);
            return source -> {
                Publisher<T> guarded = bulkheadOperator.apply(source);
                if (guarded instanceof Mono<T> mono) {
                    return Mono.defer(() -> {
                        Disposable holder = takeThePermit();
                        return mono.doOnSubscribe(s -> handOver(holder));
                    });
                }
                return Flux.defer(() -> {
                    Disposable holder = takeThePermit();
                    return Flux.from(guarded).doOnSubscribe(s -> handOver(holder));
                });
            };
        }

        private Disposable takeThePermit() {
            calls.incrementAndGet();
            return Mono.never().transform(NineLives.bulkhead(bulkhead, clock)).subscribe();
        }

        private void handOver(Disposable holder) {
            if (bulkhead.metrics().queued() == 1) {
                waited.incrementAndGet();
            }
            holder.dispose();
        }

        @Override
        public void assertAccounted() {
            super.assertAccounted();
            assertThat(waited).as("every call waited for its permit").hasValue(calls.get());
            clock.advanceTimeBy(Duration.ofMinutes(1));
            assertThat(events.rejected).as("no timeout fires for a call that got its permit").isEmpty();
            clock.dispose();
        }

        @Override
        public String toString() {
            return "waiting bulkhead";
        }
    }

    /** A retry inside the bulkhead: all attempts of a call share one permit, which still comes back exactly once. */
    static final class RetryInsideBulkheadProtection extends BulkheadProtection {
        final dev.ninelives.retry.Retry retry = dev.ninelives.retry.Retry.builder("retry").maxAttempts(3).noBackoff().build();

        RetryInsideBulkheadProtection() {
            super(Bulkhead.builder("contractRetry").maxConcurrent(1).build());
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Function<Publisher<T>, Publisher<T>> retrying = NineLives.retry(retry);
            return retrying.andThen(NineLives.bulkhead(bulkhead));
        }

        @Override
        public String toString() {
            return "retry inside bulkhead";
        }
    }

    /**
     * A fallback whose publisher signals the call's own error again, so that every scenario's
     * expected signals still hold while each error goes through the whole switch: the function,
     * the fallback publisher's subscription, its error. Every fallback publisher made must be
     * subscribed and must end (error, completion or cancel); a protection inside it, if any, must
     * account for its permits as well.
     */
    static final class FallbackProtection implements Protection {
        final Protection inside;
        final AtomicInteger made = new AtomicInteger();
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger ended = new AtomicInteger();

        /** A pipeline's fallback run by its fused subscriber, not by the fallback operator. */
        final boolean fused;

        FallbackProtection(Protection inside) {
            this(inside, false);
        }

        FallbackProtection(Protection inside, boolean fused) {
            this.inside = inside;
            this.fused = fused;
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Fallback<T> f = Fallback.<T>with(e -> {
                made.incrementAndGet();
                return Flux.<T>error(e).doOnSubscribe(s -> started.incrementAndGet()).doFinally(signal -> ended.incrementAndGet());
            });
            if (fused) {
                return NineLives.pipeline(((PipelineProtection) inside).pipeline, f);
            }
            Function<Publisher<T>, Publisher<T>> fallback = NineLives.fallback(f);
            return inside == null ? fallback : inside.<T>operator().andThen(fallback);
        }

        @Override
        public void assertAccounted() {
            if (inside != null) {
                inside.assertAccounted();
            }
            assertThat(started).as("every fallback publisher made was subscribed").hasValue(made.get());
            assertThat(ended).as("and ended").hasValue(started.get());
        }

        @Override
        public String toString() {
            return inside == null ? "fallback" : (fused ? "fused fallback of " : "fallback over ") + inside;
        }
    }

    /** The three stages as one pipeline: the bulkhead's permits and the breaker's trial slots must all come back. */
    static final class PipelineProtection extends BulkheadProtection {
        final BreakerProtection breaker = new BreakerProtection();
        final dev.ninelives.retry.Retry retry = dev.ninelives.retry.Retry.builder("pipeline").maxAttempts(3).noBackoff().build();
        final Pipeline pipeline;

        PipelineProtection() {
            super(Bulkhead.builder("contractPipeline").maxConcurrent(1).build());
            pipeline = Pipeline.builder("contract").breaker(breaker.breaker).retry(retry).bulkhead(bulkhead).build();
        }

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            return NineLives.pipeline(pipeline);
        }

        @Override
        public void assertAccounted() {
            super.assertAccounted();
            breaker.assertAccounted();
        }

        @Override
        public String toString() {
            return "pipeline";
        }
    }

    /**
     * A timeout or a deadline on a virtual clock that never moves during the scenario: every call
     * must end on its own, leave nothing in the shared timer, and never time out afterwards.
     */
    static final class TimeoutProtection implements Protection {
        final boolean deadline;
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final AtomicInteger timedOut = new AtomicInteger();

        TimeoutProtection(boolean deadline) {
            this.deadline = deadline;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            Function<Publisher<T>, Publisher<T>> limit = deadline
                    ? NineLives.deadline(Duration.ofSeconds(1), clock) : NineLives.timeout(Duration.ofSeconds(1), clock);
            return source -> {
                Publisher<T> limited = limit.apply(source);
                if (limited instanceof Mono) {
                    return ((Mono<T>) limited).doOnError(e -> count(e));
                }
                return Flux.from(limited).doOnError(e -> count(e));
            };
        }

        private void count(Throwable e) {
            if (NineLives.isTimeout(e)) {
                timedOut.incrementAndGet();
            }
        }

        @Override
        public void assertAccounted() {
            assertThat(TimeoutTimer.of(clock, Duration.ofSeconds(1).toNanos()).heldEntries())
                    .as("every call let the timer forget it").isZero();
            clock.advanceTimeBy(Duration.ofMinutes(1));
            assertThat(timedOut).as("no call timed out, during or after").hasValue(0);
            clock.dispose();
        }

        @Override
        public String toString() {
            return deadline ? "deadline" : "timeout";
        }
    }

    /**
     * A pipeline's hedge over a half-open breaker (Mono rows only: a hedge refuses a Flux). The
     * delay never passes on its frozen clock, so each scenario runs the first attempt's paths:
     * its breaker permit must be accounted for, and nothing is hedged.
     */
    static final class HedgeProtection implements Protection {
        final BreakerProtection breaker = new BreakerProtection();
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final dev.ninelives.hedge.Hedge hedge = dev.ninelives.hedge.Hedge.builder("contract").delay(Duration.ofSeconds(1)).build();
        final Pipeline pipeline = Pipeline.builder("contract").breaker(breaker.breaker).hedge(hedge).scheduler(clock).build();

        @Override
        public <T> Function<Publisher<T>, Publisher<T>> operator() {
            return NineLives.pipeline(pipeline);
        }

        @Override
        public void assertAccounted() {
            breaker.assertAccounted();
            assertThat(hedge.metrics().hedgesIssued()).isZero();
            clock.dispose();
        }

        @Override
        public String toString() {
            return "hedge over breaker";
        }
    }

    static Stream<Arguments> protections() {
        List<Supplier<Protection>> all = List.of(BreakerProtection::new, RetryOverBreakerProtection::new,
                () -> new RetryProtection(false), () -> new RetryProtection(true),
                BulkheadProtection::new, WaitingBulkheadProtection::new, RetryInsideBulkheadProtection::new,
                () -> new FallbackProtection(null), () -> new FallbackProtection(new RetryOverBreakerProtection()),
                () -> new FallbackProtection(new RetryInsideBulkheadProtection()),
                PipelineProtection::new, () -> new FallbackProtection(new PipelineProtection()),
                () -> new FallbackProtection(new PipelineProtection(), true),
                () -> new TimeoutProtection(false), () -> new TimeoutProtection(true));
        return Stream.concat(all.stream().flatMap(p -> Stream.of(Arguments.of(p.get(), true), Arguments.of(p.get(), false))),
                Stream.of(Arguments.of(new HedgeProtection(), true)));
    }

    private final List<Object> dropped = new ArrayList<>();

    @AfterEach
    void resetHooks() {
        Hooks.resetOnNextDropped();
    }

    @SuppressWarnings("unchecked")
    private static <T> Publisher<T> apply(Protection p, Publisher<T> source, boolean mono) {
        Function<Publisher<T>, Publisher<T>> op = p.operator();
        return mono ? ((Mono<T>) Mono.from(source)).transform(op) : Flux.from(source).transform(op);
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void cancelOnSubscribe(Protection p, boolean mono) {
        StepVerifier.create(apply(p, Flux.just(1, 2), mono), 0).thenCancel().verify();
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void errorOnSubscribe(Protection p, boolean mono) {
        Publisher<Integer> throwing = mono ? new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Integer> actual) {
                throw new IllegalStateException("boom");
            }
        } : new Flux<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Integer> actual) {
                throw new IllegalStateException("boom");
            }
        };
        StepVerifier.create(apply(p, throwing, mono)).verifyErrorMessage("boom");
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void empty(Protection p, boolean mono) {
        StepVerifier.create(apply(p, Flux.<Integer>empty(), mono)).verifyComplete();
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void neverThenCancel(Protection p, boolean mono) {
        StepVerifier.create(apply(p, Flux.<Integer>never(), mono)).expectSubscription().expectNoEvent(java.time.Duration.ZERO)
                .thenCancel().verify();
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void backpressureOneAtATime(Protection p, boolean mono) {
        StepVerifier.FirstStep<Integer> s = StepVerifier.create(apply(p, Flux.range(1, mono ? 1 : 5), mono), 0);
        StepVerifier.Step<Integer> step = s.expectSubscription().expectNoEvent(java.time.Duration.ZERO);
        for (int i = 1; i <= (mono ? 1 : 5); i++) {
            step = step.thenRequest(1).expectNext(i);
        }
        step.verifyComplete();
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void error(Protection p, boolean mono) {
        StepVerifier.create(apply(p, Flux.<Integer>error(new java.io.IOException("down")), mono)).verifyErrorMessage("down");
        p.assertAccounted();
    }

    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void signalsAfterTerminationAreDropped(Protection p, boolean mono) {
        Hooks.onNextDropped(dropped::add);
        TestPublisher<Integer> bad = TestPublisher.createNoncompliant(TestPublisher.Violation.CLEANUP_ON_TERMINATE);
        StepVerifier.create(apply(p, bad, mono))
                .then(() -> bad.complete())
                .then(() -> bad.next(42))
                .verifyComplete();
        assertThat(dropped).containsExactly(42);
        p.assertAccounted();
    }

    /**
     * A Subscription that serves {@code count} elements, then completes, as far as it is asked
     * for; or, given no subscriber, only records what is done to it.
     */
    static final class Probe implements org.reactivestreams.Subscription {
        final CoreSubscriber<? super Integer> actual;
        final int count;
        long requested;
        int emitted;
        boolean cancelled;
        boolean ready;
        boolean draining;

        Probe(CoreSubscriber<? super Integer> actual, int count) {
            this.actual = actual;
            this.count = count;
        }

        @Override
        public void request(long n) {
            requested = reactor.core.publisher.Operators.addCap(requested, n);
            drain();
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        void drain() {
            if (!ready || draining || actual == null) {
                return;
            }
            draining = true;
            while (!cancelled && emitted < count && emitted < requested) {
                actual.onNext(++emitted);
            }
            if (!cancelled && emitted == count) {
                emitted++;                                      // past count: completed
                actual.onComplete();
            }
            draining = false;
        }
    }

    /**
     * Reactive Streams rule 2.5: a second onSubscribe (here within the same subscribe call, before
     * any other signal) is cancelled, never requested, and the first Subscription keeps running to
     * the end. Guards against an operator that swaps in, requests or keeps the second one, or that
     * cancels the first: the retry did both, requesting the second for a Mono and replacing the
     * first in its Flux arbiter.
     */
    @ParameterizedTest(name = "{0} mono={1}")
    @MethodSource("protections")
    void aSecondOnSubscribeIsCancelledAndTheFirstKeepsRunning(Protection p, boolean mono) {
        int count = mono ? 1 : 3;
        List<Probe> firsts = new ArrayList<>();
        List<Probe> seconds = new ArrayList<>();
        java.util.function.Consumer<CoreSubscriber<? super Integer>> twice = actual -> {
            Probe first = new Probe(actual, count);
            Probe second = new Probe(null, count);
            firsts.add(first);
            seconds.add(second);
            actual.onSubscribe(first);
            actual.onSubscribe(second);
            first.ready = true;
            first.drain();
        };
        Publisher<Integer> source = mono ? new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Integer> actual) {
                twice.accept(actual);
            }
        } : new Flux<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Integer> actual) {
                twice.accept(actual);
            }
        };
        StepVerifier.create(apply(p, source, mono))
                .expectNextSequence(mono ? List.of(1) : List.of(1, 2, 3))
                .verifyComplete();
        assertThat(firsts).as("one attempt").hasSize(1);
        assertThat(seconds.get(0).cancelled).as("the second Subscription is cancelled").isTrue();
        assertThat(seconds.get(0).requested).as("and never asked for anything").isZero();
        assertThat(firsts.get(0).cancelled).as("the first is never cancelled").isFalse();
        assertThat(firsts.get(0).emitted).as("the first ran to its completion").isEqualTo(count + 1);
        p.assertAccounted();
    }
}
