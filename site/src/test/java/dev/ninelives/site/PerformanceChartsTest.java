package dev.ninelives.site;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ninelives.site.JmhResults.Result;
import dev.ninelives.site.PerformanceCharts.Bar;
import dev.ninelives.site.PerformanceCharts.Chart;
import dev.ninelives.site.PerformanceCharts.Panel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Checks the chart generator of the performance page: that it reads JMH's JSON right, takes each
 * bar from the right result and metric, labels it with the right figures, writes well-formed SVG,
 * and that every chart of this build is there, with the figures of its result file.
 */
class PerformanceChartsTest {

    static final Path BASE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path DATA = BASE.resolve("src/perf");
    static final Path CHARTS = BASE.resolve("target/site-html/images/perf");

    /** Two results in JMH's shape, trimmed, with a mean that differs from the median. */
    static final String SAMPLE = """
            [
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.ninelives.jmh.BreakerRejectBenchmark.monoRejected",
                    "mode" : "avgt",
                    "threads" : 1,
                    "forks" : 2,
                    "jvm" : "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                    "jvmArgs" : [ ],
                    "jdkVersion" : "17.0.15",
                    "vmName" : "OpenJDK 64-Bit Server VM",
                    "warmupIterations" : 3,
                    "warmupTime" : "1 s",
                    "measurementIterations" : 2,
                    "measurementTime" : "1 s",
                    "params" : { "impl" : "NINELIVES", "state" : "OPEN" },
                    "primaryMetric" : {
                        "score" : 10.0,
                        "scoreError" : 3.0,
                        "scorePercentiles" : { "0.0" : 7.0, "50.0" : 7.75, "100.0" : 17.5 },
                        "scoreUnit" : "ns/op",
                        "rawData" : [ [ 7.0, 7.5 ], [ 8.0, 17.5 ] ]
                    },
                    "secondaryMetrics" : {
                        "gc.alloc.rate.norm" : {
                            "score" : 0.0002,
                            "scorePercentiles" : { "50.0" : 0.0001 },
                            "scoreUnit" : "B/op",
                            "rawData" : [ [ 0.0001, 0.0001 ], [ 0.0002, 0.0003 ] ]
                        }
                    }
                },
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.ninelives.jmh.BreakerBenchmark.monoClosed",
                    "mode" : "avgt",
                    "threads" : 1,
                    "forks" : 1,
                    "jdkVersion" : "17.0.15",
                    "measurementIterations" : 3,
                    "measurementTime" : "1 s",
                    "primaryMetric" : {
                        "score" : 6.0,
                        "scorePercentiles" : { "50.0" : 6.5 },
                        "scoreUnit" : "ns/op",
                        "rawData" : [ [ 5.0, 6.5, 6.5 ] ]
                    },
                    "secondaryMetrics" : { }
                }
            ]
            """;

    // ---------------------------------------------------------------- reading JMH's JSON

