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
 * if (permit == CircuitBreaker.NOT_PERMITTED) throw breaker.rejection();
 * long start = System.nanoTime();
 * try {
 *     T result = call();
 *     breaker.onSuccess(permit, System.nanoTime() - start);
 *     return result;
 * } catch (Exception e) {
 *     breaker.onError(permit, System.nanoTime() - start, e);
 *     throw e;
 * }
 * }</pre>
 * Every granted permit must end in exactly one of {@link #onSuccess}, {@link #onError} or
 * {@link #release}. A permit remembers the epoch (the state's generation) it was granted in:
 * an outcome that arrives after the breaker has moved on is not counted against the new state.
 *
 * <p>All methods are thread-safe and lock-free; acquiring and recording never allocate.
 */
public interface CircuitBreaker {

    /** Returned by {@link #tryAcquire()} when the call is not permitted. Granted permits are never negative. */
    long NOT_PERMITTED = -1L;

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
     * Returns the immutable configuration this breaker was built with.
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
     *     {@link #onSuccess}, {@link #onError} or {@link #release}; or {@link #NOT_PERMITTED}
     */
    long tryAcquire();

    /**
     * Records a successful call.
     *
     * @param permit        the permit from {@link #tryAcquire()}
     * @param durationNanos how long the call took, for slow-call detection; ignored unless a
     *                      slow-call duration is configured
     */
    void onSuccess(long permit, long durationNanos);

    /**
     * Records a failed call, if the failure predicate accepts {@code error}; otherwise returns
     * the permit unrecorded, as {@link #release} does.
     *
     * @param permit        the permit from {@link #tryAcquire()}
     * @param durationNanos how long the call took
     * @param error         the error the call ended with
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
     * Returns the exception that describes why calls are refused now: the breaker, its state
     * and when the next trial call is expected. By default the instance is shared by all
     * rejections of one state, has no stack trace, and costs nothing to return.
     *
     * @return the rejection exception for the current state
     */
    CallNotPermittedException rejection();

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
     * thread that made it. A listener that throws is logged and does not affect the breaker.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onStateTransition(Consumer<? super StateTransitionEvent> listener);

    /**
     * Registers a listener for refused calls, called from the refused caller's thread. Only
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
