package dev.ninelives.hedge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * Two log-bucket histograms of latencies, one filling, one cleared, in one long[] of counters;
 * the call that closes a window computes the percentile and switches them. No lock, no thread,
 * no allocation after construction.
 *
 * Buckets. A latency v in nanoseconds goes to the bucket of its power of two and of the next
 * three bits below its leading one: 8 buckets per doubling, each 1/8 to 1/16 of its lower edge
 * wide. Below 2^10 ns (about 1 us) everything shares bucket 0; above 2^41 ns (about 36 min)
 * everything shares the last one. The percentile reported is the upper edge of the bucket where
 * the rank falls: never below the window's true percentile, at most 12.5 % above it.
 *
 * Who races. record() runs on any thread: one getAndAdd on a counter of the half `active` it read,
 * one getAndAdd on `samples`. The recorder whose increment makes `samples` a multiple of the
 * window closes it: it flips `active`, then sums the half it read and clears it. Recorders that
 * read `active` just before the flip add to the closing half: a sample added before the sum
 * counts in the closing window; one added between the sum and the clear is lost; one added after
 * the clear stays there and counts in the window after next. At most one sample per racing
 * thread is misplaced so, per window: a benign error in an estimate. Two closers never work on one half at
 * once unless a whole window of samples is recorded while one closer sums 250 counters.
 */
final class LatencyWindow {

    static final int SUB_BITS = 3;
    static final int SUBS = 1 << SUB_BITS;
    static final int MIN_EXP = 10;
    static final int MAX_EXP = 40;
    static final int BUCKETS = (MAX_EXP - MIN_EXP + 1) * SUBS + 1;

    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SAMPLES;
    private static final VarHandle ACTIVE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SAMPLES = l.findVarHandle(LatencyWindow.class, "samples", long.class);
            ACTIVE = l.findVarHandle(LatencyWindow.class, "active", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] counts = new long[2 * BUCKETS];
    private final int window;
    /** Read once per closed window; set when the hedge's adaptive percentile changes. */
    private volatile double percentile;
    @SuppressWarnings("unused") // through SAMPLES
    private volatile long samples;
    @SuppressWarnings("unused") // through ACTIVE
    private volatile int active;

    LatencyWindow(int window, double percentile) {
        this.window = window;
        this.percentile = percentile;
    }

    /** Sets the percentile the next window that closes is judged by; the samples are kept. */
    void percentile(double percentile) {
        this.percentile = percentile;
    }

    /**
     * Records a latency.
     *
     * @return the percentile of the window this sample closed, or -1 when it closed none
     */
    long record(long nanos) {
        int half = (int) ACTIVE.getVolatile(this);
        COUNTS.getAndAdd(counts, half * BUCKETS + index(nanos), 1L);
        long n = (long) SAMPLES.getAndAdd(this, 1L) + 1;
        if (n % window != 0) {
            return -1L;
        }
        ACTIVE.setVolatile(this, 1 - half);            // new samples go to the other half from now on
        return closeHalf(half);
    }

    private long closeHalf(int half) {
        int base = half * BUCKETS;
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            total += (long) COUNTS.getVolatile(counts, base + i);
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        long seen = 0;
        long edge = -1L;
        for (int i = 0; i < BUCKETS; i++) {
            seen += (long) COUNTS.getAndSet(counts, base + i, 0L);
            if (edge < 0 && seen >= rank && seen > 0) {
                edge = upperEdge(i);
            }
        }
        return edge;
    }

    static int index(long v) {
        if (v < (1L << MIN_EXP)) {
            return 0;
        }
        int e = 63 - Long.numberOfLeadingZeros(v);
        if (e > MAX_EXP) {
            return BUCKETS - 1;
        }
        int sub = (int) (v >>> (e - SUB_BITS)) & (SUBS - 1);
        return 1 + (e - MIN_EXP) * SUBS + sub;
    }

    static long upperEdge(int index) {
        if (index == 0) {
            return 1L << MIN_EXP;
        }
        int e = (index - 1) / SUBS + MIN_EXP;
        int sub = (index - 1) % SUBS;
        return (long) (SUBS + sub + 1) << (e - SUB_BITS);
    }
}
