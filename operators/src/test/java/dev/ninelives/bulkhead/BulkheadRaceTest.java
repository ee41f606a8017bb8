package dev.ninelives.bulkhead;

import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain threads released together by a latch ({@link Race}), with seeded randomness so that a
 * failure names a round that can be replayed.
 *
 * <p>Guards against a permit lost or duplicated when a release hands it to a waiter at the
 * moment that waiter gives up (cancel or timeout): the permit must end either held by the
 * waiter, which then returns it, or back in the pool, never both and never neither. Also guards
 * against a bulkhead that admits more calls than its limit when acquirers, releasers, handoffs
 * and cancels race; a lost wake-up (a permit left free while a caller still waits, once every
 * thread has finished); and permits or queue places that do not add up at the end, resizes
 * included.
 */
class BulkheadRaceTest {

    private static final long SEED = 0x9_11FE5L;

    private static void spin(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }

    /**
     * Holds a drain inside a waiter's callback (the first time it is called) until another
     * thread has released a permit, so that the release certainly finds the drain taken.
     */
    private static final class DrainHold {
        private final CountDownLatch inDrain = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicBoolean armed = new AtomicBoolean(true);

        /** Called from inside the drain: the first call waits for {@link #releaseWhileHeld}. */
        void holdOnce() {
            if (armed.compareAndSet(true, false)) {
                inDrain.countDown();
                await(released, "the release ran");
            }
        }

        /** Waits until the drain is held, then releases one permit of {@code b} while it is. */
        void releaseWhileHeld(Bulkhead b) {
            await(inDrain, "the drain reached the held waiter");
            b.release();
            released.countDown();
        }

