package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The per-subscription half of the fallback operators: it passes the source's signals on and,
 * when the source fails with an error the Fallback applies to, switches downstream over to the
 * fallback publisher, with exactly the demand downstream still has.
 *
 * The success path is this one object: elements cost a `done` test and one plain increment of
 * `produced`; a request costs one CAS on `state`. Only a call that falls back allocates more: the
 * Inner that subscribes the fallback publisher (and whatever Fallback.resume returns).
 *
 * Protocol. One switch at most, so the arbiter is one word, `state`:
 *   COUNT bits  the demand downstream has requested in all, saturating at COUNT (2^61 - 1),
 *               which then means unbounded
 *   SWITCHED    the fallback's Subscription is installed: requests go to it
 *   CANCELLED   downstream cancelled
 * Who races: downstream's request and cancel (any thread) against the switch, which runs in the
 * source's onError and then in the fallback publisher's onSubscribe (possibly on another thread).
 *   - request(n) adds n to COUNT with a CAS and forwards n to the Subscription the CAS saw: the
 *     source's before SWITCHED, the fallback's after. One forwarded to the source after it
 *     failed is harmless (rule 3.6: a terminated Subscription ignores requests).
 *   - install (the fallback's onSubscribe) sets SWITCHED with a CAS and asks the fallback for
 *     COUNT - produced at that instant. A request whose CAS came first is in that count and was
 *     forwarded to the dead source; one whose CAS came after sees SWITCHED and forwards itself.
 *     Each request reaches the fallback exactly once, so it gets exactly the demand downstream
 *     still has.
 *   - cancel sets CANCELLED with one getAndBitwiseOr and cancels what the old value says is
 *     running: the fallback if SWITCHED, else the source. An install that finds CANCELLED
 *     cancels the fallback it was given instead of asking it for anything, so cancel and the
 *     switch cannot both miss the fallback.
 * `inner` is written before the CAS that sets SWITCHED and read only after a volatile read that
 * saw it, so the CAS publishes it. `produced` and `done` are the source's: its signals are
 * serialized (rule 1.3) and the switch happens in its last one, onError; the fallback publisher
 * is subscribed from there, so its onSubscribe happens after every write to them.
 *
 * A Mono falls back only while it has delivered nothing: its value ends its chance, and an
 * error after it (a source that breaks the Mono contract) is passed on. A Flux continues: the
 * fallback's elements follow those delivered, nothing is replayed. A Mono's fallback publisher
 * goes through Mono.from, so a Flux there gives at most its first element.
 *
 * Layout: actual, fallback, s and inner, two longs and two booleans: 48 bytes with compressed
 * oops.
 */
final class FallbackSubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable {

    static final long CANCELLED = 1L << 62;
    static final long SWITCHED = 1L << 61;
    static final long COUNT = SWITCHED - 1;

    static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(FallbackSubscriber.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreSubscriber<? super T> actual;
    final Fallback<? extends T> fallback;
    final boolean mono;
    boolean done;                        // the source terminated
    Subscription s;                      // the source's
    Inner<T> inner;                      // the fallback's subscriber, once the call falls back
    long produced;                       // elements the source delivered
    volatile long state;                 // COUNT | SWITCHED | CANCELLED

    FallbackSubscriber(CoreSubscriber<? super T> actual, Fallback<? extends T> fallback, boolean mono) {
        this.actual = actual;
        this.fallback = fallback;
        this.mono = mono;
    }

    /**
     * {@code actual} behind a fallback, or {@code actual} itself when there is none: for a fused
     * pipeline's paths that end a call before its subscriber exists (a refusal, a passed
     * deadline) or hand it to a waiting bulkhead.
     */
    static <T> CoreSubscriber<? super T> around(CoreSubscriber<? super T> actual, Fallback<? extends T> fallback, boolean mono) {
        return fallback == null ? actual : new FallbackSubscriber<T>(actual, fallback, mono);
    }

    /**
     * Subscribes {@code parent} to {@code source}; a source whose {@code subscribe} throws fails
     * the call, which may then fall back.
     *
     * <p>Through {@link CorePublisher#subscribe(CoreSubscriber)}, as Reactor's own operators and
     * the other NineLives operators do (the public entry point re-runs assembly hooks per call).
     */
    static <T> void subscribeSource(CorePublisher<? extends T> source, FallbackSubscriber<T> parent) {
        try {
            source.subscribe(parent);
        } catch (Throwable e) {
            parent.subscribeFailed(e);
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(this.s, s)) {
            this.s = s;
            actual.onSubscribe(this);
        }
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, actual.currentContext());
            return;
        }
        produced++;
        actual.onNext(t);
    }

    @Override
    public void onComplete() {
        if (done) {
            return;
        }
        done = true;
        actual.onComplete();
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        done = true;
        if ((state & CANCELLED) != 0 || (mono && produced != 0)) {
            actual.onError(t);                            // nobody listens, or a Mono's value ended its chance
            return;
        }
        Context context = actual.currentContext();
        Publisher<? extends T> next;
        try {
            next = fallback.resume(t, context);
        } catch (Throwable fatal) {                       // JVM-fatal, from the predicate or the function: end the call, then let it go
            actual.onError(fatal);
            throw fatal;
        }
        if (next == null) {
            actual.onError(t);
            return;
        }
        new Inner<>(this, t).subscribeTo(next, mono);
    }

    /** The fallback publisher's Subscription arrived: route demand to it (see the protocol). */
    void install(Inner<T> in) {
        inner = in;                                       // published by the CAS that sets SWITCHED
        for (;;) {
            long st = (long) STATE.getVolatile(this);
            if ((st & CANCELLED) != 0) {
                in.s.cancel();
                return;
            }
            if (STATE.compareAndSet(this, st, st | SWITCHED)) { // fails only to a request or a cancel
                long c = st & COUNT;
                long outstanding = c == COUNT ? Long.MAX_VALUE : c - produced;
                if (outstanding > 0) {
                    in.s.request(outstanding);
                }
                return;
            }
        }
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        long st;
        for (;;) {
            st = (long) STATE.getVolatile(this);
            if ((st & CANCELLED) != 0) {
                return;
            }
            long c = st & COUNT;
            if (c == COUNT) {
                break;                                    // unbounded already: nothing left to count
            }
            long u = n >= COUNT - c ? COUNT : c + n;
            if (STATE.compareAndSet(this, st, st - c + u)) { // fails only to another request, the switch or a cancel
                break;
            }
        }
        ((st & SWITCHED) != 0 ? inner.s : s).request(n);
    }

    @Override
    public void cancel() {
        long previous = (long) STATE.getAndBitwiseOr(this, CANCELLED);
        if ((previous & CANCELLED) != 0) {
            return;
        }
        if ((previous & SWITCHED) != 0) {
            inner.s.cancel();
        } else {
            s.cancel();                                   // a switch under way cancels the fallback at install
        }
    }

    /**
     * The source's subscribe threw: the call fails with that error, and may fall back. A
     * JVM-fatal error ends the call, unless it has ended already (the fallback's own rethrow,
     * coming back up through a synchronous source), and propagates.
     */
    void subscribeFailed(Throwable e) {
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
        onError(Operators.onOperatorError(e, actual.currentContext()));
    }

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        long st = state;
        if (key == Attr.PARENT) {
            return (st & SWITCHED) != 0 ? inner.s : s;
        }
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            Inner<T> in = inner;
            return done && (in == null || in.done);
        }
        if (key == Attr.CANCELLED) {
            return (st & CANCELLED) != 0;
        }
        if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
            long c = st & COUNT;
            return c == COUNT ? Long.MAX_VALUE : c;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.SYNC;
        }
        return null;
    }

    /** The fallback publisher's subscriber: demand and cancel reach it through this subscriber's arbiter word. */
    static final class Inner<T> extends FallbackInner<T> {
        final FallbackSubscriber<T> parent;

        Inner(FallbackSubscriber<T> parent, Throwable original) {
            super(parent.actual, original);
            this.parent = parent;
        }

        @Override
        void installed() {
            parent.install(this);
        }

        @Override
        boolean cancelled() {
            return (parent.state & CANCELLED) != 0;
        }

        @Override
        Scannable owner() {
            return parent;
        }
    }
}
