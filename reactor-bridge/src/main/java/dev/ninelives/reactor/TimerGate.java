package dev.ninelives.reactor;

import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/*
 * The once-gate between something a fused pipeline subscriber times (its first attempt:
 * TimedAttempts; the whole call: TimedCall) and the shared timer, with TimeoutSubscriber's
 * protocol, written once:
 *
 *   NOT_STARTED  nothing timed has started yet (TimedAttempts only: an attempt the breaker
 *                refused does not count)
 *   RUNNING      it runs; the timer may fire
 *   EMITTING     a Flux element is being delivered: the timer must not signal downstream now
 *   FIRED        the timer fired during that element: its thread times out once onNext returns
 *   REFUSED      the same, for a Scheduler that refused to run the timer
 *   ENDED        it ended by its own signal first
 *   TIMED_OUT    the timer ended it
 *   CANCELLED    downstream cancelled while it ran
 *
 * Who races: the timed thing's own signals (serialized among themselves), a cancel (any thread)
 * and the timer (its own thread). Each leaves RUNNING with one CAS and exactly one wins. A Flux
 * element pays two CASes (RUNNING to EMITTING and back), so that the timer never signals onError
 * while onNext runs on another thread: it leaves the error to that thread (FIRED).
 */
interface TimerGate<T> extends TimeoutTimer.Entry {

    int NOT_STARTED = 0;
    int RUNNING = 1;
    int EMITTING = 2;
    int FIRED = 3;
    int REFUSED = 4;
    int ENDED = 5;
    int TIMED_OUT = 6;
    int CANCELLED = 7;

    // ---------------------------------------------------------------- the subscriber's fields

    int gate();

    boolean casGate(int expected, int value);

    /** Where the timer holds the entry, once armed; null before. */
    Object[] slots();

    int index();

    Context currentContext();

    /** The pipeline subscriber's own handling of an element, past the gate. */
    void ungatedNext(T t);

    /**
     * The timer won: cancels what it times, then ends it with the timeout's error ({@code why}
     * FIRED) or the Scheduler's refusal ({@code why} REFUSED), whatever the cancel throws.
     *
     * @param why      FIRED or REFUSED
     * @param rejected what the Scheduler threw, for REFUSED
     */
    void timedOut(int why, Throwable rejected);

    // ---------------------------------------------------------------- the gate

    /** Lets the timer forget the entry (see {@link TimeoutTimer#disarm}). */
    default void disarm() {
        TimeoutTimer.disarm(slots(), index());
    }

    /** A Flux element: RUNNING to EMITTING and back, so the timer leaves the error to this thread. */
    default void gatedElement(T t) {
        if (gate() == NOT_STARTED) {
            ungatedNext(t);
            return;
        }
        if (!casGate(RUNNING, EMITTING)) {
            dropped(t);
            return;
        }
        ungatedNext(t);
        if (!casGate(EMITTING, RUNNING)) {
            afterRacedElement();
        }
    }

    /** The timer fired (or was refused) while an element was delivered: time out now. Or downstream cancelled. */
    default void afterRacedElement() {
        int g = gate();
        if ((g == FIRED || g == REFUSED) && casGate(g, TIMED_OUT)) {
            timedOut(g, null);
        }
    }

    /** An element that arrived after the gate closed: discarded after a cancel, dropped otherwise. */
    default void dropped(T t) {
        if (gate() == CANCELLED) {
            Operators.onDiscard(t, currentContext());
        } else {
            Operators.onNextDropped(t, currentContext());
        }
    }

    /** Downstream cancelled: whatever still runs is over, and the timer forgets it. */
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

    // ---------------------------------------------------------------- the timer

    @Override
    default void expired() {
        interrupt(FIRED, null);
    }

    @Override
    default void refused(Throwable rejected) {
        interrupt(REFUSED, rejected);
    }

    /**
     * Ends what runs from the timer's side: at once if no element is being delivered, otherwise
     * through the element's thread ({@code pending} is FIRED or REFUSED). What ended first is left
     * alone: the timeout is moot.
     */
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
}
