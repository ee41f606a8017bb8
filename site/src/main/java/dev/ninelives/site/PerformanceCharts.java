package dev.ninelives.site;

import dev.ninelives.site.JmhResults.Metric;
import dev.ninelives.site.JmhResults.Result;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.labels.CategoryItemLabelGenerator;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelClip;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.Size2D;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.ui.VerticalAlignment;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGUtils;
import org.jfree.svg.ViewBox;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Draws the charts of the performance page from the JMH result files in {@code site/src/perf}.
 * The build runs it before the pages are rendered (see {@code site/pom.xml}, execution
 * {@code perf-charts}), so the page always shows the figures of the files, and no figure is ever
 * typed by hand.
 *
 * <p>Each chart is one SVG file with one panel per scenario. A panel has one horizontal bar per
 * implementation ({@code impl} parameter of the benchmark), its own linear scale starting at
 * zero, and each bar labelled with its value and, where the chart asks for it, its difference
 * over {@code BARE}, the source without any operator, measured in the same run. Each value is
 * the median of the measured iterations (see {@link JmhResults}).
 *
 * <p>Run it as {@code PerformanceCharts <input dir> <output dir>}. The input directory holds
 * the files {@code result-<data>.json} that {@link #CHARTS} name and a {@code README.adoc} whose
 * attributes {@code perf-<data>-date} and {@code perf-<data>-commit} say when each run was made.
 * A chart whose result file is missing is left out, and said so.
 */
public final class PerformanceCharts {

    /** The implementations a chart shows, in the order of its bars, where a result has them. */
    public static final List<String> IMPLS =
            List.of("BARE", "PASS_THROUGH", "NINELIVES", "REACTOR_RETRY_WHEN", "RESILIENCE4J");

    /** The name of the file in the input directory that describes the runs. */
    public static final String README = "README.adoc";

    /**
     * One panel of a chart: one benchmark, with some of its parameters fixed, and one metric.
     *
     * @param title     the panel's title
     * @param benchmark the benchmark's class and method, such as {@code BreakerBenchmark.monoClosed}
     * @param params    the parameter values the results must have, besides {@code impl}
     * @param metric    {@link JmhResults#PRIMARY} or the name of a secondary metric
     */
    public record Panel(String title, String benchmark, Map<String, String> params, String metric) {

        /**
         * Creates a panel.
         *
         * @param title     the panel's title
         * @param benchmark the benchmark's class and method
         * @param params    the parameter values the results must have, besides {@code impl}
         * @param metric    {@link JmhResults#PRIMARY} or the name of a secondary metric
         */
        public Panel {
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(benchmark, "benchmark");
            params = Map.copyOf(params);
            Objects.requireNonNull(metric, "metric");
        }

        /**
         * Tells whether a result belongs to this panel.
         *
         * @param r a result
         * @return true if it is of this panel's benchmark and has every parameter value it fixes
         */
        public boolean matches(Result r) {
            return r.simpleName().equals(benchmark)
                    && params.entrySet().stream().allMatch(p -> p.getValue().equals(r.param(p.getKey())));
        }
    }

    /**
     * One chart: one SVG file drawn from one result file.
     *
     * @param file        the SVG file's name
     * @param data        the run: the chart reads {@code result-<data>.json}
     * @param title       the chart's title
     * @param axis        the label of every panel's value axis
     * @param differences whether each bar's label also gives its difference over BARE
     * @param panels      the panels, top to bottom
     */
    public record Chart(String file, String data, String title, String axis, boolean differences, List<Panel> panels) {

        /**
         * Creates a chart.
         *
         * @param file        the SVG file's name
         * @param data        the run: the chart reads {@code result-<data>.json}
         * @param title       the chart's title
         * @param axis        the label of every panel's value axis
         * @param differences whether each bar's label also gives its difference over BARE
         * @param panels      the panels, top to bottom
         */
        public Chart {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(axis, "axis");
            panels = List.copyOf(panels);
        }

        /**
         * Returns the name of the result file the chart reads.
         *
         * @return {@code result-<data>.json}
         */
        public String resultFile() {
            return "result-" + data + ".json";
        }
    }

    /**
     * One bar of a panel.
     *
     * @param impl    the implementation
     * @param value   the median of its measured iterations
     * @param unit    the unit of the value, as JMH gives it
     * @param samples how many measured iterations the median is taken over
     */
    public record Bar(String impl, double value, String unit, int samples) {
    }

    private static final String NS = JmhResults.PRIMARY;
    private static final String BYTES = JmhResults.ALLOCATION;

    /** The breaker's scenarios, each charted once for time and once for allocation. */
    private static final List<Panel> BREAKER = List.of(
            new Panel("Mono, CLOSED: one call of Mono.just(1)", "BreakerBenchmark.monoClosed", Map.of(), NS),
            new Panel("Flux, CLOSED: one call of Flux.range(0, 1000)", "BreakerBenchmark.fluxClosed", Map.of(), NS),
            new Panel("Refused call, OPEN (BARE: the call, not refused)", "BreakerRejectBenchmark.monoRejected",
                    Map.of("state", "OPEN"), NS),
            new Panel("Refused call, FORCED_OPEN (BARE: the call, not refused)", "BreakerRejectBenchmark.monoRejected",
                    Map.of("state", "FORCED_OPEN"), NS),
            new Panel("Mono, CLOSED, one breaker shared", "BreakerSharedBenchmark.monoClosedShared", Map.of(), NS));

    /** The retry's scenarios, each charted once for time and once for allocation. */
    private static final List<Panel> RETRY = List.of(
            new Panel("Mono, success: one call of Mono.just(1)", "RetryBenchmark.monoSuccess", Map.of(), NS),
            new Panel("Flux, success: one call of Flux.range(0, 1000)", "RetryBenchmark.fluxSuccess", Map.of(), NS),
            new Panel("One failed attempt, then a successful one (BARE: subscribed twice by hand)",
                    "RetryFailOnceBenchmark.monoFailThenSucceed", Map.of(), NS));

    /** The bulkhead's uncontended scenarios, each charted once for time and once for allocation. */
    private static final List<Panel> BULKHEAD = List.of(
            new Panel("Mono: one call of Mono.just(1)", "BulkheadBenchmark.monoUncontended", Map.of(), NS),
            new Panel("Flux: one call of Flux.range(0, 1000)", "BulkheadBenchmark.fluxUncontended", Map.of(), NS));

    /** The charts of the performance page. */
    public static final List<Chart> CHARTS = List.of(
            new Chart("breaker-time.svg", "breaker", "Circuit breaker: time per call", "ns per operation", true, BREAKER),
            new Chart("breaker-alloc.svg", "breaker", "Circuit breaker: bytes allocated per call", "bytes per operation",
                    true, measuring(BYTES, BREAKER)),
            new Chart("retry-time.svg", "retry", "Retry: time per call", "ns per operation", true, RETRY),
            new Chart("retry-alloc.svg", "retry", "Retry: bytes allocated per call", "bytes per operation", true,
                    measuring(BYTES, RETRY)),
            new Chart("bulkhead-time.svg", "bulkhead", "Bulkhead: time per call, a permit free", "ns per operation", true,
                    BULKHEAD),
            new Chart("bulkhead-alloc.svg", "bulkhead", "Bulkhead: bytes allocated per call, a permit free",
                    "bytes per operation", true, measuring(BYTES, BULKHEAD)),
            new Chart("bulkhead-saturated.svg", "bulkhead",
                    "Bulkhead, saturated: one permit, callers offering calls back to back", "calls per second", false,
                    List.of(
                    new Panel("WAIT: calls completed per second", "BulkheadSaturatedBenchmark.call",
                            Map.of("mode", "WAIT"), "completed"),
                    new Panel("WAIT: calls refused per second", "BulkheadSaturatedBenchmark.call",
                            Map.of("mode", "WAIT"), "rejected"),
                    new Panel("FAIL_FAST: calls completed per second", "BulkheadSaturatedBenchmark.call",
                            Map.of("mode", "FAIL_FAST"), "completed"),
                    new Panel("FAIL_FAST: calls refused per second", "BulkheadSaturatedBenchmark.call",
                            Map.of("mode", "FAIL_FAST"), "rejected"))),
            new Chart("targets-time.svg", "targets", "Measured again with four forks: time per call", "ns per operation",
                    true, List.of(
                    new Panel("Retry, Mono, success: one call of Mono.just(1)", "RetryBenchmark.monoSuccess", Map.of(), NS),
                    new Panel("Retry, Flux, success: one call of Flux.range(0, 1000)", "RetryBenchmark.fluxSuccess",
                            Map.of(), NS),
                    new Panel("Bulkhead, Mono, a permit free: one call of Mono.just(1)", "BulkheadBenchmark.monoUncontended",
                            Map.of(), NS))));

    /** The same panels, reading another metric of the same benchmarks. */
    private static List<Panel> measuring(String metric, List<Panel> panels) {
        return panels.stream().map(p -> new Panel(p.title(), p.benchmark(), p.params(), metric)).toList();
    }

    private static final Map<String, Color> COLORS = Map.of(
            "BARE", new Color(0x8c8c8c),
            "PASS_THROUGH", new Color(0xbababa),
            "NINELIVES", new Color(0x1f6fb5),
            "REACTOR_RETRY_WHEN", new Color(0x7b4fa6),
            "RESILIENCE4J", new Color(0xdd7a2a));

    private static final Pattern ATTRIBUTE = Pattern.compile("^:([\\w-]+):\\s*(.*)$", Pattern.MULTILINE);

    private static final double WIDTH = 760;
    private static final double PANEL_TITLE = 30;
    private static final double BAR_ROW = 26;
    private static final double PANEL_AXIS = 44;
    private static final double GAP = 10;
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font SUBTITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font PANEL_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 10);

    private PerformanceCharts() {
    }

    /**
     * Draws every chart whose result file is in {@code args[0]} into {@code args[1]}.
     *
     * @param args the input directory and the output directory
     * @throws IOException              if a file cannot be read or written
     * @throws IllegalArgumentException if there are not two arguments, or a result file or the
     *                                  README lacks what a chart needs
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: PerformanceCharts <input dir> <output dir>, but got "
                    + List.of(args));
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<Path> written = write(in, out);
        System.out.println("PerformanceCharts: " + written.size() + " charts from " + in + " in " + out);
    }

    /**
     * Draws every chart whose result file is in {@code in}; a chart whose file is missing is left
     * out, and said so on standard error.
     *
     * @param in  the directory of the result files and their README
     * @param out the directory to write the SVG files into; created if needed
     * @return the files written, in the order of {@link #CHARTS}
     * @throws IOException              if a file cannot be read or written
     * @throws IllegalArgumentException if a result file or the README lacks what a chart needs
     */
    public static List<Path> write(Path in, Path out) throws IOException {
        Map<String, String> runs = runAttributes(Files.readString(in.resolve(README)));
        Files.createDirectories(out);
        Map<String, List<Result>> files = new LinkedHashMap<>();
        List<Path> written = new ArrayList<>();
        for (Chart chart : CHARTS) {
            Path data = in.resolve(chart.resultFile());
            if (!Files.isRegularFile(data)) {
                System.err.println("PerformanceCharts: no " + data + ", so no " + chart.file());
                continue;
            }
            List<Result> results = files.get(chart.data());
            if (results == null) {
                results = JmhResults.read(data);
                files.put(chart.data(), results);
            }
            Path file = out.resolve(chart.file());
            Files.writeString(file, svg(chart, results, runs));
            written.add(file);
        }
        return written;
    }

    /**
     * Reads the attribute entries ({@code :name: value} lines) of an AsciiDoc text.
     *
     * @param adoc the text
     * @return the attributes, by name, in the order of the text
     */
    public static Map<String, String> runAttributes(String adoc) {
        Map<String, String> attributes = new LinkedHashMap<>();
        Matcher m = ATTRIBUTE.matcher(adoc);
        while (m.find()) {
            attributes.put(m.group(1), m.group(2).trim());
        }
        return attributes;
    }

    /**
     * Extracts the bars of one panel from the results of a run: one per implementation, in the
     * order of {@link #IMPLS}, each the median of the panel's metric.
     *
     * @param results the results of a run
     * @param panel   the panel
     * @return the bars
     * @throws IllegalArgumentException if no result belongs to the panel, two results have the
     *                                  same implementation, a result has no {@code impl}
     *                                  parameter, or lacks the panel's metric
     */
    public static List<Bar> bars(List<Result> results, Panel panel) {
        Map<String, Bar> byImpl = new LinkedHashMap<>();
        for (Result r : results) {
            if (!panel.matches(r)) {
                continue;
            }
            String impl = r.param("impl");
            if (impl == null) {
                throw new IllegalArgumentException(r.simpleName() + " " + r.params() + " has no impl parameter");
            }
            Metric m = r.metric(panel.metric());
            if (byImpl.put(impl, new Bar(impl, m.median(), m.unit(), m.samples())) != null) {
                throw new IllegalArgumentException("two results for " + impl + " in panel '" + panel.title() + "'");
            }
        }
        if (byImpl.isEmpty()) {
            throw new IllegalArgumentException("no result of " + panel.benchmark() + " " + panel.params()
                    + " for panel '" + panel.title() + "'");
        }
        return byImpl.values().stream()
                .sorted(Comparator.comparingInt(b -> IMPLS.contains(b.impl()) ? IMPLS.indexOf(b.impl()) : IMPLS.size()))
                .toList();
    }

    /**
     * Returns the label of a bar: its value and, if asked and BARE is in the panel, its
     * difference over BARE.
     *
     * @param bar         the bar
     * @param bars        every bar of its panel
     * @param differences whether to give the difference over BARE
     * @return for example {@code "15.77 (+9.12)"}, {@code "14,032 (+32)"} or {@code "523,209"}
     */
    public static String label(Bar bar, List<Bar> bars, boolean differences) {
        NumberFormat format = format(bar.value(), bar.unit());
        String value = format.format(bar.value());
        if (!differences || bar.impl().equals("BARE")) {
            return value;
        }
        return bars.stream().filter(b -> b.impl().equals("BARE")).findFirst()
                .map(bare -> {
                    double d = bar.value() - bare.value();
                    return value + " (" + (d >= 0 ? "+" : "-") + format.format(Math.abs(d)) + ")";
                })
                .orElse(value);
    }

    /**
     * Returns how the charts show a figure and its difference over BARE. Times below 1,000 ns
     * keep two decimals, longer ones none. Bytes are whole from 10 on, one decimal below: JMH
     * gives the average over millions of calls, such as 32.0001 for a call that always
     * allocates 32 bytes. Rates are whole numbers.
     *
     * @param value the figure
     * @param unit  its unit, as JMH gives it
     * @return the format, with thousands separators
     */
    static NumberFormat format(double value, String unit) {
        String pattern;
        if (unit.equals("B/op")) {
            pattern = Math.abs(value) >= 10 ? "#,##0" : "#,##0.#";
        } else if (unit.endsWith("/s") || Math.abs(value) >= 1000) {
            pattern = "#,##0";
        } else {
            pattern = "0.00";
        }
        return new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT));
    }

    /**
     * Returns the line under a chart's title: when the run was made and how, from the README and
     * the results.
     *
     * @param chart   the chart
     * @param results the results of its panels
     * @param runs    the README's attributes
     * @return the line
     * @throws IllegalArgumentException if the README has no date or commit for the chart's run
     */
    static String subtitle(Chart chart, List<Result> results, Map<String, String> runs) {
        String date = runs.get("perf-" + chart.data() + "-date");
        String commit = runs.get("perf-" + chart.data() + "-commit");
        if (date == null || commit == null) {
            throw new IllegalArgumentException(README + " has no perf-" + chart.data() + "-date or perf-"
                    + chart.data() + "-commit attribute for " + chart.file());
        }
        return "Measured " + date + " at commit " + commit + "; JMH " + distinct(results, Result::jmhVersion)
                + ", JDK " + distinct(results, Result::jdkVersion) + "; "
                + distinct(results, r -> r.forks() + " forks × " + r.measurementIterations() + " iterations of "
                        + r.measurementTime().replace(" ", "\u00a0"))
                + " each. Each bar is the median of its iterations"
                + (chart.differences() ? "; in brackets, its difference over BARE in the same run." : ".");
    }

    private static String distinct(List<Result> results, java.util.function.Function<Result, String> f) {
        Set<String> values = results.stream().map(f).collect(Collectors.toCollection(LinkedHashSet::new));
        return String.join(" or ", values);
    }

    /**
     * Draws one chart.
     *
     * @param chart   the chart
     * @param results the results of its run
     * @param runs    the README's attributes
     * @return the SVG document
     * @throws IllegalArgumentException if the results or the README lack what the chart needs
     */
    static String svg(Chart chart, List<Result> results, Map<String, String> runs) {
        List<List<Bar>> panels = new ArrayList<>();
        List<Result> used = new ArrayList<>();
        for (Panel p : chart.panels()) {
            panels.add(bars(results, p));
            results.stream().filter(p::matches).forEach(used::add);
        }
        TextTitle title = new TextTitle(chart.title(), TITLE_FONT, Color.BLACK, RectangleEdge.TOP,
                HorizontalAlignment.LEFT, VerticalAlignment.TOP, new RectangleInsets(10, 12, 2, 12));
        title.setTextAlignment(HorizontalAlignment.LEFT);
        TextTitle subtitle = new TextTitle(subtitle(chart, used, runs), SUBTITLE_FONT, new Color(0x555555),
                RectangleEdge.TOP, HorizontalAlignment.LEFT, VerticalAlignment.TOP, new RectangleInsets(2, 12, 6, 12));
        subtitle.setTextAlignment(HorizontalAlignment.LEFT);

        SVGGraphics2D measure = new SVGGraphics2D(WIDTH, 100);
        double titleHeight = height(title, measure);
        double subtitleHeight = height(subtitle, measure);
        double height = titleHeight + subtitleHeight;
        for (List<Bar> bars : panels) {
            height += GAP + panelHeight(bars);
        }
        height = Math.ceil(height + GAP);

        SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, height);
        g2.setDefsKeyPrefix("perf-" + chart.file().replace(".svg", ""));   // stable ids: the same data, the same file
        g2.setPaint(Color.WHITE);
        g2.fill(new Rectangle2D.Double(0, 0, WIDTH, height));
        double y = 0;
        title.draw(g2, new Rectangle2D.Double(0, y, WIDTH, titleHeight));
        y += titleHeight;
        subtitle.draw(g2, new Rectangle2D.Double(0, y, WIDTH, subtitleHeight));
        y += subtitleHeight;
        for (int i = 0; i < panels.size(); i++) {
            List<Bar> bars = panels.get(i);
            Panel panel = chart.panels().get(i);
            Result first = results.stream().filter(panel::matches).findFirst().orElseThrow();
            String panelTitle = panel.title() + (first.threads() > 1 ? ", " + first.threads() + " threads" : "");
            y += GAP;
            double h = panelHeight(bars);
            panelChart(panelTitle, chart, bars).draw(g2, new Rectangle2D.Double(0, y, WIDTH, h));
            y += h;
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + g2.getSVGElement(null, true, new ViewBox(0, 0, WIDTH, height), null, null) + "\n";
    }

    private static double height(TextTitle t, SVGGraphics2D g2) {
        Size2D size = t.arrange(g2, new RectangleConstraint(WIDTH, null, org.jfree.chart.block.LengthConstraintType.FIXED,
                0, null, org.jfree.chart.block.LengthConstraintType.NONE));
        return Math.ceil(size.getHeight());
    }

    private static double panelHeight(List<Bar> bars) {
        return PANEL_TITLE + BAR_ROW * bars.size() + PANEL_AXIS;
    }

    private static JFreeChart panelChart(String title, Chart chart, List<Bar> bars) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        List<Paint> paints = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Bar b : bars) {
            dataset.addValue(b.value(), "median", b.impl());
            paints.add(COLORS.getOrDefault(b.impl(), Color.DARK_GRAY));
            labels.add(label(b, bars, chart.differences()));
        }
        CategoryAxis impls = new CategoryAxis(null);
        impls.setTickLabelFont(AXIS_FONT);
        impls.setCategoryMargin(0.25);
        impls.setLowerMargin(0.04);
        impls.setUpperMargin(0.04);
        NumberAxis values = new NumberAxis(chart.axis());
        values.setLabelFont(AXIS_FONT);
        values.setTickLabelFont(LABEL_FONT);
        values.setAutoRangeIncludesZero(true);
        values.setUpperMargin(0.35);                       // room for the labels right of the bars
        values.setNumberFormatOverride(new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        if (bars.stream().allMatch(b -> b.value() == 0)) {
            values.setRange(0, 1);                         // nothing to scale: show the zero bars on 0 to 1
            values.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        ImplRenderer renderer = new ImplRenderer(paints, labels);
        CategoryPlot plot = new CategoryPlot(dataset, impls, values, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlineStroke(new BasicStroke(0.5f));
        plot.setDomainGridlinesVisible(false);
        plot.setInsets(new RectangleInsets(0, 4, 0, 28));
        JFreeChart panel = new JFreeChart(title, PANEL_FONT, plot, false);
        panel.setBackgroundPaint(Color.WHITE);
        panel.setBorderVisible(false);
        panel.setPadding(new RectangleInsets(0, 8, 0, 0));
        panel.getTitle().setHorizontalAlignment(HorizontalAlignment.LEFT);
        panel.getTitle().setPadding(new RectangleInsets(4, 4, 6, 4));
        return panel;
    }

    /** Paints each bar in its implementation's colour and labels it with its figure. */
    private static final class ImplRenderer extends BarRenderer {

        private static final long serialVersionUID = 1L;

        private final transient List<Paint> paints;

        ImplRenderer(List<Paint> paints, List<String> labels) {
            this.paints = paints;
            setBarPainter(new StandardBarPainter());
            setShadowVisible(false);
            setDrawBarOutline(false);
            setMaximumBarWidth(0.6);
            setDefaultItemLabelsVisible(true);
            setDefaultItemLabelFont(LABEL_FONT);
            setDefaultItemLabelPaint(Color.BLACK);
            setDefaultItemLabelGenerator(new Labels(labels));
            ItemLabelPosition rightOfTheBar = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT,
                    ItemLabelClip.NONE);
            setDefaultPositiveItemLabelPosition(rightOfTheBar);
            setPositiveItemLabelPositionFallback(rightOfTheBar);
            setItemLabelInsets(new RectangleInsets(0, 4, 0, 4));
        }

        @Override
        public Paint getItemPaint(int row, int column) {
            return paints.get(column);
        }
    }

    /** The precomputed label of each bar, by column. */
    private record Labels(List<String> labels) implements CategoryItemLabelGenerator {

        @Override
        public String generateRowLabel(CategoryDataset dataset, int row) {
            return dataset.getRowKey(row).toString();
        }

        @Override
        public String generateColumnLabel(CategoryDataset dataset, int column) {
            return dataset.getColumnKey(column).toString();
        }

        @Override
        public String generateLabel(CategoryDataset dataset, int row, int column) {
            return labels.get(column);
        }
    }

    /**
     * Returns the names of the chart files, for the page and its tests.
     *
     * @return the file names of {@link #CHARTS}
     */
    public static Set<String> files() {
        return CHARTS.stream().map(Chart::file).collect(Collectors.toCollection(TreeSet::new));
    }
}
