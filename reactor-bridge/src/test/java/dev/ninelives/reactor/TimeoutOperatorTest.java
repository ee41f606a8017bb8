package dev.ninelives.reactor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** NineLives.timeout under virtual time: when it fires and when not, Mono and Flux, cancel, errors, conventions. */
class TimeoutOperatorTest {

    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration JUST_BEFORE = SECOND.minusNanos(1);

    @BeforeAll
    static void noHangs() {
        StepVerifier.setDefaultTimeout(Duration.ofSeconds(30));   // a missing signal fails instead of hanging the build
    }

    @AfterAll
    static void defaultTimeout() {
        StepVerifier.resetDefaultTimeout();
    }

    @AfterEach
    void resetHooks() {
        Hooks.resetOnEachOperator();
        Hooks.resetOnNextDropped();
    }

    static void assertTimeout(Throwable e, TimeoutExceededException.Stage stage, Duration timeout) {
        assertThat(e).isInstanceOf(TimeoutExceededException.class).isInstanceOf(TimeoutException.class);
        TimeoutExceededException t = (TimeoutExceededException) e;
        assertThat(t.stage()).isEqualTo(stage);
        assertThat(t.timeout()).isEqualTo(timeout);
        assertThat(t.getStackTrace()).as("stackless").isEmpty();
        assertThat(NineLives.isTimeout(e)).isTrue();
    }

    // ------------------------------------------------------------------ fires / does not fire

