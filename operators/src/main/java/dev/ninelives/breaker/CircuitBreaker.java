package dev.ninelives.breaker;

import java.util.function.Consumer;

/**
 * A circuit breaker: it counts the outcomes of recent calls and, when too many fail or are
 * slow, refuses calls for a while so that a struggling dependency can recover.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.builder("quotes")
 *     .slidingWindow(50)                      // the last 50 calls
 *     .failureRateThreshold(50)               // open when half of them fail
 *     .openDuration(Duration.ofSeconds(30))   // then refuse calls for 30 s
 *     .build();
 *
 * // With Reactor (ninelives-reactor):
 * Mono<Quote> quote = client.quote(id).transform(NineLives.breaker(breaker));
 * }</pre>
 *
 * <h2>States</h2>
 * {@link State#CLOSED} admits every call and records its outcome in a sliding window. Once the
 * window holds at least {@code minimumNumberOfCalls} outcomes and the failure rate (or the
 * slow-call rate) reaches its threshold, the breaker moves to {@link State#OPEN} and refuses
 * calls. The first call after the open duration moves it to {@link State#HALF_OPEN}, which
 * admits exactly {@code permittedCallsInHalfOpen} trial calls: when all of them have ended, the
 * breaker closes, or opens again if too many of them failed. There is no background thread;
 * every move happens inside a call. {@link State#FORCED_OPEN}, {@link State#DISABLED} and
 * {@link State#METRICS_ONLY} are entered only by hand, through {@link #transitionTo(State)}.
 *
 * <h2>The permit protocol, for use without Reactor</h2>
 * <pre>{@code
 * long permit = breaker.tryAcquire();
 * if (permit < 0) throw breaker.rejection(permit);   // refused: the exception names the refusing state
 * long start = System.nanoTime();
 * T result;
 * try {
 *     result = call();
 * } catch (Throwable e) {                               // every throwable: an Error must not strand the permit
 *     breaker.onError(permit, System.nanoTime() - start, e);
 *     throw e;
 * }
 * breaker.onSuccess(permit, System.nanoTime() - start);
 * return result;
 * }</pre>
 * Every granted permit must end in exactly one of {@link #onSuccess}, {@link #onError} or
 * {@link #release}, whatever the call throws: catch {@link Throwable}, not {@link Exception}.
 * A permit remembers the epoch (the state's generation) it was granted in: an outcome that
 * arrives after the breaker has moved on is not counted against the new state.
 *
 * <h2>Callbacks that throw</h2>
 * Listeners and the failure predicate are user code. A listener that throws is logged through
 * {@link System.Logger} (logger {@code dev.ninelives}) and the breaker carries on; a failure
 * predicate that throws counts the error as a failure (and is logged). A JVM-fatal error
 * ({@link VirtualMachineError}, {@link LinkageError}) is rethrown to the caller, but only once
 * the breaker's state is whole: every listener has been called, the transition is complete, and
 * a permit that the caller will not receive (the first trial permit, when a transition listener
 * throws) or whose outcome will not be recorded (the failure predicate threw) has been returned.
 *
 * <p>All methods are thread-safe and lock-free; acquiring and recording never allocate.
 */
public interface CircuitBreaker {

    /**
     * Starts a builder for a breaker with the given name.
     *
     * @param name the breaker's name, used in exceptions, events and metrics
     * @return a new builder with the defaults described on {@link CircuitBreakerBuilder}
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static CircuitBreakerBuilder builder(String name) {
        return new CircuitBreakerBuilder(name);
    }

    /**
     * Returns a breaker with the default configuration (see {@link CircuitBreakerBuilder}).
     *
     * @param name the breaker's name
     * @return a new breaker
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static CircuitBreaker ofDefaults(String name) {
        return builder(name).build();
    }

    /**
     * Returns the name given to the builder.
     *
     * @return the breaker's name
     */
    String name();

    /**
     * Returns the configuration this breaker was built with: fixed, except for its adaptive
     * settings, whose accessors report the values in force now.
     *
     * @return the configuration
     */
    CircuitBreakerConfig config();

    /**
     * Returns the current state. It may change at any moment.
     *
     * @return the current state
     */
    State state();

    /**
     * Asks for a permit to make one call.
     *
     * <p>Never blocks and never allocates. In {@link State#OPEN} it reads the ticker and, once
     * the open duration has passed, moves the breaker to {@link State#HALF_OPEN} and grants the
     * first trial permit. A refusal is counted and announced to the
     * {@linkplain #onCallNotPermitted rejection listeners}.
     *
     * @return a permit (zero or positive) that must later be passed to exactly one of
     *     {@link #onSuccess}, {@link #onError} or {@link #release}; or a refusal (negative),
     *     which {@link #rejection(long)} turns into the exception to signal
     */
    long tryAcquire();

    /**
     * Records a successful call.
     *
     * @param permit        the permit from {@link #tryAcquire()}
     * @param durationNanos how long the call took, for slow-call detection and call listeners;
     *                      see {@link #measuresDurations()}
     * @throws VirtualMachineError or {@link LinkageError} thrown by a listener, once the outcome
     *     is recorded and every listener has run (see "Callbacks that throw" above)
     */
    void onSuccess(long permit, long durationNanos);

