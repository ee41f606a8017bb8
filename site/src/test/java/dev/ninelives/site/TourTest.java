package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker.State;
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
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plays the tour's scenario under virtual time: seconds of script in milliseconds, no sleeping,
 * the same sequence of events as the real-time tour (the retry's jitter is seeded). Every run is
 * also checked for a leaked permit of the bulkhead once all its calls have ended.
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
        assertThat(r.ok() + r.failed() + r.rejected() + r.queueing().timedOut() + r.queueing().queueFull())
                .isEqualTo(r.calls());
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
            assertThat(lines).contains(String.format(Locale.ROOT, TourScenario.ROW,
                    TourScenario.seconds(row.at(), 0), row.phase(), row.calls(), row.ok(), row.failed(), row.rejected(),
                    row.timedOut(), row.retried(), row.denied(), row.queued(), row.state(), row.note()));
        }
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("retried").contains("denied").contains("rejected")
                .contains("timedout").contains("queued"));
        assertThat(lines).contains("  final state  CLOSED; bulkhead: 0 calls in flight, 0 waiting, 4 of 4 permits free");
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  spared       " + r.sparedWhileDown() + " of the " + r.attemptsWhileDown() + " attempts"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  retries      " + r.retries().made() + " made, " + r.retries().duringOutage())
                .contains(r.retries().denied() + " denied by the budget"));
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

    @Test
    void callersQueueWhileTheServiceIsSlowAndSomeTimeOutWithoutTrippingTheBreaker() {
        Script standard = Script.standard();
        TourReport r = play(standard);
        TourReport.Queueing q = r.queueing();
        Duration slowStart = standard.startOf(1);
        Duration outageStart = standard.startOf(2);
        assertThat(standard.phases().get(1).name()).isEqualTo("SLOW");

        // 400 ms calls, one every 50 ms, 4 at once: every second of the slow phase, callers queue
        // and some of them give up waiting, while others get a permit and succeed.
        List<TourReport.Row> slow = r.rows().stream().filter(row -> row.phase().equals("SLOW")).toList();
        assertThat(slow).hasSize(3).allSatisfy(row -> {
            assertThat(row.queued()).as("%s", row).isPositive().isLessThanOrEqualTo(10);
            assertThat(row.timedOut()).as("%s", row).isPositive();
            assertThat(row.ok()).as("%s", row).isPositive();
            assertThat(row.failed() + row.rejected()).as("%s", row).isZero();
            assertThat(row.state()).as("%s", row).isEqualTo(State.CLOSED);
        });
        // Nobody waits while the service is fast; waits end with the tail of the slow calls.
        assertThat(r.rows()).filteredOn(row -> row.phase().equals("healthy")).isNotEmpty()
                .allSatisfy(row -> assertThat(row.queued() + row.timedOut()).as("%s", row).isZero());
        assertThat(r.rows()).filteredOn(row -> row.timedOut() > 0)
                .allSatisfy(row -> assertThat(row.at()).isGreaterThan(slowStart)
                        .isLessThanOrEqualTo(outageStart.plusSeconds(1)));

        // Timeouts are counted apart from the breaker's refusals, and never reach the breaker:
        // it stays CLOSED through the slow phase and first opens in the outage.
        assertThat(q.timedOut()).isPositive();
        assertThat(q.queueFull()).as("at most 5 callers arrive in 250 ms: the queue of 10 never fills").isZero();
        assertThat(q.waited()).as("callers that waited and got a permit").isPositive();
        assertThat(q.longestWait()).isPositive().isLessThanOrEqualTo(q.maxWait());
        assertThat(q.peakQueue()).isBetween(1, 10);
        assertThat(r.transitions()).isNotEmpty();
        assertThat(r.transitions().get(0).at()).isGreaterThan(outageStart);
        assertThat(r.transitions().get(0).event().reason()).isEqualTo(Reason.FAILURE_RATE_EXCEEDED);

        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("               " + q.timedOut() + " timed out waiting for a permit of the bulkhead"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  bulkhead     4 calls at once: " + q.waited() + " calls got a permit after waiting"));
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("               " + q.timedOut() + " gave up after 250 ms without a permit"));
    }

    @Test
    void standardTourPlaysOutAsTheTourPrintsIt() {
        TourReport r = play(Script.standard());

        assertThat(r.transitions()).extracting(tr -> tr.event().to())
                .containsExactly(State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN, State.CLOSED);
        assertThat(r.rejectedByHalfOpen()).as("trial calls all taken while they fail slowly").isPositive();
        assertThat(r.retries().duringOutage()).isPositive();
        assertThat(r.retries().denied()).isPositive();
        assertThat(r.retries().outOfTime()).isPositive();
        assertThat(r.retries().rescued()).isPositive();
        assertThat(r.finalState()).isEqualTo(State.CLOSED);
        assertThat(r.elapsed()).isLessThan(Duration.ofSeconds(25));
    }
}
