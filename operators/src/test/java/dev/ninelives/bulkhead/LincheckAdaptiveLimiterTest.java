package dev.ninelives.bulkhead;

import dev.ninelives.testing.LincheckScenarios;
import dev.ninelives.core.Adaptive;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks the adaptive limit's lock-free window and limit recomputation: threads record samples
 * (fast, slow, failed) into windows of two, so that windows close while others record into them,
 * and change the specification's bounds ([1, 4] and [2, 3]) while windows close. After every run:
 * <ul>
 * <li>every recorded sample is counted in exactly one window: the sealed totals of the closed
 *     windows plus the count of the open ones equal the samples recorded;</li>
 * <li>the limit lies within the bounds of the specification in force, and the bulkhead's free
 *     permits are exactly that limit (no call holds one).</li>
 * </ul>
 * Operations return nothing (which window a sample lands in, and so the limit, depends on the
 * interleaving), so the check is the validation above, in model checking and in stress.
 *
 * <p>Guards against a sample lost to a window closing under it (added after the closer read the
 * totals, the bug of a close that reads the word instead of sealing it), a sample counted twice
 * (re-recorded although the closer counted it), a window closed twice, two closers running the
 * algorithm at once, and a limit left outside new bounds by a closer that computed it from the
 * old ones.
 */
class LincheckAdaptiveLimiterTest {

    /** The operations under test. */
    public static class Limiter {
        private final Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().minLimit(1).maxLimit(4).initialLimit(2)
                .windowSize(2));
        private final LockFreeBulkhead bulkhead = (LockFreeBulkhead) Bulkhead.builder("lincheck-adaptive")
                .adaptiveLimit(spec).ticker(() -> 0L).build();
        private final AdaptiveLimiter limiter = bulkhead.limiter();
        private final AdaptiveLimiter.Window first = limiter.currentWindow();
        private final AtomicInteger recorded = new AtomicInteger();

        @Operation
        public void fast() {
            recorded.incrementAndGet();
            limiter.record(-1_000L, false);
        }

        @Operation
        public void slowFailed() {
            recorded.incrementAndGet();
            limiter.record(-5_000L, true);
        }

        @Operation
        public void narrow() {
            spec.update(s -> s.minLimit(2).maxLimit(3));
        }

        @Operation
        public void widen() {
            spec.update(s -> s.minLimit(1).maxLimit(4));
        }

        /** After each run: every sample counted once, the limit within the bounds in force, every permit free. */
        @Validate
        public void samplesCountedOnceAndLimitInBounds() {
            long counted = 0;
            for (AdaptiveLimiter.Window w = first; w != null; w = w.next) {
                long word = w.closed != 0 ? w.sealedWord : w.word;
                counted += word & 0xFFFF;
            }
            if (counted != recorded.get()) {
                throw new AssertionError(recorded.get() + " samples recorded, but " + counted + " counted in the windows");
            }
            AdaptiveLimit s = spec.get();
            int limit = bulkhead.config().maxConcurrent();
            if (limit < s.minLimit() || limit > s.maxLimit()) {
                throw new AssertionError("limit " + limit + " outside [" + s.minLimit() + ", " + s.maxLimit() + "]");
            }
            if (bulkhead.metrics().availablePermits() != limit) {
                throw new AssertionError(bulkhead.metrics().availablePermits() + " permits free, but the limit is " + limit);
            }
        }
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(LincheckScenarios.iterations(5))
                .invocationsPerIteration(200)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .check(Limiter.class);
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
                .check(Limiter.class);
    }
}
