package dev.ninelives.breaker;

import dev.ninelives.testing.LincheckScenarios;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks that the {@link LockFreeCircuitBreaker} state machine is linearizable with respect to
 * {@link Spec}, a plain sequential re-implementation of the intended semantics: a count window
 * of the last 2 outcomes; CLOSED opens once it holds 2 outcomes of which at least 50 % failed;
 * the first acquire in OPEN (the open duration is always over, see the ticker) moves it to
 * HALF_OPEN and takes the first of 2 trial permits; a released trial frees its slot; after 2
 * recorded trials it closes with a fresh window, or opens again if at least 50 % failed; an
 * outcome whose permit was granted in an epoch that is over is ignored.
 *
 * <p>Guards against the races a lock-free breaker gets wrong: two threads both moving
 * OPEN&nbsp;to&nbsp;HALF_OPEN (Resilience4j #674, "illegal state transition from HALF_OPEN to
 * HALF_OPEN") or HALF_OPEN admitting more trial calls than configured (Resilience4j #1432,
 * "permits more calls than expected when switching from OPEN to HALF_OPEN"); the HALF_OPEN
 * decision taken twice or on a wrong count; outcomes lost or counted twice by the window; a
 * stale permit (granted before a transition) counted against the new state.
 *
 * <p>Operations work at the level of the permit protocol, each a single breaker call: a thread
 * acquires a permit and keeps it, and a later operation of the same thread ends its oldest
 * permit with {@code onSuccess}, {@code onError} or {@code release}. (Operations that acquire
 * and complete in one go are not linearizable against any atomic specification, and rightly
 * so: a refusal because another thread holds the last trial slot, or an outcome ignored
 * because another thread moved the breaker in between, cannot happen if such an operation is
 * atomic.) The ticker advances one second per reading and the open duration is 1 ns, so the
 * open duration has always passed when OPEN reads the ticker.
 *
 * <p><b>One documented conservative behaviour is tolerated</b> (the header comment of
 * {@code LockFreeCircuitBreaker}, "Who races"): between the CAS that moves the word to OPEN
 * and the publication of the OPEN phase, OPEN refuses calls, although with this ticker the
 * open duration is already over. {@link Breaker#acquire} therefore retries a refusal that the
 * rejection listener reports as made in OPEN (with this ticker OPEN refuses only inside that
 * gap; were it to refuse for good, the operation would hang and Lincheck would report it).
 * The same gap for CLOSED is closed by the breaker itself, which helps to publish a CLOSED
 * phase, and is checked here without tolerance.
 *
 * <p>History: against commit d78333a this test found that CLOSED was not linearizable. The
 * outcome that crossed the threshold and the move to OPEN were two steps, so calls were still
 * admitted in CLOSED after the crossing ({@link #closedRace()}); and the window added a
 * recorder's outcome only after a later recorder could have evicted the oldest one, so the
 * totals could skip the crossing state and the breaker stayed CLOSED
 * ({@link #closedRaceOfSuccesses()}). The count window now advances its totals and head in one
 * CAS and latches the crossing in it.
 */
public class LincheckCircuitBreakerTest {

    private static final int PERMITTED = 2;
    private static final RuntimeException BOOM = new RuntimeException("boom");

    /** The operations under test: one breaker, permits kept per thread. */
    public static class Breaker {

        /** Whether to retry refusals made in the OPEN publication gap; see the class comment. */
        static final boolean TOLERATE_DOCUMENTED_GAPS = true;

        private final AtomicLong clock = new AtomicLong();
        private final CircuitBreaker breaker = CircuitBreaker.builder("lincheck")
                .slidingWindow(2)
                .minimumNumberOfCalls(2)
                .failureRateThreshold(50)
                .permittedCallsInHalfOpen(PERMITTED)
                .openDuration(Duration.ofNanos(1))
                .ticker(() -> clock.addAndGet(1_000_000_000L))
                .build();
        /** The state of this thread's last refusal, set by the rejection listener in the refused thread. */
        private final ThreadLocal<CircuitBreaker.State> refusedIn = new ThreadLocal<>();
        /** Permits held, per thread id. */
        private final HeldPermits<Long> held = new HeldPermits<>();

        public Breaker() {
            breaker.onCallNotPermitted(e -> refusedIn.set(e.state()));
        }

        /** Asks for a permit and keeps it; returns the state it was granted in, or null if refused. */
        @Operation
        public CircuitBreaker.State acquire(@Param(gen = ThreadIdGen.class) int thread) {
            for (;;) {
                refusedIn.set(null);
                long permit = breaker.tryAcquire();
                if (permit >= 0) {
                    held.keep(thread, permit);
                    return CircuitBreaker.State.values()[(int) (permit & 7)];
                }
                if (!TOLERATE_DOCUMENTED_GAPS || refusedIn.get() != CircuitBreaker.State.OPEN) {
                    return null;
                }
            }
        }

        /** Ends this thread's oldest permit with a success; false if it holds none. */
        @Operation
        public boolean succeed(@Param(gen = ThreadIdGen.class) int thread) {
            return held.endOldest(thread, permit -> breaker.onSuccess(permit, 0L));
        }

        /** Ends this thread's oldest permit with a failure; false if it holds none. */
        @Operation
        public boolean fail(@Param(gen = ThreadIdGen.class) int thread) {
            return held.endOldest(thread, permit -> breaker.onError(permit, 0L, BOOM));
        }

        /** Ends this thread's oldest permit without an outcome; false if it holds none. */
        @Operation
        public boolean release(@Param(gen = ThreadIdGen.class) int thread) {
            return held.endOldest(thread, permit -> breaker.release(permit));
        }

        @Operation
        public CircuitBreaker.State state() {
            return breaker.state();
        }

    }

    // ------------------------------------------------------------------------------ the checks

    @Test
    public void modelChecking() {
        withScenarios(new ModelCheckingOptions())
                .iterations(LincheckScenarios.iterations(3))
                .invocationsPerIteration(200)
                .threads(2)
                .actorsPerThread(4)
                .actorsBefore(5)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Breaker.class);
    }

    @Test
    public void stress() {
        withScenarios(new StressOptions())
                .iterations(LincheckScenarios.iterations(3))
                .invocationsPerIteration(500)
                .threads(2)
                .actorsPerThread(4)
                .actorsBefore(5)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Breaker.class);
    }

    private static <O extends Options<O, ?>> O withScenarios(O options) {
        return options
                .addCustomScenario(closedRace())
                .addCustomScenario(closedRaceOfSuccesses())
                .addCustomScenario(tripRace())
                .addCustomScenario(openToHalfOpenRace())
                .addCustomScenario(reopenRace())
                .addCustomScenario(closeRace());
    }

    // ------------------------------------------------------------------------------ scenarios

    /** Window [F]; both threads record, one of them trips, the other goes on. */
    static ExecutionScenario closedRace() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0)),
                List.of(List.of(a("acquire", 1), a("fail", 1), a("acquire", 1), a("state")),
                        List.of(a("acquire", 2), a("succeed", 2), a("acquire", 2), a("release", 2))),
                List.of(a("state"), a("acquire", 3)));
    }

    /** Window [F]; two racing successes: whichever is first makes it [F,S], which must open. */
    static ExecutionScenario closedRaceOfSuccesses() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0)),
                List.of(List.of(a("acquire", 1), a("succeed", 1), a("acquire", 1), a("state")),
                        List.of(a("acquire", 2), a("succeed", 2))),
                List.of(a("state")));
    }

    /** Window [F]; thread 1 trips the breaker while thread 2 calls (the OPEN publication gap). */
    static ExecutionScenario tripRace() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0)),
                List.of(List.of(a("acquire", 1), a("fail", 1)),
                        List.of(a("acquire", 2), a("succeed", 2), a("state"))),
                List.of(a("state"), a("acquire", 3)));
    }

    /** OPEN; both threads race to take the trial permits, one releases. */
    static ExecutionScenario openToHalfOpenRace() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0), a("acquire", 0), a("fail", 0)),
                List.of(List.of(a("acquire", 1), a("acquire", 1), a("succeed", 1), a("succeed", 1)),
                        List.of(a("acquire", 2), a("release", 2), a("acquire", 2), a("fail", 2))),
                List.of(a("state"), a("acquire", 3)));
    }

    /** HALF_OPEN with one failed trial; thread 1 reopens it while thread 2 calls. */
    static ExecutionScenario reopenRace() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0), a("acquire", 0), a("fail", 0), a("acquire", 0), a("fail", 0)),
                List.of(List.of(a("acquire", 1), a("fail", 1)),
                        List.of(a("acquire", 2), a("succeed", 2), a("acquire", 2), a("state"))),
                List.of(a("state"), a("acquire", 3)));
    }

    /** HALF_OPEN with one successful trial; thread 1 closes it while thread 2 fails twice (the CLOSED gap). */
    static ExecutionScenario closeRace() {
        return scenario(
                List.of(a("acquire", 0), a("fail", 0), a("acquire", 0), a("fail", 0), a("acquire", 0), a("succeed", 0)),
                List.of(List.of(a("acquire", 1), a("succeed", 1)),
                        List.of(a("acquire", 2), a("fail", 2), a("acquire", 2), a("fail", 2), a("state"))),
                List.of(a("state")));
    }

    private static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        return LincheckScenarios.scenario(init, parallel, post);
    }

    private static Actor a(String operation, Object... args) {
        return LincheckScenarios.actor(Breaker.class, operation, args);
    }

    // ------------------------------------------------------------------------------ specification

    /** The intended semantics, sequentially: one state, one epoch per state entered, per-thread permits. */
    public static final class Spec {
        private CircuitBreaker.State state = CircuitBreaker.State.CLOSED;
        private int epoch;
        private final ArrayDeque<Boolean> window = new ArrayDeque<>();   // true = failure, oldest first
        private int admitted;                                             // HALF_OPEN: trials out or recorded
        private int recorded;
        private int failed;
        private final HeldPermits<int[]> held = new HeldPermits<>();   // {state ordinal, epoch}

        public Spec() {
        }

        public CircuitBreaker.State acquire(int thread) {
            switch (state) {
                case CLOSED:
                    break;
                case OPEN:                                   // the open duration is always over
                    enter(CircuitBreaker.State.HALF_OPEN);
                    admitted = 1;
                    break;
                case HALF_OPEN:
                    if (admitted >= PERMITTED) {
                        return null;
                    }
                    admitted++;
                    break;
                default:
                    throw new IllegalStateException("unexpected " + state);
            }
            held.keep(thread, new int[] {state.ordinal(), epoch});
            return state;
        }

        public boolean succeed(int thread) {
            return end(thread, Outcome.SUCCESS);
        }

        public boolean fail(int thread) {
            return end(thread, Outcome.FAILURE);
        }

        public boolean release(int thread) {
            return end(thread, Outcome.NONE);
        }

        public CircuitBreaker.State state() {
            return state;
        }

        private enum Outcome { SUCCESS, FAILURE, NONE }

        private boolean end(int thread, Outcome outcome) {
            int[] permit = held.takeOldest(thread);
            if (permit == null) {
                return false;
            }
            if (permit[0] != state.ordinal() || permit[1] != epoch) {
                return true;                                 // stale: its epoch is over
            }
            if (state == CircuitBreaker.State.CLOSED) {
                if (outcome != Outcome.NONE) {
                    window.addLast(outcome == Outcome.FAILURE);
                    if (window.size() > 2) {
                        window.removeFirst();
                    }
                    int calls = window.size();
                    int failures = (int) window.stream().filter(f -> f).count();
                    if (calls >= 2 && failures * 100 >= 50 * calls) {
                        enter(CircuitBreaker.State.OPEN);
                    }
                }
            } else if (outcome == Outcome.NONE) {
                admitted--;                                  // a released trial frees its slot
            } else {
                recorded++;
                if (outcome == Outcome.FAILURE) {
                    failed++;
                }
                if (recorded == PERMITTED) {
                    enter(failed * 100 >= 50 * recorded ? CircuitBreaker.State.OPEN : CircuitBreaker.State.CLOSED);
                }
            }
            return true;
        }

        private void enter(CircuitBreaker.State next) {
            state = next;
            epoch++;
            admitted = 0;
            recorded = 0;
            failed = 0;
            window.clear();
        }
    }
}
