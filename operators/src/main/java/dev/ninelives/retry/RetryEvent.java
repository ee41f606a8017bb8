package dev.ninelives.retry;

import java.time.Duration;

/**
 * Something a retry policy did for one call: scheduled a retry, gave up, was refused by its
 * budget, or saw the call end (succeeded, or failed with an error it does not retry).
 *
 * <p>A call that ends announces exactly one of {@link Type#SUCCEEDED}, {@link Type#FAILED},
 * {@link Type#EXHAUSTED} or {@link Type#BUDGET_REFUSED}, unless it is cancelled first; it
 * announces one {@link Type#RETRY} per retry before that.
 *
 * @param retryName the policy's name
 * @param type      what happened
 * @param attempt   the attempt that failed (1 for the first call); for {@link Type#SUCCEEDED},
 *                  the attempt that succeeded, so more than 1 means the call was retried
 * @param delay     the delay before the next attempt ({@link Type#RETRY}; also the delay that
 *                  would have followed for a deadline exhaustion or a budget refusal), else zero
 * @param error     the error the failed attempt ended with; for a retry on a result, a
 *                  {@link RetryOnResultException}; null for {@link Type#SUCCEEDED}
 */
public record RetryEvent(String retryName, Type type, int attempt, Duration delay, Throwable error) {

    /** What a retry policy did. */
    public enum Type {
        /** A retry is scheduled after {@link RetryEvent#delay()}. */
        RETRY,
        /** No more attempts: the maximum number of attempts was reached or the deadline would be passed. */
        EXHAUSTED,
        /** The shared {@link RetryBudget} refused the retry; the call ends with its last error. */
        BUDGET_REFUSED,
        /** The call succeeded: a Mono with its value or empty, a Flux by completing. */
        SUCCEEDED,
        /**
         * The call ended with an error the policy does not retry (neither exhausted nor refused
         * by the budget), after {@link RetryEvent#attempt()} attempts.
         */
        FAILED
    }

    @Override
    public String toString() {
        if (type == Type.SUCCEEDED) {
            return "Retry '" + retryName + "' SUCCEEDED at attempt " + attempt;
        }
        return "Retry '" + retryName + "' " + type + " after attempt " + attempt
                + (type == Type.RETRY ? " (next in " + delay + ")" : "") + ": " + error;
    }
}
