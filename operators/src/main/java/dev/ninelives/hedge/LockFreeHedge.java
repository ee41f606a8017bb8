package dev.ninelives.hedge;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.HedgeGate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/*
 * A hedge policy's shared state: counters, the delay in force, the budget word and the latency
 * window. Every field is written with an atomic add, a CAS or a volatile write; nothing locks.
 *
 * The budget word. A token bucket fed by the call counter, kept in one long:
 *   bits 63..24  mark:   the low 40 bits of `calls` when the bucket was last written
 *   bits 23..0   tokens: in 1/4096 of a token (UNIT), at most burst * UNIT
 * Tokens now = min(cap, tokens + (calls - mark) * ratioUnits): every call since the mark earned its
 * ratio. A hedge reads `calls` then the word, computes that, and CASes the word to
 * (calls, tokens now - UNIT) if a whole token is there; a refusal writes nothing. Who races:
 * hedgers and refunds, on the word; a CAS that fails recomputes from the new word. A hedger that
 * read `calls` before a rival that wrote a newer mark sees a negative difference (more than 2^39
 * apart on the 40-bit ring): it counts no income and keeps the newer mark, so income is never
 * counted twice. A gap of more than 2^39 calls between two writes of the word (over six days at
 * a million calls a second with no hedge at all) is read as such a race once: that hedge finds
 * the tokens of the last write, not a full bucket; the next write starts afresh from its mark.
 */
final class LockFreeHedge extends HedgeGate implements Hedge {

