package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;

import java.util.Locale;

/**
 * A circuit breaker refused a call. It names the breaker, the state that refused the call and,
 * for {@link CircuitBreaker.State#OPEN}, the ticker reading at which trial calls begin.
 *
 * <p>The message says when, in time relative to the moment it is read: {@code "CircuitBreaker
 * 'quotes' is OPEN: calls are not permitted for 60s after it opened; next trial call in 59.8 s"}.
 * The absolute reading stays available as {@link #nextTrialAtNanos()}.
 *
 * <p>By default the breaker shares one instance between all the rejections of a state and
 * the instance has no stack trace and no suppressed exceptions, so a rejection during an outage
 * costs nothing. {@link CircuitBreakerBuilder#rejectionStackTraces(boolean)} turns on a fresh
 * instance, with a stack trace, per rejection.
 */
public final class CallNotPermittedException extends RuntimeException {

    private static final long serialVersionUID = 2L;

    /** {@link #nextTrialAtNanos()} when the next trial call cannot be predicted. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    private final String breakerName;
    private final CircuitBreaker.State state;
    private final long nextTrialAtNanos;
    /** Reads "now" for the relative part of the message; null when there is no next trial to count down to. */
    private final transient Ticker ticker;

    /**
     * Creates an exception.
     *
     * @param breakerName      the breaker's name
     * @param state            the state that refused the call
     * @param nextTrialAtNanos the ticker reading at which trial calls begin, or {@link #UNKNOWN}
     * @param message          the message, without the relative time (added when it is read)
     * @param ticker           the breaker's ticker, for the relative time; null for none
     * @param stackTrace       whether to fill in a stack trace and allow suppressed exceptions
     */
    CallNotPermittedException(String breakerName, CircuitBreaker.State state, long nextTrialAtNanos,
                              String message, Ticker ticker, boolean stackTrace) {
        super(message, null, stackTrace, stackTrace);
        this.breakerName = breakerName;
        this.state = state;
        this.nextTrialAtNanos = nextTrialAtNanos;
        this.ticker = ticker;
    }

    /**
     * Returns the message; for OPEN it ends with the time left until the next trial call,
     * measured when this method is called.
     *
     * @return the message
     */
    @Override
    public String getMessage() {
        String base = super.getMessage();
        Ticker t = ticker;
        if (t == null || nextTrialAtNanos == UNKNOWN) {
            return base;
        }
        long left = nextTrialAtNanos - t.read();
        return base + (left > 0 ? "; next trial call in " + relative(left) : "; the next call is a trial call");
    }

    /** The message without the relative time, to build a fresh instance with. */
    String baseMessage() {
        return super.getMessage();
    }

    static String relative(long nanos) {
        if (nanos < 1_000_000L) {
            return "less than 1 ms";
        }
        if (nanos < 1_000_000_000L) {
            return nanos / 1_000_000L + " ms";
        }
        if (nanos < 3_600_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
        }
        return String.format(Locale.ROOT, "%.1f h", nanos / 3.6e12);
    }

    /**
     * Returns the name of the breaker that refused the call.
     *
     * @return the breaker's name
     */
    public String breakerName() {
        return breakerName;
    }

    /**
     * Returns the state that refused the call: the state the breaker was in when it refused,
     * even if it has moved on since.
     *
     * @return OPEN, HALF_OPEN or FORCED_OPEN
     */
    public CircuitBreaker.State state() {
        return state;
    }

    /**
     * Returns the breaker's ticker reading from which the next trial call is permitted; only
     * known in OPEN.
     *
     * @return a ticker reading in nanoseconds, or {@link #UNKNOWN}
     */
    public long nextTrialAtNanos() {
        return nextTrialAtNanos;
    }
}
