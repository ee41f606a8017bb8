package dev.ninelives.breaker;

/**
 * A call that held a permit reported its outcome to a circuit breaker, through
 * {@link CircuitBreaker#onSuccess} or {@link CircuitBreaker#onError}. Announced to the
 * {@linkplain CircuitBreaker#onCallRecorded call listeners} only; when none is registered no
 * event is created.
 *
 * <p>The event describes the call, not what the window made of it: it is announced for every
 * reported outcome, also in {@link CircuitBreaker.State#DISABLED} (which records nothing) and
 * for a permit whose state has since ended (whose outcome the new state does not count). A
 * permit returned with {@link CircuitBreaker#release} (a cancelled call) announces nothing.
 *
 * @param breakerName   the breaker's name
 * @param outcome       how the call ended
 * @param slow          true if slow-call detection is configured and the call took at least the
 *                      slow-call duration; always false without slow-call detection
 * @param durationNanos how long the call took, as the caller reported it
 */
public record CallRecordedEvent(String breakerName, Outcome outcome, boolean slow, long durationNanos) {

    /** How a call ended, as the breaker sees it. */
    public enum Outcome {
        /** The call succeeded ({@link CircuitBreaker#onSuccess}). */
        SUCCESS,
        /** The call failed with an error the failure predicate counts ({@link CircuitBreaker#onError}). */
        FAILURE,
        /**
         * The call failed with an error the failure predicate does not count: its permit was
         * returned unrecorded ({@link CircuitBreaker#onError}).
         */
        IGNORED
    }

    @Override
    public String toString() {
        return "CircuitBreaker '" + breakerName + "' call " + outcome + (slow ? " (slow)" : "")
                + " in " + durationNanos + " ns";
    }
}
