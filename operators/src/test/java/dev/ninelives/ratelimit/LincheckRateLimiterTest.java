package dev.ninelives.ratelimit;

import dev.ninelives.testing.LincheckScenarios;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.RateGate;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks that the rate limiter's state word is linearizable against {@link Spec}, a plain GCRA
 * on a long: threads reserve (waiting up to 250 ms at 10 per second, burst 2), give back the
 * newest reservation (a give-back CAS racing reservations) and read the metrics, at one
 * instant: four reservations fit (two of the burst, two waiting), the fifth is refused. Time
 * does not move during a scenario: a reservation reads the ticker before its CAS, and a reading
 * that a racing thread's move of the ticker made stale has no sequential equivalent (it only
 * makes that one reservation's instant as old as its reading), so moving time concurrently
 * would test the ticker, not the word. {@link RateLimiterPropertyTest} covers time.
 *
 * <p>Guards against a reservation lost to a racing CAS (two callers handed the same instant:
 * the returned instants would not match any sequential order), a give-back whose CAS overwrites a racing reservation
 * (a permit double-spent), and a refusal that writes the word.
 */
class LincheckRateLimiterTest {

    private static final long INTERVAL = 100_000_000L;
    private static final long MAX_WAIT = 250_000_000L;

    /** The operations under test. */
    public static class Limiter {
        private final SharedTicker now = new SharedTicker();
        private final GcraRateLimiter rl = (GcraRateLimiter) RateLimiter.builder("rl").limitForPeriod(10)
                .burst(2).maxWait(java.time.Duration.ofNanos(MAX_WAIT)).ticker(now).build();
        /** Returns the wait in milliseconds, or -1 when refused. */
        @Operation
        public long reserve() {
            RateGate.Rate r = rl.rate();
            long t = now.read();
            long instant = rl.reserve(r, t, MAX_WAIT);
            if (instant == RateGate.REFUSED) {
                return -1L;
            }
            return Math.max(0L, instant - t) / 1_000_000L;
        }

        /**
         * Gives back the newest reservation, whoever made it: the give-back of a caller that reads
         * the word and finds it is still the newest, retried when a racing reservation makes it
         * no longer so (so that the operation is atomic and comparable with the spec).
         */
        @Operation
        public boolean giveBackNewest() {
            for (;;) {
                long l = rl.last();
                if (l == GcraRateLimiter.IDLE) {
                    return false;
                }
                if (rl.giveBack(rl.rate(), l)) {
                    return true;
                }
            }
        }

        @Operation
        public int available() {
            return rl.metrics().availablePermits();
        }

    }

    /** A named ticker class that Lincheck can follow. */
    static final class SharedTicker implements Ticker {
        final AtomicLong nanos = new AtomicLong();

        @Override
        public long read() {
            return nanos.get();
        }
    }

    /** The sequential specification: GCRA with the newest permit's instant in a plain field. */
    public static final class Spec {
        private long now;
        private long last = Long.MIN_VALUE;

        public long reserve() {
            long earliest = now - INTERVAL;
            long next = last == Long.MIN_VALUE ? earliest : Math.max(last + INTERVAL, earliest);
            if (next - now > MAX_WAIT) {
                return -1L;
            }
            last = next;
            return Math.max(0L, next - now) / 1_000_000L;
        }

        public boolean giveBackNewest() {
            if (last == Long.MIN_VALUE) {
                return false;
            }
            last -= INTERVAL;
            return true;
        }

        public int available() {
            long earliest = now - INTERVAL;
            long first = last == Long.MIN_VALUE ? earliest : Math.max(last + INTERVAL, earliest);
            return first - now > 0 ? 0 : (int) Math.min(2, (now - first) / INTERVAL + 1);
        }

    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
                .iterations(LincheckScenarios.iterations(5))
                .invocationsPerIteration(200)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Limiter.class);
    }

    @Test
    void stress() {
        new StressOptions()
                .iterations(LincheckScenarios.iterations(10))
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(Limiter.class);
    }
}
