package dev.ninelives.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A count-based window: the outcomes of the last N calls, lock-free and linearizable.
 *
 * The word (one long) holds everything a decision needs:
 *   bits  0..14 calls   15..29 failures   30..44 slow   (the totals of the ring)
 *   bits 45..59 head    the next slot to fill
 *   bits 60..62 lap     how many times head has wrapped, modulo 8
 *   bit  63     tripped latched by the record that made a rate reach its threshold
 * The ring holds N slots of (tag, code, evicted): the lap the slot was last filled in, its
 * outcome, and the outcome that filling evicted.
 *
 * Recording is two steps, reserve and advance, and anyone may do the second for anyone:
 *   1. Read the word w (head h, lap L). If ring[h] is tagged L, someone reserved slot h and has
 *      not advanced yet: help by CASing w to advance(w, ring[h]), then start again.
 *   2. Otherwise ring[h] holds lap L-1's outcome e. CAS ring[h] to (L, code, e): the reservation.
 *      Losing means another recorder reserved h: start again.
 *   3. CAS w to advance(w, ring[h]): head + 1, totals - e + code, and the tripped bit if the new
 *      totals reach a threshold. If the CAS fails, a helper already did exactly this advance:
 *      while ring[h] is tagged L and head is h, no other change of the word is possible.
 * The advance is the linearization point: the totals move from one exact state to the next, in
 * the order of the slots, so a reader never sees a window that skips a crossing and a crossing
 * is latched in the same CAS. Once tripped, the window takes no more outcomes; the breaker moves
 * to OPEN, and any thread that finds the latch set helps it there, so no call is admitted in
 * CLOSED after the crossing.
 *
 * A reservation is only ever completed with the values it wrote, so helping is idempotent. A
 * thread stalled between reading the word and reserving for 8 full laps could see its slot
 * hold the same value again and reserve it with a stale lap (ABA); its outcome is then counted
 * when head next reaches that slot, a little late but exactly once.
 *
 * Healthy shortcut: while the window is full of fast successes (calls = N, no failure, no slow
 * call), a fast success changes nothing that matters: the head's position only matters relative
 * to outcomes that are not fast successes, and there are none. So it returns after one volatile
 * read and writes nothing shared: threads sharing a healthy breaker do not contend.
 */
final class CountWindow extends SlidingWindow {

    private static final VarHandle WORD;
    private static final VarHandle RING = MethodHandles.arrayElementVarHandle(short[].class);

    private static final int BITS = 15;
    private static final long FIELD = (1L << BITS) - 1;
    private static final int FAILURES_SHIFT = BITS;
    private static final int SLOW_SHIFT = 2 * BITS;
    private static final int HEAD_SHIFT = 3 * BITS;
    private static final int LAP_SHIFT = 4 * BITS;
    private static final long COUNTS = (1L << HEAD_SHIFT) - 1;
    private static final long TRIPPED = 1L << 63;

    /** The largest N: calls and head must fit their 15-bit fields. */
    static final int MAX_SIZE = (int) FIELD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(CountWindow.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final short[] ring;
    private final int size;
    private final boolean judging;
    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word;

    CountWindow(CircuitBreakerConfig config, boolean judging) {
        super(config);
        this.size = config.windowSize();
        this.judging = judging;
        this.ring = new short[size];
        short empty = slot(7, 0, 0);                          // filled in lap -1, holding nothing
        java.util.Arrays.fill(ring, empty);
        WORD.setRelease(this, 0L);
    }

    private static short slot(int lap, int code, int evicted) {
        return (short) (lap << 6 | evicted << 3 | code);
    }

    private static int tag(short s) {
        return s >>> 6 & 7;
    }

    private static int code(short s) {
        return s & 7;
    }

    private static int evicted(short s) {
        return s >>> 3 & 7;
    }

    static int calls(long w) {
        return (int) (w & FIELD);
    }

    static int failures(long w) {
        return (int) (w >>> FAILURES_SHIFT & FIELD);
    }

    static int slow(long w) {
        return (int) (w >>> SLOW_SHIFT & FIELD);
    }

    private static int head(long w) {
        return (int) (w >>> HEAD_SHIFT & FIELD);
    }

    private static int lap(long w) {
        return (int) (w >>> LAP_SHIFT & 7);
    }

    @Override
    int record(int code) {
        for (;;) {
            long w = (long) WORD.getVolatile(this);
            if (w < 0) {
                return TRIPPED_ALREADY;                       // latched: the breaker is on its way to OPEN
            }
            if (code == CALL && (w & COUNTS) == size) {
                return UNCHANGED;                             // full of fast successes: see the header
            }
            int h = head(w);
            int lap = lap(w);
            short s = (short) RING.getVolatile(ring, h);
            if (tag(s) == lap) {
                WORD.compareAndSet(this, w, advance(w, code(s), evicted(s))); // help a reserver, then retry
                continue;
            }
            if (!RING.compareAndSet(ring, h, s, slot(lap, code, code(s)))) {
                continue;                                     // another recorder reserved slot h
            }
            long next = advance(w, code, code(s));
            WORD.compareAndSet(this, w, next);                // failing means a helper made this same advance
            return next < 0 ? verdictOf(next) : (next & COUNTS) == (w & COUNTS) ? UNCHANGED : BELOW;
        }
    }

    private long advance(long w, int code, int evicted) {
        long counts = (w & COUNTS) + pack(code) - pack(evicted);
        int h = head(w) + 1;
        int lap = lap(w);
        if (h == size) {
            h = 0;
            lap = (lap + 1) & 7;
        }
        long next = counts | (long) h << HEAD_SHIFT | (long) lap << LAP_SHIFT;
        if (judging && judge(calls(counts), failures(counts), slow(counts)) >= FAILURE_RATE_EXCEEDED) {
            next |= TRIPPED;
        }
        return next;
    }

    private int verdictOf(long w) {
        return judge(calls(w), failures(w), slow(w));
    }

    private static long pack(int code) {
        if (code == 0) {
            return 0L;
        }
        return 1L | (long) (code & FAILURE) >>> 1 << FAILURES_SHIFT | (long) (code & SLOW) >>> 2 << SLOW_SHIFT;
    }

    @Override
    boolean tripped() {
        return (long) WORD.getVolatile(this) < 0;
    }

    @Override
    int tripReason() {
        long w = (long) WORD.getVolatile(this);
        return w < 0 ? verdictOf(w) : BELOW;
    }

    @Override
    int[] totals() {
        long w = (long) WORD.getVolatile(this);
        return new int[] {calls(w), failures(w), slow(w)};
    }
}
