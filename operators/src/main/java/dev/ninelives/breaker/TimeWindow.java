package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A time-based window: the outcomes of the last D of time, in K buckets of D/K, lock-free.
 *
 * Protocol. Bucket b covers the period number p = floor(now / (D/K)) with p % K == b. Each
 * bucket is one long that carries its period tag and its counts, so a bucket is rolled over
 * and counted in the same CAS:
 *   bits  0..13 calls, 14..27 failures, 28..41 slow, 42..63 the low 22 bits of the period.
 * A recorder reads the bucket of the current period; if its tag is an older period it CASes in
 * (tag, this outcome), otherwise (tag, counts + this outcome). Who races: recorders of the same
 * bucket, and a recorder of the new period against one still recording into the old one. The
 * CAS on the whole word settles both: a late recorder of an older period whose tag no longer
 * matches simply drops its outcome (it belongs to a period that has left the window or is
 * about to). A bucket whose calls would pass 2^14 - 1 is halved before adding, which keeps its
 * rates while bounding the counts.
 *
 * Tripping: the record whose sum reaches a threshold latches the window (a volatile write
 * after its bucket CAS), and the breaker moves to OPEN. Unlike the count window, the latch is
 * not part of the CAS that recorded the outcome: racing records between the two may be
 * counted or not, and the window is exact only up to them. Time windows are for high
 * volumes, where a call more or less in the tripping window does not matter.
 *
 * Reading sums the buckets whose tag is one of the last K periods. A tag is 22 bits, so a
 * bucket left untouched for a multiple of 2^22 periods (48 days of one-second buckets) could
 * alias a current one; this is accepted.
 */
final class TimeWindow extends SlidingWindow {

    private static final VarHandle BUCKETS = MethodHandles.arrayElementVarHandle(long[].class);

    private static final int COUNT_BITS = 14;
    private static final long COUNT_MAX = (1L << COUNT_BITS) - 1;
    private static final int TAG_SHIFT = 3 * COUNT_BITS;
    private static final long TAG_MASK = (1L << (64 - TAG_SHIFT)) - 1;
    private static final int SUM_BITS = 21;

    private final long[] buckets;
    private final long bucketNanos;
    private final Ticker ticker;
    private final boolean judging;
    /** 0 until a record trips the window, then the verdict that tripped it; written once. */
    private volatile int tripped;

    TimeWindow(CircuitBreakerConfig config, boolean judging) {
        super(config);
        this.judging = judging;
        this.buckets = new long[config.windowBuckets()];
        this.bucketNanos = dev.ninelives.internal.Check.nanos(config.windowDuration()) / config.windowBuckets();
        this.ticker = config.ticker();
        long tag = period(ticker.read()) & TAG_MASK;
        // Start with every bucket tagged as an old, empty period.
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = ((tag - buckets.length) & TAG_MASK) << TAG_SHIFT;
        }
        VarHandle.releaseFence();
    }

    private long period(long now) {
        return Math.floorDiv(now, bucketNanos);
    }

    @Override
    int record(int code) {
        if (tripped != 0) {
            return TRIPPED_ALREADY;
        }
        long period = period(ticker.read());
        long tag = period & TAG_MASK;
        int index = (int) Math.floorMod(period, (long) buckets.length);
        long add = delta(code);
        for (;;) {
            long b = (long) BUCKETS.getVolatile(buckets, index);
            long bTag = b >>> TAG_SHIFT;
            long next;
            if (bTag == tag) {
                long counts = b & ~(TAG_MASK << TAG_SHIFT);
                if ((counts & COUNT_MAX) == COUNT_MAX) {
                    counts = halve(counts);
                }
                next = (tag << TAG_SHIFT) | (counts + add);
            } else if (((tag - bTag) & TAG_MASK) < (TAG_MASK >>> 1)) {
                next = (tag << TAG_SHIFT) | add;             // the bucket holds an older period: roll it over
            } else {
                return UNCHANGED;                             // we are the late one: the bucket moved on
            }
            if (BUCKETS.compareAndSet(buckets, index, b, next)) {
                break;
            }
        }
        long t = sum(tag);
        int verdict = judge(field(t, 0), field(t, 1), field(t, 2));
        if (judging && verdict >= FAILURE_RATE_EXCEEDED) {
            tripped = verdict;    // latched after the bucket CAS, so not atomic with it: see the header
            return verdict;
        }
        return verdict >= FAILURE_RATE_EXCEEDED ? BELOW : verdict;
    }

    @Override
    boolean tripped() {
        return tripped != 0;
    }

    @Override
    int tripReason() {
        int t = tripped;
        return t == 0 ? BELOW : t;
    }

    @Override
    int[] totals() {
        long t = sum(period(ticker.read()) & TAG_MASK);
        return new int[] {field(t, 0), field(t, 1), field(t, 2)};
    }

    /**
     * Sums the buckets of the last K periods into three unsigned 21-bit fields (calls,
     * failures, slow): each sum is at most 128 * (2^14 - 1) < 2^21, so nothing allocates.
     */
    private long sum(long currentTag) {
        long total = 0;
        int k = buckets.length;
        for (int i = 0; i < k; i++) {
            long b = (long) BUCKETS.getVolatile(buckets, i);
            long age = (currentTag - (b >>> TAG_SHIFT)) & TAG_MASK;
            if (age < k) {
                total += (b & COUNT_MAX)
                        | ((b >>> COUNT_BITS) & COUNT_MAX) << SUM_BITS
                        | ((b >>> (2 * COUNT_BITS)) & COUNT_MAX) << (2 * SUM_BITS);
            }
        }
        return total;
    }

    private static int field(long sum, int index) {
        return (int) ((sum >>> (index * SUM_BITS)) & ((1L << SUM_BITS) - 1));
    }

    private static long halve(long counts) {
        long calls = (counts & COUNT_MAX) >>> 1;
        long failures = ((counts >>> COUNT_BITS) & COUNT_MAX) >>> 1;
        long slow = ((counts >>> (2 * COUNT_BITS)) & COUNT_MAX) >>> 1;
        return calls | (failures << COUNT_BITS) | (slow << (2 * COUNT_BITS));
    }

    private static long delta(int code) {
        return 1L
                | ((long) ((code & FAILURE) >>> 1) << COUNT_BITS)
                | ((long) ((code & SLOW) >>> 2) << (2 * COUNT_BITS));
    }
}
