package dev.ninelives.jmh;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one and only terminal subscriber of the benchmarks: every impl, every scenario and the
 * smoke test's correctness checks subscribe with this class and no other, so the JIT sees one
 * terminal subscriber type at every call site ({@code onNext}, {@code onComplete} ...), whatever
 * is measured. A second subscriber type (a lambda subscriber, {@code block()}, StepVerifier)
 * would make those sites bimorphic and warp the comparison.
 *
 * <p>It requests {@code Long.MAX_VALUE} in {@code onSubscribe} and sinks every signal into a
 * {@link Blackhole}. It is reusable: a benchmark calls {@link #reset()} and then subscribes it
 * again. It is a per-thread JMH state, so {@code @Threads(2)} gets one per thread. The sources
 * are synchronous; the one pipeline that ends on another thread (Resilience4j's retry, which
 * always resubscribes from {@code Schedulers.parallel()}) is waited for with
 * {@link #awaitTerminal()}, so a subscription always ends before the next starts. The terminal
 * signals are written with release semantics for that waiter: on x86 a plain store, so the
 * synchronous benchmarks pay nothing for it.
 */
@State(Scope.Thread)
public class BenchSubscriber implements CoreSubscriber<Object> {

    private static final VarHandle ERROR;
    private static final VarHandle COMPLETED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ERROR = l.findVarHandle(BenchSubscriber.class, "error", Throwable.class);
            COMPLETED = l.findVarHandle(BenchSubscriber.class, "completed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How long {@link #awaitTerminal()} waits before it declares the pipeline stuck. */
    private static final long AWAIT_LIMIT_NANOS = 10_000_000_000L;

    private Blackhole bh;

    /** Number of {@code onNext} signals since the last reset. */
    int count;
    /** The last value received since the last reset. */
    Object last;
    /** The error received since the last reset, or null. */
    Throwable error;
    /** Whether {@code onComplete} arrived since the last reset. */
    boolean completed;

    /** For JMH: a per-thread instance whose Blackhole is injected by {@link #setup(Blackhole)}. */
    public BenchSubscriber() {
    }

    /**
     * Creates a subscriber that sinks into {@code bh} (for use outside JMH's own states).
     *
     * @param bh the blackhole
     */
    public BenchSubscriber(Blackhole bh) {
        this.bh = bh;
    }

    /**
     * Takes the benchmark thread's Blackhole.
     *
     * @param bh JMH's Blackhole for this thread
     */
    @Setup
    public void setup(Blackhole bh) {
        this.bh = bh;
    }

    /** Forgets the previous subscription's signals; called before every subscribe. */
    public void reset() {
        count = 0;
        last = null;
        error = null;
        completed = false;
    }

    @Override
    public void onSubscribe(Subscription s) {
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(Object t) {
        count++;
        last = t;
        bh.consume(t);
    }

    @Override
    public void onError(Throwable t) {
        bh.consume(t);
        ERROR.setRelease(this, t);
    }

    @Override
    public void onComplete() {
        COMPLETED.setRelease(this, true);
    }

    /**
     * Tells whether {@code onComplete} or {@code onError} arrived since the last reset, on any
     * thread (acquire reads: everything the signalling thread wrote before is visible).
     *
     * @return true once the subscription has terminated
     */
    public boolean terminated() {
        return (boolean) COMPLETED.getAcquire(this) || ERROR.getAcquire(this) != null;
    }

    /**
     * Returns at once if the subscription has terminated, as every synchronous pipeline has when
     * {@code subscribe} returns; otherwise spins until a terminal signal arrives from another
     * thread.
     *
     * @throws IllegalStateException if nothing terminates the subscription within 10 s
     */
    public void awaitTerminal() {
        if (terminated()) {
            return;
        }
        long start = System.nanoTime();
        int spins = 0;
        while (!terminated()) {
            Thread.onSpinWait();
            if ((++spins & 0x3FF) == 0 && System.nanoTime() - start > AWAIT_LIMIT_NANOS) {
                throw new IllegalStateException("no onComplete or onError within 10 s: the pipeline is stuck");
            }
        }
    }

    /** @return the number of values since the last reset */
    public int count() {
        return count;
    }

    /** @return the last value since the last reset, or null */
    public Object last() {
        return last;
    }

    /** @return the error since the last reset, or null */
    public Throwable error() {
        return error;
    }

    /** @return whether the subscription completed since the last reset */
    public boolean completed() {
        return completed;
    }
}
