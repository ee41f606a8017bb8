package dev.ninelives.reactor;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

/*
 * A strict Reactive Streams checker for one subscription: a pass-through CoreSubscriber (and
 * the Subscription it hands downstream) that records every breach of the rules about the ORDER
 * of signals, without changing them. Put one between two operators and it tells which of the
 * two emitted a bad sequence.
 *
 * What it records, per subscription:
 *   1.9   a signal before onSubscribe was called ("before onSubscribe"); a signal from another
 *         thread while onSubscribe has been entered and has not returned, and nothing was
 *         requested or cancelled inside it yet ("during onSubscribe on another thread"). After
 *         such a request the same thing is Reactor's usual tolerance (publishOn answers a
 *         request made inside onSubscribe from its own thread at once): it is only noted.
 *   1.3   two signals at once on two threads (onSubscribe included)
 *   1.7   a signal after onComplete / onError
 *   2.5   a second onSubscribe
 *   1.1   more onNext than requested
 * onSubscribe records both its entry and its return, so a signal that arrives concurrently
 * with onSubscribe is told apart from one that arrives before it. A signal made on the same
 * thread from inside onSubscribe (a synchronous emission answering a request made there) is
 * legal and not recorded.
 *
 * Each subscription keeps a short trace (event, thread) of its first signals, formatted only
 * when a breach is recorded; the breach count per (checkpoint, rule) and a few sample traces
 * go to a shared Findings.
 *
 * Public, with its Findings and checkpoint(), for the Reactive Streams TCK classes of the tck
 * package, which put one behind every publisher they verify.
 */
public final class SignalCheck<T> implements CoreSubscriber<T>, Subscription {

    /** Counts and samples of breaches, shared by every checker of a run. */
    public static final class Findings {
        private static final int SAMPLES_PER_KIND = 5;

        final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> sampled = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
        private final Consumer<String> onBreach;

        /** Findings that are only counted, for the caller to look at when its run is over. */
        public Findings() {
            this(breach -> { });
        }

        /**
         * Findings that also tell {@code onBreach} of each breach as it is recorded, on the thread
         * that saw it ("checkpoint: rule, trace: ..."): the TCK classes pass their
         * TestEnvironment's {@code flop}, so the TCK test during which a rule broke fails with it.
         */
        public Findings(Consumer<String> onBreach) {
            this.onBreach = onBreach;
        }

        void record(String where, String rule, String trace) {
            String kind = where + ": " + rule;
            onBreach.accept(kind + ", trace: " + trace);
            counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
            if (sampled.computeIfAbsent(kind, k -> new AtomicInteger()).getAndIncrement() < SAMPLES_PER_KIND) {
                samples.add(kind + "\n      trace: " + trace);
            }
        }

        /** Breach counts by "checkpoint: rule", sorted. */
        public Map<String, Long> summary() {
            Map<String, Long> m = new TreeMap<>();
            counts.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }

        final Map<String, LongAdder> notes = new ConcurrentHashMap<>();

        void note(String what) {
            notes.computeIfAbsent(what, k -> new LongAdder()).increment();
        }

        /** Breach counts of the checkpoints named, by "checkpoint: rule". */
        Map<String, Long> breachesAt(String... checkpoints) {
            Map<String, Long> m = new TreeMap<>();
            counts.forEach((k, v) -> {
                for (String c : checkpoints) {
                    if (k.startsWith(c + ": ")) {
                        m.put(k, v.sum());
                    }
                }
            });
            return m;
        }

        public List<String> samples() {
            return new ArrayList<>(samples);
        }
    }

    /**
     * A pass-through operator that checks what {@code checkpoint}'s upstream emits; for
     * {@code transform}, a Mono stays a Mono and a Flux a Flux.
     */
    public static <T> Function<Publisher<T>, Publisher<T>> checkpoint(String checkpoint, Findings findings) {
        Function<? super Publisher<T>, ? extends Publisher<T>> lift =
                Operators.<T, T>lift((scannable, actual) -> new SignalCheck<>(checkpoint, findings, actual));
        return lift::apply;
    }

    // events of the trace
    private static final byte SUBSCRIBE_IN = 1;
    private static final byte SUBSCRIBE_OUT = 2;
    private static final byte SUBSCRIBE_THREW = 3;
    private static final byte NEXT = 4;
    private static final byte ERROR = 5;
    private static final byte COMPLETE = 6;
    private static final byte REQUEST = 7;
    private static final byte CANCEL = 8;
    private static final String[] EVENT = {"?", "onSubscribe>", "onSubscribe<", "onSubscribe!", "onNext", "onError",
            "onComplete", "request", "cancel"};
    private static final int TRACE = 16;

    // onSubscribe progress
    private static final int NOT_SUBSCRIBED = 0;
    private static final int SUBSCRIBING = 1;
    private static final int SUBSCRIBED = 2;