        private static void await(CountDownLatch latch, String what) {
            try {
                assertThat(latch.await(30, TimeUnit.SECONDS)).as(what).isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static WaitingBulkhead w(Bulkhead b) {
        return (WaitingBulkhead) b;
    }

    private static RecordingWaiter queue(Bulkhead b, int id) {
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        RecordingWaiter waiter = new RecordingWaiter(id, 0L);
        w(b).enqueue(waiter);
        return waiter;
    }

    /**
     * Every permit taken, a target waiter queued among 0 to 2 others; one thread releases a
     * permit while another gives the target up. 3,000 rounds, each with its own limit, order,
     * neighbours, cancel or timeout, and a head start of a few spins for one side.
     */
    @Test
    void aReleaseRacingTheCancelOfTheSameWaiterNeitherLosesNorDuplicatesThePermit() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        int claimedByTarget = 0;
        int gaveUp = 0;
        for (int round = 0; round < 3_000; round++) {
            int maxConcurrent = 1 + random.nextInt(3);
            QueueOrder order = random.nextBoolean() ? QueueOrder.FIFO : QueueOrder.LIFO;
            int before = random.nextInt(2);
            int after = random.nextInt(2);
            boolean timedOut = random.nextBoolean();
            int releaseSpins = random.nextInt(40);
            int cancelSpins = random.nextInt(40);
            String where = "round " + round + " of seed " + SEED + " (" + maxConcurrent + " permits, " + order + ", "
                    + before + " waiters before and " + after + " after the target, timedOut " + timedOut + ")";

            Bulkhead b = Bulkhead.builder("race").maxConcurrent(maxConcurrent).maxWait(Duration.ofSeconds(1))
                    .queueOrder(order).build();
            for (int i = 0; i < maxConcurrent; i++) {
                assertThat(b.tryAcquire()).isTrue();
            }
            List<RecordingWaiter> others = new ArrayList<>();
            for (int i = 0; i < before; i++) {
                others.add(queue(b, others.size()));
            }
            RecordingWaiter target = queue(b, 100);
            for (int i = 0; i < after; i++) {
                others.add(queue(b, others.size()));
            }
            AtomicInteger leaves = new AtomicInteger();

            Race.run(2, id -> {
                if (id == 0) {
                    spin(releaseSpins);
                    b.release();
                } else {
                    spin(cancelSpins);
                    if (target.giveUp()) {
                        leaves.incrementAndGet();
                        w(b).leave(timedOut);
                    }
                }
            });

            assertThat(target.violation()).as(where).isNull();
            if (target.state() == RecordingWaiter.GONE) {
                gaveUp++;
                assertThat(target.grants()).as(where).isZero();
                assertThat(leaves).as(where).hasValue(1);
            } else {
                claimedByTarget++;
                assertThat(target.state()).as(where).isEqualTo(RecordingWaiter.GRANTED);
                assertThat(target.grants()).as(where).isEqualTo(1);
                assertThat(leaves).as(where).hasValue(0);
            }
            BulkheadMetrics m = b.metrics();
            int granted = (int) others.stream().filter(o -> o.state() == RecordingWaiter.GRANTED).count()
                    + (target.state() == RecordingWaiter.GRANTED ? 1 : 0);
            assertThat(granted).as("the one release granted at most one waiter, " + where).isLessThanOrEqualTo(1);
            assertThat(m.availablePermits() + (maxConcurrent - 1) + granted).as("permits add up, " + where)
                    .isEqualTo(maxConcurrent);
            assertThat(m.queued()).as(where).isEqualTo(before + after + 1 - granted - (leaves.get()));

            // Wind down on this thread: the rest give up, then every held permit comes back.
            for (RecordingWaiter o : others) {
                if (o.giveUp()) {
                    w(b).leave(false);
                }
            }
            if (target.returnPermit()) {
                b.release();
            }
            for (RecordingWaiter o : others) {
                if (o.returnPermit()) {
                    b.release();
                }
            }
            for (int i = 1; i < maxConcurrent; i++) {
                b.release();
            }
            m = b.metrics();
            assertThat(m.availablePermits()).as(where).isEqualTo(maxConcurrent);
            assertThat(m.queued()).as(where).isZero();
            assertThat(m.rejectedCalls()).as(where).isEqualTo(timedOut && target.state() == RecordingWaiter.GONE ? 1 : 0);
            for (RecordingWaiter o : others) {
                assertThat(o.violation()).as(where).isNull();
            }
        }
        assertThat(claimedByTarget).as("the release won some rounds").isPositive();
        assertThat(gaveUp).as("the cancel won some rounds").isPositive();
    }

    /**
     * One permit, held; one live waiter among 65 that give up. The 65th to give up runs the
     * drain, which purges the dead; while it checks the live waiter (inside its isWaiting(),
     * held there by a latch) another thread releases the permit, finds the drain taken and
     * leaves a missed pass behind. The running drain must make that pass and grant the waiter.
     * Guards against a lost wake-up through the WIP counter (a drain that resets it instead of
     * subtracting the passes it made would leave the permit free and the waiter waiting until
     * its timeout); the latches make the interleaving certain instead of lucky.
     */
    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void aReleaseThatFindsAnotherThreadDrainingIsNotLost(QueueOrder order) throws Exception {
        Bulkhead b = Bulkhead.builder("wake-up").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).maxQueued(1_000)
                .queueOrder(order).build();
        assertThat(b.tryAcquire()).isTrue();
        DrainHold hold = new DrainHold();
        List<RecordingWaiter> doomed = new ArrayList<>();
        RecordingWaiter live = null;
        for (int i = 0; i <= 65; i++) {
            boolean isLive = order == QueueOrder.LIFO ? i == 0 : i == 65;   // where the purge reaches it
            assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
            RecordingWaiter waiter = new RecordingWaiter(i, 0L, g -> { }, isLive ? hold::holdOnce : () -> { });
            w(b).enqueue(waiter);
            if (isLive) {
                live = waiter;
            } else {
                doomed.add(waiter);
            }
        }
        RecordingWaiter theLive = live;

        Race.run(2, id -> {
            if (id == 0) {
                for (RecordingWaiter d : doomed) {
                    assertThat(d.giveUp()).isTrue();
                    w(b).leave(false);      // the 65th runs the purge, which is held in theLive.isWaiting()
                }
            } else {
                hold.releaseWhileHeld(b);   // the drain is taken: this leaves a missed pass
            }
        });

        assertThat(theLive.state()).as("granted by the missed pass").isEqualTo(RecordingWaiter.GRANTED);
        assertThat(theLive.violation()).isNull();
        assertThat(doomed).allSatisfy(d -> assertThat(d.grants()).isZero());
        BulkheadMetrics m = b.metrics();
        assertThat(m.availablePermits()).isZero();
        assertThat(m.queued()).isZero();
        assertThat(theLive.returnPermit()).isTrue();
        b.release();
        assertThat(b.metrics().availablePermits()).isEqualTo(1);
    }

