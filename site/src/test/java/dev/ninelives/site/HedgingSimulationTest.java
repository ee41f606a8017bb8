package dev.ninelives.site;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hedging simulation's figures, which the hedging page shows as a table and a chart. To
 * refresh the checked-in chart and see the table after a change:
 * {@code mvn -B -ntp -pl site -am verify -Dtest=HedgingSimulationTest -Dsurefire.failIfNoSpecifiedTests=false -Dhedging.write=true}.
 */
class HedgingSimulationTest {

    static final Path CHART = SitePagesTest.SOURCES.resolve("images/hedging-latency.svg");
    static final Path PAGE = SitePagesTest.SOURCES.resolve("hedging.adoc");

    static List<HedgingSimulation.Figures> figures;

    @BeforeAll
    static void simulate() {
        figures = HedgingSimulation.all();
    }

    /**
     * Hedging at p90 brings the p99 down to about p90 + p50 of the unhedged dependency (a slow
     * call gets its answer from a hedge sent at the p90, which takes the p50): within 10 %, the
     * delay being its histogram bucket's upper edge (at most 12.5 % above the p90) and the
     * warm-up window using the minimum delay. The extra load stays within the budget: at most its
     * ratio of the calls plus its burst.
     */
    @Test
    void hedgingAtP90CutsTheTailToAboutP90PlusP50WithinTheBudget() {
        HedgingSimulation.Figures none = figures.get(0);
        HedgingSimulation.Figures p90 = figures.get(1);
        assertThat(none.p99()).isEqualTo(400.0);
        double target = none.p90() + none.p50();
        assertThat(target).isEqualTo(40.0);
        assertThat(p90.p99()).isBetween(target, target * 1.10);
        assertThat(p90.p50()).isEqualTo(none.p50());
        assertThat(p90.hedges()).isLessThanOrEqualTo((long) (0.1 * HedgingSimulation.CALLS) + 10);
        assertThat(p90.load()).isLessThanOrEqualTo(1.1 + 10.0 / HedgingSimulation.CALLS);
        HedgingSimulation.Figures tight = figures.get(3);
        assertThat(tight.hedges()).as("a tight budget caps the hedges").isLessThanOrEqualTo((long) (0.02 * HedgingSimulation.CALLS) + 5);
        assertThat(tight.p99()).as("and leaves part of the tail").isGreaterThan(p90.p99());
    }

    /** The page's table and the checked-in chart are this very simulation's. */
    @Test
    void thePageShowsTheseFigures() throws IOException {
        String svg = HedgingSimulation.svg(figures);
        if (Boolean.getBoolean("hedging.write")) {
            Files.createDirectories(CHART.getParent());
            Files.writeString(CHART, svg, StandardCharsets.UTF_8);
            figures.forEach(f -> System.out.println(f.row()));
        }
        assertThat(Files.readString(CHART, StandardCharsets.UTF_8)).isEqualTo(svg);
        String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        for (HedgingSimulation.Figures f : figures) {
            assertThat(page).contains(f.row());
        }
    }
}
