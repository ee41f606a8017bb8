package dev.ninelives.reactor;

import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/*
 * The total timeout of a fused pipeline, written once for the Mono and the Flux subscriber
 * (MonoDeadlinePipelineSubscriber, FluxDeadlinePipelineSubscriber), which extend the pipeline's
 * subscribers and keep the call's Context (with its Deadline in it), the Deadline, the timer
 * entry's slots and index, and a `gate`.
 *
 * Why. Stacked, the total timeout is an operator between the bulkhead and the retry: a
 * TimeoutSubscriber of 48 bytes per call, and the bulkhead split off into a subscriber of its
 * own. Fused, the call's own subscriber carries the deadline in its Context (currentContext(), so
 * the retry, the source and any deadline-aware callee see it, exactly as the stage's Context
 * would give it), and is the shared timer's entry for the deadline's instant.
 *
 * The gate is the call's once-gate between its ending and the timer, with TimeoutSubscriber's
 * protocol:
 *   RUNNING    no outcome yet; the timer may fire
 *   EMITTING   a Flux element is being delivered downstream: the timer leaves the error to it
 *   FIRED      the timer fired during that element: its thread times the call out after it
 *   REFUSED    the same, for a Scheduler that refused to run the timer
 *   ENDED      the call's outcome won (RetrySubscriber.callEnds, just before it is signalled)
 *   TIMED_OUT  the timer won
 *   CANCELLED  downstream cancelled
 * A call's ending is one CAS more than without a total timeout (a Flux element two, as the
 * stacked stage costs). The timer's side does what the stacked stage does: cancel what runs
 * inside it (the attempt, or the pending retry: the breaker's permit released as a cancel
 * releases it, nothing announced by the retry), then end the call with the deadline's error: the
 * bulkhead's permit back first, then onError downstream (where a fallback operator may take it).
 */
interface TimedCall<T> extends TimeoutTimer.Entry {

    int RUNNING = 0;
    int EMITTING = 1;
    int FIRED = 2;
    int REFUSED = 3;
    int ENDED = 4;
    int TIMED_OUT = 5;
    int CANCELLED = 6;

    // ---------------------------------------------------------------- the subscriber's fields

    int gate();

    boolean casGate(int expected, int value);

    /** The call's own deadline, the one in its Context. */
    Deadline own();

    /** Where the timer holds the entry, once armed; null before. */
    Object[] slots();

    int index();

    /** The pipeline's total timeout. */
    TimeoutPlan<T> totalTimeout();

    /** Cancels what runs inside the total timeout: the retry's attempt or its pending retry. */
    void cancelInside();

    /** Ends the call with {@code error}: the bulkhead's permit back, then onError downstream. */
    void endCall(Throwable error);

    /** The pipeline subscriber's own handling of a Flux element, without the gate. */
    void ungatedNext(T t);

    Context currentContext();

    // ---------------------------------------------------------------- the call

    @Override
    default long deadline() {
        return own().atNanos;
    }

    /**
     * Once downstream has the subscription: starts the clock on the deadline's instant (fixed
     * at subscribe, when it went into the Context), unless the call ended or was cancelled inside
     * onSubscribe.
     */
    default void armCall() {
        if (gate() != RUNNING) {
            return;
        }
        Deadline d = own();
        totalTimeout().timer(d.clock).arm(this, d.atNanos);
        if (gate() >= ENDED) {
            disarm();                                  // ended on another thread while this one armed
        }
    }

    default void disarm() {
        TimeoutTimer.disarm(slots(), index());
    }

    /**
     * The call's outcome is about to be signalled: true if it may be (the timer can no longer
     * fire), false if the timer ended the call first (the outcome is then dropped).
     */
    default boolean gateEnds() {
        if (casGate(RUNNING, ENDED)) {
            disarm();
            return true;
        }
        return false;
    }

    /** Downstream cancelled: the timer forgets the call. */
    default void gateCancelled() {
        for (;;) {
            int g = gate();
            if (g != RUNNING && g != EMITTING) {
                return;
            }
            if (casGate(g, CANCELLED)) {
                disarm();
                return;
            }
        }
    }

    /** A Flux element: RUNNING to EMITTING and back, so the timer never signals while it is delivered. */
    default void gatedElement(T t) {
        if (!casGate(RUNNING, EMITTING)) {
            if (gate() == CANCELLED) {
                Operators.onDiscard(t, currentContext());
            } else {
                Operators.onNextDropped(t, currentContext());
            }
            return;
        }
        ungatedNext(t);
        if (!casGate(EMITTING, RUNNING)) {
            int g = gate();
            if ((g == FIRED || g == REFUSED) && casGate(g, TIMED_OUT)) {
                timedOut(g, null);
            }
        }
    }

    // ---------------------------------------------------------------- the timer

    @Override
    default void expired() {
        interrupt(FIRED, null);
    }

    @Override
    default void refused(Throwable rejected) {
        interrupt(REFUSED, rejected);
    }

    private void interrupt(int pending, Throwable rejected) {
        for (;;) {
            int g = gate();
            if (g == RUNNING) {
                if (casGate(RUNNING, TIMED_OUT)) {
                    timedOut(pending, rejected);
                    return;
                }
            } else if (g == EMITTING) {
                if (casGate(EMITTING, pending)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** Cancels what runs inside, then ends the call with the deadline's error (or the refusal), whatever the cancel throws. */
    private void timedOut(int why, Throwable rejected) {
        try {
            cancelInside();
        } finally {
            endCall(why == FIRED ? own().exceeded() : TimeoutSubscriber.rejection(rejected, currentContext()));
        }
    }
}
