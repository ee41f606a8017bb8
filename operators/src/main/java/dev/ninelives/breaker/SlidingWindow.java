package dev.ninelives.breaker;

/**
 * A lock-free window of call outcomes that also judges whether its rates have reached the
 * thresholds. One instance serves one CLOSED (or METRICS_ONLY) epoch; entering such a state
 * installs a fresh window, so outcomes of an older epoch can never reach it. The thresholds are
 * adaptive: each judgement reads the ones in force (one volatile read of the config's tuning).
 */
abstract class SlidingWindow {

    /** {@link #record} result: the totals did not change (an outcome replaced an equal one). */
    static final int UNCHANGED = 0;
    /** {@link #record} result: totals changed, both rates are below their thresholds (or too few calls). */
    static final int BELOW = 1;
    /** {@link #record} result: the failure rate reached its threshold. */
    static final int FAILURE_RATE_EXCEEDED = 2;
    /** {@link #record} result: the slow-call rate reached its threshold. */
    static final int SLOW_CALL_RATE_EXCEEDED = 3;
    /** {@link #record} result: the window had already tripped; the outcome was not taken. */
    static final int TRIPPED_ALREADY = 4;

    /** Outcome code bits: a slot holding any outcome has {@code CALL} set. */
    static final int CALL = 1;
    static final int FAILURE = 2;
    static final int SLOW = 4;

    private final int minimumNumberOfCalls;
    /** Holds the thresholds in force, which may change while the window lives. */
    private final CircuitBreakerConfig config;

    SlidingWindow(CircuitBreakerConfig config, int minimumNumberOfCalls) {
        this.minimumNumberOfCalls = minimumNumberOfCalls;
        this.config = config;
    }

    /**
     * Creates the window of one CLOSED or METRICS_ONLY epoch.
     *
     * @param judging false for METRICS_ONLY: the window records but never trips
     */
    static SlidingWindow create(CircuitBreakerConfig config, boolean judging) {
        return config.windowType() == CircuitBreakerConfig.WindowType.COUNT_BASED
                ? new CountWindow(config, judging) : new TimeWindow(config, judging);
    }

    static int code(boolean failure, boolean slow) {
        return CALL | (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    }

    /**
     * Adds one outcome and judges the window.
     *
     * @param code the outcome, from {@link #code}
     * @return UNCHANGED, BELOW, FAILURE_RATE_EXCEEDED or SLOW_CALL_RATE_EXCEEDED (this record
     *     tripped the window), or TRIPPED_ALREADY
     */
    abstract int record(int code);

    /**
     * Tells whether a rate has reached its threshold: the window is latched and the breaker
     * must move to OPEN. Read on every CLOSED acquire.
     *
     * @return true once tripped
     */
    abstract boolean tripped();

    /**
     * Returns FAILURE_RATE_EXCEEDED or SLOW_CALL_RATE_EXCEEDED for a tripped window.
     *
     * @return why the window tripped, or BELOW if it has not
     */
    abstract int tripReason();

    /**
     * Judges the window as it stands against the thresholds in force (after they changed) and
     * latches it if a rate has reached its threshold.
     *
     * @return true if the window is tripped now
     */
    abstract boolean rejudge();

    /**
     * Returns {calls, failures, slow calls} as they stand; allocates (metrics only).
     *
     * @return the totals
     */
    abstract int[] totals();

    /** Judges totals against the thresholds in force: one volatile read, past the minimum only. */
    final int judge(int calls, int failures, int slow) {
        if (calls < minimumNumberOfCalls || calls <= 0) {
            return BELOW;
        }
        Tuning t = config.tuning();
        if (failures * 100f >= t.failureRate * calls) {
            return FAILURE_RATE_EXCEEDED;
        }
        // NaN when slow calls are off: the comparison is then always false.
        if (slow * 100f >= t.slowRate * calls) {
            return SLOW_CALL_RATE_EXCEEDED;
        }
        return BELOW;
    }

    final CircuitBreakerConfig config() {
        return config;
    }

    final int minimumNumberOfCalls() {
        return minimumNumberOfCalls;
    }
}
