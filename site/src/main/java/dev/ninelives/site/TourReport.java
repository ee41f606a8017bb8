package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.StateTransitionEvent;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.reactor.registry.ReloadReport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What happened in one run of the {@link TourScenario}.
 *
 * @param elapsed            how long the run took, by the scenario's clock
 * @param calls              calls issued
 * @param ok                 calls that succeeded, with or without a retry (not those the fallback answered)
 * @param failed             calls that reached the service and failed on their last attempt
 * @param failedBy           the failed calls by the kind of their last failure (every kind present)
 * @param rejectedByOpen     calls the breaker refused while OPEN, on their first attempt or a retry
 * @param rejectedByHalfOpen calls the breaker refused in HALF_OPEN, all trial calls being taken
 * @param retries            what the retry did
 * @param queueing           what the bulkhead did, and its permits at the end
 * @param timeouts           what the attempt timeout and the fallback did
 * @param latency            the time the calls took, as their callers saw it
 * @param issuedWhileDown    calls issued while the service was down
 * @param attemptsWhileDown  attempts (first ones and retries) made while the service was down
 * @param reachedWhileDown   attempts that reached the service while it was down
 * @param sparedWhileDown    attempts refused while the service was down: load the breaker spared it
 * @param rejectedAfterRecovery calls refused in the script's last phase, the service having recovered, until
 *                              trial calls proved it
 * @param timeInState        how long the breaker spent in each state it entered
 * @param transitions        the breaker's transitions, in order
 * @param rows               the timeline's rows, in order
 * @param finalState         the breaker's state at the end
 * @param service            the service the run called, in a few words
 * @param server             what the service saw and answered
 * @param reload             the reload of the configuration during the run, or null if there was none
 */