    @Test
    void aMonoThatNeverAnswersTimesOutExactlyAtTheTimeout() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.never());
        StepVerifier.withVirtualTime(() -> probe.mono().transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .expectNoEvent(JUST_BEFORE)
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> {
                    assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND);
                    assertThat(e).hasMessage("timeout of 1 s exceeded");
                })
                .verify();
        probe.assertWasCancelled();
    }

    @Test
    void aFluxThatNeverEndsTimesOutExactlyAtTheTimeout() {
        PublisherProbe<String> probe = PublisherProbe.of(Flux.never());
        StepVerifier.withVirtualTime(() -> probe.flux().transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .expectNoEvent(JUST_BEFORE)
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND))
                .verify();
        probe.assertWasCancelled();
    }

    @Test
    void aValueJustBeforeTheTimeoutWinsAndNothingFiresAfterIt() {
        StepVerifier.withVirtualTime(() -> Mono.just("v").delayElement(JUST_BEFORE).transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .expectNoEvent(JUST_BEFORE)
                .expectNext("v")
                .expectComplete()
                .verify();
        // the same, with a backpressured subscriber that asks only after a while
        StepVerifier.withVirtualTime(() -> Mono.just("v").delaySubscription(JUST_BEFORE).transform(NineLives.timeout(SECOND)), 0)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(500))
                .thenRequest(1)
                .thenAwait(Duration.ofMillis(500).minusNanos(1))
                .expectNext("v")
                .verifyComplete();
    }

    @Test
    void aValueAfterTheTimeoutIsTooLateAndTheSourceIsCancelled() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.just("late").delayElement(SECOND.plusNanos(1)));
        StepVerifier.withVirtualTime(() -> probe.mono().transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .thenAwait(SECOND)
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND))
                .verifyThenAssertThat()
                .hasNotDroppedElements();   // cancelled before its value: nothing late reaches anyone
        probe.assertWasCancelled();
    }

    @Test
    void anErrorBeforeTheTimeoutPassesThroughAndTheTimeoutNeverFires() {
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(400)).then(Mono.<String>error(new IOException("down")))
                        .transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(400))
                .expectErrorMessage("down")
                .verify();
        StepVerifier.withVirtualTime(() -> Flux.just(1, 2).concatWith(Mono.delay(Duration.ofMillis(400)).then(Mono.error(new IOException("down"))))
                        .transform(NineLives.timeout(SECOND)), 0)
                .expectSubscription()
                .thenRequest(1).expectNext(1)
                .thenRequest(1).expectNext(2)
                .thenRequest(1)
                .thenAwait(Duration.ofMillis(400))
                .expectErrorMessage("down")
                .verify();
    }

    @Test
    void aFluxDeliversItsElementsThenTimesOut() {
        StepVerifier.withVirtualTime(() -> Flux.just(1, 2).concatWith(Flux.never()).transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .expectNext(1, 2)
                .expectNoEvent(JUST_BEFORE)
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND))
                .verify();
    }

    @Test
    void aFluxDeliversItsElementsThenTimesOutBackpressured() {
        StepVerifier.withVirtualTime(() -> Flux.range(1, 5).concatWith(Flux.never()).transform(NineLives.timeout(SECOND)), 0)
                .expectSubscription()
                .thenRequest(1).expectNext(1)
                .thenAwait(Duration.ofMillis(300))
                .thenRequest(2).expectNext(2, 3)
                .expectNoEvent(Duration.ofMillis(700).minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND))
                .verify();
    }

    @Test
    void theTimeoutCoversTheWholeFluxNotEachElement() {
        // one element every 300 ms: three arrive in time, the fourth (at 1.2 s) does not
        StepVerifier.withVirtualTime(() -> Flux.interval(Duration.ofMillis(300)).take(3).transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(900))
                .expectNext(0L, 1L, 2L)
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> Flux.interval(Duration.ofMillis(300)).take(4).transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(900))
                .expectNext(0L, 1L, 2L)
                .expectNoEvent(Duration.ofMillis(100).minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, SECOND))
                .verify();
    }

    @Test
    void anExplicitSchedulerTimesTheCall() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        List<Throwable> errors = new ArrayList<>();
        Mono.never().transform(NineLives.timeout(Duration.ofMillis(250), clock)).subscribe(v -> { }, errors::add);
        clock.advanceTimeBy(Duration.ofMillis(249));
        assertThat(errors).isEmpty();
        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(errors).singleElement().satisfies(e -> {
            assertTimeout(e, TimeoutExceededException.Stage.TIMEOUT, Duration.ofMillis(250));
            assertThat(e).hasMessage("timeout of 250 ms exceeded");
        });
        clock.dispose();
    }

    // ------------------------------------------------------------------ the shared timer

    @Test
    void aSynchronousSourceNeverTouchesTheTimer() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(Mono.just(i).transform(NineLives.timeout(SECOND, clock))).expectNext(i).verifyComplete();
            StepVerifier.create(Flux.range(0, 3).transform(NineLives.timeout(SECOND, clock))).expectNext(0, 1, 2).verifyComplete();
        }
        TimeoutTimer timer = TimeoutTimer.of(clock, SECOND.toNanos());
        assertThat(timer.isArmed()).as("nothing was ever armed").isFalse();
        assertThat(timer.heldEntries()).isZero();
        clock.dispose();
    }

    /** Guards against a cancelled call that stays in the timer (and keeps its subscriber reachable) until its deadline. */
    @Test
    void cancelCancelsTheSourceAndLetsTheTimerForgetTheCall() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        TimeoutTimer timer = TimeoutTimer.of(clock, SECOND.toNanos());
        PublisherProbe<Object> probe = PublisherProbe.of(Mono.never());
        List<Throwable> errors = new ArrayList<>();
        reactor.core.Disposable call = probe.mono().transform(NineLives.timeout(SECOND, clock)).subscribe(v -> { }, errors::add);
        assertThat(timer.heldEntries()).as("armed").isEqualTo(1);
        call.dispose();
        probe.assertWasCancelled();
        assertThat(timer.heldEntries()).as("forgotten at cancel, long before its deadline").isZero();
        clock.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(errors).as("a cancelled call never times out").isEmpty();
        assertThat(timer.isArmed()).as("the timer went idle").isFalse();
        clock.dispose();
    }

    @Test
    void aCallThatEndsInTimeLetsTheTimerForgetIt() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        TimeoutTimer timer = TimeoutTimer.of(clock, SECOND.toNanos());
        TestPublisher<String> mono = TestPublisher.create();
        TestPublisher<String> flux = TestPublisher.create();
        List<Object> seen = new ArrayList<>();
        mono.mono().transform(NineLives.timeout(SECOND, clock)).subscribe(seen::add);
        flux.flux().transform(NineLives.timeout(SECOND, clock)).subscribe(seen::add, seen::add, () -> seen.add("flux done"));
        assertThat(timer.heldEntries()).isEqualTo(2);
        mono.next("value");
        assertThat(timer.heldEntries()).as("a Mono's value ends its timeout").isEqualTo(1);
        flux.next("element");
        assertThat(timer.heldEntries()).as("a Flux's element does not").isEqualTo(1);
        flux.complete();
        assertThat(timer.heldEntries()).isZero();
        clock.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(seen).containsExactly("value", "element", "flux done");
        clock.dispose();
    }

    /**
     * The exactness test: many timeouts on one shared timer, started at different virtual
     * times, some answered just before their deadline, some at it, some just after, some never; time is
     * advanced to one nanosecond before and then exactly to every boundary. Every call ends
     * exactly when it should: at its answer if that comes first, at start + timeout otherwise.
     * Guards against a shared timer that fires an entry late (behind an entry that ended) or
     * early (at another entry's deadline), and against chunk hand-overs losing entries (more
     * calls than one chunk holds are pending at once).
     */
    @Test
    void manyTimeoutsOnOneTimerFireExactlyAtTheirDeadlines() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        long timeout = SECOND.toNanos();
        int calls = 2 * TimeoutTimer.CAPACITY + 300;
        long[] startAt = new long[calls];
        long[] answerAfter = new long[calls];       // -1: never
        long[] expectedEnd = new long[calls];
        boolean[] expectTimeout = new boolean[calls];
        long[] endedAt = new long[calls];
        String[] outcome = new String[calls];
        java.util.TreeSet<Long> boundaries = new java.util.TreeSet<>();
        for (int i = 0; i < calls; i++) {
            startAt[i] = (i / 7) * 1_000_000L;                         // seven calls per virtual millisecond
            switch (i % 5) {
                case 0 -> answerAfter[i] = timeout - 1;                  // just in time
                case 1 -> answerAfter[i] = timeout;                      // at the deadline itself: a tie, either way
                case 2 -> answerAfter[i] = timeout + 1;                  // just too late
                case 3 -> answerAfter[i] = (i % 997) * 1_000L;           // early
                default -> answerAfter[i] = -1;                          // never
            }
            expectTimeout[i] = answerAfter[i] < 0 || answerAfter[i] > timeout;
            expectedEnd[i] = startAt[i] + (expectTimeout[i] ? timeout : answerAfter[i]);
            boundaries.add(expectedEnd[i]);
            endedAt[i] = -1;
        }
        for (int i = 0; i < calls; i++) {
            int call = i;
            Mono<String> source = answerAfter[i] < 0 ? Mono.never()
                    : Mono.just("v" + i).delayElement(Duration.ofNanos(answerAfter[i]), clock);
            clock.schedule(() -> source.transform(NineLives.timeout(SECOND, clock)).subscribe(
                    v -> {
                        endedAt[call] = clock.now(TimeUnit.NANOSECONDS);
                        outcome[call] = "value";
                    },
                    e -> {
                        endedAt[call] = clock.now(TimeUnit.NANOSECONDS);
                        outcome[call] = NineLives.isTimeout(e) ? "timeout" : e.toString();
                    }), startAt[i], TimeUnit.NANOSECONDS);
        }
        for (long boundary : boundaries) {
            // advanceTimeTo(Instant) counts in milliseconds: move by nanoseconds instead
            clock.advanceTimeBy(Duration.ofNanos(boundary - 1 - clock.now(TimeUnit.NANOSECONDS)));
            for (int i = 0; i < calls; i++) {
                if (expectedEnd[i] >= boundary) {
                    assertThat(outcome[i]).as("call %d (start %d, answer after %d) at %d", i, startAt[i], answerAfter[i], boundary - 1).isNull();
                }
            }
            clock.advanceTimeBy(Duration.ofNanos(1));
            for (int i = 0; i < calls; i++) {
                if (expectedEnd[i] == boundary) {
                    // a value due at the deadline's very instant races the timer on the scheduler's
                    // queue: whichever task was queued first wins, and the call ends either way
                    assertThat(outcome[i]).as("call %d (start %d, answer after %d)", i, startAt[i], answerAfter[i])
                            .isIn(answerAfter[i] == timeout ? List.of("value", "timeout")
                                    : List.of(expectTimeout[i] ? "timeout" : "value"));
                    assertThat(endedAt[i]).as("call %d ended at", i).isEqualTo(boundary);
                }
            }
        }
        assertThat(outcome).doesNotContainNull();
        TimeoutTimer timer = TimeoutTimer.of(clock, timeout);
        assertThat(timer.heldEntries()).isZero();
        assertThat(timer.isArmed()).isFalse();
        clock.dispose();
    }

    /**
     * Guards against GC nepotism: a chunk the timer is done with must not link to the chunks
     * after it, or a dead chunk promoted to the old generation keeps every later chunk alive
     * through young collections (measured: 30 to 40 MB copied per young pause at ten million
     * calls a second, instead of a few).
     */
    @Test
    void aChunkTheTimerIsDoneWithLinksToNothingAfterIt() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        TimeoutTimer timer = TimeoutTimer.of(clock, SECOND.toNanos());
        TimeoutTimer.Chunk first = timer.head();
        List<Throwable> errors = new ArrayList<>();
        for (int i = 0; i < TimeoutTimer.CAPACITY + 10; i++) {
            Mono.never().transform(NineLives.timeout(SECOND, clock)).subscribe(v -> { }, errors::add);
        }
        assertThat(first.next).as("full, and followed by the next chunk").isNotNull().isNotSameAs(first);
        clock.advanceTimeBy(SECOND);
        assertThat(errors).hasSize(TimeoutTimer.CAPACITY + 10);
        assertThat(timer.head()).isNotSameAs(first);
        assertThat(first.next).as("left pointing to itself").isSameAs(first);
        clock.dispose();
    }

    /**
     * A Scheduler on a virtual clock whose tasks' throwables are caught and kept, as a real
     * Scheduler hands them to its error handler and goes on (the VirtualTimeScheduler itself
     * stops advancing once a task threw).
     */
    static final class CatchingScheduler implements Scheduler {
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final List<Throwable> thrown = new ArrayList<>();

        private Runnable catching(Runnable task) {
            return () -> {
                try {
                    task.run();
                } catch (Throwable t) {
                    thrown.add(t);
                }
            };
        }

        @Override
        public reactor.core.Disposable schedule(Runnable task) {
            return clock.schedule(catching(task));
        }

        @Override
        public reactor.core.Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return clock.schedule(catching(task), delay, unit);
        }

        @Override
        public long now(TimeUnit unit) {
            return clock.now(unit);
        }

        @Override
        public Worker createWorker() {
            return clock.createWorker();
        }

        @Override
        public void dispose() {
            clock.dispose();
        }
    }

    /**
     * Guards against a timer that stops when a subscriber throws from onError (a non-fatal or a
     * JVM-fatal throwable): the other calls due then must still time out, the timer must re-arm
     * for the later ones, and only then may the throwable reach the Scheduler.
     */
    @Test
    void aSubscriberThatThrowsOnTheTimeoutDoesNotStopTheTimer() {
        for (Thrown kind : Thrown.values()) {
            CatchingScheduler scheduler = new CatchingScheduler();
            List<Throwable> others = new ArrayList<>();
            Mono.never().transform(NineLives.timeout(SECOND, scheduler)).subscribe(new CoreSubscriber<Object>() {
                @Override
                public void onSubscribe(Subscription s) {
                    s.request(1);
                }

                @Override
                public void onNext(Object o) {
                }

                @Override
                public void onError(Throwable throwable) {
                    kind.raise();                       // a broken subscriber: Reactive Streams 2.13 forbids it
                }

                @Override
                public void onComplete() {
                }
            });
            Mono.never().transform(NineLives.timeout(SECOND, scheduler)).subscribe(v -> { }, others::add);
            Mono.never().transform(NineLives.timeout(SECOND, scheduler)).delaySubscription(Duration.ofMillis(500), scheduler.clock)
                    .subscribe(v -> { }, others::add);
            scheduler.clock.advanceTimeBy(SECOND);
            assertThat(scheduler.thrown).as("%s reaches the Scheduler, once the timer is whole", kind)
                    .singleElement().satisfies(t -> assertThat(t.getClass()).isEqualTo(kind.create().getClass()));
            assertThat(others).as("the call due at the same time still timed out").hasSize(1);
            scheduler.clock.advanceTimeBy(Duration.ofMillis(500).minusNanos(1));
            assertThat(others).hasSize(1);
            scheduler.clock.advanceTimeBy(Duration.ofNanos(1));
            assertThat(others).as("the timer re-armed for the later call").hasSize(2);
            scheduler.dispose();
        }
    }

    @Test
    void aDisposedSchedulerEndsTheCallWithReactorsRejection() {
        Scheduler disposed = Schedulers.newSingle("disposed");
        disposed.dispose();
        StepVerifier.create(Mono.never().transform(NineLives.timeout(SECOND, disposed)))
                .expectError(RejectedExecutionException.class)
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(Flux.never().transform(NineLives.timeout(SECOND, Schedulers.immediate())))
                .expectError(RejectedExecutionException.class)
                .verify(Duration.ofSeconds(10));
    }

    // ------------------------------------------------------------------ errors and bad input

    @Test
    void badDurationsAreRefusedAtAssemblyNamingTheParameter() {
        assertThatThrownBy(() -> NineLives.timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be positive, but was PT0S");
        assertThatThrownBy(() -> NineLives.timeout(Duration.ofMillis(-5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be positive, but was PT-0.005S");
        assertThatThrownBy(() -> NineLives.timeout(null)).isInstanceOf(NullPointerException.class).hasMessage("timeout must not be null");
        assertThatThrownBy(() -> NineLives.timeout(SECOND, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("scheduler must not be null");
        assertThatThrownBy(() -> NineLives.deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deadline must be positive, but was PT0S");
        assertThatThrownBy(() -> NineLives.deadline(null)).isInstanceOf(NullPointerException.class).hasMessage("deadline must not be null");
        assertThatThrownBy(() -> NineLives.deadline(SECOND, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("scheduler must not be null");
    }

    @Test
    void theErrorNamesItsStageAndDuration() {
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, Duration.ofMillis(250)))
                .hasMessage("attempt timeout of 250 ms exceeded");
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.TOTAL_TIMEOUT, Duration.ofMillis(1500)))
                .hasMessage("total timeout of 1.5 s exceeded");
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.DEADLINE, Duration.ofSeconds(90)))
                .hasMessage("deadline of 90 s exceeded");
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.TIMEOUT, Duration.ofNanos(20_000)))
                .hasMessage("timeout of 20 µs exceeded");
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.TIMEOUT, Duration.ofNanos(1_500)))
                .hasMessage("timeout of 1500 ns exceeded");
        assertThat(NineLives.isTimeout(new TimeoutException("reactor's"))).isFalse();
        assertThat(NineLives.isTimeout(null)).isFalse();
        TimeoutExceededException e = new TimeoutExceededException(TimeoutExceededException.Stage.TIMEOUT, SECOND);
        e.addSuppressed(new IOException("earlier"));
        assertThat(e.getSuppressed()).as("each timeout has its own instance, so suppressed errors stay with it").hasSize(1);
        assertThat(new TimeoutExceededException(TimeoutExceededException.Stage.TIMEOUT, SECOND).getSuppressed()).isEmpty();
    }

    @Test
    void aSourceWhoseSubscribeThrowsEndsTheCallWithItsError() {
        Mono<String> throwing = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                throw new IllegalStateException("boom");
            }
        };
        StepVerifier.withVirtualTime(() -> throwing.transform(NineLives.timeout(SECOND)))
                .expectErrorMessage("boom")
                .verify();
    }

    /** A source whose subscribe throws a JVM-fatal error: the subscriber gets it first (so outer operators end their call), then it propagates. */
    @Test
    void aFatalErrorFromTheSourcesSubscribeIsSignalledThenRethrown() {
        Mono<String> throwing = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                throw new StackOverflowError("deep");
            }
        };
        List<Throwable> errors = new ArrayList<>();
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        assertThatThrownBy(() -> throwing.transform(NineLives.timeout(SECOND, clock)).subscribe(v -> { }, errors::add))
                .isInstanceOf(StackOverflowError.class);
        assertThat(errors).singleElement().isInstanceOf(StackOverflowError.class);
        clock.dispose();
    }

    // ------------------------------------------------------------------ conventions

    @Test
    void operatorsAndSubscribersAnswerScannable() {
        Mono<Integer> mono = Mono.just(1).transform(NineLives.timeout(SECOND));
        Flux<Integer> flux = Flux.just(1).transform(NineLives.deadline(SECOND));
        assertThat(Scannable.from(mono).scan(Scannable.Attr.NAME)).isEqualTo("timeout");
        assertThat(Scannable.from(flux).scan(Scannable.Attr.NAME)).isEqualTo("deadline");
        for (Scannable s : List.of(Scannable.from(mono), Scannable.from(flux))) {
            assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
            assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
        }

        List<Scannable> seen = new ArrayList<>();
        TestPublisher<Integer> source = TestPublisher.create();
        BaseSubscriber<Integer> downstream = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                seen.add(Scannable.from(subscription));
            }
        };
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        source.flux().transform(NineLives.timeout(SECOND, clock)).subscribe(downstream);
        source.mono().transform(NineLives.deadline(SECOND, clock)).subscribe(new BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                seen.add(Scannable.from(subscription));
            }

            @Override
            protected void hookOnError(Throwable throwable) {
                // the deadline below is expected
            }
        });
        assertThat(seen).hasSize(2).allSatisfy(s -> {
            assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
            assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
            assertThat(s.scanUnsafe(Scannable.Attr.ACTUAL)).isInstanceOf(BaseSubscriber.class);
            assertThat(s.scan(Scannable.Attr.TERMINATED)).isFalse();
            assertThat(s.scan(Scannable.Attr.CANCELLED)).isFalse();
        });
        assertThat(seen.get(0).scan(Scannable.Attr.NAME)).isEqualTo("timeout");
        assertThat(seen.get(1).scan(Scannable.Attr.NAME)).isEqualTo("deadline");
        downstream.cancel();
        assertThat(seen.get(0).scan(Scannable.Attr.CANCELLED)).isTrue();
        clock.advanceTimeBy(SECOND);
        assertThat(seen.get(1).scan(Scannable.Attr.TERMINATED)).as("timed out").isTrue();
        clock.dispose();
    }

    @Test
    void operatorsGoThroughOnAssembly() {
        List<String> assembled = new ArrayList<>();
        Hooks.onEachOperator("probe", p -> {
            assembled.add(Scannable.from(p).name());
            return p;
        });
        Mono.just(1).transform(NineLives.timeout(SECOND));
        Flux.just(1).transform(NineLives.timeout(SECOND));
        Mono.just(1).transform(NineLives.deadline(SECOND));
        // transform passes its result through the hook again, so each operator is seen at least once
        assertThat(assembled).filteredOn("timeout"::equals).hasSizeGreaterThanOrEqualTo(2);
        assertThat(assembled).filteredOn("deadline"::equals).hasSizeGreaterThanOrEqualTo(1);
    }

    @Test
    void theSubscribersContextFlowsThrough() {
        StepVerifier.withVirtualTime(() -> Mono.deferContextual(ctx -> Mono.just(ctx.<String>get("user")))
                        .transform(NineLives.timeout(SECOND))
                        .contextWrite(Context.of("user", "ada")))
                .expectNext("ada")
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> Flux.deferContextual(ctx -> Flux.just(ctx.<String>get("user")))
                        .transform(NineLives.deadline(SECOND))
                        .contextWrite(Context.of("user", "grace")))
                .expectNext("grace")
                .verifyComplete();
    }

    /** Reactive Streams 1.7: after the timeout, whatever the source still sends is dropped, not delivered. */
    @Test
    void signalsAfterTheTimeoutAreDropped() {
        List<Object> dropped = new ArrayList<>();
        Hooks.onNextDropped(dropped::add);
        TestPublisher<String> late = TestPublisher.createNoncompliant(TestPublisher.Violation.CLEANUP_ON_TERMINATE);
        StepVerifier.withVirtualTime(() -> late.mono().transform(NineLives.timeout(SECOND)))
                .expectSubscription()
                .thenAwait(SECOND)
                .expectError(TimeoutExceededException.class)
                .verify();
        late.next("too late");
        assertThat(dropped).containsExactly("too late");
    }
}