    @Test
    void readsTheMedianNotTheMeanAndCountsTheMeasuredIterations() {
        List<Result> results = JmhResults.parse(new StringReader(SAMPLE), "sample.json");
        assertThat(results).hasSize(2);
        Result r = results.get(0);
        assertThat(r.simpleName()).isEqualTo("BreakerRejectBenchmark.monoRejected");
        assertThat(r.params()).containsExactly(Map.entry("impl", "NINELIVES"), Map.entry("state", "OPEN"));
        assertThat(r.param("state")).isEqualTo("OPEN");
        assertThat(r.param("mode")).isNull();
        assertThat(r.mode()).isEqualTo("avgt");
        assertThat(r.threads()).isEqualTo(1);
        assertThat(r.forks()).isEqualTo(2);
        assertThat(r.measurementIterations()).isEqualTo(2);
        assertThat(r.measurementTime()).isEqualTo("1 s");
        assertThat(r.jmhVersion()).isEqualTo("1.37");
        assertThat(r.jdkVersion()).isEqualTo("17.0.15");
        assertThat(r.metric(JmhResults.PRIMARY)).isEqualTo(new JmhResults.Metric(7.75, "ns/op", 4));
        assertThat(r.metric(JmhResults.ALLOCATION)).isEqualTo(new JmhResults.Metric(0.0001, "B/op", 4));
        assertThatThrownBy(() -> r.metric("completed")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("completed").hasMessageContaining("gc.alloc.rate.norm");

        Result plain = results.get(1);
        assertThat(plain.params()).isEmpty();
        assertThat(plain.secondary()).isEmpty();
        assertThat(plain.metric(JmhResults.PRIMARY).samples()).isEqualTo(3);
    }

    @Test
    void aFileThatLacksWhatTheChartsNeedIsRefusedWithItsNameAndTheField() {
        String noPercentiles = SAMPLE.replace("\"scorePercentiles\" : { \"50.0\" : 6.5 },", "");
        assertThatThrownBy(() -> JmhResults.parse(new StringReader(noPercentiles), "broken.json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broken.json").hasMessageContaining("BreakerBenchmark.monoClosed")
                .hasMessageContaining("scorePercentiles");
        assertThatThrownBy(() -> JmhResults.parse(new StringReader("{ \"benchmark\" : \"x\" }"), "object.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("object.json");
        assertThatThrownBy(() -> JmhResults.parse(new StringReader("[ { "), "cut.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cut.json");
    }

    // ---------------------------------------------------------------- extracting the bars

    /** One result in JMH's shape: {@code primary} ns/op (or ops/s), {@code bytes} B/op, and auxiliary counters. */
    static JsonObject result(String benchmark, Map<String, String> params, int threads, double primary,
                             double bytes, Map<String, Double> counters) {
        JsonObject o = new JsonObject();
        o.addProperty("jmhVersion", "1.37");
        o.addProperty("benchmark", "dev.ninelives.jmh." + benchmark);
        o.addProperty("mode", counters.isEmpty() ? "avgt" : "thrpt");
        o.addProperty("threads", threads);
        o.addProperty("forks", 2);
        o.addProperty("jdkVersion", "17.0.15");
        o.addProperty("measurementIterations", 3);
        o.addProperty("measurementTime", "1 s");
        JsonObject p = new JsonObject();
        params.forEach(p::addProperty);
        o.add("params", p);
        o.add("primaryMetric", metric(primary, counters.isEmpty() ? "ns/op" : "ops/s"));
        JsonObject secondary = new JsonObject();
        secondary.add(JmhResults.ALLOCATION, metric(bytes, "B/op"));
        counters.forEach((name, value) -> secondary.add(name, metric(value, "ops/s")));
        o.add("secondaryMetrics", secondary);
        return o;
    }

    static JsonObject metric(double median, String unit) {
        JsonObject m = new JsonObject();
        m.addProperty("score", median * 1.5);                 // a mean far from the median: must not be used
        JsonObject percentiles = new JsonObject();
        percentiles.addProperty("50.0", median);
        m.add("scorePercentiles", percentiles);
        m.addProperty("scoreUnit", unit);
        JsonArray raw = new JsonArray();
        for (int f = 0; f < 2; f++) {
            JsonArray fork = new JsonArray();
            for (int i = 0; i < 3; i++) {
                fork.add(median);
            }
            raw.add(fork);
        }
        m.add("rawData", raw);
        return m;
    }

    static List<Result> parse(JsonArray array) {
        return JmhResults.parse(new StringReader(array.toString()), "generated.json");
    }

    static Map<String, String> impl(String impl, String... more) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("impl", impl);
        for (int i = 0; i < more.length; i += 2) {
            params.put(more[i], more[i + 1]);
        }
        return params;
    }

    @Test
    void barsTakeTheirPanelsBenchmarkParametersAndMetricInThePagesOrder() {
        JsonArray array = new JsonArray();
        String rejected = "BreakerRejectBenchmark.monoRejected";
        array.add(result(rejected, impl("RESILIENCE4J", "state", "OPEN"), 1, 258.49, 752, Map.of()));
        array.add(result(rejected, impl("NINELIVES", "state", "FORCED_OPEN"), 1, 4.88, 0.0002, Map.of()));
        array.add(result(rejected, impl("NINELIVES", "state", "OPEN"), 1, 29.71, 0.0001, Map.of()));
        array.add(result(rejected, impl("BARE", "state", "OPEN"), 1, 7.12, 32.0001, Map.of()));
        array.add(result("BreakerBenchmark.monoClosed", impl("BARE"), 1, 6.65, 32, Map.of()));
        List<Result> results = parse(array);

        Panel open = new Panel("OPEN", rejected, Map.of("state", "OPEN"), JmhResults.ALLOCATION);
        assertThat(PerformanceCharts.bars(results, open)).containsExactly(
                new Bar("BARE", 32.0001, "B/op", 6),
                new Bar("NINELIVES", 0.0001, "B/op", 6),
                new Bar("RESILIENCE4J", 752, "B/op", 6));
        Panel forcedTime = new Panel("FORCED_OPEN", rejected, Map.of("state", "FORCED_OPEN"), JmhResults.PRIMARY);
        assertThat(PerformanceCharts.bars(results, forcedTime)).containsExactly(new Bar("NINELIVES", 4.88, "ns/op", 6));
    }

    @Test
    void aPanelWithoutAResultOrWithAnImplementationTwiceIsAnError() {
        JsonArray array = new JsonArray();
        array.add(result("BreakerBenchmark.monoClosed", impl("BARE"), 1, 6.65, 32, Map.of()));
        array.add(result("BreakerBenchmark.monoClosed", impl("BARE"), 1, 6.70, 32, Map.of()));
        List<Result> results = parse(array);
        assertThatThrownBy(() -> PerformanceCharts.bars(results,
                new Panel("closed", "BreakerBenchmark.monoClosed", Map.of(), JmhResults.PRIMARY)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two results for BARE");
        assertThatThrownBy(() -> PerformanceCharts.bars(results,
                new Panel("flux", "BreakerBenchmark.fluxClosed", Map.of(), JmhResults.PRIMARY)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no result of BreakerBenchmark.fluxClosed");
    }

    @Test
    void eachLabelGivesTheFigureAndItsDifferenceOverBare() {
        Bar bare = new Bar("BARE", 6.65, "ns/op", 12);
        Bar nineLives = new Bar("NINELIVES", 15.7712, "ns/op", 12);
        Bar below = new Bar("NINELIVES", 4.88, "ns/op", 12);
        assertThat(PerformanceCharts.label(bare, List.of(bare, nineLives), true)).isEqualTo("6.65");
        assertThat(PerformanceCharts.label(nineLives, List.of(bare, nineLives), true)).isEqualTo("15.77 (+9.12)");
        assertThat(PerformanceCharts.label(below, List.of(bare, below), true)).isEqualTo("4.88 (-1.77)");
        assertThat(PerformanceCharts.label(nineLives, List.of(nineLives), true)).as("no BARE").isEqualTo("15.77");

        Bar fluxBare = new Bar("BARE", 3400.31, "ns/op", 12);
        Bar flux = new Bar("NINELIVES", 4042.20, "ns/op", 12);
        assertThat(PerformanceCharts.label(flux, List.of(fluxBare, flux), true)).isEqualTo("4,042 (+642)");

        Bar bytesBare = new Bar("BARE", 32.0001, "B/op", 12);
        Bar bytes = new Bar("NINELIVES", 64.0003, "B/op", 12);
        Bar none = new Bar("NINELIVES", 0.0001, "B/op", 12);
        assertThat(PerformanceCharts.label(bytes, List.of(bytesBare, bytes), true)).isEqualTo("64 (+32)");
        assertThat(PerformanceCharts.label(none, List.of(bytesBare, none), true)).isEqualTo("0 (-32)");
        assertThat(PerformanceCharts.label(new Bar("NINELIVES", 0.4, "B/op", 12), List.of(), true)).isEqualTo("0.4");

        Bar rate = new Bar("NINELIVES", 523_209.4, "ops/s", 12);
        assertThat(PerformanceCharts.label(rate, List.of(new Bar("BARE", 2_032_387, "ops/s", 12), rate), false))
                .isEqualTo("523,209");
    }

    @Test
    void runAttributesReadsTheEntriesOfTheReadme() {
        assertThat(PerformanceCharts.runAttributes("""
                = Title
                Some text: not an attribute.
                // tag::runs[]
                :perf-retry-date: 2026-11-28, 10:40 to 10:45 UTC
                :perf-retry-command: java -jar "a|b" -f 2
                // end::runs[]
                """)).containsExactly(
                Map.entry("perf-retry-date", "2026-11-28, 10:40 to 10:45 UTC"),
                Map.entry("perf-retry-command", "java -jar \"a|b\" -f 2"));
    }

    // ---------------------------------------------------------------- writing the charts

    /** A bulkhead run in JMH's shape with every result the bulkhead charts need. */
    static JsonArray bulkheadRun() {
        JsonArray array = new JsonArray();
        double[] mono = {8.91, 12.46, 22.48, 40.99};
        double[] flux = {4193.05, 4263.02, 4908.70, 5515.84};
        double[] bytes = {32, 56, 64, 104};
        List<String> impls = List.of("BARE", "PASS_THROUGH", "NINELIVES", "RESILIENCE4J");
        for (int i = 0; i < impls.size(); i++) {
            array.add(result("BulkheadBenchmark.monoUncontended", impl(impls.get(i)), 1, mono[i], bytes[i], Map.of()));
            array.add(result("BulkheadBenchmark.fluxUncontended", impl(impls.get(i)), 1, flux[i], 14_000 + bytes[i] - 32,
                    Map.of()));
        }
        for (String mode : List.of("WAIT", "FAIL_FAST")) {
            array.add(result("BulkheadSaturatedBenchmark.call", impl("BARE", "mode", mode), 2, 2.0e6, 32,
                    Map.of("completed", 2.0e6, "rejected", 0.0)));
            array.add(result("BulkheadSaturatedBenchmark.call", impl("NINELIVES", "mode", mode), 2, 5.2e5, 158,
                    Map.of("completed", mode.equals("WAIT") ? 523_209.0 : 975_011.0,
                            "rejected", mode.equals("WAIT") ? 0.0 : 158_798_080.0)));
            array.add(result("BulkheadSaturatedBenchmark.call", impl("RESILIENCE4J", "mode", mode), 2, 4.2e4, 134,
                    Map.of("completed", 42_113.0, "rejected", mode.equals("WAIT") ? 0.0 : 889_142.0)));
        }
        return array;
    }

    static final String README = """
            // tag::runs[]
            :perf-bulkhead-date: 2026-11-28, 10:45 to 10:49 UTC
            :perf-bulkhead-commit: 307125a
            // end::runs[]
            """;

    @Test
    void writeDrawsEveryChartWhoseResultFileIsThereAndLeavesTheOthersOut(@TempDir Path dir) throws Exception {
        Path in = Files.createDirectories(dir.resolve("perf"));
        Files.writeString(in.resolve(PerformanceCharts.README), README);
        Files.writeString(in.resolve("result-bulkhead.json"), bulkheadRun().toString());
        Path out = dir.resolve("out/images");

        List<Path> written = PerformanceCharts.write(in, out);

        assertThat(written).extracting(p -> p.getFileName().toString())
                .containsExactly("bulkhead-time.svg", "bulkhead-alloc.svg", "bulkhead-saturated.svg");
        try (var files = Files.list(out)) {
            assertThat(files.count()).isEqualTo(3);
        }
        List<Result> results = parse(bulkheadRun());
        for (Chart chart : PerformanceCharts.CHARTS) {
            if (chart.data().equals("bulkhead")) {
                assertShowsItsFigures(out.resolve(chart.file()), chart, results);
            }
        }
        String saturated = texts(svg(out.resolve("bulkhead-saturated.svg")));
        assertThat(saturated).contains("158,798,080", "975,011", "523,209", "2 threads")
                .contains("Measured 2026-11-28, 10:45 to 10:49 UTC at commit 307125a");
        String time = texts(svg(out.resolve("bulkhead-time.svg")));
        assertThat(time).contains("22.48 (+13.57)", "4,909 (+716)", "ns per operation")
                .contains("2 forks × 3 iterations of 1\u00a0s each");
        assertThat(texts(svg(out.resolve("bulkhead-alloc.svg")))).contains("64 (+32)", "14,072 (+72)");
    }

    @Test
    void aRunThatTheReadmeDoesNotDateIsNotCharted(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(PerformanceCharts.README), README.replace(":perf-bulkhead-date:", ":other:"));
        Files.writeString(dir.resolve("result-bulkhead.json"), bulkheadRun().toString());
        assertThatThrownBy(() -> PerformanceCharts.write(dir, dir.resolve("out")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("perf-bulkhead-date");
    }

    @Test
    void mainWantsAnInputAndAnOutputDirectory() {
        assertThatThrownBy(() -> PerformanceCharts.main(new String[] {"src/perf"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage");
    }

    // ---------------------------------------------------------------- the charts of this build

    @Test
    void everyChartOfThisBuildIsAnSvgWithTheFiguresOfItsResultFile() throws Exception {
        assertThat(PerformanceCharts.CHARTS).extracting(Chart::data).containsOnly("breaker", "retry", "bulkhead", "targets");
        for (Chart chart : PerformanceCharts.CHARTS) {
            Path file = CHARTS.resolve(chart.file());
            assertThat(file).as("drawn by this build (process-classes)").isRegularFile();
            assertThat(Files.getLastModifiedTime(file)).as("%s is older than its data", chart.file())
                    .isGreaterThanOrEqualTo(Files.getLastModifiedTime(DATA.resolve(chart.resultFile())));
            assertShowsItsFigures(file, chart, JmhResults.read(DATA.resolve(chart.resultFile())));
        }
    }

    @Test
    void theChartsShowEveryImplementationOfEachFamily() throws Exception {
        assertThat(texts(svg(CHARTS.resolve("breaker-time.svg"))))
                .contains("BARE", "PASS_THROUGH", "NINELIVES", "RESILIENCE4J").doesNotContain("REACTOR_RETRY_WHEN");
        assertThat(texts(svg(CHARTS.resolve("retry-time.svg"))))
                .contains("BARE", "PASS_THROUGH", "NINELIVES", "REACTOR_RETRY_WHEN", "RESILIENCE4J");
        assertThat(texts(svg(CHARTS.resolve("bulkhead-saturated.svg"))))
                .contains("BARE", "NINELIVES", "RESILIENCE4J").doesNotContain("PASS_THROUGH");
        assertThat(texts(svg(CHARTS.resolve("targets-time.svg"))))
                .contains("BARE", "PASS_THROUGH", "NINELIVES").doesNotContain("RESILIENCE4J");
    }

    /** Checks that an SVG file is a chart with the title, panels, bars and figures of {@code chart}. */
    static void assertShowsItsFigures(Path file, Chart chart, List<Result> results) throws Exception {
        Document svg = svg(file);
        Element root = svg.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("svg");
        assertThat(root.getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        assertThat(root.getAttribute("viewBox")).as("scales with the page").isNotEmpty();
        String text = texts(svg);
        assertThat(text).as(chart.file()).contains(chart.title()).contains(chart.axis());
        for (Panel panel : chart.panels()) {
            assertThat(text).as("%s: panel", chart.file()).contains(panel.title());
            List<Bar> bars = PerformanceCharts.bars(results, panel);
            for (Bar bar : bars) {
                assertThat(text).as("%s, %s: bar", chart.file(), panel.title()).contains(bar.impl());
                assertThat(text).as("%s, %s, %s: label", chart.file(), panel.title(), bar.impl())
                        .contains(PerformanceCharts.label(bar, bars, chart.differences()));
            }
        }
        List<Double> widths = new ArrayList<>();
        NodeList rects = svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        for (int i = 0; i < rects.getLength(); i++) {
            String w = ((Element) rects.item(i)).getAttribute("width");
            if (!w.isEmpty()) {
                widths.add(Double.parseDouble(w));
            }
        }
        assertThat(widths).as("%s: the background and the bars", chart.file())
                .hasSizeGreaterThan(chart.panels().size());
        assertThat(Double.parseDouble(root.getAttribute("width"))).isCloseTo(760, within(0.5));
    }

    /** Parses an SVG file as namespace-aware XML, without fetching anything. */
    static Document svg(Path file) throws ParserConfigurationException, IOException, SAXException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(file.toFile());
    }

    /** The text of every {@code <text>} element, joined by spaces. */
    static String texts(Document svg) {
        NodeList texts = svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.getLength(); i++) {
            sb.append(texts.item(i).getTextContent()).append(' ');
        }
        return sb.toString();
    }
}
