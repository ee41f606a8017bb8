package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;

import java.util.concurrent.TimeUnit;

/*
 * The attempt timeout of a fused pipeline, written once for the Mono and the Flux subscriber
 * (MonoTimedPipelineSubscriber, FluxTimedPipelineSubscriber), which extend the pipeline's
 * subscribers and keep the timer entry's three fields and a `gate`.
 *
 * Why the subscriber times its own first attempt. The stacked attempt timeout is a
 * TimeoutSubscriber per attempt, between the source and the breaker: 48 bytes per call, next to
 * the pipeline's own subscriber. A call that succeeds at its first attempt (nearly every call)
 * needs no such object if the pipeline's subscriber is itself the timer's entry for that
 * attempt. It cannot be the entry of a second one: the timer may still call expired() for an
 * entry after it ended (it read the slot just before), and re-arming would move an entry that
 * the timer may be looking at. So:
 *
 *   the first attempt that starts subscribes the source with the pipeline's subscriber, gated by
 *   `gate`; every later attempt subscribes it through a TimeoutSubscriber of its own (exactly the
 *   stacked stage), whose signals reach the pipeline's subscriber through a LaterAttempt, which
 *   bypasses the gate.
 *
 * The gate (TimerGate) is the first attempt's once-gate between its own signals and the timer:
 * NOT_STARTED until an attempt starts with the pipeline's subscriber (an attempt the breaker
 * refused does not count), then RUNNING; ENDED when the first attempt ended by its own signal (a
 * value, an error, a completion); TIMED_OUT when the timer ended it; CANCELLED when the call was
 * cancelled while it ran. From ENDED on, a signal that reaches the gate can only be the first
 * attempt's, late (after its cancel, or after its value): it is dropped, as the stacked
 * TimeoutSubscriber drops it, so an abandoned attempt that keeps signalling never reaches the
 * retry's bookkeeping of a later one.
 *
 * Timing out the first attempt is what the stacked stage does: cancel the attempt's
 * Subscription, then the attempt's onError with the stage's TimeoutExceededException, which the
 * breaker records and the retry decides about, on the timer's thread.
 */
interface TimedAttempts<T> extends TimerGate<T> {

    // ---------------------------------------------------------------- the subscriber's fields

    /** Marks the first attempt as started: the gate RUNNING, published by the attempt's subscribe. */
    void started();

    /** The pipeline's attempt timeout. */
    TimeoutPlan<T> attemptTimeout();

    /** Cancels the first attempt's Subscription, when its time is up. */
    void cancelFirstAttempt();

    // the pipeline subscriber's own handling of an attempt's signals, without the gate
    void ungatedSubscribe(Subscription s);

    void ungatedError(Throwable t);

    void ungatedComplete();

    // ---------------------------------------------------------------- attempts

    /** The subscriber of the next attempt: the pipeline's own for the first one, else a LaterAttempt. */
    default CoreSubscriber<T> nextTimed(CoreSubscriber<T> self) {
        return gate() == NOT_STARTED ? self : new LaterAttempt<>(this);
    }

    /**
     * The attempt was admitted (by the breaker, if any): the first one is timed by the pipeline's
     * subscriber, a later one by a TimeoutSubscriber of its own.
     */
    default CoreSubscriber<T> timed(CoreSubscriber<T> self, CoreSubscriber<T> attempt) {
        if (attempt == self) {
            started();
            return self;
        }
        return new TimeoutSubscriber<>(attempt, attemptTimeout(), null, 0L);
    }

    /**
     * After the first attempt's onSubscribe reached the retry's arbiter: starts its clock, unless
     * it ended meanwhile, as TimeoutSubscriber does. A second onSubscribe of that attempt (rule
     * 2.5) finds the entry armed and arms nothing.
     */
    default void armFirst() {
        if (gate() != RUNNING || slots() != null) {
            return;
        }
        TimeoutPlan<T> plan = attemptTimeout();
        Scheduler clock = plan.scheduler();
        plan.timer(clock).arm(this, Deadline.plus(clock.now(TimeUnit.NANOSECONDS), plan.nanos));
        if (gate() >= ENDED) {
            disarm();                                  // ended on another thread while this one armed
        }
    }

    // ---------------------------------------------------------------- the first attempt's signals

    /** A Mono's value: one CAS, as TimeoutSubscriber's. */
    default void gatedValue(T t) {
        int g = gate();
        if (g == NOT_STARTED) {
            ungatedNext(t);
        } else if (g == RUNNING && casGate(RUNNING, ENDED)) {
            disarm();
            ungatedNext(t);
        } else {
            dropped(t);
        }
    }

    default void gatedError(Throwable t) {
        for (;;) {
            int g = gate();
            if (g == NOT_STARTED) {
                ungatedError(t);                       // an attempt refused before it started
                return;
            }
            if (g == RUNNING || g == EMITTING) {
                if (casGate(g, ENDED)) {
                    disarm();
                    ungatedError(t);
                    return;
                }
            } else if (g == FIRED || g == REFUSED) {
                if (casGate(g, TIMED_OUT)) {           // timed out during an element whose onNext threw
                    Operators.onErrorDropped(t, currentContext());
                    timedOut(g, null);
                    return;
                }
            } else {
                Operators.onErrorDropped(t, currentContext());
                return;
            }
        }
    }

    default void gatedComplete() {
        for (;;) {
            int g = gate();
            if (g == NOT_STARTED) {
                ungatedComplete();
                return;
            }
            if (g == RUNNING || g == EMITTING) {
                if (casGate(g, ENDED)) {
                    disarm();
                    ungatedComplete();
                    return;
                }
            } else if (g == FIRED || g == REFUSED) {
                if (casGate(g, TIMED_OUT)) {
                    timedOut(g, null);
                    return;
                }
            } else {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- the timer

    /** Cancels the first attempt and fails it with the timeout (or the refusal), whatever the cancel throws. */
    @Override
    default void timedOut(int why, Throwable rejected) {
        try {
            cancelFirstAttempt();
        } finally {
            ungatedError(why == FIRED ? attemptTimeout().exceeded()
                    : TimeoutSubscriber.rejection(rejected, currentContext()));
        }
    }
}
