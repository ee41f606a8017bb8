package dev.ninelives.hedge;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Builds a {@link Hedge}. Every method checks its argument at the call and throws an exception
 * that names the parameter and quotes the value; {@link #build()} freezes an immutable
 * {@link HedgeConfig}, so reusing the builder never changes a built hedge.
 *
 * <p>Defaults: a fixed delay of 100 ms, one hedge per call at most, a budget of 10 % of the calls
 * with a burst of 10, no error ends the race early (an attempt's error waits for the others
 * unless it is the last attempt in flight), the system ticker. The fixed delay, the percentile,
 * the minimum delay, the most hedges per call and the budget's ratio and burst may follow an
 * {@link Adaptive} at run time (whether the delay is fixed or a percentile is fixed at build).
 *
 * <pre>{@code
 * Hedge hedge = Hedge.builder("search")
 *     .delayPercentile(95)                  // hedge a call slower than 95 % of recent calls
 *     .minDelay(Duration.ofMillis(20))      // never sooner than 20 ms, and 20 ms until measured
 *     .maxHedges(2)                         // at most two extra attempts per call
 *     .budget(0.05, 20)                     // at most 5 % more attempts, bursts of 20
 *     .build();
 * }</pre>
 */
public final class HedgeBuilder {

    /** The largest number of hedges per call. */
    public static final int MAX_HEDGES = 10;
    /** The largest budget burst, in hedges. */
    public static final int MAX_BURST = 1000;
    /** The smallest budget ratio: the budget counts in 1/4096 of a hedge. */
    public static final double MIN_RATIO = 1.0 / 4096;
    /** The largest budget ratio: ten hedges per call. */
    public static final double MAX_RATIO = 10.0;

    final String name;
    Duration delay = Duration.ofMillis(100);
    Adaptive<Duration> delaySetting;
    double percentile = Double.NaN;
    Adaptive<Double> percentileSetting;
    Duration minDelay = Duration.ofMillis(1);
    Adaptive<Duration> minDelaySetting;
    int window = 200;
    int maxHedges = 1;
    Adaptive<Integer> maxHedgesSetting;
    double budgetRatio = 0.1;
    Adaptive<Double> budgetRatioSetting;
    int budgetBurst = 10;
    Adaptive<Integer> budgetBurstSetting;
    Predicate<? super Throwable> errorEndsRace = e -> false;
    Ticker ticker = Ticker.system();

    HedgeBuilder(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    /**
     * Sets a fixed delay: a call with no answer after {@code delay} gets a hedge (and another one
     * {@code delay} later, up to {@link #maxHedges(int)}). Replaces a percentile set before.
     *
     * @param delay the delay, positive
     * @return this builder
     * @throws NullPointerException     if {@code delay} is null
     * @throws IllegalArgumentException if {@code delay} is zero or negative
     */
    public HedgeBuilder delay(Duration delay) {
        this.delay = Check.positive(delay, "delay");
        this.delaySetting = null;
        this.percentile = Double.NaN;
        this.percentileSetting = null;
        return this;
    }

    /**
     * Binds a fixed delay to an adaptive setting: a change applies to the calls that arm their
     * delay after it (a call whose delay is armed keeps it), and the adaptive refuses a zero or
     * negative delay with an {@link IllegalArgumentException} that names this hedge. Replaces a
     * percentile set before.
     *
     * @param delay the adaptive delay
     * @return this builder
     * @throws NullPointerException if {@code delay} is null
     */
    public HedgeBuilder delay(Adaptive<Duration> delay) {
        this.delaySetting = Check.notNull(delay, "delay");
        this.percentile = Double.NaN;
        this.percentileSetting = null;
        return this;
    }

    /**
     * Sets an adaptive delay: the {@code percentile}-th percentile of the latency of the recent
     * calls through this hedge (from subscription to answer), never below {@link #minDelay}, and
     * the minimum delay until the first {@linkplain #window(int) window} of answers has closed.
     * See {@link Hedge} for how the latency is kept and its precision. Replaces a fixed delay.
     *
     * @param percentile the percentile, above 0 and below 100 (90, 95, 99.9)
     * @return this builder
     * @throws IllegalArgumentException if {@code percentile} is out of range or NaN
     */
    public HedgeBuilder delayPercentile(double percentile) {
        if (!(percentile > 0 && percentile < 100)) {
            throw new IllegalArgumentException("percentile must be above 0 and below 100, but was " + percentile);
        }
        this.percentile = percentile;
        this.percentileSetting = null;
        return this;
    }

    /**
     * Binds the adaptive delay's percentile to an adaptive setting: a change applies from the
     * next latency window that closes (the samples of the window filling are kept and judged by
     * the new percentile; the delay in force stays until then), and the adaptive refuses a value
     * not above 0 and below 100 with an {@link IllegalArgumentException} that names this hedge.
     * Replaces a fixed delay.
     *
     * @param percentile the adaptive percentile
     * @return this builder
     * @throws NullPointerException if {@code percentile} is null
     */
    public HedgeBuilder delayPercentile(Adaptive<Double> percentile) {
        this.percentileSetting = Check.notNull(percentile, "percentile");
        this.percentile = Double.NaN;
        return this;
    }

    /**
     * Sets the adaptive delay's floor, and its value until the first window of answers closes.
     * Unused with a fixed delay.
     *
     * @param minDelay the minimum delay, positive (default 1 ms)
     * @return this builder
     * @throws NullPointerException     if {@code minDelay} is null
     * @throws IllegalArgumentException if {@code minDelay} is zero or negative
     */
    public HedgeBuilder minDelay(Duration minDelay) {
        this.minDelay = Check.positive(minDelay, "minDelay");
        this.minDelaySetting = null;
        return this;
    }

    /**
     * Binds the minimum delay to an adaptive setting: a change moves the delay in force at once
     * to {@code max(new minimum, percentile of the last closed window)} (the latency window is
     * kept), and the adaptive refuses a zero or negative value with an
     * {@link IllegalArgumentException} that names this hedge.
     *
     * @param minDelay the adaptive minimum delay
     * @return this builder
     * @throws NullPointerException if {@code minDelay} is null
     */
    public HedgeBuilder minDelay(Adaptive<Duration> minDelay) {
        this.minDelaySetting = Check.notNull(minDelay, "minDelay");
        return this;
    }

    /**
     * Sets how many answers a latency window holds: the adaptive delay is recomputed each time
     * that many answers have been recorded, from those answers alone. Larger windows give a
     * steadier, later estimate; a window should hold at least {@code 10 / (1 - p / 100)} answers
     * for percentile {@code p} (200 for p95).
     *
     * @param samples the window's size, 10 to 1,000,000 (default 200)
     * @return this builder
     * @throws IllegalArgumentException if {@code samples} is out of range
     */
    public HedgeBuilder window(int samples) {
        this.window = Check.inRange(samples, 10, 1_000_000, "window");
        return this;
    }

    /**
     * Sets how many hedges a call may get at most, each one a delay after the one before.
     *
     * @param maxHedges 1 to {@value #MAX_HEDGES} (default 1)
     * @return this builder
     * @throws IllegalArgumentException if {@code maxHedges} is out of range
     */
    public HedgeBuilder maxHedges(int maxHedges) {
        this.maxHedges = Check.inRange(maxHedges, 1, MAX_HEDGES, "maxHedges");
        this.maxHedgesSetting = null;
        return this;
    }

    /**
     * Binds the most hedges per call to an adaptive setting: a change applies to the calls that
     * arm their delay after it (a call under way keeps the number it started with), and the
     * adaptive refuses a value out of 1 to {@value #MAX_HEDGES} with an
     * {@link IllegalArgumentException} that names this hedge.
     *
     * @param maxHedges the adaptive most hedges per call
     * @return this builder
     * @throws NullPointerException if {@code maxHedges} is null
     */
    public HedgeBuilder maxHedges(Adaptive<Integer> maxHedges) {
        this.maxHedgesSetting = Check.notNull(maxHedges, "maxHedges");
        return this;
    }

    /**
     * Sets the hedge budget, a token bucket: each call earns {@code ratio} of a token, up to
     * {@code burst} tokens, and each hedge spends one. Over time at most {@code ratio} hedges
     * per call are issued (plus the burst), so a slow dependency, where every call would want a
     * hedge, sees at most {@code 1 + ratio} times its load. The bucket starts full.
     *
     * @param ratio the hedges allowed per call, {@value #MIN_RATIO} to {@value #MAX_RATIO}
     *              (default 0.1: 10 %)
     * @param burst the most tokens the bucket holds, 1 to {@value #MAX_BURST} (default 10)
     * @return this builder
     * @throws IllegalArgumentException if {@code ratio} or {@code burst} is out of range
     */
    public HedgeBuilder budget(double ratio, int burst) {
        if (!(ratio >= MIN_RATIO && ratio <= MAX_RATIO)) {
            throw new IllegalArgumentException("ratio must be between " + MIN_RATIO + " and " + MAX_RATIO + ", but was " + ratio);
        }
        this.budgetBurst = Check.inRange(burst, 1, MAX_BURST, "burst");
        this.budgetRatio = ratio;
        this.budgetRatioSetting = null;
        this.budgetBurstSetting = null;
        return this;
    }

    /**
     * Binds the budget's ratio to an adaptive setting. A change keeps the tokens in the bucket:
     * the calls made before it have earned their tokens at the old ratio, those after it earn at
     * the new one. The adaptive refuses a value out of {@value #MIN_RATIO} to {@value #MAX_RATIO}
     * with an {@link IllegalArgumentException} that names this hedge.
     *
     * @param ratio the adaptive hedges allowed per call
     * @return this builder
     * @throws NullPointerException if {@code ratio} is null
     */
    public HedgeBuilder budgetRatio(Adaptive<Double> ratio) {
        this.budgetRatioSetting = Check.notNull(ratio, "ratio");
        return this;
    }

    /**
     * Binds the budget's burst to an adaptive setting. A change keeps the tokens in the bucket
     * (cut down to a smaller burst, never topped up to a larger one: calls earn the room), and the
     * adaptive refuses a value out of 1 to {@value #MAX_BURST} with an
     * {@link IllegalArgumentException} that names this hedge.
     *
     * @param burst the adaptive most tokens the bucket holds
     * @return this builder
     * @throws NullPointerException if {@code burst} is null
     */
    public HedgeBuilder budgetBurst(Adaptive<Integer> burst) {
        this.budgetBurstSetting = Check.notNull(burst, "burst");
        return this;
    }

    /**
     * Sets which errors end the race at once. By default none does: an attempt that fails while
     * another is in flight is dropped and the others go on; the call fails only when its last
     * attempt in flight fails (with that attempt's error). An error this predicate accepts ends
     * the call with it at once, and the other attempts are cancelled: a validation error the
     * other attempts would repeat, say.
     *
     * <p>If the predicate throws a non-fatal throwable (any {@link RuntimeException}, and any
     * {@link Error} that is not JVM-fatal), the call ends with that throwable, the attempt's
     * error added to it as suppressed, and the other attempts are cancelled. A JVM-fatal error
     * ({@link VirtualMachineError}, {@link LinkageError}) ends the call the same way and then
     * propagates.
     *
     * @param predicate true for an error that ends the call at once
     * @return this builder
     * @throws NullPointerException if {@code predicate} is null
     */
    public HedgeBuilder errorEndsRace(Predicate<? super Throwable> predicate) {
        this.errorEndsRace = Check.notNull(predicate, "predicate");
        return this;
    }

    /**
     * Sets the clock the adaptive delay measures latency with. Tests pass a manual ticker, or
     * {@code NineLives.schedulerTicker()} to follow Reactor's virtual time. (The delay itself is
     * scheduled on the Reactor operator's Scheduler.)
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public HedgeBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Builds a hedge policy with this builder's current settings.
     *
     * @return a new hedge, its budget full
     * @throws IllegalArgumentException if an adaptive given to this builder holds a value out of
     *     range (the message names the hedge and the setting; nothing is bound then)
     */
    public Hedge build() {
        return new LockFreeHedge(new HedgeConfig(this));
    }
}
