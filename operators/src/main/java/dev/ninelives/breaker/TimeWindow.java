package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A time-based window: the outcomes of the last D of time, in K buckets of D/K, lock-free, correct
 * for any ticker origin and any clock that jumps.
 *
 * Periods. Time is cut into periods of one bucket length, counted from an origin: period
 * q = floor((now - origin) / bucketNanos). The subtraction is the only way a reading is used, so a
 * ticker that starts at 0, at a negative value or near Long.MAX_VALUE, or that wraps, gives the
 * same periods (readings are compared the System.nanoTime way). The origin is bound at first use
 * (the first record), not when the window is built: a breaker built on the real clock and first
 * used under StepVerifier.withVirtualTime counts on the virtual clock from its first call. An
 * origin bound to start an empty window sits on a whole multiple of the bucket length of that
 * clock's readings, so a virtual clock that starts at 0 has its buckets at 0-1 s, 1-2 s, ...
 *
 * A span is one origin and the K buckets tagged against it. Bucket b holds period q with
 * q % K == b. Each bucket is one long carrying its period tag and its counts, so a bucket is
 * rolled over and counted in the same CAS:
 *   bits  0..13 calls, 14..27 failures, 28..41 slow, 42..63 the tag: the period q itself.
 * Within a span a tag is a plain number in [0, SEALED): it never wraps, so no old bucket can pass
 * for a current one, however long the window sat idle.
 *
 * Who races. Recorders of the same bucket, and a recorder of a newer period against one still
 * recording into the older period of that bucket; the CAS on the whole word settles both. A late
 * recorder (its period older than the bucket's) drops its outcome: that period has left the
 * window, or is about to. A bucket whose calls would pass 2^14 - 1 is halved before adding,
 * which keeps its rates while bounding the counts. A span also remembers the newest period
 * recorded into it (`newest`, raised by CAS before the bucket CAS, so once per period in the
 * steady state).
 *
 * Clocks that jump. A forward jump needs nothing: every bucket is then older than the window
 * and reads as empty. A recorder whose period is a whole window or more behind `newest` reads
 * the ticker again: if it is now within the window it was merely late and drops its outcome;
 * if not, the clock went back by at least the window (a breaker used under one virtual clock,
 * then another, or built on the real clock and then used in virtual time), and the window
 * starts empty. A smaller step back is taken as it comes: the outcome lands in the period its
 * reading names, and sums only count periods up to the reader's.
 *
 * Rebasing replaces the span: at first use, when the clock went back (past the origin, or by a
 * window or more), and when a period reaches SEALED (2^22 - 1 periods after the origin: 48 days
 * of one-second buckets). The recorder builds a span whose origin is the old one shifted by a
 * whole number of periods (bucket boundaries stay where they were) so that its own period is
 * K - 1 (or, to start an empty window, on a whole multiple of the bucket length of the clock's
 * readings), and CASes it in. The winner then seals every old bucket (getAndSet to the SEALED tag);
 * when the tags ran out it also carries the counts of the periods still inside the window into
 * the new span with CAS adds (after a step back it carries nothing: the window starts empty).
 * A recorder that finds a sealed bucket reloads the span and tries again: the new span is
 * published before any bucket is sealed, so it never waits for the winner, and an outcome
 * recorded into an old bucket before it was sealed is carried with it. A reader in the middle
 * of a rebase may see part of it: readers are exact only up to concurrent records anyway.
 *
 * Tripping: the record whose sum reaches a threshold latches the window (a volatile write after
 * its bucket CAS), and the breaker moves to OPEN. Unlike the count window, the latch is not part
 * of the CAS that recorded the outcome: racing records between the two may be counted or not, and
 * the window is exact only up to them. Time windows are for high volumes, where a call more or
 * less in the tripping window does not matter. A change of a threshold judges the window again
 * (rejudge) and latches it if a rate has reached the new threshold; a latched window stays
 * latched when a threshold is raised afterwards.
 *
 * Costs: a record is one ticker read, two volatile loads (the span, its newest period), one CAS
 * on a bucket (and one on `newest` at the first record of a period) and a sum over the K
 * buckets (volatile loads, no allocation). Rebasing allocates one span; it happens at first use,
 * at most once per 2^22 periods, and when a clock goes back.
 */
final class TimeWindow extends SlidingWindow {

    private static final VarHandle BUCKETS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SPAN;
    private static final VarHandle NEWEST;

    static {
        try {
            SPAN = MethodHandles.lookup().findVarHandle(TimeWindow.class, "span", Span.class);
            NEWEST = MethodHandles.lookup().findVarHandle(Span.class, "newest", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int COUNT_BITS = 14;
    private static final long COUNT_MAX = (1L << COUNT_BITS) - 1;
    private static final long COUNTS_MASK = (1L << (3 * COUNT_BITS)) - 1;
    private static final int TAG_SHIFT = 3 * COUNT_BITS;
    /** The tag of a bucket whose counts were carried to a newer span; no period reaches it. */
    static final long SEALED = (1L << (64 - TAG_SHIFT)) - 1;
    private static final int SUM_BITS = 21;

    /** One origin and the buckets tagged against it; replaced only by a rebase. */
    static final class Span {
        final long origin;
        final long[] buckets;
        /** The newest period recorded into this span, -1 before the first; only grows. */
        volatile long newest = -1;

        Span(long origin, int k) {
            this.origin = origin;
            this.buckets = new long[k];   // all tag 0, no counts: empty whatever period they are read at
        }
    }

    private final int k;
    private final long bucketNanos;
    private final Ticker ticker;
    private final boolean judging;
    /** Null until the first record binds the clock. */
    @SuppressWarnings("unused") // accessed through SPAN
    private volatile Span span;
    /** 0 until a record trips the window, then the verdict that tripped it; written once. */
    private volatile int tripped;

    TimeWindow(CircuitBreakerConfig config, boolean judging) {
        super(config, config.minimumNumberOfCalls());
        this.judging = judging;
        this.k = config.windowBuckets();
        this.bucketNanos = Check.nanos(config.windowDuration()) / k;
        this.ticker = config.ticker();
    }

    private long period(Span s, long now) {
        return Math.floorDiv(now - s.origin, bucketNanos);
    }

    @Override
    int record(int code) {
        if (tripped != 0) {
            return TRIPPED_ALREADY;
        }
        long now = ticker.read();
        long add = delta(code);
        for (;;) {
            Span s = span;
            if (s == null) {
                rebase(null, now, false);                     // first use binds the clock
                continue;
            }
            long q = period(s, now);
            if (q < 0) {
                rebase(s, now, false);                        // the clock went back past the origin
                continue;
            }
            if (q >= SEALED) {
                rebase(s, now, true);                         // past what a tag can say: carry the window over
                continue;
            }
            long newest = s.newest;
            if (newest - q >= k) {
                long again = ticker.read();                   // a whole window behind the newest record:
                long q2 = period(s, again);                   // late, or did the clock go back?
                if (q2 >= 0 && newest - q2 < k) {
                    return UNCHANGED;                         // merely late: our period has left the window
                }
                now = again;
                rebase(s, now, false);                        // the clock went back by a window or more: start empty
                continue;
            }
            while (q > newest && !NEWEST.compareAndSet(s, newest, q)) {
                newest = s.newest;                            // raised before the bucket CAS: see the header
            }
            int result = add(s, q, add);
            if (result == SEALED_BUCKET) {
                continue;                                     // a rebase is under way: record into the new span
            }
            if (result == BEHIND) {
                return UNCHANGED;                             // a racing recorder rolled the bucket past us
            }
            long t = sum(s, q);
            int verdict = judge(field(t, 0), field(t, 1), field(t, 2));
            if (judging && verdict >= FAILURE_RATE_EXCEEDED) {
                tripped = verdict;    // latched after the bucket CAS, so not atomic with it: see the header
                return verdict;
            }
            return verdict >= FAILURE_RATE_EXCEEDED ? BELOW : verdict;
        }
    }

    private static final int ADDED = 0;
    private static final int BEHIND = 1;
    private static final int SEALED_BUCKET = 2;

    /** Adds {@code add} to period {@code q}'s bucket of span {@code s}. */
    private int add(Span s, long q, long add) {
        long[] buckets = s.buckets;
        int index = (int) (q % k);
        for (;;) {
            long b = (long) BUCKETS.getVolatile(buckets, index);
            long tag = b >>> TAG_SHIFT;
            long next;
            if (tag == q) {
                long counts = b & COUNTS_MASK;
                if ((counts & COUNT_MAX) == COUNT_MAX) {
                    counts = halve(counts);
                }
                next = (q << TAG_SHIFT) | (counts + add);
            } else if (tag == SEALED) {
                return SEALED_BUCKET;
            } else if (tag < q) {
                next = (q << TAG_SHIFT) | add;               // the bucket holds an older period: roll it over
            } else {
                return BEHIND;                                // the bucket moved on to a newer period
            }
            if (BUCKETS.compareAndSet(buckets, index, b, next)) {
                return ADDED;
            }
        }
    }

    /**
     * Replaces {@code old} (null at first use) by a span in which the period of {@code now} is
     * K - 1; with {@code carry}, the counts of the K periods up to now's move over.
     */
    private void rebase(Span old, long now, boolean carry) {
        long origin;
        long q = old == null ? 0 : period(old, now);
        if (carry) {
            origin = old.origin + (q - (k - 1)) * bucketNanos; // a whole number of periods: boundaries stay put
        } else {
            // An empty window: boundaries at whole multiples of the bucket on this clock, so a
            // virtual clock that starts at zero has its buckets at 0-1 s, 1-2 s...
            origin = now - Math.floorMod(now, bucketNanos) - (k - 1) * bucketNanos;
        }
        Span fresh = new Span(origin, k);
        if (!SPAN.compareAndSet(this, old, fresh) || old == null) {
            return;                                          // first use, or another recorder rebased first
        }
        long shift = q - (k - 1);
        for (int i = 0; i < k; i++) {
            long b = (long) BUCKETS.getAndSet(old.buckets, i, SEALED << TAG_SHIFT);
            long tag = b >>> TAG_SHIFT;
            long counts = b & COUNTS_MASK;
            if (carry && counts != 0 && tag != SEALED && tag <= q && q - tag < k) {
                carry(fresh, tag - shift, counts);
            }
        }
    }

    /** Adds a carried bucket's counts to period {@code q} (0..K-1) of {@code s}, where records may already land. */
    private void carry(Span s, long q, long counts) {
        long[] buckets = s.buckets;
        int index = (int) (q % k);
        for (;;) {
            long b = (long) BUCKETS.getVolatile(buckets, index);
            long tag = b >>> TAG_SHIFT;
            long next;
            if (tag == q) {
                next = (q << TAG_SHIFT) | saturatingAdd(b & COUNTS_MASK, counts);
            } else if (tag < q) {
                next = (q << TAG_SHIFT) | counts;
            } else {
                return;                                       // newer records own the bucket: the carried period left the window
            }
            if (BUCKETS.compareAndSet(buckets, index, b, next)) {
                return;
            }
        }
    }

    private static long saturatingAdd(long a, long b) {
        while (((a & COUNT_MAX) + (b & COUNT_MAX)) > COUNT_MAX) {
            a = halve(a);
            b = halve(b);
        }
        return a + b;
    }

    @Override
    boolean tripped() {
        return tripped != 0;
    }

    @Override
    boolean rejudge() {
        if (tripped != 0) {
            return true;
        }
        Span s = span;
        if (s == null) {
            return false;                                     // nothing recorded yet
        }
        long t = sum(s, period(s, ticker.read()));
        int verdict = judge(field(t, 0), field(t, 1), field(t, 2));
        if (judging && verdict >= FAILURE_RATE_EXCEEDED) {
            tripped = verdict;
            return true;
        }
        return false;
    }

    @Override
    int tripReason() {
        int t = tripped;
        return t == 0 ? BELOW : t;
    }

    @Override
    int[] totals() {
        Span s = span;
        if (s == null) {
            return new int[3];
        }
        long t = sum(s, period(s, ticker.read()));
        return new int[] {field(t, 0), field(t, 1), field(t, 2)};
    }

    /**
     * Sums the buckets of periods (q - K, q] into three unsigned 21-bit fields (calls, failures,
     * slow): each sum is at most 128 * (2^14 - 1) < 2^21, so nothing allocates. A period outside
     * what the span can tag sums to nothing.
     */
    private long sum(Span s, long q) {
        long total = 0;
        for (long b : s.buckets) {
            long tag = b >>> TAG_SHIFT;
            if (tag != SEALED && tag <= q && q - tag < k) {
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
