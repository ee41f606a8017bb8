package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The adaptive limit's samples and algorithm. Lock-free.
 *
 * Recording. The current Window is read with one volatile load. A sample is one getAndAdd on the
 * window's packed word (count in the low 16 bits, summed latency in nanoseconds in the next 47,
 * the top bit SEALED once the window is closed),
 * plus one getAndAdd on its drops when the call failed, plus a CAS on the minimum only when the
 * sample is below it and on the most calls in flight only when the bulkhead is busier than any
 * sample of the window saw it (both rare once a window has a few samples). No CAS loop on the common path: concurrent recorders never retry.
 *
 * Closing. Exactly one recorder closes a window: among those whose sample brought it to
 * windowSize or past windowDuration and that find it installed (window == w), the one that wins
 * the CAS on `closed`. The closer first hangs the next window on `w.next` (a plain write), then
 * seals the word with one getAndBitwiseOr: the value it returns holds exactly the samples whose
 * getAndAdd came first, and those are the window's totals. A recorder whose getAndAdd returns a
 * sealed word was not counted (its add lands in a word nobody reads again); it records its
 * sample again in `w.next`, which it sees because the seal (a read-modify-write on the same word)
 * came before its own. So no sample is lost nor counted twice, and nobody waits: a late
 * recorder never depends on the closer's progress. The closer computes the new limit from the
 * sealed totals (drops, the minimum and the most in flight are read as they are then: a
 * sample that races the seal may have its drop or minimum missed), installs `w.next` (release)
 * and then sets the bulkhead's limit through its Adaptive, the same path as changeMaxConcurrent,
 * so the permits in flight are kept and waiters are served by the growth. A window hung on
 * `next` but not installed yet takes samples and is never closed before it is installed.
 *
 * The algorithm's own state (the smoothed limit, the lowest latency seen) is touched only by a
 * closer. Closers are serialized: only the installed window can be closed, and the next one is
 * installed by the previous closer after it wrote that state, and read (acquire) by whoever
 * closes it. So those fields are plain.
 *
 * The specification. An Adaptive<AdaptiveLimit>, read once per sample (one volatile load) and
 * once more by a closer; a change applies from the next sample. The closer-only state carries
 * over a change: `smoothed` resynchronizes with the limit in force, `lowest` stays a true
 * lowest latency. A change whose [minLimit, maxLimit] no longer holds the limit moves the limit
 * into it (the applier, after the new specification is published). A closer that computed its
 * limit from the old specification sets it, then reads the specification again and clamps into
 * the new one if it moved: whichever of the two comes last sees the other's write, so the limit
 * ends within the bounds in force.
 *
 * Cost. One ticker read at the permit and one at the outcome (by the caller), the recording
 * above, and a window allocation per window (every windowSize calls). A bulkhead with a fixed
 * limit has no limiter and pays nothing.
 */
final class AdaptiveLimiter {

    private static final VarHandle WINDOW;

