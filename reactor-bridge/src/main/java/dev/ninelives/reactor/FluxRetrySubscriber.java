package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The retry subscriber of a Flux: the attempts of RetrySubscriber, with the classic
 * multi-subscription arbiter for demand. request(n) from any thread, a new attempt's
 * Subscription and the number of elements a failed attempt delivered are folded by whichever
 * thread wins `wip` (missed request / subscription / produced otherwise), so the next attempt
 * is asked exactly for what downstream requested and has not received. Elements cost one plain
 * increment of `produced`, reconciled once per failed attempt.
 *
 * One Subscription per attempt (rule 2.5): `subscribed`, a plain flag of the attempt's own
 * serialized signals (handed to the next attempt with the rest of the per-call bookkeeping), is
 * set by an attempt's first onSubscribe and cleared when the attempt fails; a second onSubscribe
 * finds it set, and is cancelled and reported without reaching the arbiter.
 */
class FluxRetrySubscriber<T> extends RetrySubscriber<T> {

    private static final VarHandle WIP;
    private static final VarHandle MISSED_REQUESTED;
    private static final VarHandle MISSED_PRODUCED;
    private static final VarHandle MISSED_SUBSCRIPTION;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WIP = l.findVarHandle(FluxRetrySubscriber.class, "wip", int.class);
            MISSED_REQUESTED = l.findVarHandle(FluxRetrySubscriber.class, "missedRequested", long.class);
            MISSED_PRODUCED = l.findVarHandle(FluxRetrySubscriber.class, "missedProduced", long.class);
            MISSED_SUBSCRIPTION = l.findVarHandle(FluxRetrySubscriber.class, "missedSubscription", Subscription.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // the arbiter: plain fields owned by whoever holds `wip`
    Subscription subscription;
    long requested;
    boolean unbounded;
    volatile int wip;
    volatile long missedRequested;
    volatile long missedProduced;
    volatile Subscription missedSubscription;
    long produced;                    // elements of the current attempt not yet counted against demand
    boolean subscribed;               // the current attempt has had its onSubscribe

    FluxRetrySubscriber(CoreSubscriber<? super T> actual, RetryPlan<T> plan) {
        super(actual, plan);
    }

    /** An element: one plain increment, no result test (values are tested for Monos only). */
    @Override
    public void onNext(T t) {
        if (cold == TERMINATED) {
            Operators.onNextDropped(t, currentContext());
            return;
        }
        produced++;
        actual.onNext(t);
    }

    @Override
    boolean attemptFailed() {
        subscribed = false;
        long p = produced;
        if (p == 0) {
            return false;
        }
        produced = 0;
        produced(p);
        return true;
    }

    @Override
    void cancelUpstream() {
        drain();
    }

    @Override
    Subscription upstream() {
        return subscription;
    }

    @Override
    long requestedFromDownstream() {
        return requested;
    }


    @Override
    public void request(long n) {
        if (!Operators.validate(n) || unbounded) {
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            long r = requested;
            if (r != Long.MAX_VALUE) {
                r = Operators.addCap(r, n);
                requested = r;
                if (r == Long.MAX_VALUE) {
                    unbounded = true;
                }
            }
            Subscription a = subscription;
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            if (a != null) {
                a.request(n);
            }
            return;
        }
        addCap(MISSED_REQUESTED, n);
        drain();
    }

    /** A new attempt's subscription: ask it for everything still outstanding. */
    @Override
    void set(Subscription s) {
        if (subscribed) {
            s.cancel();                               // a second onSubscribe of this attempt (rule 2.5)
            Operators.reportSubscriptionSet();
            return;
        }
        subscribed = true;
        if (isCancelled()) {
            s.cancel();
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            subscription = s;
            long r = requested;
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            if (r != 0L) {
                s.request(r);
            }
            return;
        }
        MISSED_SUBSCRIPTION.setVolatile(this, s);
        drain();
    }

    /** The arbiter's next Subscription, whatever the last attempt left in {@code subscribed}. */
    @Override
    void setFallback(Subscription s) {
        subscribed = false;
        set(s);
    }

    /** Elements a failed attempt delivered: they count against what downstream requested. */
    private void produced(long n) {
        if (unbounded) {
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            long r = requested;
            if (r != Long.MAX_VALUE) {
                requested = Math.max(0L, r - n);
            }
            if ((int) WIP.getAndAdd(this, -1) != 1) {
                drainLoop();
            }
            return;
        }
        addCap(MISSED_PRODUCED, n);
        drain();
    }

    private void addCap(VarHandle field, long n) {
        for (;;) {
            long r = (long) field.getVolatile(this);
            long u = Operators.addCap(r, n);
            if (field.compareAndSet(this, r, u)) {
                return;
            }
        }
    }

    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;
        }
        drainLoop();
    }

    private void drainLoop() {
        int missed = 1;
        long requestAmount = 0L;
        Subscription requestTarget = null;
        for (;;) {
            Subscription ms = missedSubscription;
            if (ms != null) {
                ms = (Subscription) MISSED_SUBSCRIPTION.getAndSet(this, null);
            }
            long mr = missedRequested;
            if (mr != 0L) {
                mr = (long) MISSED_REQUESTED.getAndSet(this, 0L);
            }
            long mp = missedProduced;
            if (mp != 0L) {
                mp = (long) MISSED_PRODUCED.getAndSet(this, 0L);
            }
            Subscription a = subscription;
            if (isCancelled()) {
                if (a != null) {
                    a.cancel();
                    subscription = null;
                }
                if (ms != null) {
                    ms.cancel();
                }
            } else {
                long r = requested;
                if (r != Long.MAX_VALUE) {
                    long u = Operators.addCap(r, mr);
                    if (u != Long.MAX_VALUE) {
                        u = Math.max(0L, u - mp);
                    } else {
                        unbounded = true;
                    }
                    r = u;
                    requested = r;
                }
                if (ms != null) {
                    subscription = ms;
                    if (r != 0L) {
                        requestAmount = Operators.addCap(requestAmount, r);
                        requestTarget = ms;
                    }
                } else if (mr != 0L && a != null) {
                    requestAmount = Operators.addCap(requestAmount, mr);
                    requestTarget = a;
                }
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                if (requestAmount != 0L) {
                    requestTarget.request(requestAmount);
                }
                return;
            }
        }
    }
}
