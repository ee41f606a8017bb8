package dev.ninelives.reactor;

import dev.ninelives.hedge.Hedge;
import dev.ninelives.hedge.HedgeEvent;
import dev.ninelives.hedge.HedgeMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hedge operator on virtual time: who wins, who is cancelled, what is counted. */
class HedgeOperatorTest {

    private VirtualTimeScheduler vts;

    @BeforeEach
    void virtualTime() {
        vts = VirtualTimeScheduler.getOrSet();
    }

    @AfterEach
    void reset() {
        VirtualTimeScheduler.reset();
    }

    /** Attempts whose latencies are given in order, with a log of what happened to each. */
    static final class Attempts {
        final long[] latenciesMs;
        final List<String> log = new ArrayList<>();
        final AtomicInteger subscribed = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();
        Throwable[] errors;

        Attempts(long... latenciesMs) {
            this.latenciesMs = latenciesMs;
        }

        Attempts failing(Throwable... errors) {
            this.errors = errors;
            return this;
        }

        Mono<String> mono() {
            return Mono.defer(() -> {
                int i = subscribed.getAndIncrement();
                long ms = latenciesMs[Math.min(i, latenciesMs.length - 1)];
                Throwable e = errors != null && i < errors.length ? errors[i] : null;
                Mono<String> answer = e != null ? Mono.error(e) : Mono.just("a" + i);
                return Mono.delay(Duration.ofMillis(ms)).then(answer)
                        .doOnCancel(() -> {
                            cancelled.incrementAndGet();
                            log.add("cancel a" + i);
                        });
            });
        }
    }

    private static Hedge fixed(long delayMs, int maxHedges) {
        return Hedge.builder("h").delay(Duration.ofMillis(delayMs)).maxHedges(maxHedges).budget(1.0, 100).build();
    }

