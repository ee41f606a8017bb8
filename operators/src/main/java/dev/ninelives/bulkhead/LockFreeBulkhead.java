package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.Waiter;
import dev.ninelives.internal.WaitingBulkhead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.Consumer;

/*
 * A lock-free bulkhead: one state word for permits and the queue length, a wait queue, and a
 * drain that hands released permits to waiters.
 *
 * The state word. `state` packs the free permits (high 32 bits, signed: negative after the
 * limit shrank below the calls in flight) and the live waiters (low 32 bits: callers counted
 * into the queue that have neither been granted nor given up). Every decision a newcomer makes
 * is one CAS on it: a permit when no one waits and one is free, else a place in the queue, else
 * a refusal. Because the queue length sits in the same word, a newcomer can never take a permit
 * a waiter is owed: any permit freed while someone waits is seen, by the releasing thread, with
 * that waiter counted, and goes to the drain. A release is one getAndAdd; a call that never
 * waits costs one CAS and one getAndAdd in all.
 *
 * Queueing. admit() counts the place first; the caller then offers its Waiter and runs the
 * drain. Between the two a drain can see the count but no node: it gives the permit it
 * reserved back and stops, and the offerer's own drain, which always follows its offer, picks
 * the waiter up. So a permit is never parked while a live waiter is queued.
 *
 * The drain (serialized by `wip`, as in Reactor's drain loops; whoever increments it from zero
 * runs the loop, everyone else leaves a missed pass): while a permit is free and a waiter is
 * counted, reserve the permit (CAS), poll waiters until one accepts the claim (dead ones are
 * skipped: they gave up and uncounted themselves), uncount it, and start it. A waiter is
 * claimed or gives up by one CAS on its own state, so a cancelled or timed-out waiter can never
 * take a permit away with it, and a claimed one can no longer time out. A granted waiter's call
 * starts on the draining thread; when it ends synchronously its release only increments `wip`,
 * so a long queue of synchronous calls is a loop, never a deep stack.
 *
 * Resizing. The limit is always an Adaptive (the user's, or one made from the int at build
 * time); changeMaxConcurrent sets it. The bulkhead binds to it once, at construction, and then
 * follows it (followLimit): whoever applies a change (the setter's thread, inside the adaptive's
 * notification) reads the limit applied so far, then the adaptive's value, and moves the applied
 * limit there by one CAS of a stamped word, taking the difference from or adding it to the free
 * permits. The order of the two writes is what keeps the bulkhead under every limit it has
 * had: a lowering takes its permits before its CAS (and gives them back if the CAS lost), a
 * raise adds them after its CAS. So the permits in the state word never stand for more than the
 * limit applied. (A first version added each change's own difference, new - old, as it was
 * announced: the sum came out right in the end, but concurrent changes are announced in any
 * order, and a raise 1 -> 6 applied before the lowering 3 -> 1 that preceded it stood for a limit
 * of 8 for a moment; AdaptiveLimitTest saw 7 calls under a maximum of 6.) Until the binding, the
 * state word holds no permit, and the applied limit is 0. Shrinking can drive the free permits
 * negative, and releases then refill the deficit before any permit is free again. Growth runs
 * the drain. Nothing is lost or invented: every permit change is one atomic add of a known
 * amount. The hot path reads only the state word: the limit is in it.
 *
 * The wait. maxWait is an Adaptive too, read (through a view in nanoseconds, computed once per
 * change) only by a caller that cannot have a permit at once, and by the Reactor bridge when a
 * wait starts: each wait keeps the deadline it started with. The shared WAIT_TIMED_OUT exception
 * quotes a wait, so it is re-made on each change; a wait that started before a change and times
 * out after it gets a new exception that quotes its own wait (timedOut(nanos)).
 *
 * Listeners and errors. Listeners run through Guard, which logs what they throw; only a
 * JVM-fatal error (or the logger's own failure) comes out, and it is rethrown only once this
 * bulkhead's state is whole: a refusal is counted before it is announced; a permit whose
 * announcement fails is given back (tryAcquire, announce) or withdrawn from its waiter and handed
 * on (the drain); a release returns the permit before the finished listeners run; the drain
 * finishes its loop before it rethrows; a change of the limit is applied inside the adaptive's
 * guarded notification, so what its drain rethrows reaches the caller of set() (or of
 * changeMaxConcurrent) once the adaptive's listeners ran, and a non-fatal one, which only a
 * waiter outside the Reactor bridge can throw, is logged there. admit() only decides and counts, and announce() tells
 * the listeners afterwards, so that the Reactor bridge can signal its subscriber whatever a
 * listener throws.
 *
 * Dead nodes. Waiters that gave up stay in the queue until polled; when they outnumber the live
 * ones (and are more than PURGE_AT), the drain purges them, which bounds the garbage a long
 * overload can leave (see WaitQueue). Once no live waiter is left, the drain purges whatever
 * dead ones remain, and the last live waiter to give up runs the drain for that: a dead node
 * is the caller's waiter (in the Reactor bridge, its subscriber and everything downstream of
 * it), and a queue nobody polls again would keep it for as long as the bulkhead lives, where
 * Reactive Streams (rule 3.13) asks that a cancelled subscriber be let go. While live waiters
 * remain, the dead ones among them go when the drain polls past them, or at the purge that
 * follows the last live one's grant or departure.
 */
