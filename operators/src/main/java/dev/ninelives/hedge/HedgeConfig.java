package dev.ninelives.hedge;

import dev.ninelives.core.Ticker;

import java.time.Duration;
import java.util.function.Predicate;

/** The configuration of a hedge policy, frozen by {@link HedgeBuilder#build()}. */
public final class HedgeConfig {

    private final String name;
    private final Duration delay;
    private final double percentile;
    private final Duration minDelay;
    private final int window;
    private final int maxHedges;
    private final double budgetRatio;
    private final int budgetBurst;
    private final Predicate<? super Throwable> errorEndsRace;
    private final Ticker ticker;

    HedgeConfig(HedgeBuilder b) {
        this.name = b.name;
        this.delay = b.delay;
        this.percentile = b.percentile;
        this.minDelay = b.minDelay;
        this.window = b.window;
        this.maxHedges = b.maxHedges;
        this.budgetRatio = b.budgetRatio;
        this.budgetBurst = b.budgetBurst;
        this.errorEndsRace = b.errorEndsRace;
        this.ticker = b.ticker;
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
        return !Double.isNaN(percentile);
    }

    /**
     * Returns the fixed delay ({@link HedgeBuilder#delay(Duration)}); unused when {@link #adaptive()}.
     *
     * @return the fixed delay
     */
    public Duration delay() {
        return delay;
    }

    /**
     * Returns the percentile the adaptive delay follows.
     *
     * @return the percentile, or NaN for a fixed delay
     */
    public double percentile() {
        return percentile;
    }

    /**
     * Returns the adaptive delay's floor and initial value ({@link HedgeBuilder#minDelay(Duration)}).
     *
     * @return the minimum delay
     */
    public Duration minDelay() {
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
     * Returns the most hedges a call may get ({@link HedgeBuilder#maxHedges(int)}).
     *
     * @return 1 to {@value HedgeBuilder#MAX_HEDGES}
     */
    public int maxHedges() {
        return maxHedges;
    }

    /**
     * Returns the hedges the budget allows per call ({@link HedgeBuilder#budget(double, int)}).
     *
     * @return the ratio
     */
    public double budgetRatio() {
        return budgetRatio;
    }

    /**
     * Returns the budget's burst: the most tokens its bucket holds.
     *
     * @return the burst
     */
    public int budgetBurst() {
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
}
