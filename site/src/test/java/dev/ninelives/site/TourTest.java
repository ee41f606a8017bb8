package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.breaker.StateTransitionEvent;
import dev.ninelives.breaker.StateTransitionEvent.Reason;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.site.ScriptedService.Phase;
import dev.ninelives.site.ScriptedService.Script;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plays the tour's scenario under virtual time, against the in-process {@link ScriptedService}
 * that behaves as the tour's HTTP server does: seconds of script in milliseconds, no sleeping,
 * the same sequence of events every time (the retry's jitter is seeded). Every run is also
 * checked for a leaked permit of the bulkhead once all its calls have ended, for a retry budget
 * that disagrees with the retry, and for counts that do not add up. {@link HttpTourTest} plays a
 * shortened script against the real HTTP server.
 */
class TourTest {

    static final Duration CALL_INTERVAL = Duration.ofMillis(50);

    /** A shortened tour: 2 s healthy, a 3 s outage, 5 s recovered. */
    static final Script SHORT = Script.of(
            new Phase("healthy", Duration.ofSeconds(2), Duration.ofMillis(20), 20),
            Phase.down("OUTAGE", Duration.ofSeconds(3), Duration.ofMillis(150)),
            new Phase("recovered", Duration.ofSeconds(5), Duration.ofMillis(20), 0));

    final List<String> lines = new ArrayList<>();

    TourReport play(Script script) {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        TourScenario scenario = new TourScenario(script, CALL_INTERVAL, Duration.ofSeconds(1), vts, lines::add);
        AtomicReference<TourReport> report = new AtomicReference<>();
        StepVerifier.withVirtualTime(scenario::run, () -> vts, Long.MAX_VALUE)
                .thenAwait(script.length().plusSeconds(1))
                .consumeNextWith(report::set)
                .verifyComplete();
        assertNoPermitLeaked(report.get());
        assertBudgetConsistent(report.get());
        assertCountsAddUp(report.get());
        return report.get();
    }

    /** Every call has ended: no call holds a permit, nobody waits, every permit is free. */
    static void assertNoPermitLeaked(TourReport r) {
        BulkheadMetrics end = r.queueing().atEnd();
        assertThat(end.inFlight()).as("calls in flight at the end").isZero();
        assertThat(end.queued()).as("callers waiting at the end").isZero();
        assertThat(end.maxConcurrent()).isEqualTo(r.queueing().maxConcurrent());
        assertThat(end.availablePermits()).as("free permits at the end").isEqualTo(r.queueing().maxConcurrent());
        assertThat(end.rejectedCalls()).as("the bulkhead's refusals are the calls counted as refused by it")
                .isEqualTo(r.queueing().timedOut() + r.queueing().queueFull());
    }

    /**
     * The retry budget agrees with the retry: every refusal it counted was announced, and it never
     * allowed more retries than its tokens: 5 to start with, 0.1 a call, 1 a second.
     */
    static void assertBudgetConsistent(TourReport r) {
        assertThat(r.retries().budgetRefused()).as("refusals counted by the budget").isEqualTo(r.retries().denied());
        assertThat(r.retries().made()).isLessThanOrEqualTo(5 + r.calls() / 10 + r.elapsed().toSeconds() + 1);
    }

    /** Every call ended one way or another, and the rows add up to the totals. */
    static void assertCountsAddUp(TourReport r) {
        assertThat(r.ok() + r.timeouts().fellBack() + r.failed() + r.rejected() + r.queueing().timedOut()
                + r.queueing().queueFull()).isEqualTo(r.calls());
        assertThat(r.timeouts().fellBack()).as("a call falls back only after an attempt was cut")
                .isLessThanOrEqualTo(r.timeouts().attemptsCut());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::fellBack).sum()).isEqualTo(r.timeouts().fellBack());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::attemptsCut).sum()).isEqualTo(r.timeouts().attemptsCut());
        assertThat(r.failedBy().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(r.failed());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::calls).sum()).isEqualTo(r.calls());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::ok).sum()).isEqualTo(r.ok());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::rejected).sum()).isEqualTo(r.rejected());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::queueFull).sum()).isEqualTo(r.queueing().queueFull());
        assertThat(r.latency().calls()).isEqualTo(r.calls());
    }

    @Test
    void breakerOpensInTheOutageRefusesCallsThenClosesAfterRecovery() {
        TourReport r = play(SHORT);
        Duration outageStart = SHORT.startOf(1);
        Duration recoveryStart = SHORT.startOf(2);
        List<TourReport.Transition> t = r.transitions();

        // Opened during the outage, because of the failure rate.
        assertThat(t).isNotEmpty();
        assertThat(t.get(0).event().from()).isEqualTo(State.CLOSED);
        assertThat(t.get(0).event().to()).isEqualTo(State.OPEN);
        assertThat(t.get(0).event().reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);
        assertThat(t.get(0).at()).isBetween(outageStart, recoveryStart);

        // Refused attempts while open, and so spared the failing service.
        assertThat(r.rejectedByOpen()).isPositive();
        assertThat(r.sparedWhileDown()).isPositive();
        assertThat(r.reachedWhileDown()).isLessThan(r.issuedWhileDown());
        assertThat(r.reachedWhileDown() + r.sparedWhileDown()).isEqualTo(r.attemptsWhileDown());
        List<TourReport.Row> rows = r.rows();
        assertThat(rows).filteredOn(row -> row.state() == State.OPEN).isNotEmpty();
        for (int i = 1; i < rows.size(); i++) {
            if (rows.get(i - 1).state() == State.OPEN && rows.get(i).state() == State.OPEN) {
                assertThat(rows.get(i).ok()).as("a second spent OPEN: %s", rows.get(i)).isZero();
            }
        }

        // Went HALF_OPEN and closed after the recovery, on successful trial calls.
        TourReport.Transition last = t.get(t.size() - 1);
        assertThat(last.event().from()).isEqualTo(State.HALF_OPEN);
        assertThat(last.event().to()).isEqualTo(State.CLOSED);
        assertThat(last.event().reason()).isEqualTo(Reason.TRIAL_CALLS_SUCCEEDED);
        assertThat(last.at()).isGreaterThan(recoveryStart);
        assertThat(t.get(t.size() - 2).event().reason()).isEqualTo(Reason.OPEN_DURATION_ELAPSED);
        assertThat(t).allSatisfy(tr -> assertThat(tr.event().reason())
                .isIn(Reason.FAILURE_RATE_EXCEEDED, Reason.OPEN_DURATION_ELAPSED,
                        Reason.TRIAL_CALLS_FAILED, Reason.TRIAL_CALLS_SUCCEEDED));

        assertThat(r.finalState()).isEqualTo(State.CLOSED);
        assertThat(r.rows().get(r.rows().size() - 1).state()).isEqualTo(State.CLOSED);
    }

    @Test
    void retriesHappenDuringTheOutageAndTheBreakerStillOpensAndCloses() {
        TourReport r = play(SHORT);
        Duration outageStart = SHORT.startOf(1);
        Duration recoveryStart = SHORT.startOf(2);
        TourReport.Retries retries = r.retries();

        // The outage: failed attempts are retried, and the budget denies some retries.
        assertThat(retries.duringOutage()).isPositive();
        assertThat(retries.denied()).isPositive();
        TourReport.Row opening = r.rows().stream()
                .filter(row -> row.at().compareTo(r.transitions().get(0).at()) >= 0).findFirst().orElseThrow();
        assertThat(opening.phase()).isEqualTo("OUTAGE");
        assertThat(opening.retried()).as("retries in the second the breaker opened: %s", opening).isPositive();
        assertThat(opening.denied()).as("budget refusals in the second the breaker opened: %s", opening).isPositive();
        assertThat(r.rows()).filteredOn(row -> row.denied() > 0)
                .allSatisfy(row -> assertThat(row.phase()).isEqualTo("OUTAGE"));

        // The retries did not keep the breaker from opening in the outage and closing after it.
        List<TourReport.Transition> t = r.transitions();
        assertThat(t.get(0).event().to()).isEqualTo(State.OPEN);
        assertThat(t.get(0).event().reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);
        assertThat(t.get(0).at()).isBetween(outageStart, recoveryStart);
        assertThat(t.get(t.size() - 1).event().to()).isEqualTo(State.CLOSED);
        assertThat(t.get(t.size() - 1).at()).isGreaterThan(recoveryStart);

        // Before the outage, retries rescue the service's occasional failure: no call fails.
        assertThat(r.rows()).filteredOn(row -> row.phase().equals("healthy"))
                .isNotEmpty()
                .allSatisfy(row -> {
                    assertThat(row.failed()).as("%s", row).isZero();
                    assertThat(row.retried()).as("%s", row).isPositive();
                });
        assertThat(retries.rescued()).isPositive().isLessThanOrEqualTo(retries.made());

        // Every call that failed was cut short by the budget, its attempts or its deadline:
        // a 503 is always worth a retry, and a refusal never is.
        assertThat(r.failed()).isEqualTo(retries.denied() + retries.outOfAttempts() + retries.outOfTime());
        assertThat(retries.outOfTime()).as("the 400 ms deadline ends calls against a 150 ms outage").isPositive();
        // The budget bounds the retries: its 5 tokens, 0.1 a call, 1 a second.
        assertThat(retries.made()).isLessThanOrEqualTo(5 + r.calls() / 10 + r.elapsed().toSeconds() + 1);
    }

    @Test
    void countsAddUpAndTimeInStatesCoversTheRun() {
        TourReport r = play(SHORT);

        assertThat(r.calls()).isEqualTo(SHORT.length().toNanos() / CALL_INTERVAL.toNanos());
        assertThat(r.ok() + r.timeouts().fellBack() + r.failed() + r.rejected() + r.queueing().timedOut()
                + r.queueing().queueFull()).isEqualTo(r.calls());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::calls).sum()).isEqualTo(r.calls());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::rejected).sum()).isEqualTo(r.rejected());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::timedOut).sum()).isEqualTo(r.queueing().timedOut());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::retried).sum()).isEqualTo(r.retries().made());
        assertThat(r.rows().stream().mapToLong(TourReport.Row::denied).sum()).isEqualTo(r.retries().denied());
        assertThat(r.rows()).hasSize((int) SHORT.length().toSeconds());

        assertThat(r.timeIn(State.OPEN)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));  // the first open duration
        assertThat(r.timeIn(State.HALF_OPEN)).isPositive();
        assertThat(r.timeIn(State.CLOSED).plus(r.timeIn(State.OPEN)).plus(r.timeIn(State.HALF_OPEN)))
                .isEqualTo(r.elapsed());
    }

    @Test
    void timelinePrintsEachTransitionWithItsReasonAndASummary() {
        TourReport r = play(SHORT);

        for (TourReport.Transition tr : r.transitions()) {
            assertThat(lines).anySatisfy(line -> assertThat(line)
                    .contains(">> " + tr.event().from())
                    .contains(tr.event().reason() + ": " + tr.event().detail()));
        }
        for (TourReport.Row row : r.rows()) {
            assertThat(lines).contains(TourScenario.format(row));
        }
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("retried").contains("denied").contains("rejected")
                .contains("timedout").contains("queued"));
        int limit = r.queueing().maxConcurrent();
        assertThat(lines).contains("  final state  CLOSED; bulkhead: 0 calls in flight, 0 waiting, " + limit + " of " + limit
                + " permits free");
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  spared       " + r.sparedWhileDown() + " of the " + r.attemptsWhileDown() + " attempts"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  retries      " + r.retries().made() + " made, " + r.retries().duringOutage())
                .contains(r.retries().denied() + " denied by the budget"));
    }

    /**
     * The run opens with the plan of its one pipeline, as {@code explain()} gives it, before the
     * timeline: the bulkhead, then the retry, then the breaker, then the attempt timeout, then the
     * service; and with the fallback each call is given.
     */
    @Test
    void theRunPrintsThePlanOfItsPipelineBeforeTheTimeline() {
        play(SHORT);
        int plan = lines.indexOf("  pipeline 'inventory': a call meets, in this order,");
        assertThat(plan).as("the plan is printed").isPositive();
        assertThat(lines.get(plan - 1)).isEqualTo(
                "  each call is service.call().transform(NineLives.pipeline(inventory, lastKnown)); inventory.explain() says:");
        assertThat(lines.subList(plan + 1, plan + 6)).satisfiesExactly(
                l -> assertThat(l).isEqualTo("    1. bulkhead 'inventory': one permit per call, held across its attempts; "
                        + "at most 4 at once, the others wait up to 250ms (FIFO, at most 10 waiting)"),
                l -> assertThat(l).startsWith("    2. retry 'inventory': up to 3 attempts, delays of "),
                l -> assertThat(l).startsWith("    3. circuit breaker 'inventory': ")
                        .contains("over the last 20 calls (at least 10)", "calls slower than 300ms"),
                l -> assertThat(l).isEqualTo("    4. attempt timeout: 350ms per attempt; an attempt that takes longer is"
                        + " cancelled and fails with a TimeoutExceededException, which the breaker records as a failure"
                        + " and the retry may retry"),
                l -> assertThat(l).isEqualTo("    5. the source"));
        assertThat(lines).contains("  fallback  lastKnown: a call whose last attempt was cut by the attempt timeout gets"
                + " \"last known stock\";");
        assertThat(plan).as("before the timeline").isLessThan(lines.indexOf(lines.stream()
                .filter(l -> l.startsWith("  time ") || l.strip().startsWith("time ")).findFirst().orElseThrow()));
        assertThat(lines).noneMatch(l -> l.contains("NineLives.breaker(") || l.contains("NineLives.retry("));
    }

    @Test
    void breakerStaysClosedWithoutAnOutage() {
        TourReport r = play(Script.of(new Phase("healthy", Duration.ofSeconds(4), Duration.ofMillis(20), 20)));

        assertThat(r.transitions()).isEmpty();
        assertThat(r.rejected()).isZero();
        // 80 calls and 4 retries are 84 attempts, of which every 20th fails and is rescued by its retry.
        assertThat(r.calls()).isEqualTo(80);
        assertThat(r.failed()).isZero();
        assertThat(r.retries().made()).isEqualTo(4);
        assertThat(r.retries().rescued()).isEqualTo(4);
        assertThat(r.retries().denied()).isZero();
        assertThat(r.finalState()).isEqualTo(State.CLOSED);
        // 20 ms calls, one every 50 ms: never more than one in flight, so nobody waits.
        assertThat(r.queueing().waited()).isZero();
        assertThat(r.queueing().peakQueue()).isZero();
        assertThat(r.queueing().timedOut()).isZero();
    }

    /**
     * The slow phase exercises the attempt timeout and the fallback: its 400 ms answers are cut at
     * 350 ms, the breaker records the cut attempts as failures and opens on them, and the calls
     * whose last attempt was cut get the fallback's answer instead of an error.
     */
    @Test
    void theSlowPhaseQueuesCallersCutsTheirAttemptsFallsBackAndOpensTheBreaker() {
        Script standard = Script.standard();
        TourReport r = play(standard);
        TourReport.Queueing q = r.queueing();
        Duration slowStart = standard.startOf(2);
        Duration outageStart = standard.startOf(3);
        assertThat(standard.phases().get(2).name()).isEqualTo("SLOW");
        assertThat(standard.phases().get(2).latency()).as("above the slow-call threshold and the attempt timeout")
                .isGreaterThan(Duration.ofMillis(300))
                .isGreaterThan(Duration.ofMillis(TourScenario.ATTEMPT_TIMEOUT_MILLIS));

        // 400 ms answers, one call every 50 ms, the limit the overload left: in the first second
        // of the slow phase callers queue and some give up waiting, while the others get a
        // permit, have their attempts cut at 350 ms, and get the fallback's answer; none
        // succeeds (but the overload's last calls), none fails; the adaptive limit, each window having failed calls, goes down.
        List<TourReport.Row> slow = r.rows().stream().filter(row -> row.phase().equals("SLOW")).toList();
        assertThat(slow).hasSize(3);
        TourReport.Row first = slow.get(0);
        assertThat(first.queued()).as("%s", first).isPositive().isLessThanOrEqualTo(10);
        assertThat(first.timedOut()).as("%s", first).isPositive();
        assertThat(first.attemptsCut()).as("%s", first).isPositive();
        assertThat(first.fellBack()).as("%s", first).isPositive().isLessThanOrEqualTo(first.attemptsCut());
        assertThat(first.failed() + first.rejected()).as("%s", first).isZero();
        assertThat(first.ok()).as("only the overload's last calls: %s", first).isLessThan(first.attemptsCut());
        assertThat(first.state()).as("%s", first).isEqualTo(State.CLOSED);
        assertThat(first.p99()).as("%s", first).isGreaterThanOrEqualTo(Duration.ofMillis(TourScenario.ATTEMPT_TIMEOUT_MILLIS));
        assertThat(slow.get(2).limit()).as("%s", slow.get(2)).isEqualTo(TourScenario.ADAPTIVE_LIMIT.minLimit());

        // Only the slow phase's answers take longer than the attempt timeout: cuts and fallbacks
        // happen there, and nowhere else.
        assertThat(r.timeouts().attemptsCut()).isPositive();
        assertThat(r.timeouts().fellBack()).isPositive();
        assertThat(r.rows()).filteredOn(row -> row.attemptsCut() + row.fellBack() > 0).isNotEmpty()
                .allSatisfy(row -> assertThat(row.phase()).as("%s", row).isEqualTo("SLOW"));

        // The breaker opens on the cut attempts, its failures, before the outage; then it refuses
        // calls at once.
        StateTransitionEvent opening = r.transitions().get(0).event();
        assertThat(opening.from()).isEqualTo(State.CLOSED);
        assertThat(opening.to()).isEqualTo(State.OPEN);
        assertThat(opening.reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);
        assertThat(r.transitions().get(0).at()).isBetween(slowStart, outageStart);
        TourReport.Row last = slow.get(2);
        assertThat(last.state()).isEqualTo(State.OPEN);
        assertThat(last.rejected()).as("%s", last).isPositive();

        // Nobody waits while the service is fast; waits come with the overload and the slow calls.
        assertThat(r.rows()).filteredOn(row -> row.phase().equals("healthy")).isNotEmpty()
                .allSatisfy(row -> assertThat(row.queued() + row.timedOut()).as("%s", row).isZero());
        assertThat(r.rows()).filteredOn(row -> row.timedOut() > 0)
                .allSatisfy(row -> assertThat(row.at()).isGreaterThan(standard.startOf(1)));

        // Timeouts are counted apart from the breaker's refusals, and never reach the breaker.
        assertThat(q.timedOut()).isPositive();
        assertThat(q.queueFull()).as("at most 5 callers arrive in 250 ms: the queue of 10 never fills").isZero();
        assertThat(q.waited()).as("callers that waited and got a permit").isPositive();
        assertThat(q.longestWait()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(250));
        assertThat(q.peakQueue()).isBetween(1, 10);

        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("               " + q.timedOut() + " timed out waiting for a permit of the bulkhead"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  bulkhead     limit " + q.maxConcurrent() + " at the end: " + q.waited()
                        + " calls got a permit after waiting"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("               " + q.timedOut() + " gave up waiting without a permit"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  timeouts     " + r.timeouts().attemptsCut() + " attempts cut at 350 ms")
                .endsWith(r.timeouts().fellBack() + " calls whose last attempt was cut answered \"last known stock\" by the fallback"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  calls        " + r.calls() + " issued: ")
                .contains(r.timeouts().fellBack() + " answered by the fallback"));
    }

    @Test
    void theTimelineShowsTheLatencyTheCallersSawEachSecond() {
        TourReport r = play(SHORT);

        // 20 ms calls while healthy: the median is 20 ms, to HdrHistogram's three digits.
        assertThat(r.rows()).filteredOn(row -> row.phase().equals("healthy")).isNotEmpty().allSatisfy(row -> {
            assertThat(row.p50()).as("%s", row).isBetween(Duration.ofMillis(20), Duration.ofMillis(21));
            assertThat(row.p99()).as("%s", row).isGreaterThanOrEqualTo(row.p50());
        });
        // A second spent OPEN without a trial call: every call is refused at once.
        assertThat(r.rows()).filteredOn(row -> row.state() == State.OPEN && row.rejected() == row.calls()
                        && row.retried() == 0)
                .isNotEmpty()
                .allSatisfy(row -> assertThat(row.p99()).as("%s", row).isLessThan(Duration.ofMillis(1)));
        assertThat(lines).anySatisfy(line -> assertThat(line).contains(" p50 ").contains(" p99 "));

        TourReport.Latency l = r.latency();
        assertThat(l.calls()).isEqualTo(r.calls());
        assertThat(l.okCalls()).isEqualTo(r.ok());
        assertThat(l.p50()).isLessThanOrEqualTo(l.p90());
        assertThat(l.p90()).isLessThanOrEqualTo(l.p99());
        assertThat(l.p99()).isLessThanOrEqualTo(l.max());
        assertThat(l.okP50()).isLessThanOrEqualTo(l.okP99());
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  latency      as the callers saw it: p50 " + TourScenario.millis(l.p50()) + " ms"));
    }

    @Test
    void anOutageWithLostConnectionsFailsCallsOfBothKindsAndOpensTheBreaker() {
        Script script = Script.of(
                new Phase("healthy", Duration.ofSeconds(2), Duration.ofMillis(20), 0),
                Phase.failing("OUTAGE", Duration.ofSeconds(3), Duration.ofMillis(100), 3),
                new Phase("recovered", Duration.ofSeconds(5), Duration.ofMillis(20), 0));
        TourReport r = play(script);
        TourService.Stats server = r.server();

        // Every request in the outage failed: every third by a connection closed without an answer.
        assertThat(server.requestsWhileDown()).isPositive();
        assertThat(server.unavailable() + server.connectionsLost()).isEqualTo(server.requestsWhileDown());
        assertThat(server.connectionsLost()).isBetween(server.requestsWhileDown() / 3 - 1, server.requestsWhileDown() / 3 + 1);
        assertThat(r.failedBy(ServiceException.Kind.UNAVAILABLE)).isPositive();
        assertThat(r.failedBy(ServiceException.Kind.CONNECTION_LOST)).isPositive();
        assertThat(r.failedBy(ServiceException.Kind.UNAVAILABLE) + r.failedBy(ServiceException.Kind.CONNECTION_LOST))
                .isEqualTo(r.failed());
        assertThat(r.transitions().get(0).event().reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);
        assertThat(r.transitions().get(0).at()).isBetween(script.startOf(1), script.startOf(2));
        assertThat(r.finalState()).isEqualTo(State.CLOSED);
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  calls        " + r.calls() + " issued")
                .contains(r.failedBy(ServiceException.Kind.CONNECTION_LOST) + " by a lost connection"));
    }

    @Test
    void anOverloadedServiceAnswers429BeyondItsCapacityAndTheBreakerShedsTheLoad() {
        // The overload is the last phase, so that no other phase's requests mix with its own.
        Script script = Script.of(
                new Phase("healthy", Duration.ofSeconds(2), Duration.ofMillis(20), 0),
                Phase.overloaded("OVERLOAD", Duration.ofSeconds(4), Duration.ofMillis(250), 2));
        TourReport r = play(script);
        TourService.Stats server = r.server();

        // The bulkhead lets 4 calls in at once; the service works on 2 and turns the others away.
        assertThat(server.peakActive()).isEqualTo(2);
        assertThat(server.overloaded()).isPositive();
        assertThat(r.failedBy(ServiceException.Kind.OVERLOADED)).isPositive().isEqualTo(r.failed());
        assertThat(r.retries().denied()).as("the budget stops the retries of the 429s").isPositive();
        assertThat(r.transitions().get(0).event().reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);
        assertThat(r.transitions().get(0).at()).isGreaterThan(script.startOf(1));
        assertThat(r.rows()).filteredOn(row -> row.phase().equals("OVERLOAD"))
                .anySatisfy(row -> assertThat(row.ok()).as("%s", row).isPositive())
                .anySatisfy(row -> assertThat(row.rejected()).as("%s", row).isPositive());
    }

    @Test
    void standardTourPlaysOutAsTheTourPrintsIt() {
        Script standard = Script.standard();
        TourReport r = play(standard);
        assertThat(standard.phases()).extracting(Phase::name)
                .containsExactly("healthy", "OVERLOAD", "SLOW", "OUTAGE", "recovered");

        // The overload never opens the breaker: the adaptive limit keeps the service's latency
        // below the slow-call threshold. Opened by the slow calls' attempts, cut by the attempt
        // timeout; the outage's trial calls fail and the open duration grows; closed for good
        // after the recovery.
        assertThat(r.transitions()).extracting(tr -> standard.phaseAt(tr.at()).name() + " " + tr.event().reason())
                .containsExactly("SLOW FAILURE_RATE_EXCEEDED",
                        "OUTAGE OPEN_DURATION_ELAPSED", "OUTAGE TRIAL_CALLS_FAILED",
                        "recovered OPEN_DURATION_ELAPSED", "recovered TRIAL_CALLS_SUCCEEDED");
        assertThat(r.sparedWhileDown()).as("the outage met an open breaker").isPositive()
                .isGreaterThan(r.reachedWhileDown());
        assertThat(r.server().unavailable()).isPositive();
        assertThat(r.server().connectionsLost()).isPositive();
        assertThat(r.server().overloaded()).as("the overload queues: no 429").isZero();
        assertThat(r.server().peakActive()).isLessThanOrEqualTo(TourScenario.ADAPTIVE_LIMIT.maxLimit());
        assertThat(r.retries().rescued()).isPositive();
        assertThat(r.timeouts().attemptsCut()).isPositive();
        assertThat(r.timeouts().fellBack()).isPositive();
        assertThat(r.rejectedAfterRecovery()).isPositive();
        assertThat(r.finalState()).isEqualTo(State.CLOSED);
        assertThat(r.elapsed()).isEqualTo(standard.length()).isLessThan(Duration.ofSeconds(25));
    }

    /**
     * Guards against: the tour's adaptive limit drifting from what its keys say (the constant the
     * other tests read is the one the run gets from the properties, not a copy set in code).
     */
    @Test
    void theAdaptiveLimitComesFromTheKeys() {
        dev.ninelives.reactor.registry.NineLivesProperties p =
                dev.ninelives.reactor.registry.NineLivesProperties.builder().load(TourScenario.CONFIGURATION);
        assertThat(p.registry().bulkhead("inventory").config().adaptiveLimit()).isEqualTo(TourScenario.ADAPTIVE_LIMIT);
    }

    /**
     * The overload runs with the bulkhead's adaptive limit: as the queueing service's latency
     * climbs past the limit's threshold the limit comes down towards the service's capacity, and
     * it goes back up once the service has recovered. Every row shows the limit in force.
     */
    @Test
    void theAdaptiveLimitComesDownInTheOverloadAndBackUpAfterTheRecovery() {
        Script standard = Script.standard();
        TourReport r = play(standard);
        Phase overload = standard.phases().get(1);
        assertThat(overload.queues()).isTrue();
        assertThat(overload.latencyAt(6)).as("6 at once").isEqualTo(overload.latency().multipliedBy(3));

        List<TourReport.Row> overloadRows = r.rows().stream().filter(row -> row.phase().equals("OVERLOAD")).toList();
        List<TourReport.Row> healthy = r.rows().stream().filter(row -> row.phase().equals("healthy")).toList();
        List<TourReport.Row> recovered = r.rows().stream().filter(row -> row.phase().equals("recovered")).toList();
        int entering = healthy.get(healthy.size() - 1).limit();
        int peak = overloadRows.stream().mapToInt(TourReport.Row::limit).max().orElseThrow();
        int leaving = overloadRows.get(overloadRows.size() - 1).limit();
        // Healthy: 20 ms calls, the limit stays where it started or a little above.
        assertThat(healthy).allSatisfy(row -> assertThat(row.limit()).as("%s", row)
                .isBetween(TourScenario.ADAPTIVE_LIMIT.initialLimit(), TourScenario.ADAPTIVE_LIMIT.initialLimit() + 1));
        // Overload: the limit comes down to the service's capacity (2 at full speed), and the
        // service never works on more than the limit's highest.
        assertThat(leaving).as("limit leaving the overload").isLessThan(entering).isLessThan(peak)
                .isBetween(overload.capacity() - 1, overload.capacity() + 1);
        for (int i = 1; i < overloadRows.size(); i++) {
            assertThat(overloadRows.get(i).limit()).as("never up again once down: %s", overloadRows.get(i))
                    .isLessThanOrEqualTo(Math.max(overloadRows.get(i - 1).limit(), overload.capacity() + 1));
        }
        // Its latency climbed with the limit, above the limit's threshold, and came back down with it.
        assertThat(overloadRows.get(1).p50()).as("%s", overloadRows.get(1)).isGreaterThan(Duration.ofMillis(150));
        // The calls the limit keeps waiting: the overload alone refuses callers after a wait.
        assertThat(overloadRows).anySatisfy(row -> assertThat(row.timedOut()).as("%s", row).isPositive());
        assertThat(overloadRows).allSatisfy(row -> assertThat(row.failed() + row.rejected()).as("%s", row).isZero());
        // Recovered: the limit climbs back from the floor the outage left.
        int lowest = r.rows().stream().mapToInt(TourReport.Row::limit).min().orElseThrow();
        assertThat(lowest).isEqualTo(TourScenario.ADAPTIVE_LIMIT.minLimit());
        assertThat(recovered.get(recovered.size() - 1).limit()).as("limit at the end").isGreaterThan(lowest);
        assertThat(r.queueing().maxConcurrent()).isEqualTo(recovered.get(recovered.size() - 1).limit());
        assertThat(lines).anySatisfy(line -> assertThat(line).contains(" queued limit "));
    }

    /**
     * Halfway through the overload the run reloads its configuration through
     * {@code NineLivesProperties.reload}, the bulkhead's wait shortened from 250 ms to 50 ms: the
     * reload changes it in place (the same bulkhead, its adaptive limit, its permits in flight
     * and the breaker's state kept), it prints the report, and the calls that start waiting
     * after it give up after 50 ms while those before waited 250 ms. Guards against a reload
     * that replaces the bulkhead (its learned limit and its permits lost) or one whose new wait
     * reaches no call.
     */
    @Test
    void halfwayThroughTheOverloadAReloadShortensTheWaitInPlaceAndKeepsTheState() {
        Script standard = Script.standard();
        TourReport r = play(standard);
        TourReport.Reload reload = r.reload();

        assertThat(reload).isNotNull();
        assertThat(reload.at()).isEqualTo(Duration.ofMillis(6500))
                .isEqualTo(TourScenario.reloadAt(standard, CALL_INTERVAL));
        assertThat(standard.phaseAt(reload.at()).name()).isEqualTo("OVERLOAD");
        assertThat(reload.report().changes()).singleElement().satisfies(c -> {
            assertThat(c.action()).isEqualTo(dev.ninelives.reactor.registry.ReloadReport.Action.CHANGED);
            assertThat(c.name()).isEqualTo("inventory");
            assertThat(c).hasToString("BULKHEAD 'inventory' CHANGED: max-wait 250ms -> 50ms");
        });
        assertThat(reload.maxWaitBefore()).isEqualTo(Duration.ofMillis(250));
        assertThat(reload.maxWaitAfter()).isEqualTo(Duration.ofMillis(50));
        assertThat(r.queueing().maxWait()).isEqualTo(Duration.ofMillis(50));

        // The state is kept: the same policies, the limit the algorithm had found, the permits in
        // flight, the breaker's state.
        assertThat(reload.samePolicies()).isTrue();
        assertThat(reload.limitAfter()).isEqualTo(reload.limitBefore())
                .isNotEqualTo(TourScenario.ADAPTIVE_LIMIT.initialLimit());
        assertThat(reload.inFlightAfter()).isEqualTo(reload.inFlightBefore()).isPositive();
        assertThat(reload.breakerAfter()).isEqualTo(reload.breakerBefore()).isEqualTo(State.CLOSED);

        // From the next call: those that started waiting before the reload waited 250 ms, those
        // after 50 ms (virtual time: exactly).
        assertThat(reload.shortestTimeoutBefore()).isEqualTo(Duration.ofMillis(250));
        assertThat(reload.timedOutAfter()).isPositive();
        assertThat(reload.longestTimeoutAfter()).isEqualTo(Duration.ofMillis(50));
        // The callers of the overload that the service could not take see it: the median of the
        // seconds after the reload is below that of the second before it.
        List<TourReport.Row> overloadRows = r.rows().stream().filter(row -> row.phase().equals("OVERLOAD")).toList();
        TourReport.Row before = overloadRows.stream().filter(row -> row.at().compareTo(reload.at()) < 0)
                .reduce((a, b) -> b).orElseThrow();
        assertThat(overloadRows).filteredOn(row -> row.at().minusSeconds(1).compareTo(reload.at()) >= 0).isNotEmpty()
                .allSatisfy(row -> assertThat(row.p50()).as("%s", row).isLessThan(before.p50()));

        // Printed where it happened, with the report and what it kept, and in the summary.
        int at = lines.indexOf(String.format(java.util.Locale.ROOT, "%6s  >> reload     %s=%s", "6.50 s",
                TourScenario.RELOADED_KEY, TourScenario.RELOADED_VALUE));
        assertThat(at).isPositive();
        assertThat(lines.subList(at + 1, at + 4)).containsExactly(
                "          NineLives reload: 1 change",
                "            BULKHEAD 'inventory' CHANGED: max-wait 250ms -> 50ms",
                String.format(java.util.Locale.ROOT, "          kept: the same policies, limit %d, %d calls in flight, %d waiting;"
                        + " breaker CLOSED", reload.limitAfter(), reload.inFlightAfter(),
                        Integer.parseInt(lines.get(at + 3).replaceAll(".* flight, (\\d+) waiting.*", "$1"))));
        assertThat(lines.get(at - 1)).as("after the row before it").startsWith("   6 s  OVERLOAD");
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  reload       at 6.5 s: max-wait 250 ms -> 50 ms, in place"));
    }

    /** A script without a phase that queues has no reload. */
    @Test
    void aScriptWithoutAnOverloadReloadsNothing() {
        assertThat(TourScenario.reloadAt(SHORT, CALL_INTERVAL)).isNull();
        assertThat(play(SHORT).reload()).isNull();
        assertThat(lines).noneMatch(line -> line.contains(">> reload"));
    }
}
