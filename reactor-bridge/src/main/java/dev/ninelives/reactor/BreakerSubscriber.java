package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import org.reactivestreams.Subscription;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The per-subscription half of the breaker operators: it holds one permit and ends it exactly
 * once.
 *
 * Protocol. The `permit` field is both the permit and the once-gate. While it is >= 0 it is a
 * live permit with no outcome yet; the signal that ends it swaps in a negative marker:
 *   RECORDED    a Mono's value recorded the success; the Mono has not terminated yet
 *   TERMINATED  onComplete / onError arrived
 *   CANCELLED   cancel arrived
 * Who races: onNext / onComplete / onError (serialized among themselves by the Reactive
 * Streams rules) against cancel (any thread). Each of them claims the permit with a CAS or a
 * getAndSet from a live value; exactly one claim sees the live permit and reports it to the
 * breaker, so a permit is never recorded twice and never leaks. Later markers may overwrite
 * earlier ones (TERMINATED after RECORDED, for instance); they only serve the `done` checks and
 * Scannable, where that is harmless. A Flux's first element sets the DELIVERED bit on the live
 * permit (see FluxBreaker), so a cancel knows exactly whether the call delivered anything.
 *
 * Layout: actual, breaker, s and the long permit keep a Mono subscriber at 32 bytes with
 * compressed oops. The start time of slow-call detection lives in subclasses, so the
 * default path does not pay for it.
 */
abstract class BreakerSubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable {

    /** Set on a live Flux permit by its first element; never part of a breaker's permit (those stay below 2^19). */
    static final long DELIVERED = 1L << 62;
    static final long RECORDED = -2L;
    static final long TERMINATED = -3L;
    static final long CANCELLED = -4L;

    static final VarHandle PERMIT;

    static {
        try {
            PERMIT = MethodHandles.lookup().findVarHandle(BreakerSubscriber.class, "permit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreSubscriber<? super T> actual;
    final CircuitBreaker breaker;
    Subscription s;
    volatile long permit;

    BreakerSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, long permit) {
        this.actual = actual;
        this.breaker = breaker;
        PERMIT.set(this, permit); // plain: published by the subscribe call that hands `this` on
    }

    /** Nanoseconds since subscription, for slow-call detection; 0 when slow calls are off. */
    long elapsed() {
        return 0L;
    }

    /** The outcome of a cancel that wins the permit: release (Mono), or success if elements flowed (Flux). */
    abstract void cancelled(long permit);

    @Override
    public final void onSubscribe(Subscription s) {
        if (Operators.validate(this.s, s)) {
            this.s = s;
            actual.onSubscribe(this);
        }
    }

    /*
     * The breaker calls user code (the failure predicate, listeners). Only a JVM-fatal error gets
     * out of it, and only after the breaker's own state is whole; the finally blocks make sure the
     * signal still reaches downstream before it propagates, so an outer operator (a bulkhead, a
     * retry) still sees the call end and returns its own permit.
     */
    @Override
    public final void onError(Throwable t) {
        long p = (long) PERMIT.getAndSet(this, TERMINATED);
        if (p == TERMINATED) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        try {
            if (p >= 0) {
                breaker.onError(p & ~DELIVERED, elapsed(), t);
            }
        } finally {
            actual.onError(t);
        }
    }

    @Override
    public void onComplete() {
        long p = (long) PERMIT.get(this);                  // plain: only this signalling thread writes TERMINATED
        if (p == TERMINATED) {
            return;
        }
        try {
            if (p >= 0) {
                p = (long) PERMIT.getAndSet(this, TERMINATED);
                if (p >= 0) {
                    breaker.onSuccess(p & ~DELIVERED, elapsed());
                }
            } else {
                PERMIT.setRelease(this, TERMINATED);        // RECORDED or CANCELLED: nothing left to report
            }
        } finally {
            actual.onComplete();
        }
    }

    @Override
    public final void request(long n) {
        s.request(n);
    }

    @Override
    public final void cancel() {
        for (;;) {
            long p = (long) PERMIT.getVolatile(this);
            if (p == TERMINATED || p == CANCELLED) {
                break;
            }
            if (PERMIT.compareAndSet(this, p, CANCELLED)) { // lost only to a terminal signal or a Mono value
                if (p >= 0) {
                    try {
                        cancelled(p);
                    } finally {                              // a listener's fatal error still cancels the source
                        s.cancel();
                    }
                    return;
                }
                break;
            }
        }
        s.cancel();
    }

    /** The source's subscribe threw: end the permit and signal the error once. */
    final void subscribeFailed(Throwable e) {
        if (s == null) {
            onSubscribe(Operators.emptySubscription());
        }
        Throwable t;
        try {
            t = Operators.onOperatorError(e, actual.currentContext());
        } catch (Throwable fatal) {                       // Reactor rethrows JVM-fatal errors: end the permit first
            long p = (long) PERMIT.getAndSet(this, TERMINATED);
            if (p >= 0) {
                breaker.release(p & ~DELIVERED);
            }
            throw fatal;
        }
        onError(t);
    }

    @Override
    public final Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public final Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return s;
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            return permit == TERMINATED;
        }
        if (key == Attr.CANCELLED) {
            return permit == CANCELLED;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.SYNC;
        }
        if (key == Attr.NAME) {
            return breaker.name();
        }
        return null;
    }

    /**
     * Asks the breaker for a permit; a refusal signals {@code onSubscribe} and
     * {@code onError(CallNotPermittedException)} to {@code actual} (no allocation) and the
     * source must not be subscribed.
     *
     * @return the permit, or a negative refusal once the refusal is signalled
     */
    static long acquire(CircuitBreaker breaker, CoreSubscriber<?> actual) {
        long permit = breaker.tryAcquire();
        if (permit < 0) {
            Operators.error(actual, breaker.rejection(permit));
        }
        return permit;
    }

    /**
     * Subscribes {@code inner} to {@code source}; if the source's subscribe throws, the permit
     * is still ended exactly once and the error reaches the subscriber.
     *
     * <p>Through {@link CorePublisher#subscribe(CoreSubscriber)}, as Reactor's own operators do:
     * the public {@code Publisher.subscribe(Subscriber)} entry point re-runs the last-assembly
     * hooks and subscriber conversion on every call, which cost about 30 ns per subscription in
     * JMH (two interface type checks that miss, among others).
     */
    static <T> void subscribeSource(CorePublisher<? extends T> source, BreakerSubscriber<T> inner) {
        try {
            source.subscribe(inner);
        } catch (Throwable e) {
            inner.subscribeFailed(e);
        }
    }
}
