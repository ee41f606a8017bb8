package dev.ninelives.hedge;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.HedgeGate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
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
 *
 * Adaptive settings. The fixed delay, the percentile, the minimum delay, maxHedges and the
 * budget's ratio and burst are bound to Adaptives; a change runs refresh(), which copies every
 * setting's current value into the fields the calls read (a plain volatile field each, the
 * budget's two in one immutable Rates), then reads the adaptives again and starts over if one
 * moved meanwhile: of two refreshes racing, the one that finishes last read the newest values,
 * whatever order the changes are announced in. A change of the budget's rates first settles the
 * word (the income of the calls since its mark, at the old ratio, CAS'd in with a fresh mark), so
 * the tokens earned are kept. The delay in force is max(minimum, last window's percentile) for
 * an adaptive delay, published by publishDelay(), which loops the same way against a closer
 * racing a change of the minimum. Released (the hedge left a registry), no refresh runs: the
 * fields keep the values in force.
 */
final class LockFreeHedge extends HedgeGate implements Hedge, Bindings.Owner {

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

    /** The budget's income per call and its cap, in 1/UNIT of a token; immutable, published whole. */
    record Rates(long ratioUnits, long capUnits) {
    }

    private final HedgeConfig config;
    private final Bindings bindings = new Bindings();
    private final String name;
    private final Ticker ticker;
    private final boolean adaptive;
    private final LatencyWindow window;

    @SuppressWarnings("unused") private volatile long calls;
    @SuppressWarnings("unused") private volatile long issued;
    @SuppressWarnings("unused") private volatile long won;
    @SuppressWarnings("unused") private volatile long refusedBudget;
    @SuppressWarnings("unused") private volatile long refusedBreaker;
    @SuppressWarnings("unused") private volatile long budget;
    private volatile long delayNanos;
    private volatile Consumer<? super HedgeEvent>[] listeners = NONE;
    /** The settings in force, copied from the adaptives by refresh(). */
    private volatile Rates rates;
    private volatile int maxHedges;
    private volatile long minDelayNanos;
    /** The percentile of the last closed window, -1 before the first one closes. */
    private volatile long lastPercentile = -1L;

    LockFreeHedge(HedgeConfig config) {
        this.config = config;
        this.name = config.name();
        this.ticker = config.ticker();
        this.adaptive = config.adaptive();
        Adaptive<Double> percentile = config.percentileSetting();
        if (adaptive) {
            checkPercentile(percentile.get());
        } else {
            checkDelay(config.delaySetting().get());
        }
        checkMinDelay(config.minDelaySetting().get());
        checkMaxHedges(config.maxHedgesSetting().get());
        checkRatio(config.budgetRatioSetting().get());
        checkBurst(config.budgetBurstSetting().get());   // every value checked before anything is bound
        this.window = adaptive ? new LatencyWindow(config.window(), percentile.get()) : null;
        if (adaptive) {
            AdaptiveBinding.bind(percentile, this::checkPercentile, change -> refresh(), bindings);
        } else {
            AdaptiveBinding.bind(config.delaySetting(), this::checkDelay, change -> refresh(), bindings);
        }
        AdaptiveBinding.bind(config.minDelaySetting(), this::checkMinDelay, change -> refresh(), bindings);
        AdaptiveBinding.bind(config.maxHedgesSetting(), this::checkMaxHedges, change -> refresh(), bindings);
        AdaptiveBinding.bind(config.budgetRatioSetting(), this::checkRatio, change -> refresh(), bindings);
        AdaptiveBinding.bind(config.budgetBurstSetting(), this::checkBurst, change -> refresh(), bindings);
        refresh();
        BUDGET.setVolatile(this, rates.capUnits());   // mark 0, full
    }

    @Override
    public Bindings bindings() {
        return bindings;
    }

    private void checkDelay(Duration delay) {
        if (delay == null || delay.isZero() || delay.isNegative()) {
            throw new IllegalArgumentException("delay of hedge '" + name + "' must be positive, but was " + delay);
        }
    }

    private void checkMinDelay(Duration minDelay) {
        if (minDelay == null || minDelay.isZero() || minDelay.isNegative()) {
            throw new IllegalArgumentException("minDelay of hedge '" + name + "' must be positive, but was " + minDelay);
        }
    }

    private void checkPercentile(Double percentile) {
        if (percentile == null || !(percentile > 0 && percentile < 100)) {
            throw new IllegalArgumentException("percentile of hedge '" + name + "' must be above 0 and below 100, but was "
                    + percentile);
        }
    }

    private void checkMaxHedges(Integer maxHedges) {
        if (maxHedges == null || maxHedges < 1 || maxHedges > HedgeBuilder.MAX_HEDGES) {
            throw new IllegalArgumentException("maxHedges of hedge '" + name + "' must be between 1 and "
                    + HedgeBuilder.MAX_HEDGES + ", but was " + maxHedges);
        }
    }

    private void checkRatio(Double ratio) {
        if (ratio == null || !(ratio >= HedgeBuilder.MIN_RATIO && ratio <= HedgeBuilder.MAX_RATIO)) {
            throw new IllegalArgumentException("budget ratio of hedge '" + name + "' must be between "
                    + HedgeBuilder.MIN_RATIO + " and " + HedgeBuilder.MAX_RATIO + ", but was " + ratio);
        }
    }

    private void checkBurst(Integer burst) {
        if (burst == null || burst < 1 || burst > HedgeBuilder.MAX_BURST) {
            throw new IllegalArgumentException("budget burst of hedge '" + name + "' must be between 1 and "
                    + HedgeBuilder.MAX_BURST + ", but was " + burst);
        }
    }

    /** Copies every adaptive setting's current value into the fields the calls read (see the comment above). */
    private void refresh() {
        Adaptive<Double> percentile = config.percentileSetting();
        for (;;) {
            Duration delay = config.delaySetting().get();
            Double p = percentile != null ? percentile.get() : null;
            Duration min = config.minDelaySetting().get();
            Integer hedges = config.maxHedgesSetting().get();
            Double ratio = config.budgetRatioSetting().get();
            Integer burst = config.budgetBurstSetting().get();
            maxHedges = hedges;
            Rates next = new Rates(Math.max(1L, Math.round(ratio * UNIT)), burst * UNIT);
            Rates was = rates;
            if (!next.equals(was)) {
                if (was != null) {
                    settle(was);
                }
                rates = next;
            }
            if (adaptive) {
                window.percentile(p);
                minDelayNanos = Check.nanos(min);
                publishDelay();
            } else {
                delayNanos = Check.nanos(delay);
            }
            // identity: an adaptive's value object changes with every change
            if (delay == config.delaySetting().get() && (percentile == null || p == percentile.get())
                    && min == config.minDelaySetting().get() && hedges == config.maxHedgesSetting().get()
                    && ratio == config.budgetRatioSetting().get() && burst == config.budgetBurstSetting().get()) {
                return;                                // nothing moved meanwhile: what we wrote is the latest
            }
        }
    }

    /** Writes the income of the calls since the word's mark, at {@code old}'s rates, with a fresh mark. */
    private void settle(Rates old) {
        for (;;) {
            long c = (long) CALLS.getVolatile(this);
            long w = (long) BUDGET.getVolatile(this);
            long tokens = tokens(old, w, c);
            if (BUDGET.compareAndSet(this, w, (newer(w, c) << TOKEN_BITS) | tokens)) {
                return;
            }
        }
    }

    /** Publishes max(minimum, last window's percentile), again if either moved while it wrote. */
    private void publishDelay() {
        for (;;) {
            long min = minDelayNanos;
            long p = lastPercentile;
            delayNanos = Math.max(min, p);
            if (min == minDelayNanos && p == lastPercentile) {
                return;
            }
        }
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
            lastPercentile = p;                        // a racing closer's value is as good
            publishDelay();
        }
    }

    @Override
    public int maxHedges() {
        return maxHedges;
    }

    @Override
    public boolean tryToken() {
        Rates r = rates;
        long c = (long) CALLS.getVolatile(this);
        for (;;) {
            long w = (long) BUDGET.getVolatile(this);
            long tokens = tokens(r, w, c);
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
    private static long tokens(Rates r, long w, long calls) {
        long capUnits = r.capUnits();
        long held = w & TOKEN_MASK;
        long delta = (calls - (w >>> TOKEN_BITS)) & MARK_MASK;
        if (delta > (MARK_MASK >>> 1)) {
            delta = 0;                                 // a rival wrote a newer mark than our reading of calls
        }
        if (delta >= capUnits) {
            return capUnits;                           // ratioUnits >= 1: full (and no overflow below)
        }
        return Math.min(capUnits, held + delta * r.ratioUnits());
    }

    /** The mark to write: our reading of calls, unless the word's is newer. */
    private static long newer(long w, long calls) {
        long mark = w >>> TOKEN_BITS;
        long delta = (calls - mark) & MARK_MASK;
        return delta > (MARK_MASK >>> 1) ? mark : calls & MARK_MASK;
    }

    @Override
    public void refundToken() {
        long capUnits = rates.capUnits();
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
        double tokens = (double) tokens(rates, (long) BUDGET.getVolatile(this), c) / UNIT;
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
        int maxHedges = this.maxHedges;
        return "Hedge{" + name + ", delay " + delay + ", up to " + maxHedges + " hedge" + (maxHedges == 1 ? "" : "s")
                + ", budget " + config.budgetRatio() + " per call, burst " + config.budgetBurst() + '}';
    }
}
