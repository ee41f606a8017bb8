package dev.ninelives.retry;

/**
 * Stands for a value that {@link RetryBuilder#retryOnResult} asked to retry, in
 * {@link RetryEvent}s and as the delay function's error argument. Never signalled downstream:
 * when the attempts run out, the last value is emitted. It has no stack trace.
 */
public final class RetryOnResultException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Object value;

    /**
     * Creates the stand-in for a retried value.
     *
     * @param value the value the result predicate matched
     */
    public RetryOnResultException(Object value) {
        super("retry on result: " + value, null, false, false);
        this.value = value;
    }

    /**
     * Returns the value the result predicate matched.
     *
     * @return the value
     */
    public Object value() {
        return value;
    }
}
