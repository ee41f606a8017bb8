package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.breaker.StateTransitionEvent.Reason;
import dev.ninelives.core.Ticker;
import dev.ninelives.site.ScriptedService.Phase;
import dev.ninelives.site.ScriptedService.Script;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tour as {@link Tour} runs it, shortened: the same scenario, policies and phases, against
 * the real HTTP server on the loopback address, in real time, about 5 s, with the reload of the
 * configuration halfway through its overload.
 *
 * <p>Real time makes the exact counts vary from run to run, so this test asserts only what holds
 * whatever the timing: the breaker opened during the slow phase or the outage and closed after
 * the recovery, the attempt timeout cut attempts of the slow phase, no
 * permit of the bulkhead leaked, the retry budget agrees with the retry, the counts add up, and
 * the server was stopped. It never sleeps: it waits for the run's own end, with a bound.
 *
 * <p>The script is built so that those outcomes do not hang on timing: the breaker needs about
 * a dozen failed attempts to open, and the 1 s outage brings some 50 calls; it stays open 2 s, so
 * its trial calls come after the outage, in the 2.5 s of recovery.
 */
class HttpTourTest {

    static final Duration CALL_INTERVAL = Duration.ofMillis(20);

    /** The tour's phases, shortened. */
    static final Script SHORT = Script.of(
            new Phase("healthy", Duration.ofMillis(500), Duration.ofMillis(10), 20),
            new Phase("SLOW", Duration.ofMillis(400), Duration.ofMillis(400), 0),
            Phase.failing("OUTAGE", Duration.ofSeconds(1), Duration.ofMillis(50), 3),
            Phase.queueing("OVERLOAD", Duration.ofMillis(400), Duration.ofMillis(100), 2),
            new Phase("recovered", Duration.ofMillis(2500), Duration.ofMillis(10), 0));

    final Scheduler scheduler = Schedulers.newParallel("http-tour-test", 2, true);
    final List<String> lines = new CopyOnWriteArrayList<>();

    @AfterEach
    void disposeScheduler() {
        scheduler.dispose();
    }

    @Test
    void breakerOpensDuringTheOutageClosesAfterRecoveryAndNoPermitLeaks() {
        AtomicReference<HttpTourService> started = new AtomicReference<>();
        TourScenario scenario = new TourScenario(SHORT, CALL_INTERVAL, Duration.ofMillis(500), scheduler, lines::add)
                .withTicker(Ticker.system())
                .withService((script, ticker, s) -> {
                    HttpTourService service = HttpTourService.start(script, ticker, s);
                    started.set(service);
                    return service;
                });

        TourReport r = scenario.run().block(Duration.ofSeconds(60));

        assertThat(r).isNotNull();
        Duration slowStart = SHORT.startOf(1);
        Duration recoveryStart = SHORT.startOf(4);
        List<TourReport.Transition> t = r.transitions();

        // Opened during the slow phase or the outage, on the attempts the attempt timeout cut or on
        // the outage's failures (the slow phase's cuts come some 50 ms before the outage starts).
        assertThat(t).filteredOn(tr -> tr.event().to() == State.OPEN)
                .anySatisfy(tr -> assertThat(tr.at()).as("%s", tr).isBetween(slowStart, recoveryStart));
        assertThat(t).isNotEmpty();
        assertThat(t.get(0).event().from()).isEqualTo(State.CLOSED);
        assertThat(t.get(0).event().to()).isEqualTo(State.OPEN);
        assertThat(t.get(0).event().reason()).isIn(Reason.FAILURE_RATE_EXCEEDED, Reason.SLOW_CALL_RATE_EXCEEDED);
        assertThat(r.rejected()).isPositive();

        // Closed after the recovery, on successful trial calls.
        TourReport.Transition last = t.get(t.size() - 1);
        assertThat(last.event().from()).isEqualTo(State.HALF_OPEN);
        assertThat(last.event().to()).isEqualTo(State.CLOSED);
        assertThat(last.event().reason()).isEqualTo(Reason.TRIAL_CALLS_SUCCEEDED);
        assertThat(last.at()).isGreaterThan(recoveryStart);
        assertThat(r.finalState()).isEqualTo(State.CLOSED);

        // The slow phase's 400 ms answers were cut at 350 ms; a call whose last attempt was cut got
        // the fallback's answer (how many of them depends on the timing: their retries may meet
        // the outage and fail instead).
        assertThat(r.timeouts().attemptsCut()).as("attempts cut by the attempt timeout").isPositive();
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .startsWith("  timeouts     " + r.timeouts().attemptsCut() + " attempts cut at 350 ms"));

        // Halfway through the overload the configuration was reloaded: the bulkhead's wait
        // changed in place, the same policies kept.
        assertThat(r.reload()).isNotNull();
        assertThat(r.reload().report().changes()).singleElement()
                .hasToString("BULKHEAD 'inventory' CHANGED: max-wait 250ms -> 50ms");
        assertThat(r.reload().samePolicies()).isTrue();
        assertThat(r.queueing().maxWait()).isEqualTo(Duration.ofMillis(50));
        assertThat(lines).anySatisfy(line -> assertThat(line).contains(">> reload     " + TourScenario.RELOADED_KEY));

        // No permit leaked, the budget agrees with the retry, the counts add up.
        TourTest.assertNoPermitLeaked(r);
        TourTest.assertBudgetConsistent(r);
        TourTest.assertCountsAddUp(r);

        // The outage's requests reached a real server, which failed them as scripted.
        assertThat(r.server().requestsWhileDown()).isPositive();
        assertThat(r.server().unavailable()).isPositive();
        // At most the adaptive limit's highest calls hold a permit at once; a server does not see its client give up on a cut
        // attempt, and works on it until it answers, while the call's retry has taken its place.
        assertThat((long) r.server().peakActive())
                .isLessThanOrEqualTo(TourScenario.ADAPTIVE_LIMIT.maxLimit() + r.timeouts().attemptsCut());
        assertThat(r.service()).contains("http://127.0.0.1:");
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("p50").contains("p99").contains("queued"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("  final state  CLOSED; bulkhead: 0 calls in flight"));

        // The server was stopped with the run: its port no longer answers.
        int port = started.get().server().port();
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            }
        }).isInstanceOf(IOException.class);
    }
}
