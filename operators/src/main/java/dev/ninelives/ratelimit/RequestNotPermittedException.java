package dev.ninelives.ratelimit;

import dev.ninelives.core.Ticker;

import java.time.Duration;

/**
 * A rate limiter refused a call: taking a permit now would have meant waiting longer than the
 * limiter's {@code maxWait} (or than the call's deadline allows). It names the limiter and tells
 * when a call would be admitted ({@link #retryAfter()}).
 *
 * <p>By default the limiter shares one instance for every refusal made while its state does not
 * move (refusals do not move it; only a granted permit does), and the instance has no stack trace
 * and no suppressed exceptions, so a refusal storm costs no allocation.
 * {@link RateLimiterBuilder#rejectionStackTraces(boolean)} turns on a fresh instance, with a stack
 * trace, per refusal.
 */
public final class RequestNotPermittedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String rateLimiterName;
    /** The ticker reading from which a call with the same maximum wait would be admitted. */
    private final long admittedFromNanos;
    private final transient Ticker ticker;

    RequestNotPermittedException(String rateLimiterName, String message, long admittedFromNanos, Ticker ticker,
                                 boolean stackTrace) {
        super(message, null, stackTrace, stackTrace);
        this.rateLimiterName = rateLimiterName;
        this.admittedFromNanos = admittedFromNanos;
        this.ticker = ticker;
    }

    /**
     * Returns the name of the rate limiter that refused the call.
     *
     * @return the limiter's name
     */
    public String rateLimiterName() {
        return rateLimiterName;
    }

    /**
     * Returns how long from now (read on the limiter's ticker when this method is called) until
     * a call that accepts the same wait would be admitted, if no other caller takes that permit
     * first. Zero once that instant has passed. Suitable for a {@code Retry-After} header.
     *
     * @return the time until the next permit frees, never negative
     */
    public Duration retryAfter() {
        long now = ticker == null ? admittedFromNanos : ticker.read();
        return Duration.ofNanos(Math.max(0L, admittedFromNanos - now));
    }

    /** The instant this refusal quotes, on the limiter's ticker; the limiter reuses an instance for the same instant. */
    long admittedFromNanos() {
        return admittedFromNanos;
    }
}
