package dev.ninelives.bulkhead;

import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.Race;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bulkhead bound to an {@link Adaptive} limit that one thread changes (between 1 and 4,
 * {@value #CHANGES} times) while three threads make calls through it: admitted at once, or
 * queued as synchronous waiters that release inside {@code granted()}.
 *
 * <p>The limit in force when a permit is taken. A call counts itself in {@code running} once it
 * holds its permit and out before it returns it, so {@code running} never exceeds the permits
 * out. The permit was taken at some instant between the call's admit and the moment it counts
 * itself in; the resizer writes each limit into {@code history[i]} before it publishes
 * {@code started = i} and sets it, and sets one at a time (each {@code set} returns once the
 * bulkhead has applied it). So the limit in force at that instant is one of
 * {@code history[started before the admit - 1 ... started after counting in]}, and a call that
 * counts in more than the largest of those was admitted beyond the limit. At the end, with
 * every call done, every permit must be back at the last limit and nobody may wait.
 *
 * <p>Guards against: a change of the limit applied twice, or applied as an absolute value by a
 * thread that lost the race to a later change (the bulkhead would hand out permits of a limit
 * no longer in force); a change lost against a racing acquire, release or handoff (a permit
 * leaked or invented, seen at the end); and a raise that does not serve the waiters (a caller
 * left waiting while permits are free).
 */
class AdaptiveBulkheadRaceTest {

    private static final long SEED = 0xADA9_7L;
    private static final int CHANGES = 4_000;

    private static void spin(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }

    @ParameterizedTest
    @EnumSource(QueueOrder.class)
    void callsNeverExceedTheLimitInForceWhenTheirPermitWasTakenAndNoPermitLeaks(QueueOrder order) throws Exception {
        Adaptive<Integer> limit = Adaptive.of(2);
        Bulkhead b = Bulkhead.builder("adaptive-race").maxConcurrent(limit).maxWait(Duration.ofSeconds(1))
                .maxQueued(1_000).queueOrder(order).build();
        WaitingBulkhead waiting = (WaitingBulkhead) b;
        AtomicIntegerArray history = new AtomicIntegerArray(CHANGES + 1);
        history.set(0, 2);
        AtomicInteger started = new AtomicInteger();
        AtomicBoolean resizerDone = new AtomicBoolean();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger granted = new AtomicInteger();
        AtomicInteger admittedAtOnce = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        List<String> violations = Collections.synchronizedList(new ArrayList<>());

        class Call {
            /** Counts a call in; checks it against the limits that may have been in force since {@code k0}. */
            void enter(int k0) {
                int now = running.incrementAndGet();
                int k1 = started.get();
                int allowed = 0;
                for (int k = Math.max(0, k0 - 1); k <= k1; k++) {
                    allowed = Math.max(allowed, history.get(k));
                }
                if (now > allowed && violations.size() < 10) {
                    violations.add(now + " calls hold a permit, but the limit was at most " + allowed
                            + " between changes " + k0 + " and " + k1);
                }
            }
        }
        Call call = new Call();

        Race.run(4, id -> {
            SplittableRandom random = new SplittableRandom(SEED + id);
            if (id == 3) {
                for (int i = 1; i <= CHANGES; i++) {
                    int next = 1 + random.nextInt(4);
                    history.set(i, next);
                    started.set(i);
                    limit.set(next);
                    spin(random.nextInt(2_000));
                }
                resizerDone.set(true);
                return;
            }
            for (int i = 0; !resizerDone.get() || i < 2_000; i++) {
                int k0 = started.get();
                int admitted = waiting.admit();
                if (admitted == WaitingBulkhead.PERMITTED) {
                    admittedAtOnce.incrementAndGet();
                    call.enter(k0);
                    spin(random.nextInt(100));
                    running.decrementAndGet();
                    b.release();
                } else if (admitted == WaitingBulkhead.QUEUED) {
                    waiting.enqueue(new RecordingWaiter(id * 10_000_000 + i, 0L, g -> {
                        granted.incrementAndGet();
                        call.enter(k0);
                        running.decrementAndGet();
                        g.returnPermit();
                        b.release();
                    }, () -> { }));
                } else {
                    refusals.incrementAndGet();
                }
            }
        });

        assertThat(violations).isEmpty();
        BulkheadMetrics m = b.metrics();
        assertThat(m.maxConcurrent()).as("the last limit is applied").isEqualTo(history.get(CHANGES)).isEqualTo(limit.get());
        assertThat(m.queued()).as("every waiter was granted: %s", m).isZero();
        assertThat(m.availablePermits()).as("every permit is back: %s", m).isEqualTo(m.maxConcurrent());
        assertThat(running).hasValue(0);
        assertThat(m.rejectedCalls()).isEqualTo(refusals.get());
        assertThat(admittedAtOnce.get()).as("calls were admitted at once").isPositive();
        assertThat(granted.get()).as("calls waited and were granted").isPositive();
    }
}
