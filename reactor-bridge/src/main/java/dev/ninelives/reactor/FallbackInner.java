package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The subscriber of a fallback publisher, for one call that falls back: passes its signals
 * downstream, and its error with the call's own error attached as suppressed. Allocated only
 * when a call falls back. What it does with the fallback's Subscription is its owner's business:
 * the fallback operator's subscriber routes demand to it through its arbiter word
 * ({@link FallbackSubscriber.Inner}), a fused pipeline puts it in place of an attempt's
 * ({@link RetrySubscriber}).
 */
abstract class FallbackInner<T> implements CoreSubscriber<T>, Scannable {

    final CoreSubscriber<? super T> actual;
    final Throwable original;
    Subscription s;
    boolean done;

    FallbackInner(CoreSubscriber<? super T> actual, Throwable original) {
        this.actual = actual;
        this.original = original;
    }

    /** The fallback's Subscription is in {@link #s}: route downstream's demand and cancel to it. */
    abstract void installed();

    /** Whether downstream cancelled, for Scannable. */
    abstract boolean cancelled();

    /** The subscriber downstream holds as its Subscription, which owns this one: Scannable's ACTUAL. */
    abstract Scannable owner();

    /**
     * Subscribes this to {@code next} (through {@code Mono.from} for a Mono call, which then gets
     * at most one value); a {@code subscribe} that throws ends the call.
     */
    final void subscribeTo(Publisher<? extends T> next, boolean mono) {
        try {
            if (mono) {
                Mono.from(next).subscribe(this);
            } else if (next instanceof CorePublisher) {
                ((CorePublisher<? extends T>) next).subscribe(this);
            } else {
                next.subscribe(this);
            }
        } catch (Throwable e) {
            subscribeFailed(e);
        }
    }

    @Override
    public final void onSubscribe(Subscription s) {
        if (Operators.validate(this.s, s)) {
            this.s = s;
            installed();
        }
    }

    @Override
    public final void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, currentContext());
            return;
        }
        actual.onNext(t);
    }

    @Override
    public final void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, currentContext());
            return;
        }
        done = true;
        actual.onError(Fallback.withOriginal(t, original));
    }

    @Override
    public final void onComplete() {
        if (done) {
            return;
        }
        done = true;
        actual.onComplete();
    }

    /** The fallback publisher's subscribe threw: the call ends with that error; a JVM-fatal one then propagates. */
    final void subscribeFailed(Throwable e) {
        if (s == null) {
            onSubscribe(Operators.emptySubscription());
        }
        if (Guard.isFatal(e)) {
            if (!done) {
                done = true;
                actual.onError(e);
            }
            throw (Error) e;
        }
        onError(Operators.onOperatorError(e, currentContext()));
    }

    @Override
    public final Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.PARENT) {
            return s;
        }
        if (key == Attr.ACTUAL) {
            return owner();
        }
        if (key == Attr.TERMINATED) {
            return done;
        }
        if (key == Attr.CANCELLED) {
            return cancelled();
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.SYNC;
        }
        return null;
    }
}