    private static final VarHandle CALLS;
    private static final VarHandle ISSUED;
    private static final VarHandle WON;
    private static final VarHandle REFUSED_BUDGET;
    private static final VarHandle REFUSED_BREAKER;
    private static final VarHandle BUDGET;
    private static final VarHandle LISTENERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CALLS = l.findVarHandle(LockFreeHedge.class, "calls", long.class);
            ISSUED = l.findVarHandle(LockFreeHedge.class, "issued", long.class);
            WON = l.findVarHandle(LockFreeHedge.class, "won", long.class);
            REFUSED_BUDGET = l.findVarHandle(LockFreeHedge.class, "refusedBudget", long.class);
            REFUSED_BREAKER = l.findVarHandle(LockFreeHedge.class, "refusedBreaker", long.class);
            BUDGET = l.findVarHandle(LockFreeHedge.class, "budget", long.class);
            LISTENERS = l.findVarHandle(LockFreeHedge.class, "listeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final long UNIT = 1L << 12;
    static final int TOKEN_BITS = 24;
    static final long TOKEN_MASK = (1L << TOKEN_BITS) - 1;
    static final long MARK_MASK = (1L << 40) - 1;

    @SuppressWarnings("unchecked")
    private static final Consumer<? super HedgeEvent>[] NONE = new Consumer[0];

    private final HedgeConfig config;
    private final String name;
    private final Ticker ticker;
    private final boolean adaptive;
    private final int maxHedges;
    private final long minDelayNanos;
    private final long ratioUnits;
    private final long capUnits;
    private final LatencyWindow window;

    @SuppressWarnings("unused") private volatile long calls;
    @SuppressWarnings("unused") private volatile long issued;
    @SuppressWarnings("unused") private volatile long won;
    @SuppressWarnings("unused") private volatile long refusedBudget;
    @SuppressWarnings("unused") private volatile long refusedBreaker;
    @SuppressWarnings("unused") private volatile long budget;
    private volatile long delayNanos;
    private volatile Consumer<? super HedgeEvent>[] listeners = NONE;

    LockFreeHedge(HedgeConfig config) {
        this.config = config;
        this.name = config.name();
        this.ticker = config.ticker();
        this.adaptive = config.adaptive();
        this.maxHedges = config.maxHedges();
        this.minDelayNanos = Check.nanos(config.minDelay());
        this.ratioUnits = Math.max(1L, Math.round(config.budgetRatio() * UNIT));
        this.capUnits = config.budgetBurst() * UNIT;
        this.window = adaptive ? new LatencyWindow(config.window(), config.percentile()) : null;
        this.delayNanos = adaptive ? minDelayNanos : Check.nanos(config.delay());
        BUDGET.setVolatile(this, capUnits);           // mark 0, full
    }

    // ------------------------------------------------------------------ HedgeGate

    @Override
    public void called() {
        CALLS.getAndAdd(this, 1L);
    }

    @Override
    public boolean adaptive() {
        return adaptive;
    }

    @Override
    public long delayNanos() {
        return delayNanos;
    }

    @Override
    public Ticker ticker() {
        return ticker;
    }

    @Override
    public void answered(long nanos) {
        if (window == null) {
            return;
        }
        long p = window.record(Math.max(0L, nanos));
        if (p >= 0) {
            delayNanos = Math.max(minDelayNanos, p);   // the closer publishes; a racing closer's value is as good
        }
    }

    @Override
    public int maxHedges() {
        return maxHedges;
    }

    @Override
    public boolean tryToken() {
        long c = (long) CALLS.getVolatile(this);
        for (;;) {
            long w = (long) BUDGET.getVolatile(this);
            long tokens = tokens(w, c);
            if (tokens < UNIT) {
                return false;                          // a refusal writes nothing
            }
            long mark = newer(w, c);
            if (BUDGET.compareAndSet(this, w, (mark << TOKEN_BITS) | (tokens - UNIT))) {
                return true;
            }
            // another hedge or a refund moved the word: recompute from it
        }
    }

    /** Tokens in 1/UNIT now: the word's, plus the income of the calls since its mark, capped. */
    private long tokens(long w, long calls) {
        long held = w & TOKEN_MASK;
        long delta = (calls - (w >>> TOKEN_BITS)) & MARK_MASK;
        if (delta > (MARK_MASK >>> 1)) {
            delta = 0;                                 // a rival wrote a newer mark than our reading of calls
        }
        if (delta >= capUnits) {
            return capUnits;                           // ratioUnits >= 1: full (and no overflow below)
        }
        return Math.min(capUnits, held + delta * ratioUnits);
    }

    /** The mark to write: our reading of calls, unless the word's is newer. */
    private static long newer(long w, long calls) {
        long mark = w >>> TOKEN_BITS;
        long delta = (calls - mark) & MARK_MASK;
        return delta > (MARK_MASK >>> 1) ? mark : calls & MARK_MASK;
    }

    @Override
    public void refundToken() {
        for (;;) {
            long w = (long) BUDGET.getVolatile(this);
            long tokens = Math.min(capUnits, (w & TOKEN_MASK) + UNIT);
            if (BUDGET.compareAndSet(this, w, (w & ~TOKEN_MASK) | tokens)) {
                return;
            }
        }
    }

    @Override
    public void issued(int attempt) {
        ISSUED.getAndAdd(this, 1L);
        announce(HedgeEvent.Type.ISSUED, attempt);
    }

    @Override
    public void refusedByBudget(int attempt) {
        REFUSED_BUDGET.getAndAdd(this, 1L);
        announce(HedgeEvent.Type.REFUSED_BY_BUDGET, attempt);
    }

    @Override
    public void refusedByBreaker(int attempt) {
        REFUSED_BREAKER.getAndAdd(this, 1L);
        announce(HedgeEvent.Type.REFUSED_BY_BREAKER, attempt);
    }

    @Override
    public void won(int attempt) {
        WON.getAndAdd(this, 1L);
        announce(HedgeEvent.Type.WON, attempt);
    }

    @Override
    public boolean errorEndsRace(Throwable error) {
        return config.errorEndsRace().test(error);
    }

    private void announce(HedgeEvent.Type type, int attempt) {
        Consumer<? super HedgeEvent>[] ls = listeners;
        if (ls.length != 0) {
            Guard.notifyAll(name, ls, new HedgeEvent(name, type, attempt));
        }
    }

    // ------------------------------------------------------------------ Hedge

    @Override
    public String name() {
        return name;
    }

    @Override
    public HedgeConfig config() {
        return config;
    }

    @Override
    public HedgeMetrics metrics() {
        long c = (long) CALLS.getVolatile(this);
        double tokens = (double) tokens((long) BUDGET.getVolatile(this), c) / UNIT;
        return new HedgeMetrics(c, (long) ISSUED.getVolatile(this), (long) WON.getVolatile(this),
                (long) REFUSED_BUDGET.getVolatile(this), (long) REFUSED_BREAKER.getVolatile(this), delayNanos, tokens);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onHedge(Consumer<? super HedgeEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super HedgeEvent>[] current = (Consumer<? super HedgeEvent>[]) LISTENERS.getVolatile(this);
            if (LISTENERS.compareAndSet(this, current, Guard.append(current, listener))) {
                return;
            }
        }
    }

    @Override
    public String toString() {
        String delay = adaptive ? "p" + config.percentile() + " of recent latency (now " + metrics().delay() + ")"
                : config.delay().toString();
        return "Hedge{" + name + ", delay " + delay + ", up to " + maxHedges + " hedge" + (maxHedges == 1 ? "" : "s")
                + ", budget " + config.budgetRatio() + " per call, burst " + config.budgetBurst() + '}';
    }
}
