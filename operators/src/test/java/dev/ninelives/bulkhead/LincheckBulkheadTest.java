package dev.ninelives.bulkhead;

import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.LincheckScenarios;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.BooleanGen;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Checks the permit accounting and the handoff to waiters of {@link LockFreeBulkhead} under
 * concurrency, in Lincheck's model-checking mode (every interleaving of a scenario's shared
 * accesses is a candidate; finds the races) and its stress mode (real threads; finds a missing
 * {@code volatile} or fence, which model checking cannot see), for both queue orders.
 *
 * <p>Threads admit calls and keep their permits ({@link Permits#acquire()}; a caller told
 * QUEUED enqueues a {@link RecordingWaiter}), run synchronous calls whose waiter releases inside
 * {@code granted()} ({@link Permits#shortCall()}), give up a waiting caller by a cancel or a
 * timeout ({@link Permits#giveUp(boolean)}), return a held permit, whoever holds it
 * ({@link Permits#release()}), and resize the bulkhead between 1 and 3
 * ({@link Permits#resize(int)}). After every run, {@link Permits#permitsAddUp()} checks:
 * <ul>
 *   <li>free permits + permits held (admitted and not released, or granted to a waiter and not
 *       released) == the current maxConcurrent: no permit is lost or invented by a handoff, a
 *       release racing a cancel, or a resize;</li>
 *   <li>the limit the bulkhead applied == the value of its adaptive setting, which resizes set:
 *       the differences of concurrent changes add up whatever order they are applied in;</li>
 *   <li>queued == the waiters still waiting: the count in the state word and the queue agree;</li>
 *   <li>no free permit while a waiter still waits: the drain never parks a permit (a lost
 *       wake-up would leave a caller waiting until its timeout although a permit is free);</li>
 *   <li>no waiter granted twice, granted without a successful claim, or claimed and never
 *       granted; a waiter that gave up is never granted;</li>
 *   <li>the refusal count equals the refused admits plus the timeouts;</li>
 *   <li>and, during the run, never more permits held at once than the largest limit ever set
 *       (3): concurrent resizes applied in any order never stand for a larger limit.</li>
 * </ul>
 *
 * <p>Guards against: a release and a cancel of the same waiter both ending in the pool or both
 * taking the permit (a leak or a duplicate); a release whose drain is missed while another
 * thread drains (a lost wake-up through the WIP counter); a drain that finds a waiter counted
 * but not yet offered and keeps its permit (the waiter would never be granted); a resize whose
 * delta is lost against a racing release; a synchronous call released inside {@code granted()}
 * re-entering the drain; and a dead waiter taking a permit with it.
 *
 * <p>Why the operations return nothing: results of this protocol are not linearizable against
 * an atomic bulkhead, by design. The drain is serialized by a WIP counter, so a release may
 * return while the thread already draining hands its permit over a little later; and while the
 * drain holds a permit reserved for a waiter that is giving up at that moment, a newcomer is
 * queued (or refused) although, atomically, the permit would be free. Both are conservative and
 * transient, and both settle before the last operation ends, which is when the invariants above
 * are checked.
 */
public class LincheckBulkheadTest {

    /** maxConcurrent at build time. */
    private static final int INITIAL = 2;
    /** The largest limit a resize sets (its generator's range is 1:3). */
    private static final int LARGEST_LIMIT = 3;
    /** Small, so that admits are also refused for a full queue. */
    private static final int MAX_QUEUED = 2;
    /** More waiters than any scenario creates. */
    private static final int CAPACITY = 64;

    /** The operations under test: one bulkhead, the permits held and every waiter ever queued. */
    public abstract static class Permits {

        private final Bulkhead bulkhead;
        private final WaitingBulkhead waiting;
        /** Permits admitted at once and not yet released, whoever holds them. */
        private final AtomicInteger heldAtOnce = new AtomicInteger();
        private final AtomicReferenceArray<RecordingWaiter> waiters = new AtomicReferenceArray<>(CAPACITY);
        private final AtomicInteger created = new AtomicInteger();
        /** Admits refused plus waits timed out: what the bulkhead must count as rejected. */
        private final AtomicInteger refusals = new AtomicInteger();
        /** The first time more permits were held than any limit allows, described; null if never. */
        private volatile String overLimit;
        /**
         * Permits known to be out, whoever holds them: counted once a call is admitted or a
         * waiter is granted, uncounted before the permit is released. One counter, so it is never
         * more than the permits really out (a sum of two counters read one after the other could
         * count a permit twice, released by one holder and granted to the next in between).
         */
        private final AtomicInteger out = new AtomicInteger();

        Permits(QueueOrder order) {
            bulkhead = Bulkhead.builder("lincheck-" + order).maxConcurrent(INITIAL).maxWait(Duration.ofSeconds(1))
                    .maxQueued(MAX_QUEUED).queueOrder(order).ticker(() -> 0L).build();
            waiting = (WaitingBulkhead) bulkhead;
        }

        /** Admits a call and keeps its permit; a queued caller enqueues a waiter that keeps the permit it is granted. */
        @Operation
        public void acquire() {
            call(false);
        }

        /** Admits a call that ends at once: released right away, or inside granted() once a waiter gets the permit. */
        @Operation
        public void shortCall() {
            call(true);
        }

        /** The oldest waiter still waiting gives up (a timeout or a cancel), if it wins against a claim. */
        @Operation
        public void giveUp(@Param(gen = BooleanGen.class) boolean timedOut) {
            int n = created.get();
            for (int i = 0; i < n; i++) {
                RecordingWaiter w = waiters.get(i);
                if (w != null && w.giveUp()) {
                    if (timedOut) {
                        refusals.incrementAndGet();
                    }
                    waiting.leave(timedOut);
                    return;
                }
            }
        }

        /** Returns one held permit, admitted at once or granted to a waiter, if any is held. */
        @Operation
        public void release() {
            for (int held = heldAtOnce.get(); held > 0; held = heldAtOnce.get()) {
                if (heldAtOnce.compareAndSet(held, held - 1)) {
                    out.decrementAndGet();
                    bulkhead.release();
                    return;
                }
            }
            int n = created.get();
            for (int i = 0; i < n; i++) {
                RecordingWaiter w = waiters.get(i);
                if (w != null && w.returnPermit()) {
                    out.decrementAndGet();
                    bulkhead.release();
                    return;
                }
            }
        }

        @Operation
        public void resize(@Param(gen = IntGen.class, conf = "1:3") int maxConcurrent) {
            bulkhead.changeMaxConcurrent(maxConcurrent);
        }

        private void call(boolean endsAtOnce) {
            int admitted = waiting.admit();
            switch (admitted) {
                case WaitingBulkhead.PERMITTED:
                    checkHeld(out.incrementAndGet());
                    if (endsAtOnce) {
                        out.decrementAndGet();
                        bulkhead.release();
                    } else {
                        heldAtOnce.incrementAndGet();
                    }
                    return;
                case WaitingBulkhead.QUEUED:
                    int id = created.getAndIncrement();
                    RecordingWaiter w = new RecordingWaiter(id, 0L, new Granted(this, endsAtOnce), NOTHING);
                    waiters.set(id, w);      // from here another thread may give it up, even before it is enqueued
                    waiting.enqueue(w);
                    return;
                case WaitingBulkhead.REJECTED_FULL:
                case WaitingBulkhead.REJECTED_QUEUE_FULL:
                    refusals.incrementAndGet();
                    return;
                default:
                    throw new IllegalStateException("invalid admit result: " + admitted);
            }
        }

        /**
         * Called with {@link #out} just counted up for a permit admitted or granted: the permits
         * out must never pass the largest limit any resize sets, whatever order concurrent
         * resizes are applied in.
         */
        private void checkHeld(int held) {
            if (held > LARGEST_LIMIT && overLimit == null) {
                overLimit = held + " permits held at once, above the largest limit ever set (" + LARGEST_LIMIT
                        + "): " + bulkhead.metrics();
            }
        }

        /** After each run (every operation has returned): the invariants of the class comment. */
        @Validate
        public void permitsAddUp() {
            if (overLimit != null) {
                throw new AssertionError(overLimit);
            }
            BulkheadMetrics m = bulkhead.metrics();
            int granted = 0;
            int live = 0;
            int n = created.get();
            for (int i = 0; i < n; i++) {
                RecordingWaiter w = waiters.get(i);
                if (w.violation() != null) {
                    throw new AssertionError(w.violation());
                }
                switch (w.state()) {
                    case RecordingWaiter.WAITING:
                        live++;
                        expectGrants(w, 0);
                        break;
                    case RecordingWaiter.GRANTED:
                        granted++;
                        expectGrants(w, 1);
                        break;
                    case RecordingWaiter.RELEASED:
                        expectGrants(w, 1);
                        break;
                    case RecordingWaiter.GONE:
                        expectGrants(w, 0);
                        break;
                    case RecordingWaiter.CLAIMED:
                        throw new AssertionError(w + " was claimed but never granted: its permit is lost");
                    default:
                        throw new IllegalStateException("invalid waiter state: " + w.state());
                }
            }
            int held = heldAtOnce.get() + granted;
            if (m.maxConcurrent() != bulkhead.config().maxConcurrent()) {
                throw new AssertionError("the bulkhead applied a limit of " + m.maxConcurrent()
                        + " but its adaptive setting holds " + bulkhead.config().maxConcurrent());
            }
            if (m.availablePermits() + held != m.maxConcurrent()) {
                throw new AssertionError(m.availablePermits() + " free + " + held + " held != maxConcurrent "
                        + m.maxConcurrent() + " (" + m + ")");
            }
            if (m.queued() != live) {
                throw new AssertionError("queued " + m.queued() + " but " + live + " waiters still wait (" + m + ")");
            }
            if (live > 0 && m.availablePermits() > 0) {
                throw new AssertionError(m.availablePermits() + " permits free while " + live + " waiters wait (" + m + ")");
            }
            if (m.rejectedCalls() != refusals.get()) {
                throw new AssertionError("rejected " + m.rejectedCalls() + " but " + refusals.get() + " refusals happened");
            }
        }

        private static void expectGrants(RecordingWaiter w, int grants) {
            if (w.grants() != grants) {
                throw new AssertionError(w + " should have been granted " + grants + " times");
            }
        }
    }

    private static final Runnable NOTHING = () -> { };

    /**
     * What a waiter does when it is granted its permit: counts it out and checks the count; a
     * synchronous call then releases it inside granted(). A named class rather than a capturing
     * lambda, whose fields Lincheck can follow.
     */
    static final class Granted implements java.util.function.Consumer<RecordingWaiter> {
        private final Permits permits;
        private final boolean endsAtOnce;

        Granted(Permits permits, boolean endsAtOnce) {
            this.permits = permits;
            this.endsAtOnce = endsAtOnce;
        }

        @Override
        public void accept(RecordingWaiter granted) {
            permits.checkHeld(permits.out.incrementAndGet());
            if (endsAtOnce && granted.returnPermit()) {
                permits.out.decrementAndGet();
                permits.bulkhead.release();
            }
        }
    }

    /** The FIFO bulkhead (JCTools' MPSC queue). */
    public static class Fifo extends Permits {
        public Fifo() {
            super(QueueOrder.FIFO);
        }
    }

    /** The LIFO bulkhead (the Treiber stack). */
    public static class Lifo extends Permits {
        public Lifo() {
            super(QueueOrder.LIFO);
        }
    }

    // ------------------------------------------------------------------------------ the checks

    @Test
    public void modelCheckingFifo() {
        modelChecking().check(Fifo.class);
    }

    @Test
    public void modelCheckingLifo() {
        modelChecking().check(Lifo.class);
    }

    @Test
    public void stressFifo() {
        stress().check(Fifo.class);
    }

    @Test
    public void stressLifo() {
        stress().check(Lifo.class);
    }

    private static ModelCheckingOptions modelChecking() {
        return withScenarios(new ModelCheckingOptions())
                .iterations(LincheckScenarios.iterations(4))
                .invocationsPerIteration(150)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(3)
                .actorsAfter(2);
    }

    private static StressOptions stress() {
        return withScenarios(new StressOptions())
                .iterations(LincheckScenarios.iterations(8))
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(3)
                .actorsAfter(2);
    }

    private static <O extends Options<O, ?>> O withScenarios(O options) {
        return options
                .addCustomScenario(releaseRacesCancel())
                .addCustomScenario(releaseRacesEnqueue())
                .addCustomScenario(resizeRacesHandoff())
                .addCustomScenario(synchronousCallsRaceTimeouts())
                .addCustomScenario(resizesAppliedOutOfOrder());
    }

    // ------------------------------------------------------------------------------ scenarios

    /** Both permits held and one waiter queued: a release hands the permit over while the waiter gives up. */
    static ExecutionScenario releaseRacesCancel() {
        return scenario(
                List.of(a("acquire"), a("acquire"), a("acquire")),
                List.of(List.of(a("release"), a("release")),
                        List.of(a("giveUp", false), a("acquire")),
                        List.of(a("giveUp", true))),
                List.of(a("release"), a("release")));
    }

    /**
     * A caller is counted into the queue while a release drains: the drain may see the count
     * before the node and must leave the permit for the enqueuer's own drain.
     */
    static ExecutionScenario releaseRacesEnqueue() {
        return scenario(
                List.of(a("acquire"), a("acquire")),
                List.of(List.of(a("acquire"), a("acquire")),
                        List.of(a("release"), a("release")),
                        List.of(a("shortCall"))),
                List.of(a("release")));
    }

    /** Growing and shrinking race a release that hands a permit to a waiter. */
    static ExecutionScenario resizeRacesHandoff() {
        return scenario(
                List.of(a("acquire"), a("acquire"), a("acquire")),
                List.of(List.of(a("resize", 3), a("resize", 1)),
                        List.of(a("release"), a("acquire")),
                        List.of(a("giveUp", false), a("release"))),
                List.of(a("release"), a("resize", 2)));
    }

    /** Synchronous calls whose waiters release inside granted() (a re-entrant drain) race timeouts. */
    static ExecutionScenario synchronousCallsRaceTimeouts() {
        return scenario(
                List.of(a("acquire"), a("acquire")),
                List.of(List.of(a("shortCall"), a("shortCall")),
                        List.of(a("release"), a("giveUp", true)),
                        List.of(a("shortCall"), a("release"))),
                List.of(a("release")));
    }

    /**
     * A lowering and a raise race while calls are admitted: applied in the order their changes
     * were announced, a raise 1 -> 3 that lands before the lowering 2 -> 1 it followed made the
     * permits stand for a limit of 4 for a moment, and a fourth call was admitted.
     */
    static ExecutionScenario resizesAppliedOutOfOrder() {
        return scenario(
                List.of(a("acquire"), a("acquire")),
                List.of(List.of(a("resize", 1)),
                        List.of(a("resize", 3)),
                        List.of(a("acquire"), a("acquire"))),
                List.of(a("release")));
    }

    private static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        return LincheckScenarios.scenario(init, parallel, post);
    }

    private static Actor a(String operation, Object... args) {
        return LincheckScenarios.actor(Permits.class, operation, args);
    }
}
