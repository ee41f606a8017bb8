package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/*
 * The retry subscriber of a Mono: the attempts of RetrySubscriber, with a two-field arbiter.
 *
 * A Mono emits at most one value, so demand across attempts is one bit: has downstream asked
 * at all: the FLAG bit of the inherited `attempts` word. request() sets it (an atomic or)
 * then reads the slot; set() (a new attempt's Subscription) swaps the slot then reads the bit.
 * Both are atomic read-modify-writes, so at least one of
 * them sees the other and the attempt is asked; both may, and a Mono asked twice still emits at
 * most once, so a duplicate request is harmless. The attempt's Subscription lives in the
 * inherited slot, so cancel (one getAndSet of the slot) and set() (a CAS of it) cannot both
 * miss: either set() finds CANCELLED and cancels its attempt, or cancel takes the attempt from
 * the slot and cancels it. No element counting, no drain loop: a call that succeeds pays two
 * atomics for demand, and the subscriber stays at 32 bytes.
 *
 * One Subscription per attempt (rule 2.5), with no field for it: when an attempt fails,
 * attemptFailed() takes its Subscription out of the slot (one CAS, on the failure path only), so
 * the slot holds a Subscription exactly while an attempt that has subscribed runs. set() finding
 * one there is a second onSubscribe of that attempt: it cancels the newcomer and reports it, and
 * never touches the first. A set() that finds nothing, or the spent retry task, is a new
 * attempt's first. Taking the failed attempt out of the slot races only with cancel, harmlessly:
 * whichever wins, the attempt is over.
 */
class MonoRetrySubscriber<T> extends RetrySubscriber<T> {

    MonoRetrySubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan) {
        super(actual, plan);
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        if ((attempts & FLAG) == 0) {
            ATTEMPTS.getAndBitwiseOr(this, FLAG);
        }
        Object s = slot;
        if (s instanceof Subscription) {
            ((Subscription) s).request(Long.MAX_VALUE);
        }
    }

    @Override
    void set(Subscription s) {
        for (;;) {
            Object previous = slot;
            if (previous == CANCELLED) {
                try {
                    attemptCancelled();               // a pipeline's breaker: the permit of an attempt cancelled as it started
                } finally {
                    s.cancel();
                }
                return;
            }
            if (previous instanceof Subscription) {
                s.cancel();                           // a second onSubscribe of this attempt (rule 2.5)
                Operators.reportSubscriptionSet();
                return;
            }
            if (SLOT.compareAndSet(this, previous, s)) {
                break;                                // the slot was empty, or held the spent retry task
            }
        }
        if ((attempts & FLAG) != 0) {
            s.request(Long.MAX_VALUE);
        }
    }

    /** Whatever the slot holds (a spent task, an abandoned attempt's Subscription), unless CANCELLED. */
    @Override
    void setFallback(Subscription s) {
        for (;;) {
            Object previous = slot;
            if (previous == CANCELLED) {
                s.cancel();
                return;
            }
            if (SLOT.compareAndSet(this, previous, s)) {
                break;
            }
        }
        if ((attempts & FLAG) != 0) {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    void cancelUpstream() {
        // the slot held the running attempt, and cancel() has cancelled it
    }

    @Override
    boolean attemptFailed() {
        Object s = slot;
        if (s instanceof Subscription) {
            SLOT.compareAndSet(this, s, null);        // fails only to cancel, which is as good
        }
        return false;
    }

    @Override
    Subscription upstream() {
        Object s = slot;
        return s instanceof Subscription ? (Subscription) s : null;
    }

    @Override
    long requestedFromDownstream() {
        return (attempts & FLAG) != 0 ? 1L : 0L;
    }
}
