package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CallRecordedEvent;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every place the breaker operator calls user code (state-transition, rejection and call
 * listeners, the failure predicate), with a callback that throws a RuntimeException, a
 * non-fatal Error and a JVM-fatal one, on a synchronous and an asynchronous source, with a
 * bulkhead outside the breaker. Whatever the callback throws, the subscriber gets the call's
 * own signals, the breaker's permit is accounted for and the bulkhead gets its permit back; a
 * fatal error reaches the thread that drove the call only after that.
 *
 * <p>Guards against: a fatal error from the failure predicate or a listener that skipped the
 * downstream signal, so the bulkhead outside kept its permit until the caller cancelled.
 */
class BreakerCallbacksTest {

    static Stream<Arguments> matrix() {
        return Stream.of(Thrown.values()).flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    private final Bulkhead bulkhead = Bulkhead.builder("outside").maxConcurrent(1).build();

    /** A subscriber that records what it is told and asks for everything. */
    static final class Recorder<T> implements CoreSubscriber<T> {
        final List<Object> signals = new CopyOnWriteArrayList<>();

        @Override
        public void onSubscribe(Subscription s) {
            signals.add("onSubscribe");
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T t) {
            signals.add(t);
        }

        @Override
        public void onError(Throwable t) {
            signals.add(t);
        }

        @Override
        public void onComplete() {
            signals.add("onComplete");
        }
    }

    /** Subscribes, lets a fatal error through, and returns what the subscriber saw. */
    private static <T> Recorder<T> run(Mono<T> call, Runnable drive, Thrown thrown) {
        Recorder<T> r = new Recorder<>();
        if (thrown.fatal()) {
            assertThatThrownBy(() -> {
                call.subscribe(r);
                drive.run();
            }).isInstanceOf(StackOverflowError.class);
        } else {
            call.subscribe(r);
            drive.run();
        }
        return r;
    }

    private void assertBulkheadWhole() {
        assertThat(bulkhead.metrics().inFlight()).as("the bulkhead outside got its permit back").isZero();
        assertThat(bulkhead.metrics().queued()).isZero();
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingCallListenerOnSuccess(Thrown thrown, boolean async) {
        CircuitBreaker breaker = CircuitBreaker.builder("calls").build();
        breaker.onCallRecorded(e -> thrown.raise());
        TestPublisher<String> source = TestPublisher.create();
        Mono<String> call = (async ? source.mono() : Mono.just("v"))
                .transform(NineLives.breaker(breaker)).transform(NineLives.bulkhead(bulkhead));
        Recorder<String> r = run(call, () -> {
            if (async) {
                source.emit("v");
            }
        }, thrown);
        assertThat(r.signals).startsWith("onSubscribe", "v");
        if (!thrown.fatal()) {
            assertThat(r.signals).containsExactly("onSubscribe", "v", "onComplete");
        }
        assertThat(breaker.metrics().successes()).as("recorded before the listener ran").isEqualTo(1);
        assertBulkheadWhole();
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingFailurePredicate(Thrown thrown, boolean async) {
        CircuitBreaker breaker = CircuitBreaker.builder("predicate").permittedCallsInHalfOpen(1)
                .recordFailureIf(e -> {
                    thrown.raise();
                    return true;
                }).build();
        breaker.transitionTo(State.HALF_OPEN);
        IOException down = new IOException("down");
        TestPublisher<String> source = TestPublisher.create();
        Mono<String> call = (async ? source.mono() : Mono.<String>error(down))
                .transform(NineLives.breaker(breaker)).transform(NineLives.bulkhead(bulkhead));
        Recorder<String> r = run(call, () -> {
            if (async) {
                source.error(down);
            }
        }, thrown);
        assertThat(r.signals).as("the call's own error, whatever the predicate did").containsExactly("onSubscribe", down);
        if (thrown.fatal()) {
            assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
            long trial = breaker.tryAcquire();
            assertThat(trial).as("the trial slot came back unrecorded").isNotNegative();
            breaker.release(trial);
        } else {
            assertThat(breaker.state()).as("a predicate that throws counts a failure").isEqualTo(State.OPEN);
        }
        assertBulkheadWhole();
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingTransitionListenerOnTheWayToHalfOpen(Thrown thrown, boolean async) {
        CircuitBreaker moved = CircuitBreaker.builder("transition-moved").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).ticker(new ClockAfterOpening()).build();
        moved.transitionTo(State.OPEN);
        moved.onStateTransition(e -> {
            if (e.to() == State.HALF_OPEN) {
                thrown.raise();
            }
        });
        TestPublisher<String> source = TestPublisher.create();
        Mono<String> call = (async ? source.mono() : Mono.just("v"))
                .transform(NineLives.breaker(moved)).transform(NineLives.bulkhead(bulkhead));
        Recorder<String> r = run(call, () -> {
            if (async) {
                source.emit("v");
            }
        }, thrown);
        if (thrown.fatal()) {
            assertThat(moved.state()).isEqualTo(State.HALF_OPEN);
            assertThat(r.signals).as("the call never started: its subscribe threw").doesNotContain("v");
            long trial = moved.tryAcquire();
            assertThat(trial).as("the trial permit the caller never got came back").isNotNegative();
            moved.release(trial);
        } else {
            assertThat(r.signals).containsExactly("onSubscribe", "v", "onComplete");
            assertThat(moved.state()).as("the trial went ahead and succeeded").isEqualTo(State.CLOSED);
        }
        assertBulkheadWhole();
    }

    /** Reads 0 until the breaker has opened, then a minute later: the next call is a trial. */
    static final class ClockAfterOpening implements dev.ninelives.core.Ticker {
        private final AtomicInteger reads = new AtomicInteger();

        @Override
        public long read() {
            return reads.getAndIncrement() == 0 ? 0L : Duration.ofMinutes(1).toNanos();
        }
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingRejectionListener(Thrown thrown, boolean async) {
        CircuitBreaker breaker = CircuitBreaker.builder("refusing").build();
        breaker.transitionTo(State.FORCED_OPEN);
        breaker.onCallNotPermitted(e -> thrown.raise());
        TestPublisher<String> source = TestPublisher.create();
        Mono<String> call = (async ? source.mono() : Mono.just("v"))
                .transform(NineLives.breaker(breaker)).transform(NineLives.bulkhead(bulkhead));
        Recorder<String> r = run(call, () -> { }, thrown);
        if (!thrown.fatal()) {
            assertThat(r.signals).hasSize(2);
            assertThat(r.signals.get(1)).isInstanceOf(CallNotPermittedException.class);
        }
        assertThat(breaker.metrics().notPermitted()).isEqualTo(1);
        source.assertWasNotSubscribed();
        assertBulkheadWhole();
    }

    /**
     * Guards against: a rejection listener that moves the breaker made the refusal report the
     * state it moved to (CLOSED), not the one that refused.
     */
    @Test
    void theRefusalNamesTheRefusingStateWhenAListenerMovesTheBreaker() {
        CircuitBreaker breaker = CircuitBreaker.builder("moving").build();
        breaker.transitionTo(State.OPEN);
        breaker.onCallNotPermitted(e -> breaker.transitionTo(State.CLOSED));
        StepVerifier.create(Mono.just("v").transform(NineLives.breaker(breaker)))
                .expectErrorSatisfies(e -> assertThat(((CallNotPermittedException) e).state()).isEqualTo(State.OPEN))
                .verify();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    /**
     * A breaker without slow-call detection measures durations once a call listener (a metrics
     * binder) is registered, on the subscriptions that follow.
     */
    @Test
    void aCallListenerTurnsOnDurationsForTheNextCalls() {
        CircuitBreaker breaker = CircuitBreaker.builder("timed").ticker(NineLives.schedulerTicker()).build();
        List<CallRecordedEvent> events = new CopyOnWriteArrayList<>();
        Mono<String> call = Mono.just("v").delayElement(Duration.ofSeconds(3)).transform(NineLives.breaker(breaker));
        assertThat(breaker.measuresDurations()).isFalse();
        breaker.onCallRecorded(events::add);
        assertThat(breaker.measuresDurations()).isTrue();
        StepVerifier.withVirtualTime(() -> call)
                .thenAwait(Duration.ofSeconds(3))
                .expectNext("v")
                .verifyComplete();
        assertThat(events).singleElement().extracting(CallRecordedEvent::durationNanos)
                .isEqualTo(Duration.ofSeconds(3).toNanos());
    }

    /**
     * Guards against the scenario: a time-window breaker built outside
     * StepVerifier.withVirtualTime (as the docs do) and used inside it counted nothing, and six
     * failures left it CLOSED.
     */
    @Test
    void aTimeWindowBreakerBuiltOutsideVirtualTimeCountsInsideIt() {
        CircuitBreaker breaker = CircuitBreaker.builder("virtual")
                .slidingTimeWindow(Duration.ofSeconds(60), 60).minimumNumberOfCalls(6)
                .ticker(NineLives.schedulerTicker()).build();
        StepVerifier.withVirtualTime(() -> Flux.range(0, 6)
                        .concatMap(i -> Mono.error(new IOException("down")).transform(NineLives.breaker(breaker))
                                .onErrorResume(e -> Mono.empty())
                                .delaySubscription(Duration.ofSeconds(1))))
                .thenAwait(Duration.ofSeconds(6))
                .verifyComplete();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.metrics().calls()).isEqualTo(6);
    }
}
