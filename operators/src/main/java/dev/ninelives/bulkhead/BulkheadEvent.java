package dev.ninelives.bulkhead;

import java.util.Objects;

/**
 * Something a bulkhead did with one call: it permitted it (at once or after a wait), refused it,
 * or saw it finish and took its permit back.
 */
public final class BulkheadEvent {

    /** The kinds of event. */
    public enum Type {
        /** The call got a permit; {@link #waitNanos()} says how long it waited for it. */
        PERMITTED,
        /** The call was refused; {@link #reason()} says why. */
        REJECTED,
        /** A call ended and its permit was returned. */
        FINISHED
    }

    private final String bulkheadName;
    private final Type type;
    private final BulkheadFullException.Reason reason;
    private final long waitNanos;

    BulkheadEvent(String bulkheadName, Type type, BulkheadFullException.Reason reason, long waitNanos) {
        this.bulkheadName = bulkheadName;
        this.type = type;
        this.reason = reason;
        this.waitNanos = waitNanos;
    }

    /**
     * Returns the name of the bulkhead.
     *
     * @return the bulkhead's name
     */
    public String bulkheadName() {
        return bulkheadName;
    }

    /**
     * Returns the kind of event.
     *
     * @return the type
     */
    public Type type() {
        return type;
    }

    /**
     * Returns why the call was refused.
     *
     * @return the reason for {@link Type#REJECTED}, null otherwise
     */
    public BulkheadFullException.Reason reason() {
        return reason;
    }

    /**
     * Returns how long the call waited in the queue before it got its permit.
     *
     * @return nanoseconds by the bulkhead's ticker for {@link Type#PERMITTED} (zero when no wait
     *     was needed), zero otherwise
     */
    public long waitNanos() {
        return waitNanos;
    }

    @Override
    public String toString() {
        return "BulkheadEvent{" + bulkheadName + ", " + type
                + (reason != null ? ", " + reason : "")
                + (waitNanos != 0 ? ", waited " + waitNanos + " ns" : "") + '}';
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BulkheadEvent)) {
            return false;
        }
        BulkheadEvent e = (BulkheadEvent) o;
        return bulkheadName.equals(e.bulkheadName) && type == e.type && reason == e.reason && waitNanos == e.waitNanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bulkheadName, type, reason, waitNanos);
    }
}
