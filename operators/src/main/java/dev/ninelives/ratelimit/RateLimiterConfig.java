package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;

import java.time.Duration;

/**
 * The configuration of a rate limiter, frozen by {@link RateLimiterBuilder#build()}. The limit
 * per period and the period are always adaptive settings (the ones given to the builder, or the
 * limiter's own, made from the fixed values); their accessors report the current values.
 */
public final class RateLimiterConfig {

    private final String name;
    private final Adaptive<Integer> limitForPeriod;
    private final Adaptive<Duration> period;
    /** The burst, or 0 when it follows the limit per period. */
    private final int burst;
    private final Duration maxWait;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;

    RateLimiterConfig(RateLimiterBuilder b) {
        this.name = b.name;
        this.limitForPeriod = b.limitSetting != null ? b.limitSetting : Adaptive.of(b.limitForPeriod);
        this.period = b.periodSetting != null ? b.periodSetting : Adaptive.of(b.period);
        this.burst = b.burstSet ? b.burst : 0;
        this.maxWait = b.maxWait;
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
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
        return burst != 0 ? burst : limitForPeriod.get();
    }

    /** The burst set on the builder, or 0 when it follows the limit. */
    int burstSetting() {
        return burst;
    }

    /**
     * Returns the maximum wait ({@link RateLimiterBuilder#maxWait(Duration)}).
     *
     * @return zero when waiting is off
     */
    public Duration maxWait() {
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
                + ", maxWait=" + maxWait + '}';
    }
}
