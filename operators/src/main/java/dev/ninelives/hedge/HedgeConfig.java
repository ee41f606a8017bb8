package dev.ninelives.hedge;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The configuration of a hedge policy, frozen by {@link HedgeBuilder#build()}. The fixed delay,
 * the percentile (of an adaptive delay), the minimum delay, the most hedges per call and the
 * budget's ratio and burst are adaptive settings (the ones given to the builder, or the hedge's
 * own, made from the fixed values); their accessors report the current values. Whether the delay
 * is fixed or a percentile ({@link #adaptive()}) and the window's size are fixed.
 *
 * <p>{@link #toBuilder(String)} starts a builder from this configuration. A copy stays bound to
 * the adaptives that were given to the builder (a shared setting stays shared) and takes the
 * hedge's own ones as fixed values (their current values), so two hedges built from one copy are
 * never linked by accident.
 */
public final class HedgeConfig {

    private final String name;
    private final Adaptive<Duration> delay;
    /** The percentile, or null for a fixed delay. */
    private final Adaptive<Double> percentile;
    private final Adaptive<Duration> minDelay;
    private final int window;
    private final Adaptive<Integer> maxHedges;
    private final Adaptive<Double> budgetRatio;
    private final Adaptive<Integer> budgetBurst;
    private final Predicate<? super Throwable> errorEndsRace;
    private final Ticker ticker;
    /** The adaptives the user gave the builder; null where the value was fixed. */
    private final Adaptive<Duration> givenDelay;
    private final Adaptive<Double> givenPercentile;
    private final Adaptive<Duration> givenMinDelay;
    private final Adaptive<Integer> givenMaxHedges;
    private final Adaptive<Double> givenRatio;
    private final Adaptive<Integer> givenBurst;

    HedgeConfig(HedgeBuilder b) {
        this.name = b.name;
        // an adaptive of its own per build, so that a reused builder never links two hedges
        this.delay = b.delaySetting != null ? b.delaySetting : Adaptive.of(b.delay);
        this.percentile = b.percentileSetting != null ? b.percentileSetting
                : Double.isNaN(b.percentile) ? null : Adaptive.of(b.percentile);
        this.minDelay = b.minDelaySetting != null ? b.minDelaySetting : Adaptive.of(b.minDelay);
        this.window = b.window;
        this.maxHedges = b.maxHedgesSetting != null ? b.maxHedgesSetting : Adaptive.of(b.maxHedges);
        this.budgetRatio = b.budgetRatioSetting != null ? b.budgetRatioSetting : Adaptive.of(b.budgetRatio);
        this.budgetBurst = b.budgetBurstSetting != null ? b.budgetBurstSetting : Adaptive.of(b.budgetBurst);
        this.errorEndsRace = b.errorEndsRace;
        this.ticker = b.ticker;
        this.givenDelay = b.delaySetting;
        this.givenPercentile = b.percentileSetting;
        this.givenMinDelay = b.minDelaySetting;
        this.givenMaxHedges = b.maxHedgesSetting;
        this.givenRatio = b.budgetRatioSetting;
        this.givenBurst = b.budgetBurstSetting;
    }

    /**
     * Returns a new builder for a hedge named {@code name} with every setting of this one:
     * building it right away gives a hedge configured exactly like this one, its budget full and
     * its latency window empty (no state is copied). A setting bound to an {@link Adaptive} given
     * to this config's builder stays bound to that same adaptive; a fixed one is copied as the
     * value in force now. Changing the returned builder never changes this config.
     *
     * <pre>{@code
     * Hedge images = search.config().toBuilder("images").maxHedges(2).build();
     * }</pre>
     *
     * @param name the new hedge's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public HedgeBuilder toBuilder(String name) {
        HedgeBuilder b = new HedgeBuilder(name);
        b.delay = delay.get();
        b.delaySetting = givenDelay;
        b.percentile = percentile != null && givenPercentile == null ? percentile.get() : Double.NaN;
        b.percentileSetting = givenPercentile;
        b.minDelay = minDelay.get();
        b.minDelaySetting = givenMinDelay;
        b.window = window;
        b.maxHedges = maxHedges.get();
        b.maxHedgesSetting = givenMaxHedges;
        b.budgetRatio = budgetRatio.get();
        b.budgetRatioSetting = givenRatio;
        b.budgetBurst = budgetBurst.get();
        b.budgetBurstSetting = givenBurst;
        b.errorEndsRace = errorEndsRace;
        b.ticker = ticker;
        return b;
    }

    /**
     * Returns a new builder for a hedge of this config's name with every setting of this one;
     * see {@link #toBuilder(String)}.
     *
     * @return a new builder
     */
    public HedgeBuilder toBuilder() {
        return toBuilder(name);
    }

    /**
     * Returns the hedge's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Tells whether the delay follows a percentile of the recent latency.
     *
     * @return true for {@link HedgeBuilder#delayPercentile(double)}, false for a fixed delay
     */
    public boolean adaptive() {
        return percentile != null;
    }

    /**
     * Returns the fixed delay in force ({@link HedgeBuilder#delay(Duration)}); unused when {@link #adaptive()}.
     *
     * @return the fixed delay
     */
    public Duration delay() {
        return delay.get();
    }

    Adaptive<Duration> delaySetting() {
        return delay;
    }

    /**
     * Returns the percentile the adaptive delay follows, the one in force.
     *
     * @return the percentile, or NaN for a fixed delay
     */
    public double percentile() {
        return percentile != null ? percentile.get() : Double.NaN;
    }

    /** The percentile's adaptive, or null for a fixed delay. */
    Adaptive<Double> percentileSetting() {
        return percentile;
    }

    /**
     * Returns the adaptive delay's floor and initial value in force ({@link HedgeBuilder#minDelay(Duration)}).
     *
     * @return the minimum delay
     */
    public Duration minDelay() {
        return minDelay.get();
    }

    Adaptive<Duration> minDelaySetting() {
        return minDelay;
    }

    /**
     * Returns how many answers a latency window holds ({@link HedgeBuilder#window(int)}).
     *
     * @return the window's size
     */
    public int window() {
        return window;
    }

    /**
     * Returns the most hedges a call may get, in force ({@link HedgeBuilder#maxHedges(int)}).
     *
     * @return 1 to {@value HedgeBuilder#MAX_HEDGES}
     */
    public int maxHedges() {
        return maxHedges.get();
    }

    Adaptive<Integer> maxHedgesSetting() {
        return maxHedges;
    }

    /**
     * Returns the hedges the budget allows per call, in force ({@link HedgeBuilder#budget(double, int)}).
     *
     * @return the ratio
     */
    public double budgetRatio() {
        return budgetRatio.get();
    }

    Adaptive<Double> budgetRatioSetting() {
        return budgetRatio;
    }

    /**
     * Returns the budget's burst in force: the most tokens its bucket holds.
     *
     * @return the burst
     */
    public int budgetBurst() {
        return budgetBurst.get();
    }

    Adaptive<Integer> budgetBurstSetting() {
        return budgetBurst;
    }

    /**
     * Returns the predicate of the errors that end the race at once ({@link HedgeBuilder#errorEndsRace}).
     *
     * @return the predicate
     */
    public Predicate<? super Throwable> errorEndsRace() {
        return errorEndsRace;
    }

    /**
     * Returns the ticker latency is measured with.
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    @Override
    public String toString() {
        return "HedgeConfig{" + name + ", delay=" + (adaptive() ? "p" + percentile() + " (min " + minDelay() + ", window "
                + window + ")" : delay()) + ", maxHedges=" + maxHedges() + ", budget=" + budgetRatio() + "/" + budgetBurst() + '}';
    }
}
