package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadBuilder;
import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.core.Adaptive;
import dev.ninelives.reactor.BulkheadTestSupport.Capturing;
import dev.ninelives.reactor.BulkheadTestSupport.Events;
import dev.ninelives.reactor.BulkheadTestSupport.ManualSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomized concurrent schedules against one bulkhead, and targeted two-thread races. Seeded:
 * a failure names its seed, and the same seed replays the same sequence of operations per
 * thread (the interleaving between threads is the machine's). Timeouts run on a
 * {@link VirtualTimeScheduler} that one of the threads advances, so waits expire in the middle
 * of the storm without any real waiting. Nothing sleeps: threads start together at a barrier
 * and the test waits for them with {@code awaitTermination}.
 *
 * <p>After each schedule, with every call ended or cancelled: nothing is in flight, nobody
 * waits, every permit is free; every permit handed out was returned exactly once (permitted
 * events = source subscriptions = finished events); every refusal reached its subscriber; and
 * every subscriber got exactly one onSubscribe and exactly one terminal signal, or was cancelled.
 */
class BulkheadScheduleTest {

    private static final int THREADS = 3;
    private static final int OPS_PER_THREAD = 5_000;
    private static final int SLOTS = 12;
    private static final Duration TICK = Duration.ofMillis(1);
    private static final long SAFETY_SECONDS = 60;      // a hang fails the test instead of the build


    private final ExecutorService executor = Executors.newFixedThreadPool(THREADS);
    private final List<Object> dropped = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
        Hooks.resetOnErrorDropped();
        Hooks.resetOnNextDropped();
    }

    /** The schedules together run at least 100,000 operations; each schedule checks that it ran all of its own. */
    @Test
    void theSchedulesRunAtLeastOneHundredThousandOperations() {
        assertThat(schedules().count() * THREADS * OPS_PER_THREAD).isGreaterThanOrEqualTo(100_000);
    }

    private void quiesce() throws InterruptedException {
        executor.shutdown();
        assertThat(executor.awaitTermination(SAFETY_SECONDS, TimeUnit.SECONDS)).as("every thread finished").isTrue();
    }

    // ------------------------------------------------------------------ one call of a schedule

    enum Kind { MONO, FLUX, NEVER }

    /** One subscription through the bulkhead: its source, driven by the test, and its subscriber, which counts every signal. */
    static final class Call implements CoreSubscriber<Integer> {
        final Kind kind;
        final boolean oneAtATime;
        final boolean cancelInOnSubscribe;
        final Sinks.One<Integer> one = Sinks.one();
        final Sinks.Many<Integer> many = Sinks.many().replay().all();
        final AtomicInteger sourceSubscriptions = new AtomicInteger();
        final AtomicInteger onSubscribes = new AtomicInteger();
        final AtomicInteger values = new AtomicInteger();
        final AtomicInteger terminals = new AtomicInteger();
        final AtomicInteger violations = new AtomicInteger();
        volatile Throwable error;
        volatile Subscription subscription;
        volatile boolean cancelled;

        Call(Kind kind, boolean oneAtATime, boolean cancelInOnSubscribe) {
            this.kind = kind;
            this.oneAtATime = oneAtATime;
            this.cancelInOnSubscribe = cancelInOnSubscribe;
        }

        Publisher<Integer> through(Bulkhead b, VirtualTimeScheduler clock) {
            return switch (kind) {
                case MONO -> Mono.defer(() -> {
                    sourceSubscriptions.incrementAndGet();
                    return one.asMono();
                }).transform(NineLives.bulkhead(b, clock));
                case FLUX -> Flux.defer(() -> {
                    sourceSubscriptions.incrementAndGet();
                    return many.asFlux();
                }).transform(NineLives.bulkhead(b, clock));
                case NEVER -> Mono.<Integer>defer(() -> {
                    sourceSubscriptions.incrementAndGet();
                    return Mono.never();
                }).transform(NineLives.bulkhead(b, clock));
            };
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (onSubscribes.incrementAndGet() != 1) {
                violations.incrementAndGet();
            }
            subscription = s;
            if (cancelInOnSubscribe) {
                cancelled = true;
                s.cancel();
                return;
            }
            s.request(oneAtATime ? 1 : Long.MAX_VALUE);
        }

        @Override
        public void onNext(Integer v) {
            if (terminals.get() != 0) {
                violations.incrementAndGet();
            }
            values.incrementAndGet();
            if (oneAtATime) {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            if (terminals.incrementAndGet() != 1) {
                violations.incrementAndGet();
            }
        }

        @Override
        public void onComplete() {
            if (terminals.incrementAndGet() != 1) {
                violations.incrementAndGet();
            }
        }

        void cancel() {
            cancelled = true;
            subscription.cancel();
        }

        /** Ends the call the way {@code op} says: 0 value and completion, 1 error, 2 cancel. A call that never ends is cancelled. */
        void end(int op) {
            if (op == 2 || kind == Kind.NEVER) {
                cancel();
            } else if (kind == Kind.MONO) {
                if (op == 1) {
                    one.tryEmitError(new IOException("source failed"));
                } else {
                    one.tryEmitValue(1);
                }
            } else if (op == 1) {
                many.tryEmitNext(1);
                many.tryEmitError(new IOException("source failed"));
            } else {
                many.tryEmitNext(1);
                many.tryEmitNext(2);
                many.tryEmitComplete();
            }
        }
    }

    // ------------------------------------------------------------------ the randomized schedules

    /** Eight schedules: FIFO and LIFO, 1 to 4 permits, queues of 2 to 8, waits of 1 to 3 ticks, and one without waiting. */
    static Stream<Arguments> schedules() {
        return IntStream.range(0, 8).mapToObj(i -> Arguments.of(
                0x5EED_0000L + i,
                i % 2 == 0 ? QueueOrder.FIFO : QueueOrder.LIFO,
                1 + i % 4,                       // maxConcurrent 1..4
                2 + (i * 3) % 7,                 // maxQueued 2..8
                i == 7 ? 0 : 1 + i % 3));        // maxWait 1..3 ticks; 0: refuse at once
    }

    /**
     * Guards against every leak or double return the bulkhead could have under races between
     * subscribe, a Mono's value, a Flux's terminal signal, an error, a cancel (of a running call,
     * of a waiter, inside onSubscribe), a wait timeout, a resize and a change of the wait (waiters
     * of different waits on different timers): a permit lost or invented, a
     * waiter left counted, a cancelled or timed-out waiter that still takes a permit, a refused
     * call that reaches its source, a subscriber that gets two terminal signals or none.
     */
    @ParameterizedTest(name = "seed={0} {1} maxConcurrent={2} maxQueued={3} maxWait={4} ticks")
    @MethodSource("schedules")
    void randomSchedulesNeverLeakAPermit(long seed, QueueOrder order, int maxConcurrent, int maxQueued, int maxWaitTicks)
            throws Exception {
        Hooks.onErrorDropped(dropped::add);
        Hooks.onNextDropped(dropped::add);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        // waiting on: an adaptive wait that thread 2 changes under load (1 to 3 ticks); off: fixed at zero
        Adaptive<Duration> wait = maxWaitTicks > 0 ? Adaptive.of(TICK.multipliedBy(maxWaitTicks)) : null;
        BulkheadBuilder builder = Bulkhead.builder("schedule").maxConcurrent(maxConcurrent).queueOrder(order);
        builder = wait != null ? builder.maxWait(wait) : builder.maxWait(Duration.ZERO);
        Bulkhead b = (maxWaitTicks > 0 ? builder.maxQueued(maxQueued) : builder).build();   // a queue limit needs a wait
        Events events = new Events(b);
        AtomicReferenceArray<Call> slots = new AtomicReferenceArray<>(SLOTS);
        ConcurrentLinkedQueue<Call> all = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        LongAdder operations = new LongAdder();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            SplittableRandom random = new SplittableRandom(seed * 31 + t);
            workers.add(executor.submit(() -> {
                start.await();
                for (int i = 0; i < OPS_PER_THREAD; i++) {
                    step(thread, random, b, clock, slots, all, maxConcurrent, wait);
                    operations.increment();
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(SAFETY_SECONDS, TimeUnit.SECONDS);       // rethrows a worker's failure
        }
        quiesce();
        assertThat(operations.sum()).isEqualTo((long) THREADS * OPS_PER_THREAD);

        SplittableRandom endings = new SplittableRandom(seed);
        for (int i = 0; i < SLOTS; i++) {
            Call c = slots.getAndSet(i, null);
            if (c != null) {
                c.end(endings.nextInt(3));
            }
        }
        b.changeMaxConcurrent(maxConcurrent);
        clock.advanceTimeBy(Duration.ofDays(1));          // any waiter still queued times out now
        clock.dispose();

        String context = "seed " + seed + ", " + b.metrics();
        assertAllPermitsBack(b);
        int calls = 0;
        int sourceSubscriptions = 0;
        Map<Reason, Integer> refusals = new EnumMap<>(Reason.class);
        for (Call c : all) {
            calls++;
            assertThat(c.onSubscribes.get()).as(context).isEqualTo(1);
            assertThat(c.violations.get()).as("a signal after a terminal signal, " + context).isZero();
            assertThat(c.terminals.get()).as("terminal signals, " + context).isLessThanOrEqualTo(1);
            if (!c.cancelled) {
                assertThat(c.terminals.get()).as("a call that was not cancelled ends, " + context).isEqualTo(1);
            }
            assertThat(c.sourceSubscriptions.get()).as(context).isLessThanOrEqualTo(1);
            assertThat(c.values.get()).as(context).isLessThanOrEqualTo(c.kind == Kind.FLUX ? 2 : 1);
            sourceSubscriptions += c.sourceSubscriptions.get();
            if (c.error instanceof BulkheadFullException e) {
                assertThat(c.sourceSubscriptions.get()).as("a refused call never reaches its source, " + context).isZero();
                refusals.merge(e.reason(), 1, Integer::sum);
            } else if (c.error != null) {
                assertThat(c.error).as(context).isInstanceOf(IOException.class).hasMessage("source failed");
            }
            if (c.sourceSubscriptions.get() == 0 && !c.cancelled) {
                assertThat(c.error).as("a call that never ran and was not cancelled was refused, " + context)
                        .isInstanceOf(BulkheadFullException.class);
            }
        }
        assertThat(events.permitted).as("every permit started exactly one source, " + context).hasSize(sourceSubscriptions);
        assertThat(events.finished).as("every permit came back exactly once, " + context).hasValue(sourceSubscriptions);
        Map<Reason, Integer> announced = new EnumMap<>(Reason.class);
        events.rejected.forEach(e -> announced.merge(e.reason(), 1, Integer::sum));
        assertThat(refusals).as("every refusal reached its subscriber, " + context).isEqualTo(announced);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(events.rejected.size());
        assertThat(dropped).as(context).isEmpty();
        assertThat(calls).isGreaterThan(THREADS * OPS_PER_THREAD / 4);
        if (maxWaitTicks > 0) {
            assertThat(refusals.getOrDefault(Reason.WAIT_TIMED_OUT, 0)).as("the clock expired some waits, " + context).isPositive();
            assertThat(refusals.getOrDefault(Reason.QUEUE_FULL, 0)).as("the queue filled up, " + context).isPositive();
        } else {
            assertThat(refusals.keySet()).as(context).containsExactly(Reason.FULL);
        }
        assertThat(sourceSubscriptions).as(context).isGreaterThan(calls / 10);
    }

    /** One random operation: subscribe a call into a slot, end the call in a slot, advance the clock, resize, or change the wait. */
    private static void step(int thread, SplittableRandom random, Bulkhead b, VirtualTimeScheduler clock,
                             AtomicReferenceArray<Call> slots, ConcurrentLinkedQueue<Call> all, int maxConcurrent,
                             Adaptive<Duration> wait) {
        int slot = random.nextInt(SLOTS);
        int dice = random.nextInt(100);
        if (thread == 0 && dice < 20) {
            clock.advanceTimeBy(TICK.multipliedBy(random.nextInt(3)));      // wait timeouts fire on this thread
        } else if (thread == 1 && dice < 2) {
            b.changeMaxConcurrent(1 + random.nextInt(maxConcurrent + 1));  // shrink or grow under load
        } else if (thread == 2 && dice < 2 && wait != null) {
            // new waits only: a timer per value; never zero here, so that every schedule still has
            // waits to expire and a queue to fill (turning waiting off is AdaptiveWaitBulkheadTest's)
            wait.set(TICK.multipliedBy(1 + random.nextInt(3)));
        } else if (dice < 55) {
            int k = random.nextInt(20);
            Kind kind = k < 9 ? Kind.MONO : k < 17 ? Kind.FLUX : Kind.NEVER;
            Call call = new Call(kind, random.nextInt(4) == 0, random.nextInt(20) == 0);
            all.add(call);
            call.through(b, clock).subscribe(call);
            Call displaced = slots.getAndSet(slot, call);
            if (displaced != null) {
                displaced.end(random.nextInt(4) % 3);                      // mostly values: 0 twice as likely
            }
        } else {
            Call c = slots.getAndSet(slot, null);
            if (c != null) {
                c.end(dice < 80 ? 0 : dice < 90 ? 1 : 2);
            }
        }
    }

    // ------------------------------------------------------------------ targeted races

    private static final int ROUNDS = 2_000;

    /** Runs {@code a} and {@code b} on two pool threads released together by a barrier, and waits for both. */
    private void race(Runnable a, Runnable b) throws Exception {
        CyclicBarrier together = new CyclicBarrier(2);
        List<Callable<Void>> both = List.of(() -> {
            together.await();
            a.run();
            return null;
        }, () -> {
            together.await();
            b.run();
            return null;
        });
        for (Future<Void> f : executor.invokeAll(both, SAFETY_SECONDS, TimeUnit.SECONDS)) {
            f.get();
        }
    }

    /**
     * Guards against lost or doubled demand in the waiting subscriber's deferred subscription:
     * downstream requests on one thread while the permit is handed over, and the source
     * subscribed, on another. Lost demand hangs the call; doubled demand delivers too much.
     */
    @Test
    void demandRacingTheGrantReachesTheSourceExactlyOnce() throws Exception {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        for (int round = 0; round < ROUNDS; round++) {
            Bulkhead b = Bulkhead.builder("demandRace").maxConcurrent(1).maxWait(Duration.ofMinutes(1)).build();
            Sinks.Empty<Void> holder = Sinks.empty();
            holder.asMono().transform(NineLives.bulkhead(b, clock)).subscribe();
            ManualSource<Integer> source = new ManualSource<>();
            Capturing<Integer> down = new Capturing<>(1);
            source.flux().transform(NineLives.bulkhead(b, clock)).subscribe(down);
            race(() -> down.request(2), holder::tryEmitEmpty);
            assertThat(source.subscriptions).hasValue(1);
            assertThat(source.requested()).as("round %d: requests %s", round, source.requests).isEqualTo(3L);
            source.complete();
            assertAllPermitsBack(b);
        }
        clock.dispose();
    }

    /**
     * Guards against a cancel racing the hand-over of a permit: the waiter either leaves the
     * queue (and the permit goes back to the pool) or is granted and then cancelled (and returns
     * the permit); never both, never neither, and a source subscribed that late is cancelled.
     */
    @Test
    void aCancelRacingTheGrantNeverLeaksAPermit() throws Exception {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        for (int round = 0; round < ROUNDS; round++) {
            Bulkhead b = Bulkhead.builder("cancelRace").maxConcurrent(1).maxWait(Duration.ofMinutes(1)).build();
            Events events = new Events(b);
            Sinks.Empty<Void> holder = Sinks.empty();
            holder.asMono().transform(NineLives.bulkhead(b, clock)).subscribe();
            ManualSource<Integer> source = new ManualSource<>();
            Capturing<Integer> down = new Capturing<>(1);
            source.mono().transform(NineLives.bulkhead(b, clock)).subscribe(down);
            race(down::cancel, holder::tryEmitEmpty);
            assertAllPermitsBack(b);
            assertThat(events.finished.get()).as("round %d", round).isEqualTo(events.permitted.size());
            if (source.subscriptions.get() == 1) {
                assertThat(source.cancelled).as("round %d: granted, then cancelled", round).isTrue();
            }
            assertThat(down.values).isEmpty();
            assertThat(down.error.get()).isNull();
        }
        clock.dispose();
    }

    /**
     * Guards against a wait timeout racing the hand-over of a permit: exactly one of them wins.
     * The waiter then either runs and completes, or is refused with WAIT_TIMED_OUT without its
     * source ever being subscribed; the permit is never lost to a waiter that already timed out.
     */
    @Test
    void aTimeoutRacingTheGrantEndsTheWaiterExactlyOnce() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            VirtualTimeScheduler clock = VirtualTimeScheduler.create();
            Bulkhead b = Bulkhead.builder("timeoutRace").maxConcurrent(1).maxWait(TICK).build();
            Sinks.Empty<Void> holder = Sinks.empty();
            holder.asMono().transform(NineLives.bulkhead(b, clock)).subscribe();
            AtomicInteger subscribed = new AtomicInteger();
            Capturing<String> down = new Capturing<>(1);
            Mono.defer(() -> {
                subscribed.incrementAndGet();
                return Mono.just("ran");
            }).transform(NineLives.bulkhead(b, clock)).subscribe(down);
            race(() -> clock.advanceTimeBy(TICK), holder::tryEmitEmpty);
            AtomicReference<Throwable> error = down.error;
            if (error.get() != null) {
                assertThat(((BulkheadFullException) error.get()).reason()).isEqualTo(Reason.WAIT_TIMED_OUT);
                assertThat(subscribed).as("round %d", round).hasValue(0);
                assertThat(down.values).isEmpty();
            } else {
                assertThat(down.values).as("round %d", round).containsExactly("ran");
                assertThat(down.completions).hasValue(1);
                assertThat(subscribed).hasValue(1);
            }
            assertAllPermitsBack(b);
            clock.dispose();
        }
    }
}