    /**
     * The set-up of {@link #aReleaseThatFindsAnotherThreadDrainingIsNotLost}, with timeouts
     * instead of cancels and a live waiter whose call throws a JVM-fatal error when granted. The
     * 65th timeout's leave() runs the drain, which makes the missed pass, grants the waiter and
     * rethrows its error from leave(). That timeout must still be counted and announced as a
     * rejection: leave() announces it only after its drain, so the drain's error skips it.
     */
    @Test
    void aTimeoutIsCountedEvenWhenItsDrainRethrowsAGrantedCallsError() throws Exception {
        Bulkhead b = Bulkhead.builder("counted").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).maxQueued(1_000)
                .queueOrder(QueueOrder.LIFO).build();
        AtomicInteger announced = new AtomicInteger();
        b.onRejected(e -> announced.incrementAndGet());
        assertThat(b.tryAcquire()).isTrue();
        DrainHold hold = new DrainHold();
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        RecordingWaiter live = new RecordingWaiter(0, 0L, g -> {
            throw new InternalError("fatal in the call");
        }, hold::holdOnce);
        w(b).enqueue(live);
        List<RecordingWaiter> doomed = new ArrayList<>();
        for (int i = 1; i <= 65; i++) {
            doomed.add(queue(b, i));
        }
        List<Throwable> thrownByLeave = Collections.synchronizedList(new ArrayList<>());

        Race.run(2, id -> {
            if (id == 0) {
                for (RecordingWaiter d : doomed) {
                    assertThat(d.giveUp()).isTrue();
                    try {
                        w(b).leave(true);    // the 65th drains: it purges, is held, then grants the live waiter
                    } catch (InternalError e) {
                        thrownByLeave.add(e);
                    }
                }
            } else {
                hold.releaseWhileHeld(b);
            }
        });

        assertThat(live.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertThat(thrownByLeave).singleElement().satisfies(e -> assertThat(e).hasMessage("fatal in the call"));
        assertThat(b.metrics().rejectedCalls()).as("every timeout counted").isEqualTo(65);
        assertThat(announced).as("every timeout announced").hasValue(65);
    }

