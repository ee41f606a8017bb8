package dev.ninelives.site;

import dev.ninelives.site.JmhResults.Result;
import dev.ninelives.site.PerformanceCharts.Bar;
import dev.ninelives.site.PerformanceCharts.Chart;
import dev.ninelives.site.PerformanceCharts.Panel;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the words of the performance page against the result files it charts: the page gives no
 * figure of its own, but it says which implementation is faster, what allocates nothing, and how
 * far apart they are, and each of those sentences is checked here. A new run that contradicts the
 * page fails this test until the page is brought up to date.
 *
 * <p>Also checks that the README of the data directory describes the runs the files hold: the
 * JMH and JDK versions, the forks and iterations of each command, its benchmarks and
 * implementations, and the file it wrote.
 */
class PerformancePageTest {

    static final Path DATA = PerformanceChartsTest.DATA;

    static Map<String, List<Result>> runs;
    static Map<String, String> readme;

    @BeforeAll
    static void readTheRuns() throws IOException {
        runs = new LinkedHashMap<>();
        for (String data : List.of("breaker", "retry", "bulkhead", "targets")) {
            runs.put(data, JmhResults.read(DATA.resolve("result-" + data + ".json")));
        }
        readme = PerformanceCharts.runAttributes(Files.readString(DATA.resolve(PerformanceCharts.README)));
    }

    /** The median of {@code impl} in the panel {@code title} of chart {@code file}. */
    static double value(String file, String title, String impl) {
        Chart chart = PerformanceCharts.CHARTS.stream().filter(c -> c.file().equals(file)).findFirst().orElseThrow();
        Panel panel = chart.panels().stream().filter(p -> p.title().equals(title)).findFirst().orElseThrow();
        return PerformanceCharts.bars(runs.get(chart.data()), panel).stream()
                .filter(b -> b.impl().equals(impl)).findFirst().orElseThrow(() -> new AssertionError(impl + " in " + title))
                .value();
    }

    /** The difference over BARE of {@code impl} in a panel. */
    static double delta(String file, String title, String impl) {
        return value(file, title, impl) - value(file, title, "BARE");
    }

    static final String MONO_CLOSED = "Mono, CLOSED: one call of Mono.just(1)";
    static final String FLUX_CLOSED = "Flux, CLOSED: one call of Flux.range(0, 1000)";
    static final String OPEN = "Refused call, OPEN (BARE: the call, not refused)";
    static final String FORCED = "Refused call, FORCED_OPEN (BARE: the call, not refused)";
    static final String SHARED = "Mono, CLOSED, one breaker shared";
    static final String MONO_SUCCESS = "Mono, success: one call of Mono.just(1)";
    static final String FLUX_SUCCESS = "Flux, success: one call of Flux.range(0, 1000)";
    static final String FAIL_ONCE = "One failed attempt, then a successful one (BARE: subscribed twice by hand)";
    static final String BULKHEAD_MONO = "Mono: one call of Mono.just(1)";
    static final String BULKHEAD_FLUX = "Flux: one call of Flux.range(0, 1000)";

    @Test
    void nineLivesIsFasterAndAllocatesLessThanEveryCompetitorInEveryScenario() {
        SoftAssertions soft = new SoftAssertions();
        for (Chart chart : PerformanceCharts.CHARTS) {
            if (!chart.differences() || chart.data().equals("targets")) {
                continue;                                            // saturated: rates; targets: no competitor
            }
            for (Panel panel : chart.panels()) {
                List<Bar> bars = PerformanceCharts.bars(runs.get(chart.data()), panel);
                double nineLives = bars.stream().filter(b -> b.impl().equals("NINELIVES")).findFirst().orElseThrow().value();
                for (Bar b : bars) {
                    if (b.impl().equals("RESILIENCE4J") || b.impl().equals("REACTOR_RETRY_WHEN")) {
                        soft.assertThat(nineLives).as("%s, %s: NINELIVES below %s", chart.file(), panel.title(), b.impl())
                                .isLessThan(b.value());
                    }
                }
            }
        }
        soft.assertAll();
    }

    @Test
    void breaker() {
        for (String panel : List.of(MONO_CLOSED, FLUX_CLOSED, SHARED)) {
            assertThat(Math.round(delta("breaker-alloc.svg", panel, "NINELIVES")))
                    .as("%s: 32 bytes over the bare call", panel).isEqualTo(32);
        }
        for (String panel : List.of(OPEN, FORCED)) {
            assertThat(Math.round(value("breaker-alloc.svg", panel, "NINELIVES"))).as("%s: nothing", panel).isZero();
        }
        assertThat(value("breaker-time.svg", FORCED, "NINELIVES")).as("FORCED_OPEN: less than the bare call")
                .isLessThan(value("breaker-time.svg", FORCED, "BARE"));
        assertThat(value("breaker-time.svg", OPEN, "NINELIVES")).as("OPEN: longer than the bare call and FORCED_OPEN")
                .isGreaterThan(value("breaker-time.svg", OPEN, "BARE"))
                .isGreaterThan(value("breaker-time.svg", FORCED, "NINELIVES"));
        double ownShared = value("breaker-time.svg", SHARED, "NINELIVES") / value("breaker-time.svg", MONO_CLOSED, "NINELIVES");
        double theirShared = value("breaker-time.svg", SHARED, "RESILIENCE4J")
                / value("breaker-time.svg", MONO_CLOSED, "RESILIENCE4J");
        assertThat(ownShared).as("about what it costs one thread").isBetween(0.8, 1.25);
        assertThat(theirShared).as("more than twice").isGreaterThan(2);
    }

