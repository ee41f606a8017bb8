package dev.ninelives.breaker;

/**
 * A circuit breaker refused a call. It names the breaker, the state that refused the call and,
 * for {@link CircuitBreaker.State#OPEN}, the ticker reading at which trial calls begin.
 *
 * <p>By default the breaker shares one instance between all the rejections of a state and
 * the instance has no stack trace and no suppressed exceptions, so a rejection during an outage
 * costs nothing. {@link CircuitBreakerBuilder#rejectionStackTraces(boolean)} turns on a fresh
 * instance, with a stack trace, per rejection.
 */
public final class CallNotPermittedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** {@link #nextTrialAtNanos()} when the next trial call cannot be predicted. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    private final String breakerName;
    private final CircuitBreaker.State state;
    private final long nextTrialAtNanos;

    /**
     * Creates an exception.
     *
     * @param breakerName      the breaker's name
     * @param state            the state that refused the call
     * @param nextTrialAtNanos the ticker reading at which trial calls begin, or {@link #UNKNOWN}
     * @param message          the message
     * @param stackTrace       whether to fill in a stack trace and allow suppressed exceptions
     */
    CallNotPermittedException(String breakerName, CircuitBreaker.State state, long nextTrialAtNanos,
                                        String message, boolean stackTrace) {
        super(message, null, stackTrace, stackTrace);
        this.breakerName = breakerName;
        this.state = state;
        this.nextTrialAtNanos = nextTrialAtNanos;
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
     * Returns the state that refused the call.
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