public record TourReport(Duration elapsed, long calls, long ok, long failed, Map<ServiceException.Kind, Long> failedBy,
                         long rejectedByOpen, long rejectedByHalfOpen, Retries retries, Queueing queueing,
                         Timeouts timeouts, Latency latency, long issuedWhileDown, long attemptsWhileDown, long reachedWhileDown,
                         long sparedWhileDown, long rejectedAfterRecovery, Map<CircuitBreaker.State, Duration> timeInState,
                         List<Transition> transitions, List<Row> rows, CircuitBreaker.State finalState,
                         String service, TourService.Stats server, Reload reload) {

    /**
     * Returns the failed calls whose last failure was of a kind.
     *
     * @param kind the kind
     * @return the number of calls
     */
    public long failedBy(ServiceException.Kind kind) {
        return failedBy.getOrDefault(kind, 0L);
    }

    /**
     * Returns all calls the breaker refused (the bulkhead's refusals are in {@link #queueing()}).
     *
     * @return {@code rejectedByOpen + rejectedByHalfOpen}
     */
    public long rejected() {
        return rejectedByOpen + rejectedByHalfOpen;
    }

    /**
     * Returns the time spent in {@code state}.
     *
     * @param state a state
     * @return the time, zero if it was never entered
     */
    public Duration timeIn(CircuitBreaker.State state) {
        return timeInState.getOrDefault(state, Duration.ZERO);
    }

    /**
     * Returns the closing summary, as printed at the end of the tour.
     *
     * @return the summary's lines
     */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Summary after " + TourScenario.seconds(elapsed, 1));
        lines.add(String.format(Locale.ROOT,
                "  calls        %d issued: %d succeeded (%d after a retry), %d answered by the fallback, %d failed (%d by a 503,"
                        + " %d by a lost connection, %d by a 429),",
                calls, ok, retries.rescued(), timeouts.fellBack(), failed, failedBy(ServiceException.Kind.UNAVAILABLE),
                failedBy(ServiceException.Kind.CONNECTION_LOST), failedBy(ServiceException.Kind.OVERLOADED)));
        lines.add(String.format(Locale.ROOT,
                "               %d rejected by the breaker (%d by OPEN, %d by HALF_OPEN),",
                rejected(), rejectedByOpen, rejectedByHalfOpen));
        lines.add(String.format(Locale.ROOT,
                "               %d timed out waiting for a permit of the bulkhead, %d refused by it with its queue full",
                queueing.timedOut(), queueing.queueFull()));
        lines.add(String.format(Locale.ROOT,
                "  bulkhead     limit %d at the end: %d calls got a permit after waiting for it (the longest for %d ms),"
                        + " at most %d waited at once;",
                queueing.maxConcurrent(), queueing.waited(), queueing.longestWait().toMillis(), queueing.peakQueue()));
        lines.add(String.format(Locale.ROOT,
                "               %d gave up waiting without a permit, before reaching the retry or the breaker",
                queueing.timedOut()));
        lines.add(String.format(Locale.ROOT,
                "  retries      %d made, %d of them during the outage; %d denied by the budget; calls ended by the attempt limit: %d, by the deadline: %d",
                retries.made(), retries.duringOutage(), retries.denied(), retries.outOfAttempts(), retries.outOfTime()));
        lines.add(String.format(Locale.ROOT,
                "  timeouts     %d attempts cut at %d ms, each recorded by the breaker as a failure; %d calls whose last attempt"
                        + " was cut answered \"%s\" by the fallback",
                timeouts.attemptsCut(), timeouts.attemptTimeout().toMillis(), timeouts.fellBack(), timeouts.fallbackAnswer()));
        lines.add(String.format(Locale.ROOT,
                "  latency      as the callers saw it: p50 %s ms, p90 %s ms, p99 %s ms, max %s ms over all %d calls;"
                        + " p50 %s ms, p99 %s ms over the %d that succeeded",
                TourScenario.millis(latency.p50()), TourScenario.millis(latency.p90()), TourScenario.millis(latency.p99()),
                TourScenario.millis(latency.max()), latency.calls(), TourScenario.millis(latency.okP50()),
                TourScenario.millis(latency.okP99()), latency.okCalls()));
        String times = timeInState.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " " + TourScenario.seconds(e.getValue(), 1))
                .collect(Collectors.joining(", "));
        lines.add("  time in      " + times);
        lines.add(String.format(Locale.ROOT, "  transitions  %d: %s", transitions.size(),
                transitions.stream().map(t -> t.event().to().toString()).collect(Collectors.joining(" -> ", "CLOSED -> ", ""))));
        lines.add(String.format(Locale.ROOT,
                "  spared       %d of the %d attempts made during the outage (%d calls and their retries) were refused at once;"
                        + " only %d reached the failing service",
                sparedWhileDown, attemptsWhileDown, issuedWhileDown, reachedWhileDown));
        lines.add(String.format(Locale.ROOT,
                "  cost         %d calls were refused after the service had recovered, until trial calls proved it",
                rejectedAfterRecovery));
        lines.add(String.format(Locale.ROOT,
                "  service      %d requests reached it: %d answered, %d answered 503, %d closed without an answer,"
                        + " %d answered 429 at its limit; it worked on at most %d at once",
                server.requests(), server.answered(), server.unavailable(), server.connectionsLost(), server.overloaded(),
                server.peakActive()));
        BulkheadMetrics end = queueing.atEnd();
        if (reload != null) {
            lines.add(String.format(Locale.ROOT,
                    "  reload       at %s: max-wait %d ms -> %d ms, in place (%s; limit %d, %d calls in flight, breaker %s,"
                            + " all kept);", TourScenario.seconds(reload.at(), 1), reload.maxWaitBefore().toMillis(),
                    reload.maxWaitAfter().toMillis(), reload.samePolicies() ? "the same policies" : "NOT the same policies",
                    reload.limitAfter(), reload.inFlightAfter(), reload.breakerAfter()));
            lines.add(String.format(Locale.ROOT,
                    "               the %d callers refused after waiting that started after it gave up after %d ms at most",
                    reload.timedOutAfter(), reload.longestTimeoutAfter().toMillis()));
        }
        lines.add(String.format(Locale.ROOT, "  final state  %s; bulkhead: %d calls in flight, %d waiting, %d of %d permits free",
                finalState, end.inFlight(), end.queued(), end.availablePermits(), end.maxConcurrent()));
        return lines;
    }

    /**
     * A state transition and when it happened.
     *
     * @param at    the time since the start of the run
     * @param event the breaker's event
     */
    public record Transition(Duration at, StateTransitionEvent event) {
    }

    /**
     * The reload of the configuration during the run: what it reported, and what it kept.
     *
     * @param at                  when it happened, since the start of the run
     * @param report              what {@code NineLivesProperties.reload} reported
     * @param maxWaitBefore       the bulkhead's maximum wait before the reload
     * @param maxWaitAfter        the bulkhead's maximum wait after it
     * @param samePolicies        true if the registry still held the run's breaker, retry and bulkhead after it
     * @param limitBefore         the bulkhead's limit just before the reload
     * @param limitAfter          the bulkhead's limit just after it
     * @param inFlightBefore      the calls in flight just before the reload
     * @param inFlightAfter       the calls in flight just after it
     * @param breakerBefore       the breaker's state just before the reload
     * @param breakerAfter        the breaker's state just after it
     * @param timedOutAfter       calls that started after the reload and gave up waiting for a permit
     * @param shortestTimeoutBefore the shortest wait of a call that started before the reload and gave up waiting
     * @param longestTimeoutAfter the longest wait of a call that started after the reload and gave up waiting
     */
    public record Reload(Duration at, ReloadReport report, Duration maxWaitBefore, Duration maxWaitAfter,
                         boolean samePolicies, int limitBefore, int limitAfter, int inFlightBefore, int inFlightAfter,
                         CircuitBreaker.State breakerBefore, CircuitBreaker.State breakerAfter, long timedOutAfter,
                         Duration shortestTimeoutBefore, Duration longestTimeoutAfter) {
    }

    /**
     * What the retry in front of the breaker did during the run.
     *
     * @param made          retries made (each one an attempt after a delay)
     * @param duringOutage  retries decided while the service was down
     * @param rescued       calls that succeeded after at least one retry
     * @param denied        retries the budget refused
     * @param outOfAttempts calls that failed on their last allowed attempt
     * @param outOfTime     calls whose next retry would have started past the deadline
     * @param budgetRefused the retries the budget itself counted as refused, at the end
     */
    public record Retries(long made, long duringOutage, long rescued, long denied, long outOfAttempts,
                          long outOfTime, long budgetRefused) {
    }

    /**
     * What the attempt timeout and the fallback did during the run.
     *
     * @param attemptTimeout how long an attempt may take
     * @param attemptsCut    attempts the attempt timeout cut, retried or not
     * @param fellBack       calls that ended with a timeout and got the fallback's answer instead
     * @param fallbackAnswer the fallback's answer
     */
    public record Timeouts(Duration attemptTimeout, long attemptsCut, long fellBack, String fallbackAnswer) {
    }

    /**
     * The time the calls took, from the moment each was issued to its outcome (a queue's wait and
     * the retries included), as an HdrHistogram measured it, to three significant digits.
     *
     * @param calls   the calls measured: all that ended
     * @param p50     the median over all calls
     * @param p90     the 90th percentile over all calls
     * @param p99     the 99th percentile over all calls
     * @param max     the longest call
     * @param okCalls the calls that succeeded
     * @param okP50   the median over the calls that succeeded
     * @param okP99   the 99th percentile over the calls that succeeded
     */
    public record Latency(long calls, Duration p50, Duration p90, Duration p99, Duration max, long okCalls,
                          Duration okP50, Duration okP99) {
    }

    /**
     * What the bulkhead in front of the retry did during the run.
     *
     * @param maxConcurrent the bulkhead's limit of calls at once
     * @param maxWait       how long a caller waits for a permit before it gives up
     * @param waited        calls that got a permit after waiting for it
     * @param longestWait   the longest wait that ended with a permit
     * @param timedOut      calls that waited {@code maxWait} without a permit ({@code WAIT_TIMED_OUT})
     * @param queueFull     calls refused at once because the queue was full ({@code QUEUE_FULL})
     * @param peakQueue     the most callers waiting at once
     * @param atEnd         the bulkhead's permits and queue once every call had ended
     */
    public record Queueing(int maxConcurrent, Duration maxWait, long waited, Duration longestWait, long timedOut,
                           long queueFull, int peakQueue, BulkheadMetrics atEnd) {
    }

    /**
     * One row of the timeline: what happened since the previous row.
     *
     * @param at       the time since the start of the run, at the end of the row's interval
     * @param phase    the service's phase at the start of the interval
     * @param calls    calls issued in the interval
     * @param ok       calls that succeeded in the interval
     * @param failed   calls that failed in the interval
     * @param rejected calls the breaker refused in the interval
     * @param timedOut  calls whose wait for a permit of the bulkhead timed out in the interval
     * @param queueFull calls the bulkhead refused at once in the interval, its queue being full
     * @param retried   retries made in the interval
     * @param denied    retries the budget refused in the interval
 * @param attemptsCut attempts the attempt timeout cut in the interval
 * @param fellBack  calls the fallback answered in the interval
     * @param queued    the most callers waiting for a permit at once during the interval
     * @param limit     the bulkhead's limit of calls at once at the end of the interval (its
     *                  adaptive limit moves it)
     * @param p50       the median time of the calls that ended in the interval, as their callers
     *                  saw it; null if none ended
     * @param p99       the 99th percentile of the same; null if none ended
     * @param state     the breaker's state at the end of the interval
     * @param note      what the breaker is doing or waiting for
     */
    public record Row(Duration at, String phase, long calls, long ok, long failed, long rejected,
                      long timedOut, long queueFull, long retried, long denied, long attemptsCut, long fellBack,
                      long queued, int limit, Duration p50,
                      Duration p99, CircuitBreaker.State state, String note) {
    }
}
