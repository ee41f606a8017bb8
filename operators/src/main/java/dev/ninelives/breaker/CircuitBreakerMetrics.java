package dev.ninelives.breaker;

/**
 * A snapshot of a circuit breaker's counts, taken by {@link CircuitBreaker#metrics()}.
 *
 * <p>In CLOSED and METRICS_ONLY the counts are those of the sliding window; in OPEN,
 * FORCED_OPEN and DISABLED they are the window as it was when the state was entered; in
 * HALF_OPEN they are the trial calls recorded so far. The counts of concurrent calls that are
 * still being recorded may be missing, so the snapshot is exact only when the breaker is quiet.
 *
 * @param state         the state when the snapshot was taken
 * @param calls         recorded calls (successes and failures)
 * @param failures      recorded failures
 * @param slowCalls     recorded calls slower than the slow-call duration (successful or not)
 * @param failureRate   failures as a percentage of calls, or -1 while fewer than the minimum
 *                      number of calls have been recorded
 * @param slowCallRate  slow calls as a percentage of calls, or -1 as for the failure rate
 * @param notPermitted  calls refused since the breaker was built or last reset
 */
public record CircuitBreakerMetrics(CircuitBreaker.State state, int calls, int failures, int slowCalls,
                                    float failureRate, float slowCallRate, long notPermitted) {

    /**
     * Returns the number of recorded calls that succeeded.
     *
     * @return {@code calls - failures}
     */
    public int successes() {
        return calls - failures;
    }
}
