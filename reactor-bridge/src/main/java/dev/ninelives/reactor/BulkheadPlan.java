package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.WaitingBulkhead;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** What a bulkhead operator fixes at assembly; one instance per assembled operator, shared by its subscriptions. */
final class BulkheadPlan<T> {

    final CorePublisher<? extends T> source;
    final Bulkhead bulkhead;
    final WaitingBulkhead permits;
    /** The scheduler for wait timeouts, or null for {@code Schedulers.parallel()} looked up at each wait. */
    final Scheduler scheduler;
    /** A Mono returns its permit at its first outcome; a Flux at its terminal signal. */
    final boolean mono;
    /** The bulkhead's limit is adaptive: each call is timed from its permit to its outcome. */
    final boolean timed;

    BulkheadPlan(CorePublisher<? extends T> source, Bulkhead bulkhead, Scheduler scheduler, boolean mono) {
        this.source = source;
        this.bulkhead = bulkhead;
        this.permits = (WaitingBulkhead) bulkhead;     // Bulkhead is sealed: every one is a WaitingBulkhead
        this.scheduler = scheduler;
        this.mono = mono;
        this.timed = permits.timesCalls();
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    /**
     * The timer of this bulkhead's waits on the Scheduler resolved now and for the wait in force
     * now, shared by every operator on the bulkhead (a pipeline assembled per call is a new
     * operator per call). A new Scheduler (virtual time installed, say) or a new maxWait (the
     * bulkhead's wait is adaptive) gets a new timer; the old one still times the waiters it has,
     * at the deadlines they started with. One timer per wait keeps each timer's deadlines in
     * arrival order, which is what a timer relies on: after a lowered maxWait, a newcomer's
     * deadline may come before an older waiter's, and the two are on different timers. Whichever
     * timer loses a race to be installed still times its own waiter completely.
     */
    WaitTimer timer() {
        Scheduler s = scheduler();
        long wait = permits.maxWaitNanos();
        Object o = permits.waitTimer();
        if (o instanceof WaitTimer && ((WaitTimer) o).scheduler == s && ((WaitTimer) o).maxWaitNanos == wait) {
            return (WaitTimer) o;
        }
        WaitTimer t = new WaitTimer(s, wait);
        permits.casWaitTimer(o, t);
        return t;
    }

    /**
     * Runs one subscription: a permit now (the source is subscribed on this thread), a place in
     * the queue (the subscriber gets onSubscribe at once and the source is subscribed when a
     * permit is handed over), or a refusal (onSubscribe and onError, and the source is never
     * subscribed).
     *
     * <p>A listener's JVM-fatal error (nothing else gets out of announce) leaves the bulkhead
     * whole before it propagates, and the subscriber is signalled first, so that operators
     * around this one return their own permits: a refusal still ends with its
     * BulkheadFullException; a permit whose announcement failed is back in the bulkhead, the
     * call never starts, and the subscriber gets onError(that error).
     */
    void subscribe(CoreSubscriber<? super T> actual) {
        if (admit(actual, null)) {
            (timed ? new TimedBulkheadSubscriber<>(actual, this) : new BulkheadSubscriber<>(actual, this, BulkheadSubscriber.HELD))
                    .subscribeSource();
        }
    }

    /**
     * Runs a call of a fused pipeline whose bulkhead permit {@link #admit} took, when the limit
     * is adaptive: a timed bulkhead subscriber holds the permit and runs the stages inside the
     * bulkhead (this plan's source), with the fallback around it, exactly as for a call that
     * waited. The pipeline's own subscriber then holds no permit and needs no field for the time.
     */
    void subscribeTimed(CoreSubscriber<? super T> actual, Fallback<? extends T> fallback) {
        new TimedBulkheadSubscriber<>(FallbackSubscriber.around(actual, fallback, mono), this).subscribeSource();
    }

    /**
     * Asks for a permit for one subscription. A call whose Context deadline has passed ends
     * with the deadline's error and asks for nothing. Queued: the waiting subscriber takes the call over
     * (onSubscribe now, the source when a permit is handed over). Refused: onSubscribe and
     * onError. Both return false. A permit taken now returns true: the caller runs the call,
     * holding the permit (the fused pipeline subscriber does, instead of a BulkheadSubscriber).
     *
     * <p>A fused pipeline's fallback ({@code fallback}, null for none) stands between the
     * bulkhead and {@code actual} on every path that does not return true: a refusal and a
     * passed deadline fall back, and so does a waiting call's end.
     *
     * @return true if {@code actual}'s call holds a permit and must be started by the caller
     */
    boolean admit(CoreSubscriber<? super T> actual, Fallback<? extends T> fallback) {
        Throwable late = Deadline.exceeded(actual.currentContext());
        if (late != null) {                            // no time left: no permit, no place in the queue
            Operators.error(FallbackSubscriber.around(actual, fallback, mono), late);
            return false;
        }
        int admitted = permits.admit();
        if (admitted == WaitingBulkhead.PERMITTED) {
            try {
                permits.announce(admitted);
            } catch (Throwable fatal) {                // the permit is back already
                Operators.error(actual, fatal);
                throw fatal;
            }
            return true;
        }
        if (admitted == WaitingBulkhead.QUEUED) {
            new WaitingBulkheadSubscriber<>(FallbackSubscriber.around(actual, fallback, mono), this).await();
            return false;
        }
        try {
            permits.announce(admitted);
        } finally {                                    // refused, whatever a listener threw
            Operators.error(FallbackSubscriber.around(actual, fallback, mono), permits.rejection(admitted));
        }
        return false;
    }
}