    /**
     * Records a failed call, if the failure predicate accepts {@code error}; otherwise returns
     * the permit unrecorded, as {@link #release} does.
     *
     * @param permit        the permit from {@link #tryAcquire()}
     * @param durationNanos how long the call took
     * @param error         the error the call ended with
     * @throws VirtualMachineError or {@link LinkageError} thrown by the failure predicate (the
     *     permit is then released unrecorded first) or by a listener (once the outcome is recorded)
     */
    void onError(long permit, long durationNanos, Throwable error);

    /**
     * Returns a permit without recording an outcome, for a call that was cancelled or whose
     * result should not count. In {@link State#HALF_OPEN} this frees a trial slot for another
     * call, so a cancelled trial can never leave the breaker stuck.
     *
     * @param permit the permit from {@link #tryAcquire()}
     */
    void release(long permit);

    /**
     * Returns the exception for a refusal: the breaker, the state that refused (OPEN, HALF_OPEN or
     * FORCED_OPEN, even if the breaker has moved on since, say because a rejection listener
     * called {@link #transitionTo}) and, for OPEN, when the next trial call is permitted. By
     * default the instance is shared by all rejections of one state, has no stack trace, and
     * costs nothing to return; only a refusal whose state has already been left allocates.
     *
     * @param refusal a negative value returned by {@link #tryAcquire()}
     * @return the exception to signal
     * @throws IllegalArgumentException if {@code refusal} is a permit (zero or positive) or not a
     *     value {@link #tryAcquire()} returns
     */
    CallNotPermittedException rejection(long refusal);

    /**
     * Tells whether the durations passed to {@link #onSuccess} and {@link #onError} are used: true
     * when slow-call detection is configured or a {@linkplain #onCallRecorded call listener} is
     * registered (a metrics binder, say). When false, a caller may pass 0 and skip reading a
     * clock. One volatile read.
     *
     * @return true if durations should be measured
     */
    boolean measuresDurations();

    /**
     * Returns a snapshot of the breaker's state and counts.
     *
     * @return a new snapshot
     */
    CircuitBreakerMetrics metrics();

    /**
     * Moves the breaker to {@code target}, whatever its current state, with a fresh epoch: the
     * outcomes of calls admitted before the move are not counted afterwards. Entering
     * {@link State#CLOSED} or {@link State#METRICS_ONLY} starts an empty window. Does nothing if
     * the breaker is already in {@code target}.
     *
     * @param target the state to enter
     * @throws NullPointerException if {@code target} is null
     */
    void transitionTo(State target);

    /**
     * Returns the breaker to its initial condition: {@link State#CLOSED}, an empty window, no
     * consecutive openings, and a zero not-permitted count.
     */
    void reset();

    /**
     * Registers a listener for state transitions, called after each transition from the
     * thread that made it. A listener that throws is logged and does not affect the breaker; a
     * JVM-fatal error is rethrown once the transition is complete and, if the caller would have
     * received a trial permit with it, that permit has been returned.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onStateTransition(Consumer<? super StateTransitionEvent> listener);

    /**
     * Registers a listener for refused calls, called from the refused caller's thread, before
     * {@link #tryAcquire()} returns the refusal. A listener that throws is logged; the refusal
     * stands either way (a JVM-fatal error is rethrown, and the refusal is counted). Only
     * when at least one is registered does a refusal allocate its event.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onCallNotPermitted(Consumer<? super CallNotPermittedEvent> listener);

    /**
     * Registers a listener for the outcome of every call that held a permit, called from the
     * thread that reports it, after the outcome has been recorded (and after any transition it
     * caused has been announced). A listener that throws is logged and does not affect the
     * breaker.
     *
     * <p>Only when at least one is registered does reporting an outcome allocate its event:
     * without listeners the whole cost is one volatile read. A permit returned through
     * {@link #release} announces nothing; see {@link CallRecordedEvent} for what is announced.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onCallRecorded(Consumer<? super CallRecordedEvent> listener);

    /** The states of a circuit breaker. */
    enum State {
        /** Calls are permitted and their outcomes recorded; the breaker opens when a rate reaches its threshold. */
        CLOSED,
        /** Calls are refused until the open duration has passed. */
        OPEN,
        /** A fixed number of trial calls are permitted; their outcomes decide between CLOSED and OPEN. */
        HALF_OPEN,
        /** Entered by hand: every call is refused until another state is entered by hand. */
        FORCED_OPEN,
        /** Entered by hand: every call is permitted and nothing is recorded. */
        DISABLED,
        /** Entered by hand: every call is permitted and recorded, but the breaker never opens. */
        METRICS_ONLY;

        /**
         * Tells whether calls are refused in this state (HALF_OPEN refuses only once its
         * trial calls are all taken).
         *
         * @return true for OPEN and FORCED_OPEN
         */
        public boolean refusesCalls() {
            return this == OPEN || this == FORCED_OPEN;
        }
    }
}
