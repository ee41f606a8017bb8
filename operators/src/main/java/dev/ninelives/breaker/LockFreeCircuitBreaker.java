package dev.ninelives.breaker;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/*
 * The circuit breaker's state machine: one long, moved only by CAS.
 *
 * The state word
 *   bits  0..2   state        (CLOSED, OPEN, HALF_OPEN, FORCED_OPEN, DISABLED, METRICS_ONLY, DECIDING)
 *   bits  3..7   openings     consecutive openings since the breaker was last CLOSED (saturates at 31)
 *   bits  8..23  epoch        incremented by every transition, modulo 2^16
 *   bits 24..33  admitted     HALF_OPEN: trial permits out or recorded (not released)
 *   bits 34..43  recorded     HALF_OPEN: trial outcomes recorded
 *   bits 44..53  failed       HALF_OPEN: recorded trials that failed
 *   bits 54..63  slow         HALF_OPEN: recorded trials that were slow
 * A transition is exactly one successful CAS from the old word to a word with the new state
 * and the next epoch. A permit is (epoch << 3 | state it was granted in): the outcome of a
 * permit is applied only while the word (HALF_OPEN) or the phase (CLOSED, METRICS_ONLY) still
 * carries that epoch, so an outcome that arrives after a transition never counts against the
 * new state. The epoch wraps after 65,536 transitions; a call would have to outlive that many
 * transitions for its outcome to be misattributed. A refusal is the complement of the refusing
 * word's permit (~(epoch << 3 | state), always negative), so rejection(refusal) can name the state
 * that refused even after the breaker has moved on.
 *
 * HALF_OPEN is exact because its whole bookkeeping lives in the word: acquiring is a CAS that
 * increments admitted only while admitted < permitted; recording is a CAS that increments
 * recorded (and failed / slow) and, when the trials are complete, also moves to DECIDING in
 * that same CAS; releasing is a CAS that decrements admitted. DECIDING (outside, HALF_OPEN)
 * holds the final counts and takes nothing more: the next CAS, by whoever reads it first,
 * moves it to CLOSED or OPEN against the thresholds read just before (decide). Whoever races,
 * exactly `permitted` trials are admitted, the trials are completed once, by the CAS that
 * records the last trial, and a released (cancelled, ignored) trial frees its slot, so
 * HALF_OPEN cannot get stuck while calls keep arriving. DECIDING exists for the adaptive
 * threshold: a change of it helps decide a DECIDING word before it returns, so a decision
 * taken with a replaced threshold cannot land after the change that replaced it (a test found
 * exactly that when the last record decided in its own CAS: it read the old threshold, the
 * change returned, the state still read HALF_OPEN, and then the record's CAS opened the
 * breaker with the old threshold).
 *
 * Adaptive settings. The thresholds, the slow-call duration, the open duration and `permitted`
 * may change while the breaker runs: their values in force are one immutable Tuning in the
 * config, read with one volatile load where a path needs one (HALF_OPEN acquire and record; an
 * outcome with slow calls on; a window judged past its minimum) and replaced by the appliers
 * of the adaptive bindings. The CLOSED acquire of a healthy window never reads it. `permitted`
 * is not in the word (there is no room), so the trials are complete when every admitted trial
 * has ended and at least `permitted` have recorded an outcome:
 *   complete(w) = recorded(w) >= permitted && admitted(w) == recorded(w)
 * For a fixed `permitted` this is exactly "recorded reaches permitted" (admitted never passes
 * it). When it changes, an acquire reads it after the word it CASes from: a grant is judged
 * against a number in force while that word was current, so no trial is admitted beyond the
 * number in force when it was admitted. Lowered below the trials admitted, a release or a
 * record can complete the trials, and so can the change itself (nothing may be out): each of
 * them, and an acquire that finds the trials complete, completes them with the same CAS
 * (settle, to DECIDING). A change writes the tuning and then reads the word; a record or a
 * release reads the tuning and then CASes the word, so a change can miss an end that read the
 * old number: the end therefore reads the tuning again after its CAS and, if it was replaced,
 * settles under the number now in force (endTrial). One of the two always sees the other. A threshold change judges the CLOSED window at once (the applier trips
 * it) and helps decide a DECIDING word. One race is left open on the CLOSED side: a recorder
 * that crossed the old threshold judges the window again just before its CAS to OPEN (trip), so
 * a raise that lands between that judgement and the CAS can return before the breaker opens on
 * the old threshold. The OPEN deadline is computed when the breaker opens and kept, so a new
 * open duration applies from the next opening. A new size of a count window replaces the
 * window of the epoch by a copy of its newest outcomes (resizeWindow), by a CAS on the phase.
 *
 * The phase: what a transition needs beyond the word (the OPEN deadline, the window of a
 * CLOSED epoch, the shared rejection exception) is an immutable Phase object, built before the
 * CAS and published after it. Who races: a reader can see the new word before the new phase
 * (phase.epoch != word epoch). A CLOSED or METRICS_ONLY phase holds nothing but a fresh window,
 * so the reader helps: it publishes one itself, and whichever is published first is the
 * epoch's window. OPEN, whose deadline depends on the transition's clock reading, refuses
 * (it has only just opened). Transitions in a row can publish out of order; publish() only
 * moves the phase forward in epoch order, so a slow publisher never overwrites a newer phase.
 *
 * Tripping: the window latches itself in the same CAS that makes a rate reach its threshold
 * (see CountWindow). From then on the window takes no outcome, every CLOSED acquire that sees
 * the latch helps CAS the word to OPEN instead of granting a permit, and every recorder that
 * finds it does the same. So the crossing outcome is the linearization point of the opening:
 * no call is admitted in CLOSED after it, and the verdict cannot be undone by later outcomes.

 * No padding: in the steady state every field of this object is only read (the word and the
 * phase change on transitions alone), so there is no false sharing to pad against.
 *
 * CLOSED costs: tryAcquire is three dependent loads (word, phase, window latch); an outcome is
 * one volatile load while the window is full of fast successes, otherwise two CASes in the
 * window (reserve a slot, advance the totals), and a transition when a threshold is crossed. No lock and
 * no allocation on these paths; transitions and listener events allocate. Announcing an outcome
 * to call listeners (onCallRecorded) costs one volatile read and a length check when none is
 * registered; the event is created only for a registered listener.
 */