    @Test
    void retry() {
        for (String competitor : List.of("REACTOR_RETRY_WHEN", "RESILIENCE4J")) {
            assertThat(value("retry-time.svg", MONO_SUCCESS, "NINELIVES")).as("a tenth of %s", competitor)
                    .isLessThan(value("retry-time.svg", MONO_SUCCESS, competitor) / 10);
            assertThat(delta("retry-time.svg", FLUX_SUCCESS, "NINELIVES")).as("adds a tenth of %s", competitor)
                    .isLessThan(delta("retry-time.svg", FLUX_SUCCESS, competitor) / 10);
        }
        assertThat(Math.round(delta("retry-alloc.svg", MONO_SUCCESS, "NINELIVES"))).isEqualTo(32);
        assertThat(value("retry-time.svg", FAIL_ONCE, "NINELIVES"))
                .isLessThan(value("retry-time.svg", FAIL_ONCE, "REACTOR_RETRY_WHEN") / 10);
    }

    @Test
    void bulkhead() {
        for (String panel : List.of(BULKHEAD_MONO, BULKHEAD_FLUX)) {
            assertThat(Math.round(delta("bulkhead-alloc.svg", panel, "NINELIVES"))).as(panel).isEqualTo(32);
        }
        String completed = "WAIT: calls completed per second";
        assertThat(value("bulkhead-saturated.svg", completed, "NINELIVES")).as("ten times Resilience4j's")
                .isGreaterThan(10 * value("bulkhead-saturated.svg", completed, "RESILIENCE4J"))
                .isLessThan(value("bulkhead-saturated.svg", "FAIL_FAST: calls completed per second", "NINELIVES"));
        assertThat(value("bulkhead-saturated.svg", "WAIT: calls refused per second", "NINELIVES")).isZero();
        assertThat(value("bulkhead-saturated.svg", "FAIL_FAST: calls refused per second", "NINELIVES"))
                .as("hundreds of millions").isGreaterThanOrEqualTo(100e6).isLessThan(1e9);
    }

    @Test
    void aFluxElementCostsUnderANanosecondInTheRunsAndOverOneInTheRetrysRerun() {
        assertThat(delta("breaker-time.svg", FLUX_CLOSED, "NINELIVES") / 1000).isLessThan(1);
        assertThat(delta("retry-time.svg", FLUX_SUCCESS, "NINELIVES") / 1000).isLessThan(1);
        assertThat(delta("bulkhead-time.svg", BULKHEAD_FLUX, "NINELIVES") / 1000).isLessThan(1);
        assertThat(delta("targets-time.svg", "Retry, Flux, success: one call of Flux.range(0, 1000)", "NINELIVES") / 1000)
                .isGreaterThan(1);
    }

    // ---------------------------------------------------------------- the README and the files

    static final Pattern OPTION = Pattern.compile("\\s-(\\w+) (\\S+)");

    @Test
    void theReadmeDescribesTheRunsTheFilesHold() throws IOException {
        String text = Files.readString(DATA.resolve(PerformanceCharts.README));
        String machine = readme.get("perf-machine");
        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, List<Result>> run : runs.entrySet()) {
            String data = run.getKey();
            String command = readme.get("perf-" + data + "-command");
            soft.assertThat(readme).as(data).containsKeys("perf-" + data + "-date", "perf-" + data + "-commit");
            soft.assertThat(command).as(data).startsWith("java -jar jmh/target/benchmarks.jar ");
            if (command == null) {
                continue;
            }
            Map<String, String> options = new LinkedHashMap<>();
            Matcher m = OPTION.matcher(command);
            while (m.find()) {
                options.put(m.group(1), m.group(2));
            }
            String source = Path.of(options.get("rff")).getFileName().toString();
            soft.assertThat(text).as("%s: the table names where the file came from", data)
                    .contains("|`result-" + data + ".json`\n|`jmh/target/" + source + "`");
            String include = command.substring("java -jar jmh/target/benchmarks.jar ".length()).split(" -")[0]
                    .replace("\"", "");
            Pattern benchmarks = Pattern.compile(include);
            for (Result r : run.getValue()) {
                String what = data + ": " + r.simpleName() + " " + r.params();
                soft.assertThat(benchmarks.matcher(r.benchmark()).find()).as("%s is selected by %s", what, include).isTrue();
                soft.assertThat(String.valueOf(r.forks())).as("%s: forks", what).isEqualTo(options.get("f"));
                soft.assertThat(String.valueOf(r.measurementIterations())).as("%s: iterations", what)
                        .isEqualTo(options.get("i"));
                soft.assertThat(r.measurementTime().replace(" ", "")).as("%s: iteration time", what)
                        .isEqualTo(options.get("r"));
                soft.assertThat(machine).as("%s: versions", what)
                        .contains("OpenJDK " + r.jdkVersion()).contains("JMH " + r.jmhVersion());
                if (options.containsKey("p")) {
                    soft.assertThat(List.of(options.get("p").replace("impl=", "").split(",")))
                            .as("%s: implementations", what).contains(r.param("impl"));
                }
            }
        }
        soft.assertAll();
    }
}