    private static final VarHandle SIGNALLING;
    private static final VarHandle PHASE;
    private static final VarHandle TRACE_INDEX;
    private static final VarHandle REQUESTED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SIGNALLING = l.findVarHandle(SignalCheck.class, "signalling", Thread.class);
            PHASE = l.findVarHandle(SignalCheck.class, "phase", int.class);
            TRACE_INDEX = l.findVarHandle(SignalCheck.class, "traceIndex", int.class);
            REQUESTED = l.findVarHandle(SignalCheck.class, "requested", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String checkpoint;
    final Findings findings;
    final CoreSubscriber<? super T> actual;
    volatile Subscription s;
    volatile int phase;
    volatile Thread subscribingThread;
    volatile boolean askedInOnSubscribe;    // request or cancel made while onSubscribe ran
    volatile Thread signalling;             // the thread inside a signal right now
    int depth;                              // re-entrant signals of that thread (only it touches this)
    volatile String terminal;               // "onComplete" / "onError" once terminated
    volatile long requested;
    long delivered;                         // onNext count; signals are serial unless 1.3 is broken
    volatile int traceIndex;
    private final byte[] events = new byte[TRACE];
    private final Thread[] threads = new Thread[TRACE];

    SignalCheck(String checkpoint, Findings findings, CoreSubscriber<? super T> actual) {
        this.checkpoint = checkpoint;
        this.findings = findings;
        this.actual = actual;
        Queue<SignalCheck<?>> call = actual.currentContext().getOrDefault(CALL, null);
        if (call != null) {
            call.add(this);
        }
    }

    /**
     * The Context key of a call's queue of checkers: each checker of the call adds itself, so
     * the traces of a call that went wrong can be printed together.
     */
    static final String CALL = "ninelives.signalcheck.call";

    private void trace(byte event) {
        int i = (int) TRACE_INDEX.getAndAdd(this, 1);
        if (i < TRACE) {
            threads[i] = Thread.currentThread();
            events[i] = event;
        }
    }

    String trace() {
        StringBuilder b = new StringBuilder();
        int n = Math.min(traceIndex, TRACE);
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            byte e = events[i];
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(t == null ? "?" : t.getName()).append(':').append(EVENT[e]);
        }
        if (traceIndex > TRACE) {
            b.append(", ...");
        }
        return b.toString();
    }

    private void breach(String rule) {
        findings.record(checkpoint, rule, trace());
    }

    /** Enters a signal: records a concurrent one (1.3); true if this thread is now the one signalling. */
    private boolean enter(String signal) {
        Thread me = Thread.currentThread();
        Thread other = (Thread) SIGNALLING.compareAndExchange(this, null, me);
        if (other == null) {
            return true;
        }
        if (other == me) {
            depth++;                                   // re-entrant: a signal from inside another, same thread
            return false;
        }
        if (!(phase == SUBSCRIBING && other == subscribingThread)) {   // that case is recorded as 1.9 instead
            breach("1.3 " + signal + " while another thread is inside a signal");
        }
        return false;
    }

    private void exit(boolean owner) {
        if (owner) {
            SIGNALLING.setRelease(this, null);
        } else if (signalling == Thread.currentThread() && depth > 0) {
            depth--;
        }
    }

    /** The order checks shared by onNext, onError and onComplete. */
    private void checkOrder(String signal) {
        int p = phase;
        if (p == NOT_SUBSCRIBED) {
            breach("1.9 " + signal + " before onSubscribe");
        } else if (p == SUBSCRIBING && subscribingThread != Thread.currentThread()) {
            if (askedInOnSubscribe) {
                // Reactor's tolerance: a subscriber that requests inside onSubscribe may be
                // called back from the thread the request woke (publishOn does it) before its
                // onSubscribe has returned. Noted, not a breach.
                findings.note(checkpoint + ": " + signal + " on another thread after a request inside onSubscribe");
            } else {
                breach("1.9 " + signal + " during onSubscribe on another thread, nothing requested yet");
            }
        }
        String t = terminal;
        if (t != null) {
            breach("1.7 " + signal + " after " + t);
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        trace(SUBSCRIBE_IN);
        boolean owner = enter("onSubscribe");
        try {
            if (!PHASE.compareAndSet(this, NOT_SUBSCRIBED, SUBSCRIBING)) {
                breach("2.5 second onSubscribe");
                s.cancel();
                return;
            }
            subscribingThread = Thread.currentThread();
            this.s = s;
            try {
                actual.onSubscribe(this);
            } catch (Throwable e) {
                trace(SUBSCRIBE_THREW);
                PHASE.setVolatile(this, SUBSCRIBED);
                throw e;
            }
            trace(SUBSCRIBE_OUT);
            PHASE.setVolatile(this, SUBSCRIBED);
        } finally {
            exit(owner);
        }
    }

    @Override
    public void onNext(T t) {
        trace(NEXT);
        boolean owner = enter("onNext");
        try {
            checkOrder("onNext");
            long d = ++delivered;
            long r = requested;
            if (d > r && r != Long.MAX_VALUE) {
                breach("1.1 onNext beyond demand");
            }
            actual.onNext(t);
        } finally {
            exit(owner);
        }
    }

    @Override
    public void onError(Throwable t) {
        trace(ERROR);
        boolean owner = enter("onError");
        try {
            checkOrder("onError");
            terminal = "onError";
            actual.onError(t);
        } finally {
            exit(owner);
        }
    }

    @Override
    public void onComplete() {
        trace(COMPLETE);
        boolean owner = enter("onComplete");
        try {
            checkOrder("onComplete");
            terminal = "onComplete";
            actual.onComplete();
        } finally {
            exit(owner);
        }
    }

    @Override
    public void request(long n) {
        trace(REQUEST);
        if (phase == SUBSCRIBING) {
            askedInOnSubscribe = true;
        }
        for (;;) {
            long r = requested;
            if (REQUESTED.compareAndSet(this, r, Operators.addCap(r, n))) {
                break;
            }
        }
        s.request(n);
    }

    @Override
    public void cancel() {
        trace(CANCEL);
        if (phase == SUBSCRIBING) {
            askedInOnSubscribe = true;
        }
        s.cancel();
    }

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }
}