final class LockFreeCircuitBreaker implements CircuitBreaker, Bindings.Owner {

    static final int CLOSED = 0;
    static final int OPEN = 1;
    static final int HALF_OPEN = 2;
    static final int FORCED_OPEN = 3;
    static final int DISABLED = 4;
    static final int METRICS_ONLY = 5;
    /** HALF_OPEN with its trials complete, until one CAS decides: see the header. Reads as HALF_OPEN. */
    static final int DECIDING = 6;
    private static final State[] STATES = State.values();

    private static final long STATE_MASK = 0x7L;
    private static final int OPENINGS_SHIFT = 3;
    private static final long OPENINGS_MAX = 31;
    private static final int EPOCH_SHIFT = 8;
    private static final long EPOCH_MASK = 0xFFFFL;
    private static final int ADMITTED_SHIFT = 24;
    private static final int RECORDED_SHIFT = 34;
    private static final int FAILED_SHIFT = 44;
    private static final int SLOW_SHIFT = 54;
    private static final long COUNT_MASK = 0x3FFL;
    private static final long ADMIT_ONE = 1L << ADMITTED_SHIFT;

    private static final VarHandle STATE;
    private static final VarHandle PHASE;
    private static final VarHandle TRANSITION_LISTENERS;
    private static final VarHandle REJECTION_LISTENERS;
    private static final VarHandle CALL_LISTENERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(LockFreeCircuitBreaker.class, "state", long.class);
            PHASE = l.findVarHandle(LockFreeCircuitBreaker.class, "phase", Phase.class);
            TRANSITION_LISTENERS = l.findVarHandle(LockFreeCircuitBreaker.class, "transitionListeners", Consumer[].class);
            REJECTION_LISTENERS = l.findVarHandle(LockFreeCircuitBreaker.class, "rejectionListeners", Consumer[].class);
            CALL_LISTENERS = l.findVarHandle(LockFreeCircuitBreaker.class, "callListeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Consumer<?>[] NO_LISTENERS = new Consumer<?>[0];

    private final String name;
    private final CircuitBreakerConfig config;
    private final Ticker ticker;
    /** Whether slow calls are detected (fixed); their duration is adaptive, in config.tuning(). */
    private final boolean slowCalls;
    private final LongAdder notPermitted = new LongAdder();
    /** Its bindings to the adaptive settings, released when a registry lets go of it. */
    private final Bindings bindings = new Bindings();

    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;
    @SuppressWarnings("unused") // accessed through PHASE
    private volatile Phase phase;
    private volatile Consumer<? super StateTransitionEvent>[] transitionListeners;
    private volatile Consumer<? super CallNotPermittedEvent>[] rejectionListeners;
    private volatile Consumer<? super CallRecordedEvent>[] callListeners;

    @SuppressWarnings("unchecked")
    LockFreeCircuitBreaker(String name, CircuitBreakerConfig config) {
        this.name = name;
        this.config = config;
        this.ticker = config.ticker();
        this.slowCalls = config.slowCallDetection();
        this.transitionListeners = (Consumer<? super StateTransitionEvent>[]) NO_LISTENERS;
        this.rejectionListeners = (Consumer<? super CallNotPermittedEvent>[]) NO_LISTENERS;
        this.callListeners = (Consumer<? super CallRecordedEvent>[]) NO_LISTENERS;
        this.phase = new Phase(0, CLOSED, 0L, SlidingWindow.create(config, true), null, null);
        STATE.setRelease(this, word(CLOSED, 0, 0));
        bindSettings();                                      // last: from here on a change may be applied by another thread
    }

    // ---------------------------------------------------------------- adaptive settings

    /**
     * Binds the adaptive settings: every current value is checked before any is bound, so a
     * refused one fails the build with nothing bound.
     */
    private void bindSettings() {
        String of = " of circuit breaker '" + name + "'";
        Consumer<Float> failureRate = v -> Check.percentage(v, "failureRateThreshold" + of);
        Consumer<Float> slowRate = v -> Check.percentage(v, "slowCallRateThreshold" + of);
        Consumer<Duration> slowDuration = v -> Check.positive(v, "slowCallDuration" + of);
        Consumer<Duration> openDuration = v -> Check.positive(v, "openDuration" + of);
        Consumer<Integer> permits = v -> Check.inRange(v, 1, CircuitBreakerBuilder.MAX_PERMITTED_CALLS_IN_HALF_OPEN,
                "permittedCallsInHalfOpen" + of);
        Adaptive<Duration> slowSetting = config.slowCallDurationSetting();
        failureRate.accept(config.failureRateThresholdSetting().get());
        slowRate.accept(config.slowCallRateThresholdSetting().get());
        if (slowSetting != null) {
            slowDuration.accept(slowSetting.get());
        }
        openDuration.accept(config.openDurationSetting().get());
        permits.accept(config.permittedCallsInHalfOpenSetting().get());
        Consumer<Integer> windowSize = v -> Check.inRange(v, 1, CircuitBreakerBuilder.MAX_WINDOW_SIZE,
                "slidingWindow calls" + of);
        boolean countWindow = config.windowType() == CircuitBreakerConfig.WindowType.COUNT_BASED;
        if (countWindow) {
            windowSize.accept(config.windowSizeSetting().get());
        }

        bind(config.failureRateThresholdSetting(), failureRate, Tuning::withFailureRate, this::rejudgeWindow);
        bind(config.slowCallRateThresholdSetting(), slowRate,
                (t, v) -> slowCalls ? t.withSlowRate(v) : t, this::rejudgeWindow);
        if (slowSetting != null) {
            bind(slowSetting, slowDuration, (t, v) -> t.withSlowNanos(Check.nanos(v)), null);
        }
        bind(config.openDurationSetting(), openDuration, (t, v) -> t.withOpenNanos(Check.nanos(v)), null);
        bind(config.permittedCallsInHalfOpenSetting(), permits, Tuning::withPermits, this::settleTrials);
        if (countWindow) {
            bind(config.windowSizeSetting(), windowSize, Tuning::withWindowSize, this::resizeWindow);
        }
    }

    private <T> void bind(Adaptive<T> setting, Consumer<T> check, BiFunction<Tuning, T, Tuning> with, Runnable then) {
        AdaptiveBinding.bind(setting, check, change -> {
            follow(setting, with);
            if (then != null) {
                then.run();
            }
        }, bindings);
        follow(setting, with);                               // a change between the config's first reading and the binding
    }

    /**
     * Installs the setting's current value in the tuning. Changes made concurrently may be
     * announced in any order, so this installs what the adaptive holds now (not the change it
     * was told about) and reads again after installing: an applier that installed a value
     * already replaced installs the newer one before it returns.
     */
    private <T> void follow(Adaptive<T> setting, BiFunction<Tuning, T, Tuning> with) {
        for (;;) {
            T v = setting.get();
            config.retune(t -> with.apply(t, v));
            if (setting.get().equals(v)) {
                return;
            }
        }
    }

    /**
     * After a threshold changed: a CLOSED window that the new threshold trips opens the breaker
     * now; complete trials are decided (with the new threshold, unless a racing decider got
     * there first) before the change returns.
     */
    private void rejudgeWindow() {
        long w = stateVolatile();
        int s = stateOf(w);
        if (s == DECIDING) {
            decide(w);
            return;
        }
        if (s != CLOSED) {
            return;
        }
        Phase p = phase;
        if (p.epoch == epoch(w) && p.window.rejudge()) {
            trip(epoch(w), p.window);
        }
    }

    /**
     * After the size of the count window changed: the CLOSED (or METRICS_ONLY) window is
     * replaced by one of the new size holding the newest outcomes, in the same epoch (a phase
     * CAS from the exact phase copied, so a transition or another resize in between makes it
     * start again), then judged at once. In any other state the next CLOSED window is made with
     * the new size. Outcomes recorded into the old window between the copy and the CAS are lost.
     */
    private void resizeWindow() {
        for (;;) {
            long w = stateVolatile();
            int s = stateOf(w);
            if (s != CLOSED && s != METRICS_ONLY) {
                return;
            }
            Phase p = closedPhaseFor(epoch(w));              // helps publish an unpublished one (of the new size)
            if (p == null) {
                continue;                                    // moved on meanwhile: look again
            }
            int size = config.tuning().windowSize;
            CountWindow old = (CountWindow) p.window;
            if (old.size() == size) {
                return;
            }
            Phase np = new Phase(p.epoch, p.state, 0L, old.resized(size), null, null);
            if (PHASE.compareAndSet(this, p, np)) {
                if (s == CLOSED && np.window.rejudge()) {
                    trip(p.epoch, np.window);
                }
                return;
            }
        }
    }

    /** After the number of trial calls changed: trials that the new number completes are decided now. */
    private void settleTrials() {
        for (;;) {
            long w = stateVolatile();
            int s = stateOf(w);
            if (s == DECIDING) {
                decide(w);
                return;
            }
            if (s != HALF_OPEN || !complete(w, config.tuning().permits) || settle(w, w)) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- word accessors

    private long stateVolatile() {
        return (long) STATE.getVolatile(this);
    }

    private boolean casState(long expect, long next) {
        return STATE.compareAndSet(this, expect, next);
    }

    static int stateOf(long w) {
        return (int) (w & STATE_MASK);
    }

    /** The state as users see it: DECIDING is still HALF_OPEN. */
    private static State external(int s) {
        return s == DECIDING ? State.HALF_OPEN : STATES[s];
    }

    static int openings(long w) {
        return (int) ((w >>> OPENINGS_SHIFT) & 0x1F);
    }

    static int epoch(long w) {
        return (int) ((w >>> EPOCH_SHIFT) & EPOCH_MASK);
    }

    static int admitted(long w) {
        return (int) ((w >>> ADMITTED_SHIFT) & COUNT_MASK);
    }

    static int recorded(long w) {
        return (int) ((w >>> RECORDED_SHIFT) & COUNT_MASK);
    }

    static int failed(long w) {
        return (int) ((w >>> FAILED_SHIFT) & COUNT_MASK);
    }

    static int slow(long w) {
        return (int) ((w >>> SLOW_SHIFT) & COUNT_MASK);
    }

    static long word(int state, int openings, int epoch) {
        return state | ((long) openings << OPENINGS_SHIFT) | ((long) epoch << EPOCH_SHIFT);
    }

    private static int nextEpoch(long w) {
        return (int) ((epoch(w) + 1) & EPOCH_MASK);
    }

    private static long permit(long w) {
        return (w >>> EPOCH_SHIFT & EPOCH_MASK) << 3 | (w & STATE_MASK);
    }

    // ---------------------------------------------------------------- permits

    @Override
    public long tryAcquire() {
        for (;;) {
            long w = stateVolatile();
            int s = stateOf(w);
            switch (s) {
                case CLOSED: {
                    Phase p = phase;
                    if (p.epoch == epoch(w) && p.window.tripped()) {
                        trip(epoch(w), p.window);            // a rate crossed its threshold: help the move to OPEN
                        continue;
                    }
                    return permit(w);                        // (an unpublished CLOSED phase cannot have tripped yet)
                }
                case DISABLED:
                case METRICS_ONLY:
                    return permit(w);
                case OPEN:
                case HALF_OPEN: {
                    long permit = s == OPEN ? fromOpen(w) : inHalfOpen(w);
                    if (permit != AGAIN) {
                        return permit;
                    }
                    continue;
                }
                case DECIDING:
                    decide(w);                               // the trials are complete: help decide, look again
                    continue;
                case FORCED_OPEN:
                    return refuse(w);
                default:
                    throw new IllegalStateException("invalid state: " + s);
            }
        }
    }

    /** What {@link #fromOpen} and {@link #inHalfOpen} return when the word moved: look again. */
    private static final long AGAIN = Long.MIN_VALUE;

    /*
     * The OPEN and HALF_OPEN cases of tryAcquire live in methods of their own so that
     * tryAcquire stays under the JIT's inlining limit for hot methods (325 bytes of bytecode):
     * the CLOSED path is then inlined into the operator's subscribe. Inline, they took it to 357
     * bytes, and a CLOSED Mono call cost about 2.4 ns more (BreakerBenchmark.monoClosed).
     */

    /** An acquire that found OPEN word {@code w}: a refusal, the first trial permit, or AGAIN. */
    private long fromOpen(long w) {
        Phase p = phase;
        if (p.epoch != epoch(w)) {
            return refuse(w);                                // the opening is still being published: it just opened
        }
        long now = ticker.read();
        if (now - p.openUntil < 0) {
            return refuse(w);
        }
        long next = word(HALF_OPEN, openings(w), nextEpoch(w)) + ADMIT_ONE;
        Phase np = halfOpenPhase(next, p.window);
        if (!casState(w, next)) {
            return AGAIN;                                    // someone else moved it (or took a trial)
        }
        publish(np);                                         // we moved it: we also hold the first trial permit
        try {
            announce(OPEN, HALF_OPEN, StateTransitionEvent.Reason.OPEN_DURATION_ELAPSED,
                    "open for " + human(p.openFor) + "; admitting " + config.tuning().permits + " trial call(s)", now);
        } catch (Throwable fatal) {                          // only a JVM-fatal error leaves Guard: the caller never
            release(permit(next));                           // gets the permit, so the trial slot goes back first
            throw fatal;
        }
        return permit(next);
    }

    /** An acquire that found HALF_OPEN word {@code w}: a trial permit, a refusal, or AGAIN. */
    private long inHalfOpen(long w) {
        int permitted = config.tuning().permits;             // read after w: see the header
        if (admitted(w) < permitted) {
            return casState(w, w + ADMIT_ONE) ? permit(w) : AGAIN;   // lost to another acquire, record or release
        }
        if (complete(w, permitted)) {
            settle(w, w);                                    // a lowered number the trials already meet: decide, look again
            return AGAIN;
        }
        return refuse(w);
    }

    /**
     * Counts and announces a refusal by word {@code w}. The refusal code is the complement of the
     * refusing word's permit (its epoch and state), so {@link #rejection(long)} describes the
     * state that refused even if the breaker has moved since (a listener calling transitionTo,
     * a concurrent transition).
     */
    private long refuse(long w) {
        notPermitted.increment();
        Consumer<? super CallNotPermittedEvent>[] listeners = rejectionListeners;
        if (listeners.length != 0) {
            Guard.notifyAll(name, listeners, new CallNotPermittedEvent(name, external(stateOf(w))));
        }
        return ~permit(w);
    }

    @Override
    public void onSuccess(long permit, long durationNanos) {
        boolean slow = slowCalls && durationNanos >= config.tuning().slowNanos;
        record(permit, false, slow);
        Consumer<? super CallRecordedEvent>[] listeners = callListeners;
        if (listeners.length != 0) {
            announceCall(listeners, permit, CallRecordedEvent.Outcome.SUCCESS, slow, durationNanos);
        }
    }

    @Override
    public void onError(long permit, long durationNanos, Throwable error) {
        boolean failure;
        Throwable predicateFailure = null;
        try {
            failure = config.recordFailure().test(error);
        } catch (VirtualMachineError | LinkageError fatal) {
            release(permit);
            throw fatal;
        } catch (Throwable t) {
            t.addSuppressed(error);
            predicateFailure = t;
            failure = true;
        }
        boolean slow = slowCalls && durationNanos >= config.tuning().slowNanos;
        if (failure) {
            record(permit, true, slow);
        } else {
            release(permit);
        }
        if (predicateFailure != null) {                      // logged once the permit is recorded: the logger may throw
            Guard.warn(() -> "recordFailureIf predicate of '" + name + "' threw; counting the error as a failure",
                    predicateFailure);
        }
        Consumer<? super CallRecordedEvent>[] listeners = callListeners;
        if (listeners.length != 0) {
            announceCall(listeners, permit, failure ? CallRecordedEvent.Outcome.FAILURE : CallRecordedEvent.Outcome.IGNORED,
                    slow, durationNanos);
        }
    }

    @Override
    public void release(long permit) {
        if ((int) (permit & STATE_MASK) != HALF_OPEN || permit < 0) {
            return;                                          // only HALF_OPEN counts permits out
        }
        int e = (int) (permit >>> 3);
        for (;;) {
            long w = stateVolatile();
            if (stateOf(w) != HALF_OPEN || epoch(w) != e || admitted(w) == 0) {
                return;                                      // stale permit: its epoch is over
            }
            long next = w - ADMIT_ONE;
            if (endTrial(w, next)) {
                return;                                      // (complete: the number was lowered, this was the last one out)
            }
        }
    }

    /**
     * Ends a trial: one CAS from HALF_OPEN word {@code w} to {@code next} (a record or a release
     * counted), or to DECIDING when {@code next} completes the trials under the number in force.
     * Returns false if the CAS lost (the caller reads again).
     *
     * <p>A CAS that did not complete the trials looks at the tuning once more after it: a change
     * of the number that landed between this end's reading of it and its CAS may have looked at
     * the word before the CAS, found the trials incomplete, and returned; the end it did not see
     * then settles under the number in force (CI found the breaker stuck HALF_OPEN with the
     * trials complete under a lowered number: LincheckAdaptiveHalfOpenTest).
     */
    private boolean endTrial(long w, long next) {
        Tuning t = config.tuning();
        if (complete(next, t.permits)) {
            return settle(w, next);
        }
        if (!casState(w, next)) {
            return false;
        }
        if (config.tuning() != t) {
            settleTrials();                                  // retuned meanwhile: settle under the number now in force
        }
        return true;
    }

    private void record(long permit, boolean failure, boolean slow) {
        if (permit < 0) {
            return;
        }
        int s = (int) (permit & STATE_MASK);
        int e = (int) (permit >>> 3);
        switch (s) {
            case CLOSED:
            case METRICS_ONLY: {
                Phase p = closedPhaseFor(e);
                if (p == null) {
                    return;                                  // stale: its epoch is over
                }
                int verdict = p.window.record(SlidingWindow.code(failure, slow));
                if (s == CLOSED && verdict >= SlidingWindow.FAILURE_RATE_EXCEEDED) {
                    trip(e, p.window);                       // this record tripped the window, or found it tripped
                }
                return;
            }
            case HALF_OPEN:
                recordTrial(e, failure, slow);
                return;
            case DISABLED:
                return;
            default:
                throw new IllegalStateException("invalid permit state: " + s);
        }
    }

    /**
     * Returns the phase of CLOSED or METRICS_ONLY epoch {@code e}, helping to publish it if the
     * transition into it has not yet done so; null if that epoch is over.
     */
    private Phase closedPhaseFor(int e) {
        Phase p = phase;
        if (p.epoch == e) {
            return p;
        }
        long w = stateVolatile();
        int s = stateOf(w);
        if (epoch(w) != e || (s != CLOSED && s != METRICS_ONLY)) {
            return null;
        }
        publish(closedPhase(w, s));                          // any fresh window will do; publish keeps the first
        p = phase;
        return p.epoch == e ? p : null;
    }

    /** CLOSED to OPEN, once the window of epoch {@code e} has tripped. Anyone may do it; one CAS wins. */
    private void trip(int e, SlidingWindow window) {
        long w = stateVolatile();
        if (stateOf(w) != CLOSED || epoch(w) != e) {
            return;                                          // someone already moved it
        }
        if (!window.tripped()) {
            return;                                          // a threshold raised since the crossing: see CountWindow
        }
        long now = ticker.read();
        long next = word(OPEN, 1, nextEpoch(w));
        Phase np = openPhase(next, now, window, freeze(window));
        if (casState(w, next)) {                             // a CLOSED word only changes by transition: one try
            publish(np);
            if (transitionListeners.length != 0) {
                int[] t = window.totals();
                int verdict = window.tripReason();
                StateTransitionEvent.Reason reason = verdict == SlidingWindow.FAILURE_RATE_EXCEEDED
                        ? StateTransitionEvent.Reason.FAILURE_RATE_EXCEEDED
                        : StateTransitionEvent.Reason.SLOW_CALL_RATE_EXCEEDED;
                String detail = verdict == SlidingWindow.FAILURE_RATE_EXCEEDED
                        ? String.format(Locale.ROOT, "failure rate %.1f%% >= %.1f%% over %d calls (%d failed)",
                                rate(t[1], t[0]), config.failureRateThreshold(), t[0], t[1])
                        : String.format(Locale.ROOT, "slow-call rate %.1f%% >= %.1f%% over %d calls (%d slower than %s)",
                                rate(t[2], t[0]), config.slowCallRateThreshold(), t[0], t[2], config.slowCallDuration());
                announce(CLOSED, OPEN, reason, detail + "; open for " + human(np.openFor), now);
            }
        }
    }

    private void recordTrial(int e, boolean failure, boolean slow) {
        for (;;) {
            long w = stateVolatile();
            if (stateOf(w) != HALF_OPEN || epoch(w) != e) {
                return;                                      // stale permit
            }
            long next = w + (1L << RECORDED_SHIFT)
                    + (failure ? 1L << FAILED_SHIFT : 0L)
                    + (slow ? 1L << SLOW_SHIFT : 0L);
            if (endTrial(w, next)) {
                return;                                      // (complete: the last trial decides, in this same CAS)
            }
            // lost to another trial's acquire/record/release, or to a change of the number: look again
        }
    }

    /** Whether the trials of HALF_OPEN word {@code w} are complete: see the header. */
    private static boolean complete(long w, int permitted) {
        int recorded = recorded(w);
        return recorded >= permitted && admitted(w) == recorded;
    }

    /**
     * Completes the trials of HALF_OPEN: one CAS from {@code w} to DECIDING with the counts of
     * {@code next} (the word {@code w} once the last trial's end is counted), then decides.
     * Returns false if the CAS lost (the caller reads again).
     */
    private boolean settle(long w, long next) {
        long deciding = (next & ~STATE_MASK) | DECIDING;
        if (!casState(w, deciding)) {
            return false;
        }
        decide(deciding);
        return true;
    }

    /**
     * Moves DECIDING word {@code w} to CLOSED or OPEN against the thresholds in force. Anyone
     * may; one CAS wins. A DECIDING word changes only by this CAS or a manual move, so a lost
     * CAS means it is decided (or moved) already: one try.
     */
    private void decide(long w) {
        int recorded = recorded(w);
        int failed = failed(w);
        int slowed = slow(w);
        Tuning t = config.tuning();
        // slowRate is NaN when slow calls are off: that comparison is then false
        boolean reopen = failed * 100f >= t.failureRate * recorded || slowed * 100f >= t.slowRate * recorded;
        long now = reopen ? ticker.read() : 0L;
        int openings = reopen ? (int) Math.min(OPENINGS_MAX, openings(w) + 1L) : 0;
        long decided = word(reopen ? OPEN : CLOSED, openings, nextEpoch(w));
        Phase np = reopen ? openPhase(decided, now, phase.window, freeze(w, phase)) : closedPhase(decided, CLOSED);
        if (!casState(w, decided)) {
            return;
        }
        publish(np);
        if (transitionListeners.length != 0) {
            String detail = String.format(Locale.ROOT, "%d of %d trial calls failed (%.1f%%), %d slow",
                    failed, recorded, rate(failed, recorded), slowed)
                    + (reopen ? "; open for " + human(np.openFor) : "");
            announce(HALF_OPEN, reopen ? OPEN : CLOSED, reopen
                    ? StateTransitionEvent.Reason.TRIAL_CALLS_FAILED
                    : StateTransitionEvent.Reason.TRIAL_CALLS_SUCCEEDED, detail, now);
        }
    }

    // ---------------------------------------------------------------- manual moves

    @Override
    public void transitionTo(State target) {
        Check.notNull(target, "target");
        int t = target.ordinal();
        for (;;) {
            long w = stateVolatile();
            int s = stateOf(w);
            if (s == t || s == DECIDING && t == HALF_OPEN) {
                return;                                      // (DECIDING is HALF_OPEN until its decision)
            }
            int openings = t == OPEN ? (int) Math.min(OPENINGS_MAX, openings(w) + 1L) : t == CLOSED ? 0 : openings(w);
            long next = word(t, openings, nextEpoch(w));
            long now = t == OPEN ? ticker.read() : 0L;
            Phase np = phaseFor(next, now, w);
            if (casState(w, next)) {
                publish(np);
                announce(s, t, StateTransitionEvent.Reason.MANUAL, "transitionTo(" + target + ")", now);
                return;
            }
        }
    }

    @Override
    public void reset() {
        for (;;) {
            long w = stateVolatile();
            long next = word(CLOSED, 0, nextEpoch(w));
            Phase np = closedPhase(next, CLOSED);
            if (casState(w, next)) {
                publish(np);
                notPermitted.reset();
                announce(stateOf(w), CLOSED, StateTransitionEvent.Reason.RESET, "reset()", 0L);
                return;
            }
        }
    }

    // ---------------------------------------------------------------- phases

    /** What a transition needs beyond the word; immutable, built before the CAS. */
    static final class Phase {
        final int epoch;
        final int state;
        final long openUntil;
        /** OPEN: how long it stays open, fixed when it opened (the open duration may change later). */
        final long openFor;
        final SlidingWindow window;
        final CallNotPermittedException rejection;
        /**
         * OPEN, FORCED_OPEN, DISABLED: the counts as they stood when the state was entered, so
         * that metrics() does not drift (a time window would empty itself as time passes); null
         * for the states whose counts are live (CLOSED, METRICS_ONLY: the window; HALF_OPEN: the word).
         */
        final Frozen frozen;

        Phase(int epoch, int state, long openUntil, SlidingWindow window, CallNotPermittedException rejection,
              Frozen frozen) {
            this(epoch, state, openUntil, 0L, window, rejection, frozen);
        }

        Phase(int epoch, int state, long openUntil, long openFor, SlidingWindow window,
              CallNotPermittedException rejection, Frozen frozen) {
            this.epoch = epoch;
            this.state = state;
            this.openUntil = openUntil;
            this.openFor = openFor;
            this.window = window;
            this.rejection = rejection;
            this.frozen = frozen;
        }
    }

    /** Counts taken at a transition: calls, failures, slow calls, and whether there were enough to judge. */
    record Frozen(int calls, int failures, int slowCalls, boolean enough) {
    }

    /**
     * The counts of the state that word {@code w} (with its phase {@code p}) is leaving: the
     * window's, the trial calls', or what the state it leaves had frozen itself.
     */
    private static Frozen freeze(long w, Phase p) {
        int s = stateOf(w);
        if (s == HALF_OPEN || s == DECIDING) {
            return new Frozen(recorded(w), failed(w), slow(w), recorded(w) > 0);
        }
        if (s == CLOSED || s == METRICS_ONLY) {
            return p.epoch == epoch(w) ? freeze(p.window) : new Frozen(0, 0, 0, false); // unpublished: nothing recorded yet
        }
        if (p.frozen != null) {
            return p.frozen;
        }
        return freeze(p.window);                             // a phase not yet published: its window is the best we have
    }

    private static Frozen freeze(SlidingWindow window) {
        int[] t = window.totals();
        return new Frozen(t[0], t[1], t[2], t[0] >= window.minimumNumberOfCalls() && t[0] > 0);
    }

    private Phase phaseFor(long w, long now, long from) {
        Phase p = phase;
        switch (stateOf(w)) {
            case CLOSED:
            case METRICS_ONLY:
                return closedPhase(w, stateOf(w));
            case OPEN:
                return openPhase(w, now, p.window, freeze(from, p));
            case HALF_OPEN:
                return halfOpenPhase(w, p.window);
            case FORCED_OPEN:
                return new Phase(epoch(w), FORCED_OPEN, 0L, p.window, new CallNotPermittedException(name,
                        State.FORCED_OPEN, CallNotPermittedException.UNKNOWN, "CircuitBreaker '" + name
                        + "' is FORCED_OPEN: calls are not permitted until it is moved to another state", null, false),
                        freeze(from, p));
            case DISABLED:
                return new Phase(epoch(w), DISABLED, 0L, p.window, null, freeze(from, p));
            default:
                throw new IllegalStateException("invalid state: " + stateOf(w));
        }
    }

    private Phase closedPhase(long w, int s) {
        return new Phase(epoch(w), s, 0L, SlidingWindow.create(config, s == CLOSED), null, null);
    }

    private Phase openPhase(long w, long now, SlidingWindow window, Frozen frozen) {
        long duration = config.openDurationNanos(Math.max(1, openings(w)));
        long until = now + duration;
        String message = "CircuitBreaker '" + name + "' is OPEN: calls are not permitted for "
                + human(duration) + " after it opened" + (openings(w) > 1 ? " (opening " + openings(w) + " in a row)" : "");
        return new Phase(epoch(w), OPEN, until, duration, window,
                new CallNotPermittedException(name, State.OPEN, until, message, ticker, false), frozen);
    }

    private Phase halfOpenPhase(long w, SlidingWindow window) {
        String message = "CircuitBreaker '" + name + "' is HALF_OPEN: all " + config.tuning().permits
                + " trial calls are taken; another is permitted when one of them ends without an outcome";
        return new Phase(epoch(w), HALF_OPEN, 0L, window,
                new CallNotPermittedException(name, State.HALF_OPEN, CallNotPermittedException.UNKNOWN, message, null, false),
                null);
    }

    /** Installs {@code np} unless a phase of a later epoch is already there. */
    private void publish(Phase np) {
        for (;;) {
            Phase current = phase;
            if ((short) (np.epoch - current.epoch) <= 0) {
                return;
            }
            if (PHASE.compareAndSet(this, current, np)) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- views

    /** The window of the phase in place; for tests. */
    SlidingWindow currentWindow() {
        return phase.window;
    }

    /** Not API (see {@link Bindings}): the breaker's bindings to its adaptive settings. */
    @Override
    public Bindings bindings() {
        return bindings;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CircuitBreakerConfig config() {
        return config;
    }

    @Override
    public State state() {
        return external(stateOf(stateVolatile()));
    }

    @Override
    public CallNotPermittedException rejection(long refusal) {
        if (refusal >= 0) {
            throw new IllegalArgumentException("refusal must be a negative value returned by tryAcquire(), but was "
                    + refusal + " (a permit)");
        }
        long code = ~refusal;
        int s = (int) (code & STATE_MASK);
        int e = (int) (code >>> 3);
        if (code > (EPOCH_MASK << 3 | STATE_MASK) || s >= STATES.length || !STATES[s].refusesCalls() && s != HALF_OPEN) {
            throw new IllegalArgumentException("refusal must be a value returned by tryAcquire(), but was " + refusal);
        }
        Phase p = phase;
        boolean current = p.epoch == e && p.state == s && p.rejection != null;
        if (current && !config.rejectionStackTraces()) {
            return p.rejection;                              // the shared instance of the refusing phase
        }
        // The breaker has moved since it refused (or stack traces are on): describe the state that refused.
        long nextTrial = current && s == OPEN ? p.openUntil : CallNotPermittedException.UNKNOWN;
        String message = current ? p.rejection.baseMessage()
                : "CircuitBreaker '" + name + "' refused the call while " + STATES[s];
        return new CallNotPermittedException(name, STATES[s], nextTrial, message,
                nextTrial == CallNotPermittedException.UNKNOWN ? null : ticker, config.rejectionStackTraces());
    }

    @Override
    public boolean measuresDurations() {
        return slowCalls || callListeners.length != 0;
    }

    @Override
    public CircuitBreakerMetrics metrics() {
        long w = stateVolatile();
        Phase p = phase;
        int s = stateOf(w);
        int calls;
        int failures;
        int slowCalls;
        boolean enough;
        if (s == HALF_OPEN || s == DECIDING) {
            calls = recorded(w);
            failures = failed(w);
            slowCalls = slow(w);
            enough = calls > 0;
        } else if (p.frozen != null && p.epoch == epoch(w)) {
            Frozen f = p.frozen;                             // OPEN, FORCED_OPEN, DISABLED: as they were entered
            calls = f.calls();
            failures = f.failures();
            slowCalls = f.slowCalls();
            enough = f.enough();
        } else {
            int[] t = p.window.totals();
            calls = t[0];
            failures = t[1];
            slowCalls = t[2];
            enough = calls >= p.window.minimumNumberOfCalls() && calls > 0;
        }
        return new CircuitBreakerMetrics(external(s), calls, failures, slowCalls,
                enough ? rate(failures, calls) : -1f, enough ? rate(slowCalls, calls) : -1f, notPermitted.sum());
    }

    // ---------------------------------------------------------------- listeners

    @Override
    @SuppressWarnings("unchecked")
    public void onStateTransition(Consumer<? super StateTransitionEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super StateTransitionEvent>[] current = transitionListeners;
            if (TRANSITION_LISTENERS.compareAndSet(this, current, Guard.append((Consumer<Object>[]) (Object[]) current,
                    (Consumer<Object>) (Consumer<?>) listener))) {
                return;
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onCallNotPermitted(Consumer<? super CallNotPermittedEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super CallNotPermittedEvent>[] current = rejectionListeners;
            if (REJECTION_LISTENERS.compareAndSet(this, current, Guard.append((Consumer<Object>[]) (Object[]) current,
                    (Consumer<Object>) (Consumer<?>) listener))) {
                return;
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onCallRecorded(Consumer<? super CallRecordedEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super CallRecordedEvent>[] current = callListeners;
            if (CALL_LISTENERS.compareAndSet(this, current, Guard.append((Consumer<Object>[]) (Object[]) current,
                    (Consumer<Object>) (Consumer<?>) listener))) {
                return;
            }
        }
    }

    /** Announces a reported outcome to {@code listeners} (not empty): the event is the only allocation. */
    private void announceCall(Consumer<? super CallRecordedEvent>[] listeners, long permit,
                              CallRecordedEvent.Outcome outcome, boolean slow, long durationNanos) {
        if (permit < 0) {
            return;                                          // a refusal passed back: there was no call
        }
        Guard.notifyAll(name, listeners, new CallRecordedEvent(name, outcome, slow, durationNanos));
    }

    private void announce(int from, int to, StateTransitionEvent.Reason reason, String detail, long now) {
        Consumer<? super StateTransitionEvent>[] listeners = transitionListeners;
        if (listeners.length != 0) {
            Guard.notifyAll(name, listeners, new StateTransitionEvent(name, external(from), external(to), reason, detail, now));
        }
    }

    private static float rate(int part, int whole) {
        return whole == 0 ? 0f : part * 100f / whole;
    }

    static String human(long nanos) {
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos + "ns";
    }

    @Override
    public String toString() {
        return "CircuitBreaker '" + name + "' " + state();
    }
}
