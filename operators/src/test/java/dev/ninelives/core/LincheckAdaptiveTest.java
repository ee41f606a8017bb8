package dev.ninelives.core;

import dev.ninelives.testing.LincheckScenarios;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Checks that {@link Adaptive}'s {@code get}, {@code set}, {@code update} and
 * {@code compareAndSet} are linearizable against their sequential behaviour, refusals included,
 * in Lincheck's model-checking mode (every interleaving; finds the races) and stress mode (real
 * threads; finds a missing {@code volatile}, which model checking cannot see).
 *
 * <p>A bound policy refuses 0 and below, and applies each change by adding {@code new - old} to
 * a sum, as the bulkhead does with its permits. After every run, {@link Values#followed()}
 * checks that the sum equals the value, and that a view made by {@code map} shows the mapping of
 * the value.
 *
 * <p>Guards against: a lost update (two {@code update}s that read the same value and both
 * publish); a refused value that gets published or counted; a change validated against a check
 * other than the one in force; a binding whose changes do not continue from the value it
 * started from (the sum would drift from the value); and a view left on an older mapping when
 * two refreshes race.
 */
class LincheckAdaptiveTest {

    /** What a refused change returns. */
    private static final int REFUSED = -1;

    /** The operations under test: one adaptive, with a bound policy and a view. */
    public static class Values {

        private final Adaptive<Integer> value = Adaptive.of(1);
        private final AtomicInteger applied = new AtomicInteger();
        private final Adaptive<Integer> doubled = value.map(new Doubling());

        public Values() {
            applied.set(AdaptiveBinding.bind(value, new Positive(), new Sum(applied), new Bindings()));
        }

        @Operation
        public int get() {
            return value.get();
        }

        /** Returns 1 if set, REFUSED if the policy refused it. */
        @Operation
        public int set(@Param(gen = IntGen.class, conf = "0:3") int v) {
            try {
                value.set(v);
                return 1;
            } catch (IllegalArgumentException refused) {
                return REFUSED;
            }
        }

        /** Returns the value left in place, or REFUSED. */
        @Operation
        public int update(@Param(gen = IntGen.class, conf = "-1:2") int delta) {
            try {
                return value.update(new Add(delta));
            } catch (IllegalArgumentException refused) {
                return REFUSED;
            }
        }

        /** Returns 1 or 0 as compareAndSet did, or REFUSED. */
        @Operation
        public int compareAndSet(@Param(gen = IntGen.class, conf = "1:3") int expected,
                                 @Param(gen = IntGen.class, conf = "0:3") int v) {
            try {
                return value.compareAndSet(expected, v) ? 1 : 0;
            } catch (IllegalArgumentException refused) {
                return REFUSED;
            }
        }

        /** After each run (every operation has returned): the policy and the view followed every change. */
        @Validate
        public void followed() {
            int now = value.get();
            if (applied.get() != now) {
                throw new AssertionError("the bound policy applied changes summing to " + applied.get() + " but the value is " + now);
            }
            if (doubled.get() != 2 * now) {
                throw new AssertionError("the view shows " + doubled.get() + " for the value " + now);
            }
        }
    }

    /** Named classes rather than capturing lambdas, whose fields Lincheck can follow. */
    static final class Positive implements Consumer<Integer> {
        @Override
        public void accept(Integer v) {
            if (v < 1) {
                throw new IllegalArgumentException("value must be positive, but was " + v);
            }
        }
    }

    static final class Sum implements Consumer<Adaptive.Change<Integer>> {
        private final AtomicInteger sum;

        Sum(AtomicInteger sum) {
            this.sum = sum;
        }

        @Override
        public void accept(Adaptive.Change<Integer> change) {
            sum.addAndGet(change.newValue() - change.oldValue());
        }
    }

    static final class Add implements java.util.function.UnaryOperator<Integer> {
        private final int delta;

        Add(int delta) {
            this.delta = delta;
        }

        @Override
        public Integer apply(Integer v) {
            return v + delta;
        }
    }

    static final class Doubling implements Function<Integer, Integer> {
        @Override
        public Integer apply(Integer v) {
            return 2 * v;
        }
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(LincheckScenarios.iterations(5))
                .invocationsPerIteration(150)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .check(Values.class);
    }

    @Test
    void stress() {
        new StressOptions()
                .iterations(LincheckScenarios.iterations(10))
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .check(Values.class);
    }
}
