package dev.ninelives.site;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;

/**
 * The NineLives tour: a bulkhead in front of a retry in front of a circuit breaker protects a
 * scripted flaky service (healthy, 3 s slow, a 4 s outage, recovered) while calls arrive 20 times
 * a second, and a live timeline shows each second the calls, their outcomes, the callers that
 * queued for a permit of the bulkhead and those that gave up waiting, the retries and the retries
 * the budget denied, the breaker's state, and each transition with its reason. Takes about 16 s.
 *
 * <p>Run it from the root of the project with
 * {@code mvn -q -pl site -am -DskipTests package exec:java}.
 *
 * <p>The scenario itself is {@link TourScenario}; this class only gives it a real-time
 * scheduler and standard output. Everything, the retry's delays and the bulkhead's wait
 * timeouts included, runs on one daemon
 * thread, so the timeline's lines never interleave and nothing lingers once the tour is over.
 */
public final class Tour {

    private Tour() {
    }

    /**
     * Runs the tour and prints its timeline and summary.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        Scheduler scheduler = Schedulers.newSingle("ninelives-tour", true);
        try {
            TourScenario scenario = new TourScenario(ScriptedService.Script.standard(),
                    Duration.ofMillis(50), Duration.ofSeconds(1), scheduler, System.out::println);
            scenario.run().block(Duration.ofMinutes(1));
        } finally {
            scheduler.dispose();
        }
        System.out.flush();
    }
}