    static {
        try {
            WINDOW = MethodHandles.lookup().findVarHandle(AdaptiveLimiter.class, "window", Window.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int COUNT_BITS = 16;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    /** The top bit of a window's word: set once, by its closer. */
    static final long SEALED = Long.MIN_VALUE;
    /**
     * A sample's latency is capped so that a full window's sum (at most 2^14 samples), plus the
     * late adds of racing recorders, stays within 46 bits, below {@link #SEALED} (about 4.3 s a sample).
     */
    static final long MAX_SAMPLE_NANOS = (1L << 46) / (1L << 14);

    private final String name;
    private final Adaptive<AdaptiveLimit> spec;
    private final Adaptive<Integer> limit;
    private final Ticker ticker;
    private volatile Window window;

    // closer-only state (see the protocol above)
    private double smoothed;
    private long lowest = Long.MAX_VALUE;

    /** Whose calls are in flight (a limit grows only when in use); set once, before any call. */
    private LockFreeBulkhead bulkhead;

    AdaptiveLimiter(String name, Adaptive<AdaptiveLimit> spec, Adaptive<Integer> limit, Ticker ticker) {
        this.name = name;
        this.spec = spec;
        this.limit = limit;
        this.ticker = ticker;
        this.smoothed = limit.get();
        this.window = new Window(ticker.read());
    }

    /** Set once, before any call; binds the specification (checked, and followed by a clamp). */
    void attach(LockFreeBulkhead bulkhead, Bindings bindings) {
        this.bulkhead = bulkhead;
        AdaptiveBinding.bind(spec, s -> s.checkLimits(name), change -> clampInto(spec.get()), bindings);
    }

    /** Moves the limit into the bounds of {@code s} if it lies outside them. */
    private void clampInto(AdaptiveLimit s) {
        for (;;) {
            int current = limit.get();
            int clamped = Math.max(s.minLimit, Math.min(s.maxLimit, current));
            if (clamped == current || limit.compareAndSet(current, clamped)) {
                return;
            }
            // a closer (or a user) set the limit meanwhile: judge the new one
        }
    }

    /** The window samples go to now, for tests. */
    Window currentWindow() {
        return window;
    }

    /** The specification in force, for tests. */
    AdaptiveLimit spec() {
        return spec.get();
    }

    /** The bulkhead's ticker, read at the permit. */
    long now() {
        return ticker.read();
    }

    /**
     * Records one call that started at {@code startedAt}; may close the window and move the limit.
     *
     * @param startedAt what {@link #now()} returned when the permit was taken
     * @param dropped   true if the call failed
     */
    void record(long startedAt, boolean dropped) {
        long end = ticker.read();
        long rtt = Math.min(Math.max(0L, end - startedAt), MAX_SAMPLE_NANOS);
        AdaptiveLimit s = spec.get();
        Window w = (Window) WINDOW.getAcquire(this);
        long sample = (rtt << COUNT_BITS) | 1L;
        long before;
        while (((before = (long) Window.WORD.getAndAdd(w, sample)) & SEALED) != 0) {
            w = w.next;    // closed before our add: not counted there, so counted in the next one (see above)
        }
        if (dropped) {
            Window.DROPS.getAndAdd(w, 1);
        }
        long min;
        while (rtt < (min = w.min) && !Window.MIN.compareAndSet(w, min, rtt)) {
            // another sample lowered it meanwhile: compare again
        }
        int busy = bulkhead.inFlight() + 1;                // this call's permit is back already: count it
        int most;
        while (busy > (most = w.mostInFlight) && !Window.MOST.compareAndSet(w, most, busy)) {
            // another sample raised it meanwhile: compare again
        }
        int count = (int) (before & COUNT_MASK) + 1;
        if (count >= s.windowSize || end - w.openedAt >= s.windowNanos) {   // >=: the size may have shrunk meanwhile
            if (w.closed == 0 && WINDOW.getAcquire(this) == w && Window.CLOSED.compareAndSet(w, 0, 1)) {
                close(s, w, end);
            }
        }
    }

    private void close(AdaptiveLimit s, Window w, long now) {
        w.next = new Window(now);                      // before the seal: a late recorder finds it
        long word = (long) Window.WORD.getAndBitwiseOr(w, SEALED);
        w.sealedWord = word;
        int count = (int) (word & COUNT_MASK);
        long mean = count == 0 ? 0L : (word >>> COUNT_BITS) / count;
        int current = limit.get();
        int next = count == 0 ? current : next(s, current, mean, w.min, w.drops, w.mostInFlight);
        WINDOW.setRelease(this, w.next);
        try {
            if (next != current) {
                limit.set(next);   // the bulkhead follows (applyLimit); only listeners' fatal errors get out
            }
        } finally {
            AdaptiveLimit after = spec.get();
            if (after != s) {
                clampInto(after);  // the specification changed while we computed: see the protocol
            }
        }
    }

    /** The algorithm: the limit after a window with these totals, within [minLimit, maxLimit] of {@code spec}. */
    int next(AdaptiveLimit spec, int current, long mean, long min, int drops, int mostInFlight) {
        if (current != (int) Math.round(smoothed)) {
            smoothed = current;    // someone else set the limit: continue from it
        }
        double target;
        if (spec.algorithm == AdaptiveLimit.Algorithm.AIMD) {
            if (drops > 0 || (spec.thresholdNanos > 0 && mean > spec.thresholdNanos)) {
                target = Math.floor(current * spec.backoffRatio);
            } else if (mostInFlight * 2 >= current) {
                target = current + 1;
            } else {
                target = current;
            }
            smoothed = clamp(spec, target);
        } else {
            if (min < lowest) {
                lowest = min;
            }
            double gradient = mean <= 0 ? 1.0 : Math.max(0.5, Math.min(1.0, spec.tolerance * lowest / (double) mean));
            target = current * gradient + (gradient >= 1.0 && mostInFlight * 2 < current ? 0.0 : Math.sqrt(current));
            smoothed = clamp(spec, smoothed * (1 - spec.smoothing) + target * spec.smoothing);
        }
        return (int) Math.round(smoothed);
    }

    private static double clamp(AdaptiveLimit spec, double value) {
        return Math.max(spec.minLimit, Math.min(spec.maxLimit, value));
    }

    /** One sample window; recorded into lock-free, closed by exactly one recorder. */
    static final class Window {
        static final VarHandle WORD;
        static final VarHandle DROPS;
        static final VarHandle MIN;
        static final VarHandle CLOSED;
        static final VarHandle MOST;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                WORD = l.findVarHandle(Window.class, "word", long.class);
                DROPS = l.findVarHandle(Window.class, "drops", int.class);
                MIN = l.findVarHandle(Window.class, "min", long.class);
                CLOSED = l.findVarHandle(Window.class, "closed", int.class);
                MOST = l.findVarHandle(Window.class, "mostInFlight", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final long openedAt;
        volatile long word;            // summed latency (high 48 bits) | count (low 16)
        volatile int drops;
        volatile long min = Long.MAX_VALUE;
        volatile int closed;
        volatile int mostInFlight;     // the most calls in flight a sample saw, itself included
        /** The window that follows, set by the closer before it seals {@link #word}. */
        Window next;
        /** The word as the closer sealed it: this window's totals (for tests). */
        long sealedWord;

        Window(long openedAt) {
            this.openedAt = openedAt;
        }
    }
}
