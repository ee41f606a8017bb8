package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Loggers;

import java.time.Duration;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The NineLives tour: one pipeline, a bulkhead in front of a retry in front of a circuit breaker
 * in front of an attempt timeout, whose plan it prints first, protects calls to a real HTTP
 * service, started in this JVM on the loopback address, whose behaviour follows a script (healthy,
 * 5 s overloaded, its latency growing with the calls it is given, 3 s slow, a 3 s outage of 503s
 * and connections closed without an answer, recovered) while calls arrive 20 times a second; a
 * call whose last attempt the timeout cut gets the fallback's answer. The policies come from
 * properties keys; the bulkhead's limit is adaptive (AIMD), and halfway through the overload the
 * tour reloads the keys with a shorter wait for a permit, printing the reload's report. A live
 * timeline shows each second the calls, their outcomes, the retries and those the budget denied,
 * the refusals of the breaker and of the bulkhead, the attempts cut and the calls that fell back,
 * the longest queue for a permit, the bulkhead's limit, the p50 and p99 latency, the breaker's
 * state, and each transition with its reason; a summary closes it, followed by the policies' meters as
 * Prometheus would scrape them ({@link TourMeters}). Takes about 22 s, then stops the server
 * and ends by itself.
 *
 * <p>Run it from the root of the project with
 * {@code mvn -q -pl site -am -DskipTests package exec:java}.
 *
 * <p>The scenario itself is {@link TourScenario}, the service {@link HttpTourService}; this
 * class gives them real time (a scheduler of two daemon threads and {@link Ticker#system()}) and
 * standard output. Nothing but {@value ScriptedHttpServer#HOST} is ever listened on or called.
 */
public final class Tour {

    /**
     * The logger of reactor-netty's HTTP client, which warns on standard error of every
     * connection lost before an answer: the server loses some on purpose, and the timeline says
     * so. Held here because java.util.logging keeps loggers weakly, and the level set on a
     * logger that was collected is lost.
     */
    private static final Logger HTTP_CLIENT_LOG = Logger.getLogger("reactor.netty.http.client.HttpClientConnect");

    private Tour() {
    }

    /**
     * Runs the tour and prints its timeline, its summary and its meters.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // Before any Reactor class takes its logger: Reactor's logging goes to java.util.logging,
        // where the client's warnings of the connections the script closes are turned off.
        Loggers.useJdkLoggers();
        HTTP_CLIENT_LOG.setLevel(Level.SEVERE);
        Scheduler scheduler = Schedulers.newParallel("ninelives-tour", 2, true);
        long start = System.nanoTime();
        try {
            TourReport report = new TourScenario(ScriptedService.Script.standard(), Duration.ofMillis(50),
                    Duration.ofSeconds(1), scheduler, System.out::println)
                    .withService(HttpTourService::start)
                    .withTicker(Ticker.system())
                    .withMetrics(metrics())
                    .run()
                    .block(Duration.ofMinutes(1));
            if (report != null) {
                System.out.println(String.format(Locale.ROOT, "  stopped      the server and the client (%s) after %s",
                        report.service(), TourScenario.seconds(Duration.ofNanos(System.nanoTime() - start), 1)));
            }
        } finally {
            scheduler.dispose();
        }
        System.out.flush();
    }

    /**
     * The tour's meters: a hook that binds each run's breaker, retry and bulkhead to a
     * Prometheus registry with {@code NineLivesMeters}, and prints the registry's
     * {@code ninelives_} lines in Prometheus' text format after the summary.
     *
     * @return a new {@link TourMeters}
     */
    static TourScenario.MetricsHook metrics() {
        return new TourMeters();
    }
}
