package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;

import java.time.Duration;

/**
 * The configuration of a rate limiter, frozen by {@link RateLimiterBuilder#build()}. The limit
 * per period, the period and the maximum wait are always adaptive settings (the ones given to the
 * builder, or the limiter's own, made from the fixed values), and so is the burst when one was
 * set; their accessors report the current values.
 *
 * <p>{@link #toBuilder(String)} starts a builder from this configuration. A copy stays bound to
 * the adaptives that were given to the builder (a shared limit stays shared) and takes the
 * limiter's own ones as fixed values (their current values), so two limiters built from one copy
 * are never linked by accident.
 */
public final class RateLimiterConfig {

    private final String name;
    private final Adaptive<Integer> limitForPeriod;
    private final Adaptive<Duration> period;
    /** The burst, or null when it follows the limit per period. */
    private final Adaptive<Integer> burst;
    private final Adaptive<Duration> maxWait;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;
    /** The adaptives the user gave the builder; null where the value was fixed. */
    private final Adaptive<Integer> givenLimit;
    private final Adaptive<Duration> givenPeriod;
    private final Adaptive<Integer> givenBurst;
    private final Adaptive<Duration> givenMaxWait;

    RateLimiterConfig(RateLimiterBuilder b) {
        this.name = b.name;
        // an adaptive of its own per build, so that a reused builder never links two limiters
        this.limitForPeriod = b.limitSetting != null ? b.limitSetting : Adaptive.of(b.limitForPeriod);
        this.period = b.periodSetting != null ? b.periodSetting : Adaptive.of(b.period);
        this.burst = !b.burstSet ? null : b.burstSetting != null ? b.burstSetting : Adaptive.of(b.burst);
        this.maxWait = b.maxWaitSetting != null ? b.maxWaitSetting : Adaptive.of(b.maxWait);
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
        this.givenLimit = b.limitSetting;
        this.givenPeriod = b.periodSetting;
        this.givenBurst = b.burstSetting;
        this.givenMaxWait = b.maxWaitSetting;
    }

    /**
     * Returns a new builder for a rate limiter named {@code name} with every setting of this
     * one: building it right away gives a limiter configured exactly like this one, every permit
     * of its burst free (no state is copied). A setting bound to an {@link Adaptive} given to
     * this config's builder stays bound to that same adaptive; a fixed one is copied as the value
     * in force now. A burst that follows the limit still follows it. Changing the returned
     * builder never changes this config.
     *
     * <pre>{@code
     * RateLimiter reports = geocoder.config().toBuilder("reports").limitForPeriod(2).build();
     * }</pre>
     *
     * @param name the new limiter's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public RateLimiterBuilder toBuilder(String name) {
        RateLimiterBuilder b = new RateLimiterBuilder(name);
        b.limitForPeriod = limitForPeriod.get();
        b.limitSetting = givenLimit;
        b.period = period.get();
        b.periodSetting = givenPeriod;
        b.burstSet = burst != null;
        b.burst = burst != null ? burst.get() : 0;
        b.burstSetting = givenBurst;
        b.maxWait = maxWait.get();
        b.maxWaitSetting = givenMaxWait;
        b.ticker = ticker;
        b.rejectionStackTraces = rejectionStackTraces;
        return b;
    }

    /**
     * Returns a new builder for a rate limiter of this config's name with every setting of this
     * one; see {@link #toBuilder(String)}.
     *
     * @return a new builder
     */
    public RateLimiterBuilder toBuilder() {
        return toBuilder(name);
    }

    /**
     * Returns the limiter's name ({@link RateLimiter#builder(String)}).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the permits per period in force ({@link RateLimiterBuilder#limitForPeriod(int)}).
     *
     * @return the current limit
     */
    public int limitForPeriod() {
        return limitForPeriod.get();
    }

    Adaptive<Integer> limitSetting() {
        return limitForPeriod;
    }

    /**
     * Returns the period in force ({@link RateLimiterBuilder#period(Duration)}).
     *
     * @return the current period
     */
    public Duration period() {
        return period.get();
    }

    Adaptive<Duration> periodSetting() {
        return period;
    }

    /**
     * Returns the burst ({@link RateLimiterBuilder#burst(int)}): the limit per period in force
     * when no burst was set.
     *
     * @return the burst in permits
     */
    public int burst() {
        return burst != null ? burst.get() : limitForPeriod.get();
    }

    /** The adaptive burst, or null when it follows the limit. */
    Adaptive<Integer> burstSetting() {
        return burst;
    }

    /**
     * Returns the maximum wait in force ({@link RateLimiterBuilder#maxWait(Duration)}).
     *
     * @return zero when waiting is off
     */
    public Duration maxWait() {
        return maxWait.get();
    }

    Adaptive<Duration> maxWaitSetting() {
        return maxWait;
    }

    /**
     * Returns the clock the limiter reads ({@link RateLimiterBuilder#ticker(Ticker)}).
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Returns whether each refusal gets a fresh exception with a stack trace
     * ({@link RateLimiterBuilder#rejectionStackTraces(boolean)}).
     *
     * @return true for fresh exceptions
     */
    public boolean rejectionStackTraces() {
        return rejectionStackTraces;
    }

    @Override
    public String toString() {
        return "RateLimiterConfig{" + name + ", " + limitForPeriod() + " per " + period() + ", burst=" + burst()
                + ", maxWait=" + maxWait() + '}';
    }
}
