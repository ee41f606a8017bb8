package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/*
 * The breaker's and the bulkhead's parts of a fused pipeline subscriber, written once for the
 * Mono and the Flux subscriber (MonoPipelineSubscriber, FluxPipelineSubscriber), which extend the
 * retry's subscribers and keep the two words these stages need:
 *
 *   permit  the current attempt's breaker permit, with the breaker operator's protocol
 *           (BreakerSubscriber): >= 0 a live permit, with the DELIVERED bit once a Flux attempt
 *           delivered an element; RECORDED after a Mono's value; TERMINATED once the attempt's
 *           outcome was reported or before the first attempt; CANCELLED. Whoever swaps a live
 *           permit out (a terminal signal, a value, a cancel) reports it, exactly once.
 *   held    the call's bulkhead permit, with the bulkhead operator's protocol (BulkheadSubscriber):
 *           HELD until the call's outcome reaches downstream (a Mono's value, a terminal signal)
 *           or the call is cancelled, then returned exactly once; NONE without a bulkhead.
 *
 * Each hook runs where the stacked operators would act, so the fused subscriber gives the same
 * signals, the same permits and the same events as bulkhead(retry(breaker(source))).
 *
 * The one race the stacked form did not have: a cancel on another thread while an attempt takes
 * its breaker permit. The stacked breaker operator returns such a permit when the retry cancels
 * the attempt's subscription. Here the cancel swaps the retry's slot and then looks at the
 * permit; the attempt publishes its permit and then, in the Flux subscriber, looks at the slot
 * (both volatile: at least one sees the other), and in the Mono subscriber CASes its source's
 * Subscription into the slot, which fails on a cancel and then reports the permit (a release
 * write suffices before a CAS, which saves a fence per call). Either way the CAS on the permit
 * lets exactly one of them report it.
 */
interface FusedStages<T> {

    int NONE = -1;
    int HELD = BulkheadSubscriber.HELD;
    int ENDED = BulkheadSubscriber.TERMINATED;
    int CANCELLED_CALL = BulkheadSubscriber.CANCELLED;

    // the subscriber's words and plan

    RetryPlan<T> plan();

    long permit();

    void permit(long value);

    boolean casPermit(long expected, long value);

    long getAndSetPermit(long value);

    boolean casHeld(int expected, int value);

    RetrySubscriber.Cold coldState();

    RetrySubscriber.Cold coldCreated();

    boolean cancelled();

    // ---------------------------------------------------------------- the breaker, per attempt

    /**
     * A pipeline without a retry: the breaker is asked before downstream's onSubscribe, as the
     * breaker operator directly inside the bulkhead (or alone) asks it at its own subscribe. The
     * one attempt then uses this answer.
     */
    default void breakerBeforeOnSubscribe() {
        CircuitBreaker b = plan().breaker;
        if (b == null || !plan().breakerFirst) {
            return;
        }
        long p = b.tryAcquire();
        if (p < 0) {
            coldCreated().refusal = b.rejection(p);
            return;
        }
        timing(b);
        permit(p);
    }

    /** Asks the breaker for the attempt's permit; a refusal fails the attempt, as the breaker operator would. */
    default boolean breakerAttemptStarts(CoreSubscriber<T> attempt) {
        CircuitBreaker b = plan().breaker;
        if (b == null) {
            return true;
        }
        if (plan().breakerFirst) {                     // asked already, before onSubscribe
            long p = permit();
            if (p >= 0) {
                if (cancelled() && casPermit(p, BreakerSubscriber.CANCELLED)) {
                    b.release(p);
                    return false;
                }
                return true;
            }
            RetrySubscriber.Cold c = coldState();
            permit(BreakerSubscriber.TERMINATED);
            Operators.error(attempt, c.refusal);
            return false;
        }
        long p = b.tryAcquire();
        if (p < 0) {
            permit(BreakerSubscriber.TERMINATED);
            Operators.error(attempt, b.rejection(p));
            return false;
        }
        timing(b);
        permit(p);
        if (fencedPermit() && cancelled() && casPermit(p, BreakerSubscriber.CANCELLED)) {
            b.release(p);                              // cancelled meanwhile, and the cancel missed this permit
            return false;
        }
        return true;
    }

    /**
     * True if {@link #permit(long)} is a volatile write, so that reading the retry's slot after it
     * cannot miss a cancel that missed the permit (the Flux subscriber). False if the permit is
     * published by a release write and the attempt's first onSubscribe, whose CAS on the slot
     * fails on a cancel, reports the permit instead (the Mono subscriber: one fence less per call).
     *
     * @return whether the attempt must check for a cancel itself
     */
    boolean fencedPermit();

    /** Starts timing an attempt when the breaker uses durations (slow calls, a call listener). */
    private void timing(CircuitBreaker b) {
        if (b.measuresDurations()) {
            RetrySubscriber.Cold c = coldCreated();
            c.timed = true;
            c.attemptStart = b.config().ticker().read();
        } else {
            RetrySubscriber.Cold c = coldState();
            if (c != null && c != RetrySubscriber.TERMINATED) {
                c.timed = false;
            }
        }
    }

    /** The attempt's duration so far, when the breaker measures it; 0 otherwise. */
    default long attemptElapsed() {
        RetrySubscriber.Cold c = coldState();
        if (c == null || c == RetrySubscriber.TERMINATED || !c.timed) {
            return 0L;
        }
        return plan().breaker.config().ticker().read() - c.attemptStart;
    }

    /** A Mono attempt's value: the breaker records a success now. */
    default void breakerValue() {
        long p = permit();
        if (p >= 0 && casPermit(p, BreakerSubscriber.RECORDED)) { // fails only if a cancel took the permit
            plan().breaker.onSuccess(p, attemptElapsed());
        }
    }

    /** A Flux attempt's element: the first one marks the permit delivered. */
    default void breakerElement() {
        long p = permit();
        if (p >= 0 && p < BreakerSubscriber.DELIVERED) {
            casPermit(p, p | BreakerSubscriber.DELIVERED);
        }
    }

    default void breakerError(Throwable t) {
        long p = getAndSetPermit(BreakerSubscriber.TERMINATED);
        if (p >= 0) {
            plan().breaker.onError(p & ~BreakerSubscriber.DELIVERED, attemptElapsed(), t);
        }
    }

    default void breakerComplete() {
        long p = permit();
        if (p >= 0) {
            p = getAndSetPermit(BreakerSubscriber.TERMINATED);
            if (p >= 0) {
                plan().breaker.onSuccess(p & ~BreakerSubscriber.DELIVERED, attemptElapsed());
            }
        }
    }

    /** Cancelled before the attempt's outcome: the permit is released (a Flux that delivered: a success). */
    default void breakerCancelled() {
        for (;;) {
            long p = permit();
            if (p < 0) {
                return;                                // no live permit: reported already, or none taken
            }
            if (casPermit(p, BreakerSubscriber.CANCELLED)) {
                CircuitBreaker b = plan().breaker;
                if ((p & BreakerSubscriber.DELIVERED) != 0) {
                    b.onSuccess(p & ~BreakerSubscriber.DELIVERED, attemptElapsed());
                } else {
                    b.release(p);
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- the bulkhead, per call

    /** The call's outcome is about to reach downstream: the bulkhead permit goes back first. */
    default void bulkheadEnds() {
        if (casHeld(HELD, ENDED)) {
            Bulkhead b = plan().bulkhead;
            b.release();
        }
    }

    default void bulkheadCancelled() {
        if (casHeld(HELD, CANCELLED_CALL)) {
            plan().bulkhead.release();
        }
    }
}
