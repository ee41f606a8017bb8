package dev.ninelives.retry;

import dev.ninelives.testing.LincheckScenarios;
import dev.ninelives.core.Ticker;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks that {@link RetryBudget} is linearizable against {@link RetryBudgetModel}: threads
 * deposit, take, read, and move a shared ticker in steps of 0.4 ms. The budget holds 2 tokens,
 * a call deposits 0.5 and time accrues 0.5 a millisecond, so scenarios cross the cap, the last
 * whole token and the millisecond boundaries.
 *
 * <p>Guards against a deposit or a take lost to a racing CAS (the tokens would not add up
 * against the model), time accrued twice by two racing accruals, and — the subtle one — a take
 * that uses a ticker reading older than one another operation has already acted on: a reader
 * that sees time move without writing the accrued word lets such a stale take succeed, and the
 * bucket then owes the time between the two readings twice ({@link #staleReadingRacesARead()}).
 */
class LincheckRetryBudgetTest {

    private static final int CAPACITY = 2;
    private static final double RATIO = 0.5;
    private static final int PER_SECOND = 500;
    private static final long STEP_NANOS = 400_000L;

    /** The operations under test: one budget and the ticker it reads. */
    public static class Budget {

        private final SharedTicker now = new SharedTicker();
        private final RetryBudget budget = RetryBudget.builder().ratio(RATIO).minRetriesPerSecond(PER_SECOND)
                .capacity(CAPACITY).ticker(now).build();

        @Operation
        public void onCall() {
            budget.onCall();
        }

        @Operation
        public boolean tryAcquireRetry() {
            return budget.tryAcquireRetry();
        }

        @Operation
        public double availableTokens() {
            return budget.availableTokens();
        }

        /** Moves the ticker {@code steps} times 0.4 ms. */
        @Operation
        public void advance(@Param(gen = IntGen.class, conf = "1:3") int steps) {
            now.nanos.addAndGet(steps * STEP_NANOS);
        }
    }

    /** The test's ticker, a named class rather than a capturing lambda, whose fields Lincheck can follow. */
    static final class SharedTicker implements Ticker {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public long read() {
            return nanos.get();
        }
    }

    /** The sequential specification: {@link RetryBudgetModel} with a ticker of its own. */
    public static final class Spec {
        private long now;
        private final RetryBudgetModel model = new RetryBudgetModel(RATIO, PER_SECOND, CAPACITY, 0L);

        public void onCall() {
            model.onCall();
        }

        public boolean tryAcquireRetry() {
            return model.tryAcquireRetry(now);
        }

        public double availableTokens() {
            return model.availableTokens(now);
        }

        public void advance(int steps) {
            now += steps * STEP_NANOS;
        }
    }

    @Test
    void modelChecking() {
        withScenarios(new ModelCheckingOptions())
                .iterations(LincheckScenarios.iterations(5))
                .invocationsPerIteration(200)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Budget.class);
    }

    @Test
    void stress() {
        withScenarios(new StressOptions())
                .iterations(LincheckScenarios.iterations(10))
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Budget.class);
    }

    private static <O extends Options<O, ?>> O withScenarios(O options) {
        return options.addCustomScenario(staleReadingRacesARead())
                .addCustomScenario(depositsRaceTakes())
                .addCustomScenario(accrualsRace());
    }

    /**
     * A full bucket: one thread takes while another moves time by 1.2 ms and reads. If a read that
     * sees the new millisecond did not write it (the bucket is full, so only its time would
     * change), the take could read the ticker before the move, win its CAS after the read and
     * store the old millisecond: the bucket would then hold 1 token a read had already seen it
     * lose, and accrue the 0.5 of that millisecond again, so the post-part read finds 1.5 where
     * any sequential order gives 1.0.
     */
    static ExecutionScenario staleReadingRacesARead() {
        return scenario(
                List.of(),
                List.of(List.of(a("tryAcquireRetry"), a("availableTokens")),
                        List.of(a("advance", 3), a("availableTokens"), a("tryAcquireRetry"))),
                List.of(a("availableTokens")));
    }

    /** A nearly full bucket: deposits hit the cap while takes race them. */
    static ExecutionScenario depositsRaceTakes() {
        return scenario(
                List.of(a("tryAcquireRetry"), a("onCall")),
                List.of(List.of(a("onCall"), a("tryAcquireRetry"), a("onCall")),
                        List.of(a("tryAcquireRetry"), a("onCall"), a("tryAcquireRetry")),
                        List.of(a("onCall"), a("tryAcquireRetry"), a("availableTokens"))),
                List.of(a("availableTokens")));
    }

    /** An empty bucket, time moving on two threads and accrued by readers on all three. */
    static ExecutionScenario accrualsRace() {
        return scenario(
                List.of(a("tryAcquireRetry"), a("tryAcquireRetry")),
                List.of(List.of(a("advance", 2), a("tryAcquireRetry"), a("availableTokens")),
                        List.of(a("advance", 3), a("availableTokens"), a("tryAcquireRetry")),
                        List.of(a("availableTokens"), a("tryAcquireRetry"), a("availableTokens"))),
                List.of(a("availableTokens"), a("tryAcquireRetry")));
    }

    private static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        return LincheckScenarios.scenario(init, parallel, post);
    }

    private static Actor a(String operation, Object... args) {
        return LincheckScenarios.actor(Budget.class, operation, args);
    }
}
