package dev.ninelives.breaker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A count-based window: the outcomes of the last N calls, lock-free.
 *
 * Protocol. A ring of N byte slots (0 = empty, else an outcome code) and one packed word of
 * totals. A recorder
 *   1. claims the next slot index by moving head forward with a CAS (wrapping at N, so no
 *      division on the hot path);
 *   2. swaps its outcome into the slot with getAndSet, learning exactly which outcome it evicts;
 *   3. adds (new - evicted) to the totals with one getAndAdd.
 * Who races: recorders whose claims are N apart share a slot. Each swap evicts
 * exactly what the previous swap left, so, once every recorder has finished step 3, the totals
 * equal the sum of the ring: nothing is lost or counted twice. While recorders are between
 * steps 2 and 3 the totals may lag by their outcomes, or transiently show a field one below
 * zero; fields are therefore decoded as signed ("balanced") and clamped, so a reader sees at
 * worst the counts of the in-flight recorders missing. "Last N" is in the order of the head
 * claims, which is the order in which outcomes arrived.
 *
 * Healthy shortcut: while the window is full of fast successes (totals == N: N calls, no
 * failure, no slow call), a fast success changes nothing but the head, and the head's position
 * only matters relative to outcomes that are not fast successes, of which there are none. So
 * the recorder returns after one volatile read of the totals and writes nothing shared: in the
 * steady state of a healthy service, threads sharing a breaker do not contend at all. Racing a
 * recorder of a failure that has swapped but not yet added, the success linearizes before it.
 *
 * Slot shortcut: if the slot already holds the same outcome (the steady state of a healthy service:
 * success replacing success), the recorder skips the swap and the add. This is linearizable:
 * it is as if the recorder's swap happened just before whichever concurrent swap follows it,
 * replacing an outcome by an equal one.
 *
 * Totals: three 21-bit signed fields, calls (bits 0..20), failures (21..41), slow (42..62).
 * N is at most 1,000,000 < 2^20, so true values always fit.
 */
final class CountWindow extends SlidingWindow {

    private static final VarHandle HEAD;
    private static final VarHandle TOTALS;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(byte[].class);

    private static final int BITS = 21;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(CountWindow.class, "head", int.class);
            TOTALS = l.findVarHandle(CountWindow.class, "totals", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] slots;
    private final int size;
    @SuppressWarnings("unused") // accessed through HEAD
    private volatile int head;
    @SuppressWarnings("unused") // accessed through TOTALS
    private volatile long totals;

    CountWindow(CircuitBreakerConfig config) {
        super(config);
        this.size = config.windowSize();
        this.slots = new byte[size];
    }

    @Override
    int record(int code) {
        if (code == CALL && (long) TOTALS.getVolatile(this) == size) {
            return UNCHANGED;                                 // full of fast successes: see the header
        }
        int index;
        int next;
        do {
            index = (int) HEAD.getVolatile(this);
            next = index + 1 == size ? 0 : index + 1;
        } while (!HEAD.compareAndSet(this, index, next));
        int evicted = (byte) SLOTS.getAcquire(slots, index);
        if (evicted == code) {
            return UNCHANGED;
        }
        evicted = (byte) SLOTS.getAndSet(slots, index, (byte) code);
        if (evicted == code) {
            return UNCHANGED;
        }
        long delta = pack(code) - pack(evicted);
        long now = (long) TOTALS.getAndAdd(this, delta) + delta;
        return judge(calls(now), failures(now), slow(now));
    }

    @Override
    int[] totals() {
        long t = (long) TOTALS.getVolatile(this);
        return new int[] {calls(t), failures(t), slow(t)};
    }

    private static long pack(int code) {
        if (code == 0) {
            return 0L;
        }
        return 1L | ((long) ((code & FAILURE) >>> 1) << BITS) | ((long) ((code & SLOW) >>> 2) << (2 * BITS));
    }

    /** Sign-extends the low 21 bits. */
    private static long low(long packed) {
        return (packed << (64 - BITS)) >> (64 - BITS);
    }

    static int calls(long t) {
        return (int) Math.max(0, low(t));
    }

    static int failures(long t) {
        long rest = (t - low(t)) >> BITS;
        return (int) Math.max(0, low(rest));
    }

    static int slow(long t) {
        long rest = (t - low(t)) >> BITS;
        rest = (rest - low(rest)) >> BITS;
        return (int) Math.max(0, rest);
    }
}
