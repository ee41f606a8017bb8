package dev.ninelives.reactor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timeout on real threads: a call's own end racing the timer, elements racing the timer,
 * and many threads arming one shared timer at once. Nothing here waits for wall-clock time to
 * pass as a result: every wait is a latch, bounded only so that a hang fails the test instead
 * of the build.
 */
class TimeoutRaceTest {

    private static final long SAFETY_SECONDS = 60;

    private final Scheduler sources = Schedulers.newParallel("race-source", 2);

    @AfterEach
    void stop() {
        sources.dispose();
        Hooks.resetOnNextDropped();
        Hooks.resetOnErrorDropped();
    }

    /**
     * Guards against two terminal signals (or none) when a Mono's value and the timer fire at
     * about the same time on two threads: the once-gate must let exactly one of them through,
     * and nothing may reach downstream concurrently or after the end (SignalCheck watches the
     * rules of Reactive Streams 1.3 and 1.7 behind the operator).
     */
    @Test
    void aValueRacingTheTimerEndsTheCallExactlyOnce() throws InterruptedException {
        int calls = 2_000;
        SignalCheck.Findings findings = new SignalCheck.Findings();
        AtomicIntegerArray terminals = new AtomicIntegerArray(calls);
        AtomicInteger values = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(calls);
        Hooks.onNextDropped(v -> { });          // a value the timer beat is dropped: expected here
        Hooks.onErrorDropped(e -> { });
        for (int i = 0; i < calls; i++) {
            int call = i;
            Mono.just(i).delayElement(Duration.ofMillis(1), sources)
                    .transform(NineLives.timeout(Duration.ofMillis(1)))
                    .transform(SignalCheck.checkpoint("timeout", findings))
                    .subscribe(
                            v -> values.incrementAndGet(),
                            e -> {
                                if (NineLives.isTimeout(e)) {
                                    timeouts.incrementAndGet();
                                }
                                terminals.incrementAndGet(call);
                                done.countDown();
                            },
                            () -> {
                                terminals.incrementAndGet(call);
                                done.countDown();
                            });
        }
        assertThat(done.await(SAFETY_SECONDS, TimeUnit.SECONDS)).as("every call ended").isTrue();
        for (int i = 0; i < calls; i++) {
            assertThat(terminals.get(i)).as("terminal signals of call %d", i).isEqualTo(1);
        }
        assertThat(values.get() + timeouts.get()).isEqualTo(calls);
        assertThat(findings.summary()).as("Reactive Streams breaches: %s", findings.samples()).isEmpty();
    }

    /**
     * A Flux that emits on a plain thread of its own, as fast as it can, until it is cancelled
     * (it is always asked for everything): elements are in flight whenever a timer fires.
     */
    private Flux<Long> firehose(java.util.concurrent.ExecutorService emitters) {
        return Flux.from(actual -> {
            java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
            actual.onSubscribe(new org.reactivestreams.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                    cancelled.set(true);
                }
            });
            emitters.execute(() -> {
                for (long i = 0; !cancelled.get(); i++) {
                    actual.onNext(i);
                }
            });
        });
    }

    /**
     * Guards against onError overlapping onNext (rule 1.3) when the timer fires on its thread
     * while a Flux delivers elements on another: the timer must leave the error to the element's
     * thread, which delivers it once the element is through, and nothing may follow it.
     */
    @Test
    void elementsRacingTheTimerAreNeverOverlappedByTheTimeout() throws InterruptedException {
        int calls = 200;
        SignalCheck.Findings findings = new SignalCheck.Findings();
        AtomicInteger timeouts = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> others = new ConcurrentLinkedQueue<>();
        Hooks.onNextDropped(v -> { });
        java.util.concurrent.ExecutorService emitters = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < calls; i++) {
                CountDownLatch done = new CountDownLatch(1);
                firehose(emitters)
                        .transform(NineLives.timeout(Duration.ofMillis(1)))
                        .transform(SignalCheck.checkpoint("timeout", findings))
                        .subscribe(
                                v -> received.incrementAndGet(),
                                e -> {
                                    if (NineLives.isTimeout(e)) {
                                        timeouts.incrementAndGet();
                                    } else {
                                        others.add(e);
                                    }
                                    done.countDown();
                                },
                                done::countDown);
                assertThat(done.await(SAFETY_SECONDS, TimeUnit.SECONDS)).as("stream %d ended", i).isTrue();
            }
        } finally {
            emitters.shutdownNow();
        }
        assertThat(others).isEmpty();
        assertThat(timeouts).hasValue(calls);
        assertThat(received).hasPositiveValue();
        assertThat(findings.summary()).as("Reactive Streams breaches: %s", findings.samples()).isEmpty();
    }

    /**
     * Guards against entries lost by the shared timer when many threads arm it at once: a slot
     * claimed while the next chunk is being linked, an arrival while the task disarms (the lost
     * wake-up), a task that looks at a slot claimed but not yet filled. Four threads arm one
     * timer twenty thousand times; every call that never answers times out, and every call that
     * answers ends with its value (or a timeout, when its thread was descheduled for the whole
     * 20 ms between arming and answering: real time, on a loaded machine), each exactly once. (What the timer still holds afterwards is
     * checked on virtual time, where nothing races the look.)
     */
    @Test
    void manyThreadsArmingOneTimerLoseNoEntry() throws InterruptedException {
        int threads = 4;
        int perThread = 5_000;
        Duration timeout = Duration.ofMillis(20);
        CountDownLatch done = new CountDownLatch(threads * perThread);
        AtomicInteger values = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        AtomicInteger lateAnswers = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        Scheduler callers = Schedulers.newParallel("race-caller", threads);
        try {
            for (int t = 0; t < threads; t++) {
                callers.schedule(() -> {
                    for (int i = 0; i < perThread; i++) {
                        boolean answers = i % 4 != 0;
                        // Mono.create answers after onSubscribe returns: armed, then disarmed
                        Mono<Integer> source = answers ? Mono.create(sink -> sink.success(1)) : Mono.never();
                        source.transform(NineLives.timeout(timeout)).subscribe(
                                v -> values.incrementAndGet(),
                                e -> {
                                    if (NineLives.isTimeout(e) && !answers) {
                                        timeouts.incrementAndGet();
                                    } else if (NineLives.isTimeout(e)) {
                                        // a thread descheduled for the whole timeout between
                                        // arming and answering (a loaded machine): a true timeout
                                        lateAnswers.incrementAndGet();
                                    } else {
                                        wrong.incrementAndGet();
                                    }
                                    done.countDown();
                                },
                                done::countDown);
                    }
                });
            }
            assertThat(done.await(SAFETY_SECONDS, TimeUnit.SECONDS)).as("every call ended").isTrue();
        } finally {
            callers.dispose();
        }
        assertThat(wrong).hasValue(0);
        assertThat(timeouts).hasValue(threads * perThread / 4);
        assertThat(values.get() + lateAnswers.get()).isEqualTo(threads * perThread - threads * perThread / 4);
    }
}
