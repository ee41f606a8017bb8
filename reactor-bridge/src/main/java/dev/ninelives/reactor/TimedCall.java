package dev.ninelives.reactor;

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
 * The gate (TimerGate) is the call's once-gate between its ending and the timer: RUNNING from
 * the subscriber's construction; ENDED when the call's outcome won (RetrySubscriber.callEnds,
 * just before the outcome is signalled); TIMED_OUT when the timer won; CANCELLED when downstream
 * cancelled. A call's ending is one CAS more than without a total timeout (a Flux element two,
 * as the stacked stage costs). The timer's side does what the stacked stage does: cancel what
 * runs inside it (the attempt, or the pending retry: the breaker's permit released as a cancel
 * releases it, nothing announced by the retry), then end the call with the deadline's error: the
 * bulkhead's permit back first, then onError downstream (where a fallback operator may take it).
 */
interface TimedCall<T> extends TimerGate<T> {

    // ---------------------------------------------------------------- the subscriber's fields

    /** The call's own deadline, the one in its Context. */
    Deadline own();

    /** The pipeline's total timeout. */
    TimeoutPlan<T> totalTimeout();

    /** Cancels what runs inside the total timeout: the retry's attempt or its pending retry. */
    void cancelInside();

    /** Ends the call with {@code error}: the bulkhead's permit back, then onError downstream. */
    void endCall(Throwable error);

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

    /** Cancels what runs inside, then ends the call with the deadline's error (or the refusal), whatever the cancel throws. */
    @Override
    default void timedOut(int why, Throwable rejected) {
        try {
            cancelInside();
        } finally {
            endCall(why == FIRED ? own().exceeded() : TimeoutSubscriber.rejection(rejected, currentContext()));
        }
    }
}
