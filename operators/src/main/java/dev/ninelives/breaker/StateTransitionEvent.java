package dev.ninelives.breaker;

/**
 * A circuit breaker moved from one state to another.
 *
 * @param breakerName the breaker's name
 * @param from        the state it left
 * @param to          the state it entered
 * @param reason      why it moved
 * @param detail      a human-readable explanation, such as the rates that tripped it
 * @param tickerNanos the breaker's ticker reading at the transition, or 0 when the transition
 *                    did not need to read the clock
 */
public record StateTransitionEvent(String breakerName, CircuitBreaker.State from, CircuitBreaker.State to,
                                   Reason reason, String detail, long tickerNanos) {

    /** Why a breaker changed state. */
    public enum Reason {
        /** CLOSED to OPEN: the failure rate reached its threshold. */
        FAILURE_RATE_EXCEEDED,
        /** CLOSED to OPEN: the slow-call rate reached its threshold. */
        SLOW_CALL_RATE_EXCEEDED,
        /** OPEN to HALF_OPEN: the open duration passed and a call arrived. */
        OPEN_DURATION_ELAPSED,
        /** HALF_OPEN to CLOSED: the trial calls ended with rates below both thresholds. */
        TRIAL_CALLS_SUCCEEDED,
        /** HALF_OPEN to OPEN: the trial calls' failure or slow-call rate reached its threshold. */
        TRIAL_CALLS_FAILED,
        /** {@link CircuitBreaker#transitionTo} was called. */
        MANUAL,
        /** {@link CircuitBreaker#reset()} was called. */
        RESET
    }

    @Override
    public String toString() {
        return "CircuitBreaker '" + breakerName + "' " + from + " -> " + to + " (" + reason + ": " + detail + ")";
    }
}
