package dev.ninelives.retry;

import java.time.Duration;

/**
 * Something a retry policy did for one call: scheduled a retry, gave up, or was refused by its
 * budget.
 *
 * @param retryName the policy's name
 * @param type      what happened
 * @param attempt   the attempt that failed (1 for the first call)
 * @param delay     the delay before the next attempt ({@link Type#RETRY}), else zero
 * @param error     the error the failed attempt ended with; for a retry on a result, a
 *                  {@link RetryOnResultException}
 */
public record RetryEvent(String retryName, Type type, int attempt, Duration delay, Throwable error) {

    /** What a retry policy did. */
    public enum Type {
        /** A retry is scheduled after {@link RetryEvent#delay()}. */
        RETRY,
        /** No more attempts: the maximum number of attempts was reached or the deadline would be passed. */
        EXHAUSTED,
        /** The shared {@link RetryBudget} refused the retry; the call ends with its last error. */
        BUDGET_REFUSED
    }

    @Override
    public String toString() {
        return "Retry '" + retryName + "' " + type + " after attempt " + attempt
                + (type == Type.RETRY ? " (next in " + delay + ")" : "") + ": " + error;
    }
}
