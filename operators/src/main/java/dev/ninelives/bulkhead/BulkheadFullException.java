package dev.ninelives.bulkhead;

/**
 * A bulkhead refused a call. It names the bulkhead and says why: every permit was taken and
 * waiting is off, the queue of waiting callers was full, or the caller waited its maximum
 * without getting a permit.
 *
 * <p>By default the bulkhead shares one instance per reason and the instance has no stack trace
 * and no suppressed exceptions, so a refusal under overload costs nothing.
 * {@link BulkheadBuilder#rejectionStackTraces(boolean)} turns on a fresh instance, with a stack
 * trace, per refusal.
 */
public final class BulkheadFullException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a call was refused. */
    public enum Reason {
        /** Every permit was taken and the bulkhead does not let callers wait ({@code maxWait} is zero). */
        FULL,
        /** Every permit was taken and the queue already held {@code maxQueued} waiting callers. */
        QUEUE_FULL,
        /** The caller waited {@code maxWait} in the queue and no permit came. */
        WAIT_TIMED_OUT
    }

    private final String bulkheadName;
    private final Reason reason;

    BulkheadFullException(String bulkheadName, Reason reason, String message, boolean stackTrace) {
        super(message, null, stackTrace, stackTrace);
        this.bulkheadName = bulkheadName;
        this.reason = reason;
    }

    /**
     * Returns the name of the bulkhead that refused the call.
     *
     * @return the bulkhead's name
     */
    public String bulkheadName() {
        return bulkheadName;
    }

    /**
     * Returns why the call was refused.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