    /**
     * Four threads call through one bulkhead of 3 permits: each admits a call, or waits, holds
     * its permit for a while, returns it, and sometimes gives up a waiting call. A counter of
     * calls holding a permit, raised when a call gets its permit and lowered before it returns
     * it, must never exceed 3. Once the threads are done, no permit may be free while a waiter
     * still waits; after those waiters give up and the granted ones return their permits, every
     * permit is back and nobody is counted as waiting.
     */
    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void neverMoreCallsThanPermitsWhenCallersWaitReleaseAndGiveUp(QueueOrder order) throws Exception {
        int limit = 3;
        Bulkhead b = Bulkhead.builder("chaos").maxConcurrent(limit).maxWait(Duration.ofSeconds(1)).maxQueued(8)
                .queueOrder(order).build();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        List<RecordingWaiter> all = Collections.synchronizedList(new ArrayList<>());
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        Runnable enter = () -> {
            int now = running.incrementAndGet();
            maxRunning.accumulateAndGet(now, Math::max);
            if (now > limit) {
                violations.add(now + " calls hold a permit at once");
            }
        };

        Race.run(4, id -> {
            SplittableRandom random = new SplittableRandom(SEED + id);
            List<RecordingWaiter> mine = new ArrayList<>();
            int heldAtOnce = 0;
            for (int i = 0; i < 20_000; i++) {
                int dice = random.nextInt(10);
                if (dice < 4) {
                    int admitted = w(b).admit();
                    if (admitted == WaitingBulkhead.PERMITTED) {
                        enter.run();
                        heldAtOnce++;
                    } else if (admitted == WaitingBulkhead.QUEUED) {
                        RecordingWaiter waiter = new RecordingWaiter(id * 1_000_000 + i, 0L, g -> enter.run(), () -> { });
                        mine.add(waiter);
                        all.add(waiter);
                        w(b).enqueue(waiter);
                    } else {
                        refusals.incrementAndGet();
                    }
                } else if (dice < 8) {
                    if (heldAtOnce > 0) {
                        heldAtOnce--;
                        running.decrementAndGet();
                        b.release();
                    } else {
                        for (RecordingWaiter waiter : mine) {
                            if (waiter.state() == RecordingWaiter.GRANTED) {
                                running.decrementAndGet();
                                waiter.returnPermit();
                                b.release();
                                break;
                            }
                        }
                    }
                } else if (dice < 9) {
                    for (RecordingWaiter waiter : mine) {
                        if (waiter.giveUp()) {
                            boolean timedOut = random.nextBoolean();
                            if (timedOut) {
                                refusals.incrementAndGet();
                            }
                            w(b).leave(timedOut);
                            break;
                        }
                    }
                } else {
                    spin(random.nextInt(50));
                }
                mine.removeIf(waiter -> waiter.state() == RecordingWaiter.GONE || waiter.state() == RecordingWaiter.RELEASED);
            }
            // wind down: return the permits admitted at once; waiters are left to the end
            for (; heldAtOnce > 0; heldAtOnce--) {
                running.decrementAndGet();
                b.release();
            }
        });

        // Quiet now: a waiter may still wait only if no permit is free (else a wake-up was lost).
        BulkheadMetrics quiet = b.metrics();
        int stillWaiting = (int) all.stream().filter(waiter -> waiter.state() == RecordingWaiter.WAITING).count();
        assertThat(quiet.queued()).isEqualTo(stillWaiting);
        if (stillWaiting > 0) {
            assertThat(quiet.availablePermits()).as("no permit free while %d wait: %s", stillWaiting, quiet).isLessThanOrEqualTo(0);
        }
        for (RecordingWaiter waiter : all) {
            if (waiter.giveUp()) {
                w(b).leave(false);
            }
        }
        for (RecordingWaiter waiter : all) {
            if (waiter.returnPermit()) {
                running.decrementAndGet();
                b.release();
            }
        }
        assertThat(violations).isEmpty();
        assertThat(maxRunning.get()).as("the bulkhead was saturated at times").isEqualTo(limit);
        assertThat(running).hasValue(0);
        assertThat(all).allSatisfy(waiter -> {
            assertThat(waiter.violation()).isNull();
            assertThat(waiter.state()).isIn(RecordingWaiter.GONE, RecordingWaiter.RELEASED);
            assertThat(waiter.grants()).isEqualTo(waiter.state() == RecordingWaiter.RELEASED ? 1 : 0);
        });
        assertThat(all).as("calls waited and were granted").anyMatch(waiter -> waiter.state() == RecordingWaiter.RELEASED);
        BulkheadMetrics m = b.metrics();
        assertThat(m.availablePermits()).isEqualTo(limit);
        assertThat(m.queued()).isZero();
        assertThat(m.rejectedCalls()).isEqualTo(refusals.get());
    }

