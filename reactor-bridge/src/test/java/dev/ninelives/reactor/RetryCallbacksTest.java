package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryBuilder;
import dev.ninelives.retry.RetryEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every place NineLives.retry calls user code, made to throw: the retryIf and result predicates,
 * the backoff function, the jitter's generator and each listener; with a RuntimeException, an
 * AssertionError (an Error that is not fatal) and a StackOverflowError (JVM-fatal); from a
 * synchronous source and from one that signals later on a scheduler the test runs; Mono and
 * Flux. Each case checks the subscriber's signals, the events, what reached the thread that
 * signalled, that a bulkhead outside the retry has its permit back, and that no retry is left
 * scheduled.
 *
 * <p>Guards against: a throwing result predicate that hangs an asynchronous call (the error was
 * only logged by the scheduler) or, synchronously, comes back through the source as a failed
 * attempt and is retried; a non-fatal Error (AssertionError) from retryIf or the backoff function
 * that escapes the operator (a hang and a kept bulkhead permit when asynchronous, the wrong error
 * downstream when synchronous); a JVM-fatal error that propagates before the call has ended, so
 * that an outer bulkhead keeps its permit or a scheduled retry outlives the call.
 */
class RetryCallbacksTest {

    /** Where the throwing callback sits. */
    enum Site {
        RETRY_IF, RESULT_PREDICATE, BACKOFF_FUNCTION, JITTER_GENERATOR,
        ON_RETRY, ON_EXHAUSTED, ON_BUDGET_REFUSED, ON_SUCCEEDED, ON_FAILED
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Site site : Site.values()) {
            for (Thrown kind : Thrown.values()) {
                for (boolean async : new boolean[] {false, true}) {
                    for (boolean mono : new boolean[] {true, false}) {
                        if (site == Site.RESULT_PREDICATE && !mono) {
                            continue;                  // a Flux's elements are never tested
                        }
                        all.add(Arguments.of(site, kind, async, mono));
                    }
                }
            }
        }
        return all.stream();
    }

    /** The library's System.Logger is java.util.logging's by default; this module does not read java.logging, reflection may. */
    private static Object julLogger;
    private static Object previousLevel;

    /** The listeners that throw on purpose would log a stack trace per case: keep the build output readable. */
    @BeforeAll
    static void quietListenerLogs() throws ReflectiveOperationException {
        Class<?> logger = Class.forName("java.util.logging.Logger");
        Class<?> level = Class.forName("java.util.logging.Level");
        julLogger = logger.getMethod("getLogger", String.class).invoke(null, "dev.ninelives");
        previousLevel = logger.getMethod("getLevel").invoke(julLogger);
        logger.getMethod("setLevel", level).invoke(julLogger, level.getField("OFF").get(null));
    }

    @AfterAll
    static void restoreListenerLogs() throws ReflectiveOperationException {
        Class<?> logger = Class.forName("java.util.logging.Logger");
        logger.getMethod("setLevel", Class.forName("java.util.logging.Level")).invoke(julLogger, previousLevel);
    }

    static RuntimeException sneaky(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        throw (RuntimeException) t;
    }

    /** A generator whose every draw throws {@code t}. */
    static RandomGenerator throwingRandom(Throwable t) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw sneaky(t);
            }

            @Override
            public double nextDouble() {
                throw sneaky(t);
            }
        };
    }

    /** The policy of a case: 3 attempts 1 s apart, with the one callback that throws. */
    static Retry policy(Site site, Throwable thrown, List<String> events) {
        RetryBuilder b = Retry.builder("callbacks").maxAttempts(3).constantBackoff(Duration.ofSeconds(1));
        switch (site) {
            case RETRY_IF -> b.retryIf(e -> {
                throw sneaky(thrown);
            });
            case RESULT_PREDICATE -> b.retryOnResult(String.class, v -> {
                throw sneaky(thrown);
            });
            case BACKOFF_FUNCTION -> b.backoff((attempt, e) -> {
                throw sneaky(thrown);
            });
            case JITTER_GENERATOR -> b.jitter(Jitter.FULL).random(throwingRandom(thrown));
            case ON_EXHAUSTED -> b.maxAttempts(1);
            case ON_BUDGET_REFUSED -> {
                RetryBudget empty = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).capacity(1).ticker(() -> 0L).build();
                assertThat(empty.tryAcquireRetry()).as("the budget's only token").isTrue();
                b.budget(empty);
            }
            case ON_FAILED -> b.retryIf(e -> false);
            default -> { }
        }
        Retry retry = b.build();
        java.util.function.Consumer<RetryEvent> throwing = e -> {
            throw sneaky(thrown);
        };
        switch (site) {
            case ON_RETRY -> retry.onRetry(throwing);
            case ON_EXHAUSTED -> retry.onExhausted(throwing);
            case ON_BUDGET_REFUSED -> retry.onBudgetRefused(throwing);
            case ON_SUCCEEDED -> retry.onSucceeded(throwing);
            case ON_FAILED -> retry.onFailed(throwing);
            default -> { }
        }
        java.util.function.Consumer<RetryEvent> record = e -> events.add(e.type() + "@" + e.attempt());
        retry.onRetry(record);
        retry.onExhausted(record);
        retry.onBudgetRefused(record);
        retry.onSucceeded(record);
        retry.onFailed(record);
        return retry;
    }

    /** What the n-th attempt (from 1) does: the sites that test a value or a success get "ok", ON_RETRY gets it at the second. */
    static Callable<String> attempts(Site site, AtomicInteger subscriptions) {
        return () -> {
            int n = subscriptions.incrementAndGet();
            boolean answers = switch (site) {
                case RESULT_PREDICATE, ON_SUCCEEDED -> true;
                case ON_RETRY -> n >= 2;
                default -> false;
            };
            if (!answers) {
                throw new IOException("down " + n);
            }
            return "ok";
        };
    }

    @ParameterizedTest(name = "{0} throws {1}, async={2}, mono={3}")
    @MethodSource("cases")
    void aThrowingCallbackNeverHangsTheCallNorLeaksAPermitOrATimer(Site site, Thrown kind, boolean async, boolean mono) {
        Throwable thrown = kind.create();
        List<String> events = new ArrayList<>();
        Retry retry = policy(site, thrown, events);
        AtomicInteger subscriptions = new AtomicInteger();
        AtomicInteger cancels = new AtomicInteger();
        ManualScheduler sourceThread = new ManualScheduler();
        TrackingScheduler delays = new TrackingScheduler();
        Bulkhead bulkhead = Bulkhead.builder("outer").maxConcurrent(1).build();

        Mono<String> attempt = Mono.fromCallable(attempts(site, subscriptions));
        if (async) {
            attempt = attempt.subscribeOn(sourceThread);
        }
        attempt = attempt.doOnCancel(cancels::incrementAndGet);
        Recorder<String> subscriber = new Recorder<>();
        List<Throwable> propagated = new ArrayList<>();
        try {
            if (mono) {
                attempt.transform(NineLives.retry(retry, delays)).transform(NineLives.bulkhead(bulkhead)).subscribe(subscriber);
            } else {
                Flux.from(attempt).transform(NineLives.retry(retry, delays)).transform(NineLives.bulkhead(bulkhead))
                        .subscribe(subscriber);
            }
        } catch (Throwable t) {
            propagated.add(t);
        }
        for (int step = 0; step < 5; step++) {                 // the source's signals, then each delay
            try {
                sourceThread.runAll();
            } catch (Throwable t) {
                propagated.add(t);
            }
            delays.clock.advanceTimeBy(Duration.ofSeconds(1));
        }

        // What reached the thread that signalled: a fatal error, once; nothing else.
        if (kind.fatal()) {
            assertThat(propagated).as("the fatal error propagates, once").containsExactly(thrown);
        } else {
            assertThat(propagated).as("nothing escapes").isEmpty();
        }
        // The call ended, exactly once, as the table of NineLives.retry says.
        assertThat(subscriber.subscriptions).as("one onSubscribe").isEqualTo(1);
        assertThat(subscriber.terminations()).as("one terminal signal").isEqualTo(1);
        boolean abortedAtSubscribe = site == Site.ON_RETRY && kind.fatal() && !async;
        switch (site) {
            case RETRY_IF -> {
                assertThat(events).containsExactly("FAILED@1");
                assertThat(subscriptions).as("not retried").hasValue(1);
                if (kind.fatal()) {
                    assertThat(subscriber.error).isSameAs(thrown);
                } else {
                    assertThat(subscriber.error).isInstanceOf(IOException.class).hasMessage("down 1");
                    assertThat(subscriber.error.getSuppressed()).containsExactly(thrown);
                }
            }
            case RESULT_PREDICATE -> {
                assertThat(events).containsExactly("FAILED@1");
                assertThat(subscriptions).hasValue(1);
                assertThat(subscriber.values).isEmpty();
                assertThat(subscriber.error).isSameAs(thrown);
                assertThat(cancels).as("the attempt is cancelled").hasValue(1);
            }
            case BACKOFF_FUNCTION, JITTER_GENERATOR -> {
                assertThat(events).containsExactly("FAILED@1");
                assertThat(subscriptions).hasValue(1);
                assertThat(subscriber.error).isSameAs(thrown);
                if (kind.fatal()) {
                    assertThat(thrown.getSuppressed()).isEmpty();
                } else {
                    assertThat(thrown.getSuppressed()).singleElement()
                            .satisfies(e -> assertThat(e).isInstanceOf(IOException.class).hasMessage("down 1"));
                }
            }
            case ON_RETRY -> {
                if (abortedAtSubscribe) {
                    // leaving through subscribe ends the call: the scheduled retry is disposed
                    assertThat(events).containsExactly("RETRY@1", "FAILED@1");
                    assertThat(subscriptions).hasValue(1);
                    assertThat(subscriber.error).isSameAs(thrown);
                } else {
                    assertThat(events).as("the retry happens all the same").containsExactly("RETRY@1", "SUCCEEDED@2");
                    assertThat(subscriptions).hasValue(2);
                    assertThat(subscriber.values).containsExactly("ok");
                    assertThat(subscriber.completions).isEqualTo(1);
                }
            }
            case ON_EXHAUSTED -> {
                assertThat(events).containsExactly("EXHAUSTED@1");
                assertThat(subscriber.error).isInstanceOf(IOException.class).hasMessage("down 1");
            }
            case ON_BUDGET_REFUSED -> {
                assertThat(events).containsExactly("BUDGET_REFUSED@1");
                assertThat(subscriber.error).isInstanceOf(IOException.class).hasMessage("down 1");
            }
            case ON_SUCCEEDED -> {
                assertThat(events).containsExactly("SUCCEEDED@1");
                assertThat(subscriber.values).containsExactly("ok");
                assertThat(subscriber.completions).isEqualTo(1);
            }
            case ON_FAILED -> {
                assertThat(events).containsExactly("FAILED@1");
                assertThat(subscriber.error).isInstanceOf(IOException.class).hasMessage("down 1");
            }
            default -> throw new IllegalStateException("invalid site: " + site);
        }
        // Nothing left behind.
        BulkheadTestSupport.assertAllPermitsBack(bulkhead);
        assertThat(delays.pending).as("no retry left scheduled").isEmpty();
        assertThat(sourceThread.tasks).as("no source task left").isEmpty();
        delays.clock.dispose();
    }

    /**
     * An immediate retry announced to a listener that throws a JVM-fatal error, from a
     * synchronous source: the retry still runs, within the same subscribe, and the error
     * propagates once the call has ended. Guards against the loop taking the listener's error,
     * as it comes back up through the source, for the source's own and ending the call with it.
     */
    @Test
    void aFatalErrorOfARetryListenerLetsAnImmediateRetryRunFirst() {
        StackOverflowError overflow = new StackOverflowError("listener overflow");
        Retry retry = Retry.builder("immediate").maxAttempts(3).noBackoff().build();
        AtomicInteger heard = new AtomicInteger();
        retry.onRetry(e -> {
            if (heard.incrementAndGet() == 1) {
                throw overflow;
            }
        });
        AtomicInteger subscriptions = new AtomicInteger();
        Bulkhead bulkhead = Bulkhead.builder("outer").maxConcurrent(1).build();
        Recorder<String> subscriber = new Recorder<>();
        Throwable propagated = null;
        try {
            Mono.fromCallable(() -> {
                        if (subscriptions.incrementAndGet() < 3) {
                            throw new IOException("down");
                        }
                        return "ok";
                    })
                    .transform(NineLives.retry(retry)).transform(NineLives.bulkhead(bulkhead))
                    .subscribe(subscriber);
        } catch (Throwable t) {
            propagated = t;
        }
        assertThat(propagated).isSameAs(overflow);
        assertThat(subscriptions).hasValue(3);
        assertThat(heard).hasValue(2);
        assertThat(subscriber.values).containsExactly("ok");
        assertThat(subscriber.terminations()).isEqualTo(1);
        BulkheadTestSupport.assertAllPermitsBack(bulkhead);
    }

    /**
     * The source's own subscribe throws a JVM-fatal error: the call ends with it (a fatal error is
     * never retried), an outer bulkhead gets its permit back, then it propagates.
     */
    @Test
    void aSourceWhoseSubscribeThrowsAFatalErrorEndsTheCallFirst() {
        StackOverflowError overflow = new StackOverflowError("subscribe overflow");
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> throwing = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                subscriptions.incrementAndGet();
                throw overflow;
            }
        };
        List<String> events = new ArrayList<>();
        Retry retry = Retry.builder("subscribe").maxAttempts(3).noBackoff().retryIf(e -> true).build();
        retry.onFailed(e -> events.add(e.type() + "@" + e.attempt()));
        Bulkhead bulkhead = Bulkhead.builder("outer").maxConcurrent(1).build();
        Recorder<String> subscriber = new Recorder<>();
        Throwable propagated = null;
        try {
            throwing.transform(NineLives.retry(retry)).transform(NineLives.bulkhead(bulkhead)).subscribe(subscriber);
        } catch (Throwable t) {
            propagated = t;
        }
        assertThat(propagated).isSameAs(overflow);
        assertThat(subscriptions).hasValue(1);
        assertThat(subscriber.error).isSameAs(overflow);
        assertThat(subscriber.terminations()).isEqualTo(1);
        assertThat(events).containsExactly("FAILED@1");
        BulkheadTestSupport.assertAllPermitsBack(bulkhead);
    }

    // ---------------------------------------------------------------- test doubles

    /** Records every signal; asks for everything. Signals arrive on the test's thread only. */
    static final class Recorder<T> implements CoreSubscriber<T> {
        int subscriptions;
        final List<T> values = new ArrayList<>();
        Throwable error;
        int errors;
        int completions;

        @Override
        public void onSubscribe(Subscription s) {
            subscriptions++;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T t) {
            values.add(t);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            errors++;
        }

        @Override
        public void onComplete() {
            completions++;
        }

        int terminations() {
            return errors + completions;
        }
    }

    /**
     * A scheduler whose tasks run only when the test says, on the test's thread; what a task
     * throws reaches the test, and the scheduler stays usable (a VirtualTimeScheduler would not).
     */
    static final class ManualScheduler implements Scheduler {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public Disposable schedule(Runnable task) {
            tasks.add(task);
            return () -> tasks.remove(task);
        }

        @Override
        public Worker createWorker() {
            return new Worker() {
                @Override
                public Disposable schedule(Runnable task) {
                    return ManualScheduler.this.schedule(task);
                }

                @Override
                public void dispose() {
                }
            };
        }

        void runAll() {
            for (Runnable task; (task = tasks.poll()) != null; ) {
                task.run();
            }
        }
    }

    /** Delays on a virtual clock, keeping count of the tasks scheduled and neither run nor disposed. */
    static final class TrackingScheduler implements Scheduler {
        final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        final Set<Object> pending = new HashSet<>();

        @Override
        public Disposable schedule(Runnable task) {
            return schedule(task, 0, TimeUnit.NANOSECONDS);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            Object token = new Object();
            pending.add(token);
            Disposable scheduled = clock.schedule(() -> {
                pending.remove(token);
                task.run();
            }, delay, unit);
            return () -> {
                pending.remove(token);
                scheduled.dispose();
            };
        }

        @Override
        public long now(TimeUnit unit) {
            return clock.now(unit);
        }

        @Override
        public Worker createWorker() {
            return clock.createWorker();
        }
    }
}
