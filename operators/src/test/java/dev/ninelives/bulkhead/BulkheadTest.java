package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.bulkhead.BulkheadEvent.Type;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bulkhead's permits, queue and handoff, single-threaded, with a manual ticker and
 * {@link RecordingWaiter}s in the place of the Reactor bridge's waiting subscribers.
 *
 * <p>Guards against permits lost or invented by an acquire, a release, a handoff or a resize;
 * a newcomer overtaking a waiter; a permit parked in the pool while a live waiter is queued; a
 * waiter that gave up being granted, or a live one never granted after dead ones were skipped
 * or purged; the wrong order of grants; a long queue of synchronous calls growing the stack;
 * and listeners, metrics and rejection exceptions that say the wrong thing.
 */
class BulkheadTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<Integer> grantOrder = new ArrayList<>();
    /** Every waiter {@link #queue} made, by id. */
    private final List<RecordingWaiter> queued = new ArrayList<>();
    private int nextId;

    private Bulkhead bulkhead(BulkheadBuilder b) {
        return b.ticker(ticker).build();
    }

    /** A bulkhead whose callers wait up to a second, at most 100,000 of them. */
    private Bulkhead waiting(int maxConcurrent, QueueOrder order) {
        return bulkhead(Bulkhead.builder("w").maxConcurrent(maxConcurrent).maxWait(Duration.ofSeconds(1)).maxQueued(100_000)
                .queueOrder(order));
    }

    private static WaitingBulkhead w(Bulkhead b) {
        return (WaitingBulkhead) b;
    }

    /** Admits a caller that must be queued and enqueues a waiter for it that records when it is granted. */
    private RecordingWaiter queue(Bulkhead b) {
        return queue(b, w -> { }, () -> { });
    }

    private RecordingWaiter queue(Bulkhead b, Consumer<RecordingWaiter> onGranted, Runnable onWaitingCheck) {
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        RecordingWaiter waiter = new RecordingWaiter(nextId++, ticker.read(), g -> {
            grantOrder.add(g.id());
            onGranted.accept(g);
        }, onWaitingCheck);
        queued.add(waiter);
        w(b).enqueue(waiter);
        return waiter;
    }

    /** A waiter whose call ends synchronously: it releases its permit inside granted(). */
    private RecordingWaiter queueSynchronousCall(Bulkhead b) {
        return queue(b, g -> {
            assertThat(g.returnPermit()).isTrue();
            b.release();
        }, () -> { });
    }

    private static void giveUp(Bulkhead b, RecordingWaiter waiter, boolean timedOut) {
        assertThat(waiter.giveUp()).isTrue();
        w(b).leave(timedOut);
    }

    private static void endCall(Bulkhead b, RecordingWaiter waiter) {
        assertThat(waiter.returnPermit()).as("%s holds a permit", waiter).isTrue();
        b.release();
    }

    private static void assertMetrics(Bulkhead b, int available, int inFlight, int queued) {
        BulkheadMetrics m = b.metrics();
        assertThat(m.availablePermits()).as("available permits").isEqualTo(available);
        assertThat(m.inFlight()).as("in flight").isEqualTo(inFlight);
        assertThat(m.queued()).as("queued").isEqualTo(queued);
    }

    private static void assertNoViolations(List<RecordingWaiter> waiters) {
        for (RecordingWaiter waiter : waiters) {
            assertThat(waiter.violation()).as("%s", waiter).isNull();
        }
    }

    // ---------------------------------------------------------------- permits

    @Test
    void tryAcquireAndReleaseAccountForEveryPermit() {
        Bulkhead b = bulkhead(Bulkhead.builder("three").maxConcurrent(3));
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        assertMetrics(b, 1, 2, 0);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isFalse();
        assertThat(b.tryAcquire()).isFalse();
        assertMetrics(b, 0, 3, 0);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
        b.release();
        assertMetrics(b, 1, 2, 0);
        assertThat(b.tryAcquire()).isTrue();
        b.release();
        b.release();
        b.release();
        assertMetrics(b, 3, 0, 0);
        assertThat(b.metrics().maxConcurrent()).isEqualTo(3);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
    }

    @Test
    void admitReturnsEachOutcome() {
        Bulkhead noWait = bulkhead(Bulkhead.builder("no-wait").maxConcurrent(1));
        assertThat(w(noWait).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
        assertThat(w(noWait).admit()).as("maxWait 0: refused at once").isEqualTo(WaitingBulkhead.REJECTED_FULL);
        assertMetrics(noWait, 0, 1, 0);
        assertThat(noWait.metrics().rejectedCalls()).isEqualTo(1);

        Bulkhead b = bulkhead(Bulkhead.builder("queue-of-two").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).maxQueued(2));
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        assertMetrics(b, 0, 1, 2);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.REJECTED_QUEUE_FULL);
        assertThat(b.tryAcquire()).isFalse();
        assertMetrics(b, 0, 1, 2);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
    }

    @Test
    void aReleaseHandsThePermitToTheQueuedWaiter() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter waiter = queue(b);
        assertThat(waiter.claims()).as("nothing to hand over yet").isZero();
        assertThat(waiter.isWaiting()).isTrue();
        assertMetrics(b, 0, 1, 1);

        b.release();
        assertThat(waiter.claims()).isEqualTo(1);
        assertThat(waiter.grants()).isEqualTo(1);
        assertThat(waiter.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 1, 0);
        assertThat(b.tryAcquire()).as("the permit went to the waiter, not to the pool").isFalse();

        endCall(b, waiter);
        assertMetrics(b, 1, 0, 0);
        assertNoViolations(List.of(waiter));
    }

    /**
     * A caller counted into the queue but not enqueued yet when a permit comes back: the drain
     * finds no node and leaves the permit free, yet no newcomer may take it, and the waiter's
     * own enqueue must pick it up.
     */
    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void noNewcomerTakesThePermitOwedToAWaiterNotYetEnqueued(QueueOrder order) {
        Bulkhead b = waiting(2, order);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        b.release();   // the counted waiter is not in the queue yet: the drain gives the permit back
        assertMetrics(b, 1, 1, 1);
        assertThat(b.tryAcquire()).as("a newcomer never takes the permit a waiter is owed").isFalse();
        assertThat(w(b).admit()).as("nor does a waiting newcomer").isEqualTo(WaitingBulkhead.QUEUED);

        RecordingWaiter first = new RecordingWaiter(0, ticker.read());
        w(b).enqueue(first);
        assertThat(first.state()).as("granted on the enqueuing thread").isEqualTo(RecordingWaiter.GRANTED);
        RecordingWaiter second = new RecordingWaiter(1, ticker.read());
        w(b).enqueue(second);
        assertThat(second.isWaiting()).isTrue();
        assertMetrics(b, 0, 2, 1);
        endCall(b, first);
        assertThat(second.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 2, 0);
        assertNoViolations(List.of(first, second));
    }

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void grantsFollowTheQueueOrder(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        for (int i = 0; i < 5; i++) {
            queue(b);
        }
        b.release();
        for (int i = 0; i < 5; i++) {
            RecordingWaiter holder = lastGranted();
            if (i == 1) {
                queue(b);   // id 5 arrives while others still wait
            }
            endCall(b, holder);
        }
        if (order == QueueOrder.FIFO) {
            assertThat(grantOrder).containsExactly(0, 1, 2, 3, 4, 5);
        } else {
            assertThat(grantOrder).as("the newest first, the late arrival as soon as it is the newest")
                    .containsExactly(4, 3, 5, 2, 1, 0);
        }
        assertMetrics(b, 0, 1, 0);
        endCall(b, lastGranted());
        assertMetrics(b, 1, 0, 0);
        assertNoViolations(queued);
    }

    private RecordingWaiter lastGranted() {
        return queued.get(grantOrder.get(grantOrder.size() - 1));
    }

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void aWaiterThatLeftIsSkippedAndNeverTakesAPermit(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter first = queue(b);
        RecordingWaiter cancelled = queue(b);
        RecordingWaiter third = queue(b);
        giveUp(b, cancelled, false);
        assertMetrics(b, 0, 1, 2);
        assertThat(b.metrics().rejectedCalls()).as("a cancel is no rejection").isZero();

        b.release();
        RecordingWaiter next = order == QueueOrder.FIFO ? first : third;
        RecordingWaiter after = order == QueueOrder.FIFO ? third : first;
        assertThat(next.state()).isEqualTo(RecordingWaiter.GRANTED);
        endCall(b, next);
        assertThat(after.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertThat(cancelled.claims()).as("polled and skipped").isEqualTo(1);
        assertThat(cancelled.grants()).isZero();
        assertThat(cancelled.state()).isEqualTo(RecordingWaiter.GONE);
        assertMetrics(b, 0, 1, 0);
        endCall(b, after);
        assertMetrics(b, 1, 0, 0);
        assertNoViolations(List.of(first, cancelled, third));
    }

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void whenEveryWaiterLeftTheReleasedPermitGoesBackToThePool(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter one = queue(b);
        RecordingWaiter two = queue(b);
        giveUp(b, one, true);
        giveUp(b, two, false);
        assertMetrics(b, 0, 1, 0);
        b.release();
        assertMetrics(b, 1, 0, 0);
        assertThat(one.grants() + two.grants()).isZero();
        assertThat(b.tryAcquire()).isTrue();
        b.release();
        assertMetrics(b, 1, 0, 0);
    }

    @Test
    void aWaiterThatGaveUpBeforeItWasEnqueuedIsNeverGranted() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.QUEUED);
        RecordingWaiter early = new RecordingWaiter(0, ticker.read());
        giveUp(b, early, true);   // its timeout fired before it reached the queue
        w(b).enqueue(early);
        RecordingWaiter live = queue(b);
        b.release();
        assertThat(early.grants()).isZero();
        assertThat(live.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 1, 0);
        endCall(b, live);
        assertMetrics(b, 1, 0, 0);
    }

    @Test
    void aTimedOutWaiterCountsARejectionAndAnnouncesIt() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        List<BulkheadEvent> rejected = new ArrayList<>();
        b.onRejected(rejected::add);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter timedOut = queue(b);
        RecordingWaiter cancelled = queue(b);
        giveUp(b, cancelled, false);
        assertThat(rejected).isEmpty();
        giveUp(b, timedOut, true);
        assertThat(rejected).containsExactly(new BulkheadEvent("w", Type.REJECTED, Reason.WAIT_TIMED_OUT, 0L));
        assertThat(b.metrics().rejectedCalls()).isEqualTo(1);
        assertMetrics(b, 0, 1, 0);
        BulkheadFullException e = w(b).rejection(-1);
        assertThat(e.reason()).isEqualTo(Reason.WAIT_TIMED_OUT);
        assertThat(e.getMessage()).contains("'w'").contains("PT1S");
    }

    // ---------------------------------------------------------------- resizing

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void growingWhileSaturatedGrantsWaitersAtOnce(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter w0 = queue(b);
        RecordingWaiter w1 = queue(b);
        RecordingWaiter w2 = queue(b);
        b.changeMaxConcurrent(3);
        if (order == QueueOrder.FIFO) {
            assertThat(grantOrder).containsExactly(0, 1);
            assertThat(w2.isWaiting()).isTrue();
        } else {
            assertThat(grantOrder).containsExactly(2, 1);
            assertThat(w0.isWaiting()).isTrue();
        }
        assertMetrics(b, 0, 3, 1);
        assertThat(b.metrics().maxConcurrent()).isEqualTo(3);
        b.changeMaxConcurrent(5);
        assertThat(grantOrder).hasSize(3);
        assertMetrics(b, 1, 4, 0);
        assertThat(b.tryAcquire()).isTrue();
        assertMetrics(b, 0, 5, 0);
        assertNoViolations(List.of(w0, w1, w2));
    }

    @Test
    void shrinkingWhileSaturatedTakesPermitsBackBeforeAnyoneGetsOne() {
        Bulkhead b = waiting(3, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter waiter = queue(b);
        b.changeMaxConcurrent(1);
        assertThat(b.metrics().maxConcurrent()).isEqualTo(1);
        assertMetrics(b, -2, 3, 1);
        assertThat(b.tryAcquire()).isFalse();

        b.release();
        assertMetrics(b, -1, 2, 1);
        assertThat(waiter.isWaiting()).as("the deficit is refilled first").isTrue();
        b.release();
        assertMetrics(b, 0, 1, 1);
        assertThat(waiter.isWaiting()).isTrue();
        b.release();
        assertThat(waiter.state()).as("the first permit free again goes to the waiter").isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 1, 0);
        endCall(b, waiter);
        assertMetrics(b, 1, 0, 0);
    }

    @Test
    void shrinkingWithoutWaitersRefusesUntilTheDeficitIsRefilled() {
        Bulkhead b = bulkhead(Bulkhead.builder("shrink").maxConcurrent(3));
        for (int i = 0; i < 3; i++) {
            assertThat(b.tryAcquire()).isTrue();
        }
        b.changeMaxConcurrent(1);
        assertMetrics(b, -2, 3, 0);
        b.release();
        assertThat(b.tryAcquire()).isFalse();
        b.release();
        assertThat(b.tryAcquire()).isFalse();
        assertMetrics(b, 0, 1, 0);
        b.release();
        assertMetrics(b, 1, 0, 0);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isFalse();
        b.changeMaxConcurrent(2);
        assertMetrics(b, 1, 1, 0);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.metrics().rejectedCalls()).isEqualTo(3);
    }

    @Test
    void shrinkingThenGrowingAgainInventsNoPermit() {
        Bulkhead b = waiting(4, QueueOrder.FIFO);
        for (int i = 0; i < 4; i++) {
            assertThat(b.tryAcquire()).isTrue();
        }
        RecordingWaiter waiter = queue(b);
        b.changeMaxConcurrent(2);
        b.changeMaxConcurrent(5);
        assertThat(waiter.state()).as("one permit more than the calls in flight").isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 5, 0);
        b.changeMaxConcurrent(1);
        assertMetrics(b, -4, 5, 0);
        for (int i = 0; i < 4; i++) {
            b.release();
        }
        endCall(b, waiter);
        assertMetrics(b, 1, 0, 0);
    }

    /**
     * Two bulkheads bound to one adaptive limit follow each of its changes with their own state:
     * a raise grants the waiters of the busy one, a lowering lets the calls in flight finish and
     * admits none until below the new limit, and changeMaxConcurrent on one sets the shared
     * adaptive, so the other follows too.
     */
    @Test
    void bulkheadsBoundToOneAdaptiveFollowEveryChangeKeepingTheirState() {
        Adaptive<Integer> limit = Adaptive.of(1);
        Bulkhead busy = bulkhead(Bulkhead.builder("busy").maxConcurrent(limit).maxWait(Duration.ofSeconds(1)));
        Bulkhead idle = bulkhead(Bulkhead.builder("idle").maxConcurrent(limit));
        assertThat(busy.tryAcquire()).isTrue();
        RecordingWaiter w0 = queue(busy);
        RecordingWaiter w1 = queue(busy);

        limit.set(3);
        assertThat(grantOrder).containsExactly(0, 1);
        assertMetrics(busy, 0, 3, 0);
        assertMetrics(idle, 3, 0, 0);
        assertThat(busy.config().maxConcurrent()).isEqualTo(3);

        idle.changeMaxConcurrent(2);                  // sets the shared adaptive
        assertThat(limit.get()).isEqualTo(2);
        assertMetrics(busy, -1, 3, 0);
        assertMetrics(idle, 2, 0, 0);
        endCall(busy, w0);
        assertThat(busy.tryAcquire()).as("still 2 in flight, at a limit of 2").isFalse();
        endCall(busy, w1);
        assertThat(busy.tryAcquire()).isTrue();
        assertMetrics(busy, 0, 2, 0);
        busy.release();
        busy.release();
        assertMetrics(busy, 2, 0, 0);
        assertNoViolations(List.of(w0, w1));
    }

    // ---------------------------------------------------------------- listeners and metrics

    @Test
    void listenersHearEveryPermitRefusalAndEndWithTheWaitMeasuredByTheTicker() {
        Bulkhead b = bulkhead(Bulkhead.builder("events").maxConcurrent(1).maxWait(Duration.ofMillis(100)).maxQueued(1));
        List<BulkheadEvent> permitted = new ArrayList<>();
        List<BulkheadEvent> rejected = new ArrayList<>();
        List<BulkheadEvent> finished = new ArrayList<>();
        b.onPermitted(permitted::add);
        b.onRejected(rejected::add);
        b.onFinished(finished::add);

        assertThat(b.tryAcquire()).isTrue();
        assertThat(permitted).containsExactly(new BulkheadEvent("events", Type.PERMITTED, null, 0L));
        RecordingWaiter waiter = queue(b);
        assertThat(permitted).as("queueing is not a permit").hasSize(1);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.REJECTED_QUEUE_FULL);
        assertThat(rejected).as("admit() decides and counts; announce() tells the listeners").isEmpty();
        w(b).announce(WaitingBulkhead.REJECTED_QUEUE_FULL);
        assertThat(b.tryAcquire()).isFalse();
        assertThat(rejected).containsExactly(
                new BulkheadEvent("events", Type.REJECTED, Reason.QUEUE_FULL, 0L),
                new BulkheadEvent("events", Type.REJECTED, Reason.FULL, 0L));

        ticker.advance(Duration.ofMillis(7));
        b.release();
        assertThat(finished).containsExactly(new BulkheadEvent("events", Type.FINISHED, null, 0L));
        assertThat(permitted).hasSize(2);
        BulkheadEvent handedOver = permitted.get(1);
        assertThat(handedOver.type()).isEqualTo(Type.PERMITTED);
        assertThat(handedOver.bulkheadName()).isEqualTo("events");
        assertThat(handedOver.reason()).isNull();
        assertThat(handedOver.waitNanos()).isEqualTo(Duration.ofMillis(7).toNanos());
        assertThat(handedOver.toString()).contains("events").contains("PERMITTED").contains("7000000 ns");

        endCall(b, waiter);
        assertThat(finished).hasSize(2);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(permitted).hasSize(3);
        assertThat(permitted.get(2).waitNanos()).as("no wait, although the ticker moved").isZero();
        RecordingWaiter timedOut = queue(b);
        ticker.advance(Duration.ofMillis(100));
        giveUp(b, timedOut, true);
        assertThat(rejected).hasSize(3);
        assertThat(rejected.get(2)).isEqualTo(new BulkheadEvent("events", Type.REJECTED, Reason.WAIT_TIMED_OUT, 0L));
        assertThat(rejected.get(2).toString()).contains("REJECTED").contains("WAIT_TIMED_OUT");
        assertThat(b.metrics().rejectedCalls()).isEqualTo(3);
        b.release();
        assertThat(finished).hasSize(3);
        assertThat(permitted).as("the timed-out waiter got nothing").hasSize(3);
        assertMetrics(b, 1, 0, 0);
    }

    @Test
    void aListenerRegisteredLaterHearsOnlyLaterEventsAndAllListenersHearEach() {
        Bulkhead b = bulkhead(Bulkhead.builder("many").maxConcurrent(1));
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        b.onRejected(e -> first.incrementAndGet());
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isFalse();
        b.onRejected(e -> second.incrementAndGet());
        assertThat(b.tryAcquire()).isFalse();
        assertThat(first).hasValue(2);
        assertThat(second).hasValue(1);
    }

    @Test
    void aThrowingListenerIsLoggedAndNeverBreaksTheBulkhead() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Bulkhead b = waiting(1, QueueOrder.FIFO);
            List<Type> seen = new ArrayList<>();
            Consumer<BulkheadEvent> boom = e -> {
                throw new IllegalStateException("listener bug");
            };
            b.onPermitted(boom);
            b.onRejected(boom);
            b.onFinished(boom);
            b.onPermitted(e -> seen.add(e.type()));
            b.onRejected(e -> seen.add(e.type()));
            b.onFinished(e -> seen.add(e.type()));

            assertThat(b.tryAcquire()).isTrue();
            assertThat(b.tryAcquire()).isFalse();
            RecordingWaiter waiter = queue(b);
            b.release();
            assertThat(waiter.state()).as("the handoff survived the throwing listeners").isEqualTo(RecordingWaiter.GRANTED);
            endCall(b, waiter);
            assertMetrics(b, 1, 0, 0);
            assertThat(b.metrics().rejectedCalls()).isEqualTo(1);
            assertThat(seen.subList(0, 2)).containsExactly(Type.PERMITTED, Type.REJECTED);
            assertThat(seen.subList(2, 4)).as("the end and the handoff it caused, in either order")
                    .containsExactlyInAnyOrder(Type.FINISHED, Type.PERMITTED);
            assertThat(seen.get(4)).isEqualTo(Type.FINISHED);
            String text = log.text();
            assertThat(text.split("listener of 'w' threw", -1)).as("one log line per throwing call").hasSize(6);
            assertThat(text).contains("WARNING").contains("IllegalStateException: listener bug")
                    .contains("PERMITTED").contains("REJECTED").contains("FINISHED");
        }
    }

    /**
     * admit() only decides and counts; announce() tells the listeners, so that the Reactor bridge
     * can signal its subscriber whatever a listener throws. An AssertionError is an Error but not
     * a fatal one: it is logged like any listener bug, and nothing propagates.
     */
    @Test
    void admitCallsNoListenerAndAnnounceTellsThemWhatItDecided() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Bulkhead b = bulkhead(Bulkhead.builder("announce").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).maxQueued(1));
            List<BulkheadEvent> events = new ArrayList<>();
            Consumer<BulkheadEvent> assertion = e -> {
                throw new AssertionError("listener assertion");
            };
            b.onPermitted(assertion);
            b.onRejected(assertion);
            b.onPermitted(events::add);
            b.onRejected(events::add);

            assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
            RecordingWaiter waiter = queue(b);
            assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.REJECTED_QUEUE_FULL);
            assertThat(events).isEmpty();
            assertThat(b.metrics().rejectedCalls()).as("counted by admit()").isEqualTo(1);

            w(b).announce(WaitingBulkhead.PERMITTED);
            w(b).announce(WaitingBulkhead.REJECTED_QUEUE_FULL);
            assertThat(events).extracting(BulkheadEvent::type).containsExactly(Type.PERMITTED, Type.REJECTED);
            assertThat(events.get(1).reason()).isEqualTo(Reason.QUEUE_FULL);
            assertThatThrownBy(() -> w(b).announce(WaitingBulkhead.QUEUED)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("admitted").hasMessageContaining("but was 1");
            assertMetrics(b, 0, 1, 1);
            assertThat(log.text()).contains("AssertionError: listener assertion");

            b.release();
            endCall(b, waiter);
            assertMetrics(b, 1, 0, 0);
        }
    }

    // ---------------------------------------------------------------- errors that get through

    /**
     * A granted waiter's call that throws (past the bridge, only a JVM-fatal error could) must
     * not leave the drain taken: the error reaches the caller that ran the drain, after the
     * drain is done, and later waiters are still granted.
     */
    @Test
    void aGrantedCallThatThrowsStrandsNoWaiter() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter throwing = queue(b, g -> {
            throw new IllegalStateException("call bug");
        }, () -> { });
        RecordingWaiter next = queue(b);
        assertThatThrownBy(b::release).isInstanceOf(IllegalStateException.class).hasMessage("call bug");
        assertThat(throwing.state()).as("it holds the permit it was handed").isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 1, 1);
        endCall(b, throwing);
        assertThat(next.state()).as("the drain is free again").isEqualTo(RecordingWaiter.GRANTED);
        endCall(b, next);
        assertMetrics(b, 1, 0, 0);
    }

    /**
     * A granted call that throws a checked exception the compiler did not see (a "sneaky
     * throw", as Lombok's {@code @SneakyThrows} or a rethrowing lambda does) must reach the
     * caller as itself. The drain rethrows what it caught as a RuntimeException or else as an
     * Error, so a checked Throwable becomes a ClassCastException that hides it.
     */
    @Test
    void aGrantedCallsCheckedExceptionReachesTheCallerAsItself() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter throwing = queue(b, g -> sneakyThrow(new java.io.IOException("checked, undeclared")), () -> { });
        RecordingWaiter next = queue(b);
        assertThatThrownBy(b::release).isInstanceOf(java.io.IOException.class).hasMessage("checked, undeclared");
        endCall(b, throwing);
        assertThat(next.state()).isEqualTo(RecordingWaiter.GRANTED);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * A release whose drain hands the permit to a waiter whose call throws: the release's own
     * call did end, so its finished event must still be announced. release() announces it
     * after giving the permit back, and the drain's rethrown error skips it.
     */
    @Test
    void aReleaseIsAnnouncedEvenWhenItsDrainRethrowsAGrantedCallsError() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        List<BulkheadEvent> finished = new ArrayList<>();
        b.onFinished(finished::add);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter throwing = queue(b, g -> {
            throw new InternalError("fatal in the call");
        }, () -> { });
        assertThatThrownBy(b::release).isInstanceOf(InternalError.class);
        assertThat(throwing.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertThat(finished).as("the call that released had ended").hasSize(1);
    }

    /** Two waiters granted in one drain pass: the first one's error does not keep the second from its permit. */
    @Test
    void aGrowthGrantsEveryWaiterEvenWhenOneCallThrows() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter throwing = queue(b, g -> {
            throw new InternalError("fatal in the call");
        }, () -> { });
        RecordingWaiter second = queue(b);
        assertThatThrownBy(() -> b.changeMaxConcurrent(3)).isInstanceOf(InternalError.class).hasMessage("fatal in the call");
        assertThat(throwing.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertThat(second.state()).isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 3, 0);
        endCall(b, throwing);
        endCall(b, second);
        b.release();
        assertMetrics(b, 3, 0, 0);
    }

    /**
     * A listener's JVM-fatal error (the listener guard logs and swallows anything else, and
     * rethrows a VirtualMachineError or LinkageError) propagates to the caller, but the counts
     * stay right: a permit taken at once is given back; a waiter whose handoff could not be
     * announced is withdrawn (its call never starts) and the permit goes on to the next waiter; a
     * timeout is still counted; and a release has returned its permit before the finished
     * listener runs. Guards against a fatal error that escapes halfway through an update.
     */
    @Test
    void aListenersFatalErrorPropagatesButLeavesTheCountsRight() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        AtomicBoolean failPermitted = new AtomicBoolean();
        AtomicBoolean failRejected = new AtomicBoolean();
        AtomicBoolean failFinished = new AtomicBoolean();
        b.onPermitted(e -> {
            if (failPermitted.getAndSet(false)) {
                throw new InternalError("fatal in onPermitted");
            }
        });
        b.onRejected(e -> {
            if (failRejected.getAndSet(false)) {
                throw new InternalError("fatal in onRejected");
            }
        });
        b.onFinished(e -> {
            if (failFinished.getAndSet(false)) {
                throw new InternalError("fatal in onFinished");
            }
        });

        failPermitted.set(true);
        assertThatThrownBy(b::tryAcquire).isInstanceOf(InternalError.class).hasMessage("fatal in onPermitted");
        assertMetrics(b, 1, 0, 0);
        assertThat(w(b).admit()).isEqualTo(WaitingBulkhead.PERMITTED);
        failPermitted.set(true);
        assertThatThrownBy(() -> w(b).announce(WaitingBulkhead.PERMITTED)).isInstanceOf(InternalError.class);
        assertMetrics(b, 1, 0, 0);

        assertThat(b.tryAcquire()).isTrue();
        RecordingWaiter withdrawn = queue(b);
        RecordingWaiter waiter = queue(b);
        failPermitted.set(true);
        assertThatThrownBy(b::release).isInstanceOf(InternalError.class).hasMessage("fatal in onPermitted");
        assertThat(withdrawn.state()).as("its call never starts").isEqualTo(RecordingWaiter.WITHDRAWN);
        assertThat(withdrawn.failedWith()).as("and ends with the listener's error").hasMessage("fatal in onPermitted");
        assertThat(withdrawn.wasGranted()).isFalse();
        assertThat(waiter.state()).as("its permit went on to the next waiter").isEqualTo(RecordingWaiter.GRANTED);
        assertMetrics(b, 0, 1, 0);
        assertNoViolations(queued);

        RecordingWaiter timedOut = queue(b);
        failRejected.set(true);
        assertThat(timedOut.giveUp()).isTrue();
        assertThatThrownBy(() -> w(b).leave(true)).isInstanceOf(InternalError.class).hasMessage("fatal in onRejected");
        assertMetrics(b, 0, 1, 0);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(1);

        failFinished.set(true);
        assertThat(waiter.returnPermit()).isTrue();
        assertThatThrownBy(b::release).isInstanceOf(InternalError.class).hasMessage("fatal in onFinished");
        assertMetrics(b, 1, 0, 0);
        assertThat(b.tryAcquire()).isTrue();
        b.release();
        assertMetrics(b, 1, 0, 0);
    }

    @Test
    void metricsAreASnapshot() {
        Bulkhead b = waiting(2, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        BulkheadMetrics before = b.metrics();
        assertThat(b.tryAcquire()).isTrue();
        queue(b);
        assertThat(before.availablePermits()).isEqualTo(1);
        assertThat(before.inFlight()).isEqualTo(1);
        assertThat(before.queued()).isZero();
        BulkheadMetrics now = b.metrics();
        assertThat(now.maxConcurrent()).isEqualTo(2);
        assertThat(now.availablePermits()).isZero();
        assertThat(now.inFlight()).isEqualTo(2);
        assertThat(now.queued()).isEqualTo(1);
        assertThat(now.rejectedCalls()).isZero();
        assertThat(now.toString()).contains("maxConcurrent=2").contains("inFlight=2").contains("queued=1")
                .contains("rejected=0");
        assertThat(b.toString()).contains("free=0").contains("queued=1");
    }

    // ---------------------------------------------------------------- rejections

    @Test
    void rejectionsAreSharedAndStacklessByDefault() {
        Bulkhead b = bulkhead(Bulkhead.builder("payments").maxConcurrent(1).maxWait(Duration.ofMillis(100)).maxQueued(3));
        BulkheadFullException full = b.rejection();
        assertThat(full).isSameAs(b.rejection()).isSameAs(w(b).rejection(WaitingBulkhead.REJECTED_FULL));
        assertThat(full.getStackTrace()).isEmpty();
        assertThat(full.bulkheadName()).isEqualTo("payments");
        assertThat(full.reason()).isEqualTo(Reason.FULL);
        assertThat(full.getMessage()).contains("'payments'").contains("waiting is off");
        full.addSuppressed(new RuntimeException("must not stick to a shared instance"));
        assertThat(full.getSuppressed()).isEmpty();

        BulkheadFullException queueFull = w(b).rejection(WaitingBulkhead.REJECTED_QUEUE_FULL);
        assertThat(queueFull).isSameAs(w(b).rejection(WaitingBulkhead.REJECTED_QUEUE_FULL)).isNotSameAs(full);
        assertThat(queueFull.reason()).isEqualTo(Reason.QUEUE_FULL);
        assertThat(queueFull.getStackTrace()).isEmpty();
        assertThat(queueFull.getMessage()).contains("'payments'").contains("3 callers already wait");

        BulkheadFullException timedOut = w(b).rejection(-1);
        assertThat(timedOut).isSameAs(w(b).rejection(-1));
        assertThat(timedOut.reason()).isEqualTo(Reason.WAIT_TIMED_OUT);
        assertThat(timedOut.getMessage()).contains("'payments'").contains("PT0.1S");

        assertThatThrownBy(() -> w(b).rejection(WaitingBulkhead.PERMITTED)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("admitted").hasMessageContaining("0");
        assertThatThrownBy(() -> w(b).rejection(WaitingBulkhead.QUEUED)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1");
    }

    @Test
    void rejectionStackTracesGiveAFreshExceptionPerCall() {
        Bulkhead b = bulkhead(Bulkhead.builder("traced").maxConcurrent(1).maxWait(Duration.ofMillis(100)).rejectionStackTraces(true));
        BulkheadFullException e = b.rejection();
        assertThat(e).isNotSameAs(b.rejection());
        assertThat(e.getStackTrace()).isNotEmpty();
        assertThat(e.reason()).isEqualTo(Reason.FULL);
        assertThat(e.getMessage()).contains("'traced'");
        e.addSuppressed(new RuntimeException("kept"));
        assertThat(e.getSuppressed()).hasSize(1);
        BulkheadFullException queueFull = w(b).rejection(WaitingBulkhead.REJECTED_QUEUE_FULL);
        assertThat(queueFull).isNotSameAs(w(b).rejection(WaitingBulkhead.REJECTED_QUEUE_FULL));
        assertThat(queueFull.reason()).isEqualTo(Reason.QUEUE_FULL);
        assertThat(queueFull.getStackTrace()).isNotEmpty();
        BulkheadFullException timedOut = w(b).rejection(-1);
        assertThat(timedOut.reason()).isEqualTo(Reason.WAIT_TIMED_OUT);
        assertThat(timedOut.getStackTrace()).isNotEmpty();
    }

    // ---------------------------------------------------------------- dead waiters

    /**
     * Stack, top first: live 102 and 101, then 100 waiters that give up (ids 1 to 100), then
     * live 0. The 65th to give up outnumbers the live ones and passes PURGE_AT: the stack is
     * compacted, so the first 65 dead are never polled; the last 35 are polled and skipped.
     */
    @Test
    void lifoPurgesDeadWaitersAndKeepsTheOrderOfTheLiveOnes() {
        Bulkhead b = waiting(1, QueueOrder.LIFO);
        assertThat(b.tryAcquire()).isTrue();
        List<RecordingWaiter> all = new ArrayList<>();
        RecordingWaiter bottom = queueSynchronousCall(b);
        List<RecordingWaiter> doomed = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            doomed.add(queueSynchronousCall(b));
        }
        RecordingWaiter middle = queueSynchronousCall(b);
        RecordingWaiter top = queueSynchronousCall(b);
        doomed.forEach(d -> giveUp(b, d, false));
        assertThat(LockFreeBulkhead.PURGE_AT).isEqualTo(64);
        assertThat(doomed.subList(0, 65)).as("compacted away").allSatisfy(d -> assertThat(d.waitingChecks()).isPositive());
        assertMetrics(b, 0, 1, 3);

        b.release();
        assertThat(grantOrder).containsExactly(top.id(), middle.id(), bottom.id());
        assertThat(doomed.subList(0, 65)).as("purged, never polled").allSatisfy(d -> assertThat(d.claims()).isZero());
        assertThat(doomed.subList(65, 100)).as("polled and skipped").allSatisfy(d -> assertThat(d.claims()).isEqualTo(1));
        assertThat(doomed).allSatisfy(d -> assertThat(d.grants()).isZero());
        assertMetrics(b, 1, 0, 0);
        all.add(bottom);
        all.addAll(doomed);
        all.add(middle);
        all.add(top);
        assertNoViolations(all);
    }

    /**
     * While the LIFO purge has the stack detached, a newcomer pushes onto the empty head (here
     * from inside the purge's own isWaiting() check, which makes the race deterministic): the
     * kept waiters must go back below it, in their order, and none may be lost.
     */
    @Test
    void lifoPurgeKeepsWaitersPushedWhileTheStackIsDetached() {
        Bulkhead b = waiting(1, QueueOrder.LIFO);
        assertThat(b.tryAcquire()).isTrue();
        AtomicBoolean pushed = new AtomicBoolean();
        List<RecordingWaiter> newcomers = new ArrayList<>();
        Runnable pushOnce = () -> {
            if (pushed.compareAndSet(false, true)) {
                newcomers.add(queueSynchronousCall(b));
            }
        };
        RecordingWaiter bottom = queue(b, g -> endCall(b, g), pushOnce);
        List<RecordingWaiter> doomed = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            doomed.add(queueSynchronousCall(b));
        }
        RecordingWaiter top = queueSynchronousCall(b);
        doomed.forEach(d -> giveUp(b, d, false));
        assertThat(pushed).as("the purge ran and checked the bottom waiter").isTrue();
        assertThat(newcomers).hasSize(1);
        assertMetrics(b, 0, 1, 3);

        b.release();
        assertThat(grantOrder).containsExactly(newcomers.get(0).id(), top.id(), bottom.id());
        assertThat(doomed).allSatisfy(d -> assertThat(d.grants()).isZero());
        assertMetrics(b, 1, 0, 0);
    }

    /**
     * Queue, oldest first: 100 waiters that give up, then live 100, 101, 102. The 65th to give
     * up triggers a purge from the head, which drops the 65 dead there and stops at the first
     * live node; the rest are skipped when polled.
     */
    @Test
    void fifoPurgesDeadWaitersFromTheHeadAndStillGrantsTheLiveOnesInOrder() {
        Bulkhead b = waiting(1, QueueOrder.FIFO);
        assertThat(b.tryAcquire()).isTrue();
        List<RecordingWaiter> doomed = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            doomed.add(queueSynchronousCall(b));
        }
        List<RecordingWaiter> live = List.of(queueSynchronousCall(b), queueSynchronousCall(b), queueSynchronousCall(b));
        doomed.forEach(d -> giveUp(b, d, true));
        assertThat(b.metrics().rejectedCalls()).isEqualTo(100);
        assertMetrics(b, 0, 1, 3);

        b.release();
        assertThat(grantOrder).containsExactly(100, 101, 102);
        assertThat(doomed.subList(0, 65)).as("purged, never polled").allSatisfy(d -> assertThat(d.claims()).isZero());
        assertThat(doomed.subList(65, 100)).as("polled and skipped").allSatisfy(d -> assertThat(d.claims()).isEqualTo(1));
        assertThat(doomed).allSatisfy(d -> assertThat(d.grants()).isZero());
        assertThat(live).allSatisfy(l -> assertThat(l.state()).isEqualTo(RecordingWaiter.RELEASED));
        assertMetrics(b, 1, 0, 0);
    }

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void deadWaitersInterleavedWithLiveOnesAreNeverGranted(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        List<RecordingWaiter> all = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            all.add(queueSynchronousCall(b));
        }
        List<Integer> liveIds = new ArrayList<>();
        for (RecordingWaiter waiter : all) {
            if (waiter.id() % 3 == 0) {
                liveIds.add(waiter.id());
            } else {
                giveUp(b, waiter, waiter.id() % 3 == 1);
            }
        }
        assertMetrics(b, 0, 1, 100);
        b.release();
        if (order == QueueOrder.LIFO) {
            java.util.Collections.reverse(liveIds);
        }
        assertThat(grantOrder).containsExactlyElementsOf(liveIds);
        assertThat(all).filteredOn(w -> w.id() % 3 != 0).allSatisfy(w -> assertThat(w.grants()).isZero());
        assertMetrics(b, 1, 0, 0);
        assertNoViolations(all);
    }

    // ---------------------------------------------------------------- no recursion

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void tenThousandSynchronousCallsAreALoopNotADeepStack(QueueOrder order) {
        Bulkhead b = waiting(1, order);
        assertThat(b.tryAcquire()).isTrue();
        int[] depth = new int[2];
        List<RecordingWaiter> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            int id = i;
            all.add(queue(b, g -> {
                if (id == 0 || id == 9_999) {
                    depth[id == 0 ? 0 : 1] = StackWalker.getInstance().walk(s -> (int) s.count());
                }
                endCall(b, g);
            }, () -> { }));
        }
        assertMetrics(b, 0, 1, 10_000);
        b.release();
        assertThat(grantOrder).hasSize(10_000);
        List<Integer> expected = IntStream.range(0, 10_000).boxed().collect(java.util.stream.Collectors.toList());
        if (order == QueueOrder.LIFO) {
            java.util.Collections.reverse(expected);
        }
        assertThat(grantOrder).containsExactlyElementsOf(expected);
        assertThat(depth[1]).as("the 10,000th grant runs no deeper than the first").isEqualTo(depth[0]);
        assertMetrics(b, 1, 0, 0);
        assertNoViolations(all);
    }
}
