package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.retry.Retry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The tour's meters: binds the run's breaker, retry and bulkhead to a Prometheus registry of
 * their own with {@link NineLivesMeters}, and prints what Prometheus would scrape from it once the
 * run's summary is out.
 *
 * <p>Each {@link #bind} starts a new registry, so a hook used for two runs prints the meters of
 * the last one only; {@link #print} prints nothing before the first {@code bind}. The registry
 * holds nothing but the NineLives meters (no JVM or system binder is bound to it), and only the
 * lines of the {@code ninelives_} families are printed all the same.
 */
public final class TourMeters implements TourScenario.MetricsHook {

    /** The prefix of every family the NineLives binders register, as Prometheus names it. */
    public static final String PREFIX = "ninelives_";

    /** The line printed above the meters. */
    public static final String HEADING = "Meters, as Prometheus scrapes them at the end of the run";

    private volatile PrometheusMeterRegistry registry;

    /** Creates a hook; nothing is registered until {@link #bind} is called. */
    public TourMeters() {
    }

    /**
     * Binds the run's policies to a new Prometheus registry: {@code ninelives.breaker.*},
     * {@code ninelives.retry.*} and {@code ninelives.bulkhead.*}, each tagged with its policy's
     * name.
     *
     * @param breaker  the run's breaker
     * @param retry    the run's retry
     * @param bulkhead the run's bulkhead
     */
    @Override
    public void bind(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NineLivesMeters.breaker(breaker).bindTo(r);
        NineLivesMeters.retry(retry).bindTo(r);
        NineLivesMeters.bulkhead(bulkhead).bindTo(r);
        registry = r;
    }

    /**
     * Prints an empty line, {@link #HEADING}, and the {@code ninelives_} lines of the registry's
     * scrape (each sample with its family's {@code # HELP} and {@code # TYPE} lines), indented by
     * two spaces. Prints nothing if no run was bound.
     *
     * @param out where the tour's lines go
     */
    @Override
    public void print(Consumer<String> out) {
        PrometheusMeterRegistry r = registry;
        if (r == null) {
            return;
        }
        out.accept("");
        out.accept(HEADING);
        for (String line : ninelivesLines(r.scrape())) {
            out.accept("  " + line);
        }
    }

    /**
     * The lines of a Prometheus text exposition that belong to the {@code ninelives_} families:
     * their {@code # HELP} and {@code # TYPE} lines and their samples, in the order given.
     *
     * @param scrape a scrape in Prometheus' text format
     * @return the lines, without line terminators
     */
    static List<String> ninelivesLines(String scrape) {
        List<String> lines = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(PREFIX) || line.startsWith("# HELP " + PREFIX) || line.startsWith("# TYPE " + PREFIX)) {
                lines.add(line);
            }
        }
        return lines;
    }
}