    /**
     * Three threads queue 3,000 callers each and give up nine in ten of them at once, so dead
     * waiters pile up and the drain purges them (LIFO compacts the whole stack) while other
     * threads push and give up; the live callers are synchronous calls, and halfway through the
     * two permits held from the start are released. Once all threads are done, every live
     * caller must have had its call and every permit must be back. Guards against a purge that
     * drops a live waiter or loses waiters pushed while it had the stack detached, and against
     * a dead waiter counted twice or never (queued would not return to zero).
     */
    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void purgesRacingPushesAndCancelsLoseNoLiveWaiter(QueueOrder order) throws Exception {
        Bulkhead b = Bulkhead.builder("purge").maxConcurrent(2).maxWait(Duration.ofSeconds(1)).maxQueued(100_000)
                .queueOrder(order).build();
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        List<RecordingWaiter> all = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger timeouts = new AtomicInteger();
        Race.run(3, id -> {
            SplittableRandom random = new SplittableRandom(SEED + 17 * id);
            for (int i = 0; i < 3_000; i++) {
                if (id == 0 && i == 1_500) {
                    b.release();
                    b.release();
                }
                int admitted = w(b).admit();
                if (admitted == WaitingBulkhead.PERMITTED) {
                    b.release();
                    continue;
                }
                assertThat(admitted).isEqualTo(WaitingBulkhead.QUEUED);
                RecordingWaiter waiter = new RecordingWaiter(id * 10_000 + i, 0L, g -> {
                    g.returnPermit();
                    b.release();
                }, () -> { });
                all.add(waiter);
                w(b).enqueue(waiter);
                if (random.nextInt(10) != 0 && waiter.giveUp()) {
                    boolean timedOut = random.nextBoolean();
                    if (timedOut) {
                        timeouts.incrementAndGet();
                    }
                    w(b).leave(timedOut);
                }
            }
        });
        assertThat(all).allSatisfy(waiter -> {
            assertThat(waiter.violation()).isNull();
            assertThat(waiter.state()).as("%s", waiter).isIn(RecordingWaiter.GONE, RecordingWaiter.RELEASED);
            assertThat(waiter.grants()).isEqualTo(waiter.state() == RecordingWaiter.RELEASED ? 1 : 0);
        });
        assertThat(all).filteredOn(waiter -> waiter.state() == RecordingWaiter.GONE).hasSizeGreaterThan(65);
        BulkheadMetrics m = b.metrics();
        assertThat(m.availablePermits()).isEqualTo(2);
        assertThat(m.queued()).isZero();
        assertThat(m.rejectedCalls()).isEqualTo(timeouts.get());
    }

    /**
     * Three threads make synchronous calls (a waiter releases inside granted()) while a fourth
     * resizes the bulkhead between 1 and 4 permits. Each resize is one atomic add of its delta,
     * so once everyone is done the free permits equal the last limit and nobody waits.
     */
    @Test
    void resizesRacingHandoffsLoseNoPermit() throws Exception {
        Bulkhead b = Bulkhead.builder("resize").maxConcurrent(2).maxWait(Duration.ofSeconds(1)).maxQueued(1_000).build();
        AtomicInteger granted = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        AtomicInteger callersDone = new AtomicInteger();
        Race.run(4, id -> {
            SplittableRandom random = new SplittableRandom(SEED * 31 + id);
            if (id == 3) {
                while (callersDone.get() < 3) {
                    b.changeMaxConcurrent(1 + random.nextInt(4));
                    spin(random.nextInt(20));
                }
                return;
            }
            // at least 20,000 calls each, and on until 500 of them waited (threads may start far apart)
            for (int i = 0; i < 20_000 || (granted.get() < 500 && i < 5_000_000); i++) {
                int admitted = w(b).admit();
                if (admitted == WaitingBulkhead.PERMITTED) {
                    spin(random.nextInt(10));
                    b.release();
                } else if (admitted == WaitingBulkhead.REJECTED_QUEUE_FULL) {
                    refusals.incrementAndGet();     // a drainer descheduled for a while lets the queue fill up
                } else {
                    assertThat(admitted).isEqualTo(WaitingBulkhead.QUEUED);
                    w(b).enqueue(new RecordingWaiter(i, 0L, g -> {
                        granted.incrementAndGet();
                        g.returnPermit();
                        b.release();
                    }, () -> { }));
                }
            }
            callersDone.incrementAndGet();
        });
        BulkheadMetrics m = b.metrics();
        assertThat(granted.get()).as("calls waited and were granted").isGreaterThanOrEqualTo(500);
        assertThat(m.queued()).as("every waiter was granted").isZero();
        assertThat(m.availablePermits()).as("every permit is back, at the last limit").isEqualTo(m.maxConcurrent());
        assertThat(m.rejectedCalls()).isEqualTo(refusals.get());
    }
}
