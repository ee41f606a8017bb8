package dev.ninelives.ratelimit;

import java.util.Objects;

/** Something a rate limiter did with one call: it permitted it (at once or after a wait) or refused it. */
public final class RateLimiterEvent {

    /** The kinds of event. */
    public enum Type {
        /** The call got a permit; {@link #waitNanos()} says how long it waits for it. */
        PERMITTED,
        /** The call was refused; {@link #waitNanos()} is zero. */
        REJECTED
    }

    private final String rateLimiterName;
    private final Type type;
    private final long waitNanos;

    RateLimiterEvent(String rateLimiterName, Type type, long waitNanos) {
        this.rateLimiterName = rateLimiterName;
        this.type = type;
        this.waitNanos = waitNanos;
    }

    /**
     * Returns the name of the rate limiter.
     *
     * @return the limiter's name
     */
    public String rateLimiterName() {
        return rateLimiterName;
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
     * Returns how long the permitted call waits for its permit, counted from the reservation.
     *
     * @return nanoseconds by the limiter's ticker for {@link Type#PERMITTED} (zero when the permit
     *     is free at once), zero otherwise
     */
    public long waitNanos() {
        return waitNanos;
    }

    @Override
    public String toString() {
        return "RateLimiterEvent{" + rateLimiterName + ", " + type + (waitNanos != 0 ? ", waits " + waitNanos + " ns" : "") + '}';
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RateLimiterEvent)) {
            return false;
        }
        RateLimiterEvent e = (RateLimiterEvent) o;
        return rateLimiterName.equals(e.rateLimiterName) && type == e.type && waitNanos == e.waitNanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(rateLimiterName, type, waitNanos);
    }
}
