package dev.ninelives.retry;

/**
 * A call failed on every attempt its retry policy allowed. Signalled instead of the last error
 * only when {@link RetryBuilder#exhaustedException(boolean)} is on; the last error is the
 * cause and the earlier attempts' errors are attached as suppressed exceptions.
 */
public final class RetryExhaustedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int attempts;

    RetryExhaustedException(String message, int attempts, Throwable lastError) {
        super(message, lastError);
        this.attempts = attempts;
    }

    /**
     * Returns how many attempts were made.
     *
     * @return the number of attempts, the first call included
     */
    public int attempts() {
        return attempts;
    }
}
