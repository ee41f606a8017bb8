package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;

/**
 * Builds a {@link RateLimiter}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} freezes an
 * immutable {@link RateLimiterConfig}, so reusing the builder never changes a built limiter.
 *
 * <p>Defaults: 50 permits per second, a burst equal to the limit per period (after an idle
 * spell, a whole period's permits may be taken at once), no waiting (a call with no permit free
 * is refused at once), the system ticker, no rejection stack traces. The limit, the period, the
 * burst and the maximum wait may follow an {@link Adaptive} at run time.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.builder("geocoder")
 *     .limitForPeriod(10)                   // 10 permits
 *     .period(Duration.ofSeconds(1))        // per second: one every 100 ms at the steady rate
 *     .burst(5)                             // at most 5 at once after an idle spell
 *     .maxWait(Duration.ofMillis(250))      // a caller waits up to 250 ms for its permit
 *     .build();
 * }</pre>
 */
public final class RateLimiterBuilder {

    /** The largest limit per period and burst. */
    public static final int MAX_PERMITS = 1 << 30;

    final String name;
    int limitForPeriod = 50;
    Adaptive<Integer> limitSetting;
    Duration period = Duration.ofSeconds(1);
    Adaptive<Duration> periodSetting;
    int burst;
    boolean burstSet;
    Adaptive<Integer> burstSetting;
    Duration maxWait = Duration.ZERO;
    Adaptive<Duration> maxWaitSetting;
    Ticker ticker = Ticker.system();
    boolean rejectionStackTraces;

    RateLimiterBuilder(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    /**
     * Sets how many permits the limiter grants per {@link #period(Duration) period} at the
     * steady rate: one every {@code ceil(period / limit)} nanoseconds (rounded up, so the limiter
     * never grants faster than asked).
     *
     * @param permits the limit, 1 to {@value #MAX_PERMITS}
     * @return this builder
     * @throws IllegalArgumentException if {@code permits} is out of range
     */
    public RateLimiterBuilder limitForPeriod(int permits) {
        this.limitForPeriod = Check.inRange(permits, 1, MAX_PERMITS, "limitForPeriod");
        this.limitSetting = null;
        return this;
    }

    /**
     * Binds the limit per period to an adaptive setting: the limiter starts from its value at
     * {@link #build()} and follows every later change for the reservations made after it
     * (reservations already made keep their instants). From then on the adaptive refuses a value
     * out of 1 to {@value #MAX_PERMITS} with an {@link IllegalArgumentException} that names this
     * limiter, and nothing changes. Without {@link #burst(int)}, the burst follows the limit.
     *
     * @param permits the adaptive limit
     * @return this builder
     * @throws NullPointerException if {@code permits} is null
     */
    public RateLimiterBuilder limitForPeriod(Adaptive<Integer> permits) {
        this.limitSetting = Check.notNull(permits, "limitForPeriod");
        return this;
    }

    /**
     * Sets the period the limit counts over.
     *
     * @param period the period, positive
     * @return this builder
     * @throws NullPointerException     if {@code period} is null
     * @throws IllegalArgumentException if {@code period} is zero or negative
     */
    public RateLimiterBuilder period(Duration period) {
        this.period = Check.positive(period, "period");
        this.periodSetting = null;
        return this;
    }

    /**
     * Binds the period to an adaptive setting, as {@link #limitForPeriod(Adaptive)} does the
     * limit: a change applies to the reservations made after it, and the adaptive refuses a zero
     * or negative period with an {@link IllegalArgumentException} that names this limiter.
     *
     * @param period the adaptive period
     * @return this builder
     * @throws NullPointerException if {@code period} is null
     */
    public RateLimiterBuilder period(Adaptive<Duration> period) {
        this.periodSetting = Check.notNull(period, "period");
        return this;
    }

    /**
     * Sets how many permits may be taken at once after an idle spell (the bucket's capacity).
     * 1 spaces every call by the steady interval; the default is the limit per period.
     *
     * @param permits the burst, 1 to {@value #MAX_PERMITS}
     * @return this builder
     * @throws IllegalArgumentException if {@code permits} is out of range
     */
    public RateLimiterBuilder burst(int permits) {
        this.burst = Check.inRange(permits, 1, MAX_PERMITS, "burst");
        this.burstSet = true;
        this.burstSetting = null;
        return this;
    }

    /**
     * Binds the burst to an adaptive setting, as {@link #limitForPeriod(Adaptive)} does the
     * limit: a change applies to the reservations made after it (the newest reservation's instant
     * is kept, so the permits already spent stay spent), and the adaptive refuses a value out of
     * 1 to {@value #MAX_PERMITS} with an {@link IllegalArgumentException} that names this limiter.
     *
     * @param permits the adaptive burst
     * @return this builder
     * @throws NullPointerException if {@code permits} is null
     */
    public RateLimiterBuilder burst(Adaptive<Integer> permits) {
        this.burstSetting = Check.notNull(permits, "burst");
        this.burstSet = true;
        return this;
    }

    /**
     * Sets how long a caller may wait for its permit. Zero (the default) refuses at once a call
     * that finds no permit free. A caller that accepts waiting reserves its instant at once, in
     * arrival order; with Reactor the wait holds no thread.
     *
     * @param maxWait the maximum wait, zero or positive
     * @return this builder
     * @throws NullPointerException     if {@code maxWait} is null
     * @throws IllegalArgumentException if {@code maxWait} is negative
     */
    public RateLimiterBuilder maxWait(Duration maxWait) {
        Check.notNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be zero or positive, but was " + maxWait);
        }
        this.maxWait = maxWait;
        this.maxWaitSetting = null;
        return this;
    }

    /**
     * Binds the maximum wait to an adaptive setting: a change applies to the calls that ask for
     * a permit after it (a caller already waiting keeps the instant it reserved), and the
     * adaptive refuses a negative wait with an {@link IllegalArgumentException} that names this
     * limiter. Zero turns waiting off.
     *
     * @param maxWait the adaptive maximum wait
     * @return this builder
     * @throws NullPointerException if {@code maxWait} is null
     */
    public RateLimiterBuilder maxWait(Adaptive<Duration> maxWait) {
        this.maxWaitSetting = Check.notNull(maxWait, "maxWait");
        return this;
    }

    /**
     * Sets the clock the limiter reads. Tests pass a manual ticker, or
     * {@code NineLives.schedulerTicker()} to follow Reactor's virtual time.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public RateLimiterBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Sets whether each refusal gets a fresh {@link RequestNotPermittedException} with a stack
     * trace. Off by default: refusals share an instance without a stack trace.
     *
     * @param enabled true for a fresh exception with a stack trace per refusal
     * @return this builder
     */
    public RateLimiterBuilder rejectionStackTraces(boolean enabled) {
        this.rejectionStackTraces = enabled;
        return this;
    }

    /**
     * Builds a rate limiter with this builder's current settings, every permit of the burst free.
     *
     * @return a new rate limiter
     * @throws IllegalArgumentException if an adaptive given to {@link #limitForPeriod(Adaptive)},
     *     {@link #period(Adaptive)}, {@link #burst(Adaptive)} or {@link #maxWait(Adaptive)} holds a
     *     value out of range (nothing is bound then)
     */
    public RateLimiter build() {
        return new GcraRateLimiter(new RateLimiterConfig(this));
    }
}
