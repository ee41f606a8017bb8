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
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * Checks the HALF_OPEN trial-permit accounting of {@link LockFreeCircuitBreaker} under
 * concurrency: the breaker is forced into HALF_OPEN with 2 permitted trial calls, and threads
 * acquire trial permits and keep them, release them, or end them with a success or a failure.
 * Linearizability against {@link Spec} means: never more than 2 trial permits out or recorded
 * at once; releasing one lets exactly one more in (and a recorded trial keeps its slot); the
 * 2nd recorded trial decides exactly once, CLOSED if both succeeded, else OPEN; permits of the
 * HALF_OPEN epoch are ignored once it is over. {@link Breaker#trialsWithinTheLimit()} also checks
 * the limit directly after every run.
 *
 * <p>Guards against HALF_OPEN admitting more trial calls than configured when threads race for
 * the slots (Resilience4j #1432, "CircuitBreaker permits more calls than expected when switching
 * from OPEN to HALF_OPEN state"), and against a cancelled or ignored trial that never frees its
 * slot, leaving the breaker stuck in HALF_OPEN (Resilience4j #544, "CircuitBreaker will stuck in
 * HALF_OPEN when the last request throw ignored exception").
 *
 * <p>The window (100 calls, minimum 100) cannot trip within a scenario and the ticker never
 * moves, so once HALF_OPEN has decided the breaker stays CLOSED (every call permitted) or OPEN
 * (every call refused); the publication gaps of transitions are therefore invisible here.
 */
public class LincheckHalfOpenPermitsTest {

    private static final int PERMITTED = 2;
    private static final RuntimeException BOOM = new RuntimeException("boom");

    /** The operations under test: one breaker forced into HALF_OPEN, permits kept per thread. */
    public static class Breaker {

        private final CircuitBreaker breaker = CircuitBreaker.builder("lincheck-half-open")
                .permittedCallsInHalfOpen(PERMITTED)
                .ticker(() -> 0L)
                .build();
        /** Permits held, per thread id. */
        private final HeldPermits<Long> held = new HeldPermits<>();

        public Breaker() {
            breaker.transitionTo(CircuitBreaker.State.HALF_OPEN);
        }

        /** Asks for a permit and keeps it. */
        @Operation
        public boolean acquire(@Param(gen = ThreadIdGen.class) int thread) {
            long permit = breaker.tryAcquire();
            if (permit < 0) {
                return false;
            }
            held.keep(thread, permit);
            return true;
        }

        /** Returns this thread's oldest permit unrecorded; false if it holds none. */
        @Operation
        public boolean release(@Param(gen = ThreadIdGen.class) int thread) {
            return held.endOldest(thread, permit -> breaker.release(permit));
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

        @Operation
        public CircuitBreaker.State state() {
            return breaker.state();
        }

        /** After each run: while HALF_OPEN, trial permits still held plus trials recorded never exceed the limit. */
        @Validate
        public void trialsWithinTheLimit() {
            CircuitBreakerMetrics metrics = breaker.metrics();
            if (metrics.state() != CircuitBreaker.State.HALF_OPEN) {
                return;
            }
            int out = held.count(permit -> (int) (permit & 7) == LockFreeCircuitBreaker.HALF_OPEN);
            if (out + metrics.calls() > PERMITTED) {
                throw new AssertionError(out + " trial permits out and " + metrics.calls()
                        + " recorded, but only " + PERMITTED + " are permitted");
            }
        }
    }

    @Test
    public void modelChecking() {
        withScenarios(new ModelCheckingOptions())
                .iterations(LincheckScenarios.iterations(4))
                .invocationsPerIteration(150)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Breaker.class);
    }

    @Test
    public void stress() {
        withScenarios(new StressOptions())
                .iterations(LincheckScenarios.iterations(8))
                .invocationsPerIteration(300)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Breaker.class);
    }

    private static <O extends Options<O, ?>> O withScenarios(O options) {
        return options.addCustomScenario(threeRaceForTwoSlots()).addCustomScenario(releaseLetsOneIn());
    }

    /** Three threads race for two slots; each then releases and tries again. */
    static ExecutionScenario threeRaceForTwoSlots() {
        return scenario(
                List.of(),
                List.of(List.of(a("acquire", 1), a("release", 1), a("acquire", 1)),
                        List.of(a("acquire", 2), a("release", 2), a("acquire", 2)),
                        List.of(a("acquire", 3), a("acquire", 3), a("state"))),
                List.of(a("acquire", 4), a("state")));
    }

    /** Both slots taken in the initial part: a release by the holder lets exactly one of two waiters in. */
    static ExecutionScenario releaseLetsOneIn() {
        return scenario(
                List.of(a("acquire", 0), a("acquire", 0)),
                List.of(List.of(a("acquire", 1), a("succeed", 1)),
                        List.of(a("acquire", 2), a("succeed", 2))),
                List.of(a("release", 0), a("acquire", 3), a("acquire", 3), a("state")));
    }

    private static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        return LincheckScenarios.scenario(init, parallel, post);
    }

    private static Actor a(String operation, Object... args) {
        return LincheckScenarios.actor(Breaker.class, operation, args);
    }

    /** The intended semantics, sequentially. */
    public static final class Spec {
        private CircuitBreaker.State state = CircuitBreaker.State.HALF_OPEN;
        private int epoch;
        private int admitted;                                         // trials out or recorded
        private int recorded;
        private int failed;
        private final HeldPermits<int[]> held = new HeldPermits<>();   // {state ordinal, epoch}

        public Spec() {
        }

        public boolean acquire(int thread) {
            switch (state) {
                case HALF_OPEN:
                    if (admitted >= PERMITTED) {
                        return false;
                    }
                    admitted++;
                    break;
                case CLOSED:
                    break;
                case OPEN:                                            // the ticker never moves
                    return false;
                default:
                    throw new IllegalStateException("unexpected " + state);
            }
            held.keep(thread, new int[] {state.ordinal(), epoch});
            return true;
        }

        public boolean release(int thread) {
            return end(thread, false, true);
        }

        public boolean succeed(int thread) {
            return end(thread, false, false);
        }

        public boolean fail(int thread) {
            return end(thread, true, false);
        }

        public CircuitBreaker.State state() {
            return state;
        }

        private boolean end(int thread, boolean failure, boolean release) {
            int[] permit = held.takeOldest(thread);
            if (permit == null) {
                return false;
            }
            if (state != CircuitBreaker.State.HALF_OPEN || permit[0] != state.ordinal() || permit[1] != epoch) {
                return true;                                          // CLOSED outcomes cannot trip here; stale permits are ignored
            }
            if (release) {
                admitted--;
                return true;
            }
            recorded++;
            if (failure) {
                failed++;
            }
            if (recorded == PERMITTED) {
                state = failed * 100 >= 50 * recorded ? CircuitBreaker.State.OPEN : CircuitBreaker.State.CLOSED;
                epoch++;
            }
            return true;
        }
    }
}