final class LockFreeBulkhead implements Bulkhead, WaitingBulkhead, Bindings.Owner {

    private static final VarHandle STATE;
    private static final VarHandle WIP;
    private static final VarHandle DEAD;
    private static final VarHandle REJECTED;
    private static final VarHandle LIMIT;
    private static final VarHandle PERMITTED_LISTENERS;
    private static final VarHandle REJECTED_LISTENERS;
    private static final VarHandle FINISHED_LISTENERS;
    private static final VarHandle WAIT_TIMER;
    private static final VarHandle TIMED_OUT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(LockFreeBulkhead.class, "state", long.class);
            WIP = l.findVarHandle(LockFreeBulkhead.class, "wip", int.class);
            DEAD = l.findVarHandle(LockFreeBulkhead.class, "dead", int.class);
            REJECTED = l.findVarHandle(LockFreeBulkhead.class, "rejected", long.class);
            LIMIT = l.findVarHandle(LockFreeBulkhead.class, "limit", long.class);
            PERMITTED_LISTENERS = l.findVarHandle(LockFreeBulkhead.class, "permittedListeners", Consumer[].class);
            REJECTED_LISTENERS = l.findVarHandle(LockFreeBulkhead.class, "rejectedListeners", Consumer[].class);
            FINISHED_LISTENERS = l.findVarHandle(LockFreeBulkhead.class, "finishedListeners", Consumer[].class);
            WAIT_TIMER = l.findVarHandle(LockFreeBulkhead.class, "waitTimer", Object.class);
            TIMED_OUT = l.findVarHandle(LockFreeBulkhead.class, "timedOut", TimedOut.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One free permit in the state word. */
    private static final long PERMIT = 1L << 32;
    /** Dead waiters tolerated before a purge is considered. */
    static final int PURGE_AT = 64;

    @SuppressWarnings("unchecked")
    private static final Consumer<? super BulkheadEvent>[] NONE = new Consumer[0];

    private final BulkheadConfig config;
    /** Its bindings to the adaptive settings, released when a registry lets go of it. */
    private final Bindings bindings = new Bindings();
    private final String name;
    private final int maxQueued;
    /** The wait in force, in nanoseconds: a view of the config's adaptive maxWait. */
    private final Adaptive<Long> maxWaitNanos;
    private final WaitQueue queue;
    private final BulkheadFullException full;
    private final BulkheadFullException queueFull;
    /** The shared WAIT_TIMED_OUT rejection of the wait in force, replaced on a change of maxWait. */
    private volatile TimedOut timedOut;

    private volatile long state;          // free permits (high, signed) | live waiters (low)
    private volatile int wip;             // the drain's work-in-progress counter
    private volatile int dead;            // waiters that gave up and may still sit in the queue
    private volatile long rejected;
    /** The limit applied to the state word (low 32 bits) and how many steps applied it (high): see the header. */
    private volatile long limit;
    private volatile Consumer<? super BulkheadEvent>[] permittedListeners = NONE;
    private volatile Consumer<? super BulkheadEvent>[] rejectedListeners = NONE;
    private volatile Consumer<? super BulkheadEvent>[] finishedListeners = NONE;
    private volatile Object waitTimer;    // the Reactor bridge's shared timer of waits, opaque here
    /** Moves the limit from the calls' latency; null for a limit that moves only when set. */
    private final AdaptiveLimiter limiter;

    LockFreeBulkhead(BulkheadConfig config) {
        this.config = config;
        this.name = config.name();
        this.maxQueued = config.maxQueued();
        this.queue = WaitQueue.of(config.queueOrder());
        Adaptive<AdaptiveLimit> adaptive = config.adaptiveLimitSetting();
        this.limiter = adaptive == null ? null : new AdaptiveLimiter(name, adaptive, config.maxConcurrentSetting(), config.ticker());
        this.full = newRejection(BulkheadFullException.Reason.FULL);
        this.queueFull = newRejection(BulkheadFullException.Reason.QUEUE_FULL);
        // the wait: checked from now on, read through a view computed once per change, and its
        // timeout's exception re-made on each change so that its message stays true
        Adaptive<Duration> wait = config.maxWaitSetting();
        checkLimit(config.maxConcurrentSetting().get());   // a bad limit fails the build before the wait is bound
        AdaptiveBinding.bind(wait, this::checkWait, this::applyWait, bindings);
        this.maxWaitNanos = AdaptiveBinding.map(wait, Check::nanos, bindings);
        long w = maxWaitNanos.get();
        TIMED_OUT.compareAndSet(this, null, new TimedOut(w, newTimedOut(w)));   // unless a change came first
        // last: from here on a change of the limit may be applied by another thread
        AdaptiveBinding.bind(config.maxConcurrentSetting(), this::checkLimit, this::applyLimit, bindings);
        followLimit();                                // from 0 to the value now in force (a change may have come first)
        if (limiter != null) {
            limiter.attach(this, bindings);           // last: a change of the specification may clamp the limit
        }
    }

    /** The adaptive limit's limiter, or null; for tests. */
    AdaptiveLimiter limiter() {
        return limiter;
    }

    /** The calls holding a permit now (a moment's view while the limit changes). */
    int inFlight() {
        return Math.max(0, maxConcurrent() - permits(state));
    }

    @Override
    public boolean timesCalls() {
        return limiter != null;
    }

    @Override
    public long callStarted() {
        return limiter.now();
    }

    /*
     * The permit goes back first, so that a fatal error from the limit's change (a listener of
     * the adaptive) propagates only once this bulkhead is whole; then the sample is recorded,
     * even if the release rethrew a granted waiter's or a listener's error.
     */
    @Override
    public void release(long startedAt, boolean failed) {
        try {
            release();
        } finally {
            limiter.record(startedAt, failed);
        }
    }

    /*
     * The plain-Java way to feed the adaptive limit: the permit goes back first (whatever the
     * argument), then the sample is recorded as if the call had started `latency` ago.
     */
    @Override
    public void release(Duration latency, boolean failed) {
        try {
            release();
        } finally {
            java.util.Objects.requireNonNull(latency, "latency");
            if (latency.isNegative()) {
                throw new IllegalArgumentException("latency of a call through bulkhead '" + name
                        + "' must be zero or positive, but was " + latency);
            }
        }
        if (limiter != null) {
            limiter.record(limiter.now() - Math.min(Check.nanos(latency), AdaptiveLimiter.MAX_SAMPLE_NANOS), failed);
        }
    }

    /** Not API (see {@link Bindings}): the bulkhead's bindings to its adaptive settings. */
    @Override
    public Bindings bindings() {
        return bindings;
    }

    /** Refuses a limit this bulkhead cannot take; run by the adaptive before it publishes a value. */
    private void checkLimit(Integer limit) {
        if (limit < 1 || limit > BulkheadBuilder.MAX_CONCURRENT) {
            throw new IllegalArgumentException("maxConcurrent of bulkhead '" + name + "' must be between 1 and "
                    + BulkheadBuilder.MAX_CONCURRENT + ", but was " + limit);
        }
    }

    /** Refuses a wait this bulkhead cannot take; run by the adaptive before it publishes a value. */
    private void checkWait(Duration wait) {
        if (wait.isNegative()) {
            throw new IllegalArgumentException("maxWait of bulkhead '" + name + "' must be zero or positive, but was " + wait);
        }
    }

    /**
     * Follows a change of the wait: the shared timeout exception is re-made for the value now in
     * force (read from the adaptive, not taken from the change, which concurrent changes may
     * announce out of order). Waits read the value themselves, when they start.
     */
    private void applyWait(Adaptive.Change<Duration> change) {
        for (;;) {
            TimedOut t = timedOut;
            long w = Check.nanos(config.maxWait());
            if (t != null && t.nanos == w) {
                return;
            }
            if (TIMED_OUT.compareAndSet(this, t, new TimedOut(w, newTimedOut(w)))) {
                return;
            }
        }
    }

    /** A WAIT_TIMED_OUT rejection and the wait its message quotes. */
    private static final class TimedOut {
        final long nanos;
        final BulkheadFullException exception;

        TimedOut(long nanos, BulkheadFullException exception) {
            this.nanos = nanos;
            this.exception = exception;
        }
    }

    /** Follows a change of the limit (whatever change it is told of: it applies the value in force). */
    private void applyLimit(Adaptive.Change<Integer> change) {
        followLimit();
    }

    /** The limit applied to the free permits now. */
    private int maxConcurrent() {
        return (int) limit;
    }

    /**
     * Moves the limit applied to the free permits to the adaptive's value: see "Resizing" in the
     * header. Each step is one CAS of the applied limit (stamped, so no ABA) from a value read
     * before the target, so a step that wins never goes back to an older value; a lowering
     * takes its permits from the state word before its CAS (and gives them back if it lost), a
     * raise adds them after its CAS. Returns once the applied limit equals the value in force.
     */
    private void followLimit() {
        Adaptive<Integer> setting = config.maxConcurrentSetting();
        for (;;) {
            long applied = limit;
            int target = setting.get();
            long delta = (long) target - (int) applied;
            if (delta == 0) {
                return;
            }
            long next = ((applied >>> 32) + 1L) << 32 | (target & 0xFFFFFFFFL);
            if (delta < 0) {
                STATE.getAndAdd(this, delta * PERMIT);     // the permits go first...
                if (!LIMIT.compareAndSet(this, applied, next)) {
                    long s = (long) STATE.getAndAdd(this, -delta * PERMIT);   // ...and come back if the step lost
                    if (waiters(s) != 0) {
                        drain();
                    }
                }
            } else if (LIMIT.compareAndSet(this, applied, next)) {
                long s = (long) STATE.getAndAdd(this, delta * PERMIT);        // a raise adds them after its step
                if (waiters(s) != 0) {
                    drain();
                }
            }
        }
    }

    private static int permits(long s) {
        return (int) (s >> 32);
    }

    private static int waiters(long s) {
        return (int) s;
    }

    // ---------------------------------------------------------------- permits

    @Override
    public boolean tryAcquire() {
        for (;;) {
            long s = state;
            if (waiters(s) != 0 || permits(s) <= 0) {
                REJECTED.getAndAdd(this, 1L);
                announceRejected(BulkheadFullException.Reason.FULL);
                return false;
            }
            if (STATE.compareAndSet(this, s, s - PERMIT)) {
                permittedOrGiveBack();
                return true;
            }
        }
    }

    @Override
    public int admit() {
        for (;;) {
            long s = state;
            int waiting = waiters(s);
            if (waiting == 0 && permits(s) > 0) {
                if (STATE.compareAndSet(this, s, s - PERMIT)) {
                    return PERMITTED;
                }
            } else if (maxWaitNanos.get() == 0L) {      // read only by a caller that cannot have a permit now
                REJECTED.getAndAdd(this, 1L);
                return REJECTED_FULL;
            } else if (waiting >= maxQueued) {
                REJECTED.getAndAdd(this, 1L);
                return REJECTED_QUEUE_FULL;
            } else if (STATE.compareAndSet(this, s, s + 1)) {
                return QUEUED;
            }
            // lost a race with another caller, a release or a resize: decide again
        }
    }

    @Override
    public void announce(int admitted) {
        switch (admitted) {
            case PERMITTED:
                permittedOrGiveBack();
                break;
            case REJECTED_FULL:
                announceRejected(BulkheadFullException.Reason.FULL);
                break;
            case REJECTED_QUEUE_FULL:
                announceRejected(BulkheadFullException.Reason.QUEUE_FULL);
                break;
            default:
                throw new IllegalArgumentException("admitted must be PERMITTED or a refusal code, but was " + admitted);
        }
    }

    @Override
    public void enqueue(Waiter waiter) {
        queue.offer(waiter);
        drain();
    }

    @Override
    public void leave(boolean timedOut) {
        long s = (long) STATE.getAndAdd(this, -1L);
        int d = (int) DEAD.getAndAdd(this, 1) + 1;
        try {
            // the last live waiter left (s still counts it): the drain drops the dead nodes,
            // which hold their callers; otherwise only past the bound
            if (waiters(s) == 1 || (d > PURGE_AT && d > waiters(s))) {
                drain();
            }
        } finally {
            if (timedOut) {                            // last, and even if the drain rethrows a granted call's error
                REJECTED.getAndAdd(this, 1L);
                announceRejected(BulkheadFullException.Reason.WAIT_TIMED_OUT);
            }
        }
    }

    @Override
    public void release() {
        try {
            giveBack();
        } finally {                                    // announced even if the drain rethrows a granted call's error
            Consumer<? super BulkheadEvent>[] listeners = finishedListeners;
            if (listeners.length != 0) {
                Guard.notifyAll(name, listeners, new BulkheadEvent(name, BulkheadEvent.Type.FINISHED, null, 0L));
            }
        }
    }

    /** Returns one permit: to the drain, for the next waiter, if anyone waits. */
    private void giveBack() {
        long s = (long) STATE.getAndAdd(this, PERMIT);
        if (waiters(s) != 0) {
            drain();
        }
    }

    @Override
    public void changeMaxConcurrent(int newMax) {
        config.maxConcurrentSetting().set(newMax);      // checked by checkLimit, applied by applyLimit
    }

    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;                                    // the running drain makes another pass
        }
        int missed = 1;
        Throwable failure = null;
        for (;;) {
            failure = grantWhilePermitsAndWaiters(failure);
            int d = dead;
            if (d > 0) {
                int live = waiters(state);
                if (live == 0 || (d > PURGE_AT && d > live)) {   // nobody left to poll past them, or too many
                    DEAD.getAndAdd(this, -queue.purge());
                }
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                break;
            }
        }
        if (failure != null) {
            throw LockFreeBulkhead.<RuntimeException>rethrow(failure);
        }
    }

    /** The error a drain rethrows: the first one; a later one is attached to it as suppressed. */
    private static Throwable first(Throwable failure, Throwable t) {
        if (failure == null) {
            return t;
        }
        if (failure != t) {
            failure.addSuppressed(t);
        }
        return failure;
    }

    /** Rethrows {@code t} as it is, checked or not (a granted call may throw a checked exception undeclared). */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E rethrow(Throwable t) throws E {
        throw (E) t;
    }

    /*
     * A granted waiter's call or a permitted listener may throw (only a JVM-fatal error gets
     * past the bridge and Guard). The drain keeps going, so `wip` returns to zero and no waiter
     * is stranded, and the first such error is rethrown once the drain is done. A waiter whose
     * permitted event threw never starts its call: it is withdrawn and its permit goes on to the
     * next waiter in this same loop, exactly as a call that never ran must not hold one. Its own
     * cancel may have raced the claim and returned the permit already; withdraw() tells which.
     */
    private Throwable grantWhilePermitsAndWaiters(Throwable failure) {
        for (;;) {
            long s = state;
            if (waiters(s) == 0 || permits(s) <= 0) {
                return failure;
            }
            if (!STATE.compareAndSet(this, s, s - PERMIT)) {
                continue;                              // reserve the permit for the next waiter
            }
            Waiter w;
            for (;;) {
                w = queue.poll();
                if (w == null || w.claim()) {
                    break;
                }
                DEAD.getAndAdd(this, -1);              // gave up; it already uncounted itself
            }
            if (w == null) {
                // the counted waiter has not been offered yet: its offerer drains after offering
                STATE.getAndAdd(this, PERMIT);
                return failure;
            }
            STATE.getAndAdd(this, -1L);                // claimed: no longer waiting
            Throwable fatal = announcePermitted(w);
            if (fatal == null) {
                try {
                    w.granted();
                } catch (Throwable t) {
                    failure = first(failure, t);
                }
                continue;
            }
            failure = first(failure, fatal);
            if (w.withdraw()) {
                STATE.getAndAdd(this, PERMIT);         // the call never starts: the permit goes to the next waiter
                try {
                    w.failed(fatal);
                } catch (Throwable t) {
                    failure = first(failure, t);
                }
            }
        }
    }

    /** Tells the permitted listeners about a waiter's permit; returns what they threw (only a fatal error gets out of Guard), or null. */
    private Throwable announcePermitted(Waiter w) {
        Consumer<? super BulkheadEvent>[] listeners = permittedListeners;
        if (listeners.length == 0) {
            return null;
        }
        try {
            long waited = Math.max(0L, config.ticker().read() - w.queuedAtNanos());
            Guard.notifyAll(name, listeners, new BulkheadEvent(name, BulkheadEvent.Type.PERMITTED, null, waited));
            return null;
        } catch (Throwable fatal) {
            return fatal;
        }
    }

    // ---------------------------------------------------------------- refusals and events

    private BulkheadFullException newRejection(BulkheadFullException.Reason reason) {
        String why;
        switch (reason) {
            case FULL:
                why = "every permit is taken and waiting is off";
                break;
            case QUEUE_FULL:
                why = "every permit is taken and " + config.maxQueued() + " callers already wait";
                break;
            case WAIT_TIMED_OUT:
                return newTimedOut(Check.nanos(config.maxWait()));
            default:
                throw new IllegalStateException("invalid reason: " + reason);
        }
        return new BulkheadFullException(name, reason, "Bulkhead '" + name + "' is full: " + why,
                config.rejectionStackTraces());
    }

    private BulkheadFullException newTimedOut(long waitNanos) {
        return new BulkheadFullException(name, BulkheadFullException.Reason.WAIT_TIMED_OUT, "Bulkhead '" + name
                + "' is full: no permit came within " + Duration.ofNanos(waitNanos), config.rejectionStackTraces());
    }

    @Override
    public BulkheadFullException timedOut(long waitNanos) {
        TimedOut t = timedOut;
        if (t != null && t.nanos == waitNanos && !config.rejectionStackTraces()) {
            return t.exception;
        }
        return newTimedOut(waitNanos);
    }

    @Override
    public BulkheadFullException rejection() {
        return rejection(REJECTED_FULL);
    }

    @Override
    public BulkheadFullException rejection(int admitted) {
        BulkheadFullException shared;
        switch (admitted) {
            case REJECTED_FULL:
                shared = full;
                break;
            case REJECTED_QUEUE_FULL:
                shared = queueFull;
                break;
            case -1:
                return timedOut(maxWaitNanos());
            default:
                throw new IllegalArgumentException("admitted must be a refusal code, but was " + admitted);
        }
        return config.rejectionStackTraces() ? newRejection(shared.reason()) : shared;
    }

    @Override
    public Object waitTimer() {
        return waitTimer;
    }

    @Override
    public boolean casWaitTimer(Object expected, Object timer) {
        return WAIT_TIMER.compareAndSet(this, expected, timer);
    }

    @Override
    public long maxWaitNanos() {
        return maxWaitNanos.get();
    }

    /** Announces a permit taken without waiting; a listener's fatal error gives the permit back first. */
    private void permittedOrGiveBack() {
        Consumer<? super BulkheadEvent>[] listeners = permittedListeners;
        if (listeners.length != 0) {
            try {
                Guard.notifyAll(name, listeners, new BulkheadEvent(name, BulkheadEvent.Type.PERMITTED, null, 0L));
            } catch (Throwable fatal) {
                giveBack();
                throw fatal;
            }
        }
    }

    /** Tells the rejected listeners about a refusal, which the caller has counted already. */
    private void announceRejected(BulkheadFullException.Reason reason) {
        Consumer<? super BulkheadEvent>[] listeners = rejectedListeners;
        if (listeners.length != 0) {
            Guard.notifyAll(name, listeners, new BulkheadEvent(name, BulkheadEvent.Type.REJECTED, reason, 0L));
        }
    }

    @Override
    public void onPermitted(Consumer<? super BulkheadEvent> listener) {
        register(PERMITTED_LISTENERS, listener);
    }

    @Override
    public void onRejected(Consumer<? super BulkheadEvent> listener) {
        register(REJECTED_LISTENERS, listener);
    }

    @Override
    public void onFinished(Consumer<? super BulkheadEvent> listener) {
        register(FINISHED_LISTENERS, listener);
    }

    @SuppressWarnings("unchecked")
    private void register(VarHandle listeners, Consumer<? super BulkheadEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<Object>[] current = (Consumer<Object>[]) listeners.getVolatile(this);
            if (listeners.compareAndSet(this, current, Guard.append(current, (Consumer<Object>) (Consumer<?>) listener))) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- reading

    @Override
    public String name() {
        return name;
    }

    @Override
    public BulkheadConfig config() {
        return config;
    }

    @Override
    public BulkheadMetrics metrics() {
        long s = state;
        return new BulkheadMetrics(maxConcurrent(), permits(s), waiters(s), rejected);
    }

    @Override
    public String toString() {
        long s = state;
        return "Bulkhead{" + name + ", maxConcurrent=" + maxConcurrent() + ", free=" + permits(s)
                + ", queued=" + waiters(s) + '}';
    }
}