    @Test
    void aSlowFirstAttemptIsRacedAndTheHedgeWins() {
        Attempts a = new Attempts(500, 20);
        Hedge h = fixed(100, 1);
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(99)))
                .then(() -> assertThat(a.subscribed).hasValue(1))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(1)))
                .then(() -> assertThat(a.subscribed).hasValue(2))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(20)))
                .expectNext("a1")
                .verifyComplete();
        assertThat(vts.now(TimeUnit.MILLISECONDS)).isEqualTo(120);
        assertThat(a.log).containsExactly("cancel a0");
        HedgeMetrics m = h.metrics();
        assertThat(m.calls()).isEqualTo(1);
        assertThat(m.hedgesIssued()).isEqualTo(1);
        assertThat(m.hedgesWon()).isEqualTo(1);
    }

    /** The backpressured twin: nothing is delivered before the request, and the hedge still wins. */
    @Test
    void aSlowFirstAttemptIsRacedWithALateRequest() {
        Attempts a = new Attempts(500, 20);
        StepVerifier.create(a.mono().transform(NineLives.hedge(fixed(100, 1))), 0)
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(200)))
                .expectNoEvent(Duration.ZERO)
                .thenRequest(1)
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(30)))
                .expectNext("a1")
                .verifyComplete();
        assertThat(a.log).containsExactly("cancel a0");
    }

    @Test
    void aFastFirstAttemptNeedsNoHedgeAndDisposesTheTimer() {
        Attempts a = new Attempts(50);
        Hedge h = fixed(100, 3);
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(50)))
                .expectNext("a0")
                .verifyComplete();
        vts.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(a.subscribed).hasValue(1);
        assertThat(h.metrics().hedgesIssued()).isZero();
    }

    /** A synchronous answer must not even schedule the timer. */
    @Test
    void aSynchronousAnswerSchedulesNothing() {
        AtomicInteger scheduled = new AtomicInteger();
        Scheduler counting = counting(vts, scheduled);
        Hedge h = fixed(100, 1);
        StepVerifier.create(Mono.just(1).transform(NineLives.hedge(h, counting))).expectNext(1).verifyComplete();
        StepVerifier.create(Mono.<Integer>empty().transform(NineLives.hedge(h, counting))).verifyComplete();
        assertThat(scheduled).hasValue(0);
        assertThat(h.metrics().calls()).isEqualTo(2);
    }

    @Test
    void upToMaxHedgesOneDelayApart() {
        Attempts a = new Attempts(1000, 1000, 1000, 10);
        Hedge h = fixed(100, 3);
        List<HedgeEvent> events = new ArrayList<>();
        h.onHedge(events::add);
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(250)))
                .then(() -> assertThat(a.subscribed).hasValue(3))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(60)))
                .expectNext("a3")
                .verifyComplete();
        assertThat(vts.now(TimeUnit.MILLISECONDS)).isEqualTo(310);
        assertThat(a.log).containsExactlyInAnyOrder("cancel a0", "cancel a1", "cancel a2");
        assertThat(events).extracting(HedgeEvent::type).containsExactly(HedgeEvent.Type.ISSUED, HedgeEvent.Type.ISSUED,
                HedgeEvent.Type.ISSUED, HedgeEvent.Type.WON);
        assertThat(events.get(3).attempt()).isEqualTo(3);
        vts.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(a.subscribed).hasValue(4);
    }

    @Test
    void anEmptyBudgetRefusesTheHedgeAndTheFirstAttemptGoesOn() {
        Hedge h = Hedge.builder("h").delay(Duration.ofMillis(100)).budget(0.01, 1).build();
        Attempts first = new Attempts(500, 500);
        StepVerifier.create(first.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(500)))
                .expectNext("a0")
                .verifyComplete();
        Attempts second = new Attempts(500, 10);
        StepVerifier.create(second.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(500)))
                .expectNext("a0")
                .verifyComplete();
        assertThat(second.subscribed).as("no hedge, and none tried later").hasValue(1);
        HedgeMetrics m = h.metrics();
        assertThat(m.hedgesIssued()).isEqualTo(1);
        assertThat(m.refusedByBudget()).isEqualTo(1);
        assertThat(m.hedgesWon()).isZero();
    }

    @Test
    void anErrorWaitsForTheOtherAttempt() {
        Attempts a = new Attempts(150, 100).failing(new IllegalStateException("first"));
        StepVerifier.create(a.mono().transform(NineLives.hedge(fixed(100, 1))))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(200)))
                .expectNext("a1")
                .verifyComplete();
    }

    @Test
    void theCallFailsWithItsLastAttemptsError() {
        Attempts a = new Attempts(150, 100).failing(new IllegalStateException("first"), new IllegalStateException("second"));
        StepVerifier.create(a.mono().transform(NineLives.hedge(fixed(100, 1))))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(200)))
                .expectErrorMessage("second")
                .verify();
    }

    @Test
    void anErrorBeforeAnyHedgeEndsTheCallAndNoHedgeFollows() {
        Attempts a = new Attempts(50, 10).failing(new IllegalStateException("first"));
        Hedge h = fixed(100, 1);
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(50)))
                .expectErrorMessage("first")
                .verify();
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(a.subscribed).hasValue(1);
    }

    @Test
    void anErrorThePredicateAcceptsEndsTheRaceAtOnce() {
        Hedge h = Hedge.builder("h").delay(Duration.ofMillis(100)).errorEndsRace(e -> e instanceof IllegalArgumentException).build();
        Attempts a = new Attempts(150, 500).failing(new IllegalArgumentException("bad request"));
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(150)))
                .expectErrorMessage("bad request")
                .verify();
        assertThat(vts.now(TimeUnit.MILLISECONDS)).isEqualTo(150);
        assertThat(a.log).as("the hedge still in flight is cancelled").containsExactly("cancel a1");
    }

    @Test
    void aThrowingPredicateEndsTheCallWithItsThrowable() {
        IllegalStateException attemptError = new IllegalStateException("attempt");
        Hedge h = Hedge.builder("h").delay(Duration.ofMillis(100)).errorEndsRace(e -> {
            throw new AssertionError("predicate bug");
        }).build();
        Attempts a = new Attempts(150, 500).failing(attemptError);
        StepVerifier.create(a.mono().transform(NineLives.hedge(h)))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(150)))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(AssertionError.class).hasMessage("predicate bug");
                    assertThat(e.getSuppressed()).containsExactly(attemptError);
                })
                .verify();
        assertThat(a.log).containsExactly("cancel a1");
    }

    @Test
    void aListenersFatalErrorEndsTheCallWithEveryAttemptCancelledThenPropagates() {
        Hedge h = fixed(100, 1);
        h.onHedge(e -> {
            throw new StackOverflowError("listener");
        });
        Attempts a = new Attempts(500, 500);
        List<Throwable> signalled = new ArrayList<>();
        a.mono().transform(NineLives.hedge(h)).subscribe(v -> { }, signalled::add);
        assertThatThrownBy(() -> vts.advanceTimeBy(Duration.ofMillis(100))).isInstanceOf(StackOverflowError.class);
        assertThat(signalled).singleElement().isInstanceOf(StackOverflowError.class);
        assertThat(a.log).containsExactlyInAnyOrder("cancel a0", "cancel a1");
        assertThat(h.metrics().hedgesIssued()).isEqualTo(1);
    }

    @Test
    void cancelStopsTheTimerAndEveryAttempt() {
        Attempts a = new Attempts(500, 500);
        Hedge h = fixed(100, 2);
        Disposable d = a.mono().transform(NineLives.hedge(h)).subscribe();
        vts.advanceTimeBy(Duration.ofMillis(150));
        d.dispose();
        assertThat(a.log).containsExactlyInAnyOrder("cancel a0", "cancel a1");
        vts.advanceTimeBy(Duration.ofSeconds(5));
        assertThat(a.subscribed).hasValue(2);
    }

    @Test
    void aDeadlineThatLeavesLessThanTheDelayArmsNothing() {
        Attempts a = new Attempts(300, 10);
        StepVerifier.create(a.mono().transform(NineLives.hedge(fixed(100, 1))).transform(NineLives.deadline(Duration.ofMillis(80))))
                .then(() -> vts.advanceTimeBy(Duration.ofMillis(300)))
                .expectError(TimeoutExceededException.class)
                .verify();
        assertThat(a.subscribed).hasValue(1);
    }

    @Test
    void aFluxIsRefusedAtAssembly() {
        Hedge h = fixed(100, 1);
        assertThatThrownBy(() -> Flux.just(1, 2).transform(NineLives.hedge(h)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hedge 'h'").hasMessageContaining("Mono only");
        assertThatThrownBy(() -> NineLives.hedge(null)).hasMessageContaining("hedge");
        assertThatThrownBy(() -> NineLives.hedge(h, null)).hasMessageContaining("scheduler");
    }

    @Test
    void scannable() {
        Mono<Integer> m = Mono.just(1).transform(NineLives.hedge(fixed(100, 1)));
        assertThat(Scannable.from(m).scan(Scannable.Attr.NAME)).isEqualTo("h");
        assertThat(Scannable.from(m).scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
        Attempts a = new Attempts(500, 500);
        StepVerifier.create(a.mono().transform(NineLives.hedge(fixed(100, 1))))
                .consumeSubscriptionWith(s -> {
                    Scannable sc = Scannable.from(s);
                    assertThat(sc.scan(Scannable.Attr.NAME)).isEqualTo("h");
                    assertThat(sc.scan(Scannable.Attr.TERMINATED)).isFalse();
                    assertThat(sc.scan(Scannable.Attr.CANCELLED)).isFalse();
                    assertThat(sc.scan(Scannable.Attr.ACTUAL)).isNotNull();
                })
                .thenCancel()
                .verify();
    }

    /** The adaptive delay: the minimum until a window closes, then the window's percentile. */
    @Test
    void theAdaptiveDelayFollowsThePercentile() {
        Hedge h = Hedge.builder("h").delayPercentile(90).minDelay(Duration.ofMillis(5)).window(20)
                .budget(1.0, 100).ticker(NineLives.schedulerTicker()).build();
        for (int i = 0; i < 20; i++) {
            Attempts a = new Attempts(30, 30);
            a.mono().transform(NineLives.hedge(h)).subscribe();
            vts.advanceTimeBy(Duration.ofMillis(100));
        }
        assertThat(h.metrics().delay()).isBetween(Duration.ofMillis(30), Duration.ofNanos((long) (30_000_000 * 1.125)));
    }

    static Scheduler counting(Scheduler delegate, AtomicInteger scheduled) {
        return new Scheduler() {
            @Override
            public Disposable schedule(Runnable task) {
                scheduled.incrementAndGet();
                return delegate.schedule(task);
            }

            @Override
            public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
                scheduled.incrementAndGet();
                return delegate.schedule(task, delay, unit);
            }

            @Override
            public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
                scheduled.incrementAndGet();
                return delegate.schedulePeriodically(task, initialDelay, period, unit);
            }

            @Override
            public Worker createWorker() {
                return delegate.createWorker();
            }
        };
    }
}
