package dev.ninelives.hedge;

import java.util.Objects;

/** Something a hedge did for one call: it issued a hedge, a hedge won, or a hedge was refused. */
public final class HedgeEvent {

    /** The kinds of event. */
    public enum Type {
        /** A hedge was subscribed: the call was slower than the delay and the budget (and the breaker) allowed it. */
        ISSUED,
        /** A hedge answered first: its answer is the call's, the other attempts are cancelled. */
        WON,
        /** A hedge was due but the budget had no token: the attempts in flight go on alone. */
        REFUSED_BY_BUDGET,
        /** A hedge was due but the circuit breaker refused it a permit: the attempts in flight go on alone. */
        REFUSED_BY_BREAKER
    }

    private final String hedgeName;
    private final Type type;
    private final int attempt;

    HedgeEvent(String hedgeName, Type type, int attempt) {
        this.hedgeName = hedgeName;
        this.type = type;
        this.attempt = attempt;
    }

    /**
     * Returns the name of the hedge policy.
     *
     * @return the name
     */
    public String hedgeName() {
        return hedgeName;
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
     * Returns which attempt of the call the event is about: 1 for the first hedge, 2 for the
     * second (the call's first attempt is 0 and never a hedge).
     *
     * @return the hedge's number, from 1 to {@code maxHedges}
     */
    public int attempt() {
        return attempt;
    }

    @Override
    public String toString() {
        return "HedgeEvent{" + hedgeName + ", " + type + ", hedge " + attempt + '}';
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HedgeEvent)) {
            return false;
        }
        HedgeEvent e = (HedgeEvent) o;
        return hedgeName.equals(e.hedgeName) && type == e.type && attempt == e.attempt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hedgeName, type, attempt);
    }
}
