package dev.ninelives.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A count-based window: the outcomes of the last N calls, lock-free and linearizable.
 *
 * The word (one long) holds everything a decision needs:
 *   bits  0..12 failures   13..25 slow         (the totals of the ring)
 *   bits 26..38 head       the next slot to fill
 *   bit  39     full       the ring has wrapped once: calls = full ? N : head
 *   bits 40..63 lap        how many times head has wrapped, modulo 2^24
 * The ring holds N ints of (tag, code, evicted): the lap (mod 2^24) the slot was last filled
 * in, its outcome, and the outcome that filling evicted.
 *
 * Recording is two steps, reserve and advance, and anyone may do the second for anyone:
 *   1. Read the word w (head h, lap L). If ring[h] is tagged L, someone reserved slot h and has
 *      not advanced yet: help by CASing w to advance(w, ring[h]), then start again.
 *   2. If ring[h] is tagged L-1, it holds lap L-1's outcome e, already counted: CAS ring[h] to
 *      (L, code, e), the reservation. Losing means another recorder reserved h: start again.
 *      Any other tag means w is stale (head has since come round to h again): start again.
 *      (A racing test caught a first version that reserved on any tag but L, overwriting a
 *      later lap's counted outcome with a stale one.)
 *   3. CAS w to advance(w, ring[h]): head + 1, totals - e + code. If the CAS fails, a helper
 *      already did exactly this advance: while ring[h] is tagged L and head is h, no other
 *      change of the word is possible.
 * The advance is the linearization point: the totals move from one exact state to the next, in
 * the order of the slots, so a reader never sees a window that skips a crossing.
 *
 * Tripping needs no extra bit: a judging window whose totals reach a threshold takes no more
 * outcomes (every recorder judges the word it read first), so the word freezes at the crossing
 * and "tripped" is simply judge(word). The breaker moves to OPEN, and any thread that finds the
 * window tripped helps it there, so no call is admitted in CLOSED after the crossing.
 *
 * Thresholds that change. judge() reads the thresholds in force, so "tripped" follows them: a
 * lowered threshold trips a window as it stands (the breaker's change applier then moves it to
 * OPEN at once, and any acquire that sees it first helps), and a threshold raised between a
 * crossing and the move to OPEN un-trips the window: the breaker's trip() judges again before
 * its CAS and stays CLOSED, as if the change had come before the crossing outcome (which
 * returns nothing that could tell otherwise); only a raise between that judgement and the CAS
 * is too late (see the breaker's header). A window full of fast outcomes never reads them.
 *
 * Resizing (resized) copies the newest outcomes into a new window prefilled as if they had just
 * been recorded: lap 0 with head at the count, or, when they fill it, lap 1, head 0 and full,
 * so that every slot is tagged lap - 1 and ready to be reserved.
 *
 * ABA. Word and slot tags carry the lap modulo 2^24, so a CAS can only be fooled by a thread
 * that stalls for 2^24 laps (16 million records for a window of one call, far more for any
 * real window) between its read and its CAS.
 *
 * Healthy shortcut: while the window is full of fast successes (full, no failure, no slow
 * call), a fast success changes nothing that matters: the head's position only matters
 * relative to outcomes that are not fast successes, and there are none. So it returns after one
 * volatile read and writes nothing shared: threads sharing a healthy breaker do not contend.
 */
final class CountWindow extends SlidingWindow {

    private static final VarHandle WORD;
    private static final VarHandle RING = MethodHandles.arrayElementVarHandle(int[].class);

    private static final int BITS = 13;
    private static final long FIELD = (1L << BITS) - 1;
    private static final int SLOW_SHIFT = BITS;
    private static final int HEAD_SHIFT = 2 * BITS;
    private static final long FULL = 1L << (3 * BITS);
    private static final int LAP_SHIFT = 3 * BITS + 1;
    private static final long LAP_MASK = (1L << (64 - LAP_SHIFT)) - 1;
    private static final long COUNTS = (1L << HEAD_SHIFT) - 1;   // failures and slow

    /** The largest N: head and the counts must fit their 13-bit fields. */
    static final int MAX_SIZE = (int) FIELD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(CountWindow.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int[] ring;
    private final int size;
    private final boolean judging;
    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word;

    CountWindow(CircuitBreakerConfig config, boolean judging) {
        this(config, judging, config.tuning().windowSize, new int[0]);
    }

    /**
     * A window of {@code size} calls holding {@code outcomes} (codes, oldest first, at most
     * {@code size}) as if they had just been recorded in that order.
     */
    private CountWindow(CircuitBreakerConfig config, boolean judging, int size, int[] outcomes) {
        super(config, config.minimumNumberOfCalls(size));
        this.size = size;
        this.judging = judging;
        this.ring = new int[size];
        int empty = slot((int) LAP_MASK, 0, 0);               // filled in lap -1, holding nothing
        java.util.Arrays.fill(ring, empty);
        long counts = 0;
        for (int i = 0; i < outcomes.length; i++) {
            ring[i] = slot(0, outcomes[i], 0);                // filled in lap 0
            counts += pack(outcomes[i]);
        }
        long w = counts | (long) outcomes.length << HEAD_SHIFT;
        if (outcomes.length == size) {
            w = counts | FULL | 1L << LAP_SHIFT;              // wrapped once: head 0, lap 1 (slots tagged 0 are lap - 1)
        }
        WORD.setRelease(this, w);
    }

    /**
     * Returns a window of {@code newSize} calls holding the newest outcomes of this one (as many
     * as fit), exactly as they stood at one instant: a slot is read only while its tag says it
     * still holds the lap the word named, else the copy starts again. An outcome whose slot is
     * reserved but not yet counted is not part of that instant; neither is one recorded after it.
     */
    CountWindow resized(int newSize) {
        for (;;) {
            long w = (long) WORD.getVolatile(this);
            int n = Math.min(calls(w), newSize);
            int h = head(w);
            int lap = (int) lap(w);
            int[] outcomes = new int[n];
            boolean torn = false;
            for (int i = 0; i < n && !torn; i++) {
                int index = h - n + i;
                int expected = index >= 0 ? lap : (lap - 1) & (int) LAP_MASK;
                int s = (int) RING.getVolatile(ring, index >= 0 ? index : index + size);
                torn = tag(s) != expected;                    // overwritten by a later lap since w: read again
                outcomes[i] = code(s);
            }
            if (!torn) {
                return new CountWindow(config(), judging, newSize, outcomes);
            }
        }
    }

    int size() {
        return size;
    }

    private static int slot(int lap, int code, int evicted) {
        return lap << 6 | evicted << 3 | code;
    }

    private static int tag(int s) {
        return s >>> 6;
    }

    private static int code(int s) {
        return s & 7;
    }

    private static int evicted(int s) {
        return s >>> 3 & 7;
    }

    private int calls(long w) {
        return (w & FULL) != 0 ? size : head(w);
    }

    static int failures(long w) {
        return (int) (w & FIELD);
    }

    static int slow(long w) {
        return (int) (w >>> SLOW_SHIFT & FIELD);
    }

    private static int head(long w) {
        return (int) (w >>> HEAD_SHIFT & FIELD);
    }

    private static long lap(long w) {
        return w >>> LAP_SHIFT & LAP_MASK;
    }

    /** Judged from the word alone; a window full of fast outcomes or below the minimum cannot be tripped. */
    private boolean tripped(long w) {
        return judging && (w & COUNTS) != 0 && judge(calls(w), failures(w), slow(w)) >= FAILURE_RATE_EXCEEDED;
    }

    @Override
    int record(int code) {
        for (;;) {
            long w = (long) WORD.getVolatile(this);
            if (tripped(w)) {
                return TRIPPED_ALREADY;                       // frozen at the crossing: the breaker is on its way to OPEN
            }
            if (code == CALL && (w & (FULL | COUNTS)) == FULL) {
                return UNCHANGED;                             // full of fast successes: see the header
            }
            int h = head(w);
            int tag = (int) lap(w);
            int s = (int) RING.getVolatile(ring, h);
            if (tag(s) == tag) {
                WORD.compareAndSet(this, w, advance(w, code(s), evicted(s))); // help a reserver, then retry
                continue;
            }
            if (tag(s) != ((tag - 1) & (int) LAP_MASK)) {
                continue;                                     // our word is stale: the slot is already a later lap's
            }
            if (!RING.compareAndSet(ring, h, s, slot(tag, code, code(s)))) {
                continue;                                     // another recorder reserved slot h
            }
            long next = advance(w, code, code(s));
            WORD.compareAndSet(this, w, next);                // failing means a helper made this same advance
            return tripped(next) ? verdictOf(next) : (next & COUNTS) == (w & COUNTS) && (w & FULL) != 0 ? UNCHANGED : BELOW;
        }
    }

    private long advance(long w, int code, int evicted) {
        long counts = (w & COUNTS) + pack(code) - pack(evicted);
        long h = head(w) + 1L;
        long full = w & FULL;
        long lap = lap(w);
        if (h == size) {
            h = 0;
            full = FULL;
            lap = (lap + 1) & LAP_MASK;
        }
        return counts | h << HEAD_SHIFT | full | lap << LAP_SHIFT;
    }

    private int verdictOf(long w) {
        return judge(calls(w), failures(w), slow(w));
    }

    private static long pack(int code) {
        return (long) (code & FAILURE) >>> 1 | (long) (code & SLOW) >>> 2 << SLOW_SHIFT;
    }

    @Override
    boolean tripped() {
        return tripped((long) WORD.getVolatile(this));
    }

    @Override
    boolean rejudge() {
        return tripped();                                     // judged from the word with the thresholds in force
    }

    @Override
    int tripReason() {
        long w = (long) WORD.getVolatile(this);
        return tripped(w) ? verdictOf(w) : BELOW;
    }

    @Override
    int[] totals() {
        long w = (long) WORD.getVolatile(this);
        return new int[] {calls(w), failures(w), slow(w)};
    }
}
