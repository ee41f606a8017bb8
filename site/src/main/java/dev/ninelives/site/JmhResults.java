package dev.ninelives.site;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON file that JMH writes with {@code -rf json}: an array with one object per
 * benchmark method and parameter combination. Only what the charts of the performance page need
 * is kept, and anything missing from it is an error that names the file and the benchmark.
 *
 * <p>Each metric is kept as the median of its measured iterations ({@code scorePercentiles},
 * key {@code "50.0"}), as the tables of {@code jmh/README.md} give it, not as JMH's mean
 * ({@code score}), which one noisy fork can pull away.
 */
public final class JmhResults {

    /** The name under which {@link Result#metric(String)} returns the primary metric. */
    public static final String PRIMARY = "primary";

    /** The bytes allocated per operation, which {@code -prof gc} adds. */
    public static final String ALLOCATION = "gc.alloc.rate.norm";

    private JmhResults() {
    }

    /**
     * One metric of one benchmark.
     *
     * @param median  the median of the measured iterations, across every fork
     * @param unit    the unit, such as {@code ns/op}, {@code B/op} or {@code ops/s}
     * @param samples how many measured iterations there were, across every fork
     */
    public record Metric(double median, String unit, int samples) {
    }

    /**
     * One benchmark method with one combination of parameter values.
     *
     * @param benchmark             the fully qualified method name, such as
     *                              {@code dev.ninelives.jmh.BreakerBenchmark.monoClosed}
     * @param params                the {@code @Param} values, by name; empty if there are none
     * @param mode                  the JMH mode, such as {@code avgt} or {@code thrpt}
     * @param threads               how many threads ran the benchmark
     * @param forks                 how many forks were measured
     * @param measurementIterations how many iterations were measured in each fork
     * @param measurementTime       how long each measured iteration lasted, as JMH writes it
     * @param jmhVersion            the version of JMH that ran it
     * @param jdkVersion            the version of the JDK it ran on
     * @param primary               the primary metric
     * @param secondary             the secondary metrics (profilers, auxiliary counters), by name
     */
    public record Result(String benchmark, Map<String, String> params, String mode, int threads, int forks,
                         int measurementIterations, String measurementTime, String jmhVersion, String jdkVersion,
                         Metric primary, Map<String, Metric> secondary) {

        /**
         * Returns the class and method name, without the package.
         *
         * @return for example {@code BreakerBenchmark.monoClosed}
         */
        public String simpleName() {
            int method = benchmark.lastIndexOf('.');
            int type = benchmark.lastIndexOf('.', method - 1);
            return benchmark.substring(type + 1);
        }

        /**
         * Returns the value of a parameter.
         *
         * @param name the parameter's name
         * @return its value, or null if the benchmark has no such parameter
         */
        public String param(String name) {
            return params.get(name);
        }

        /**
         * Returns a metric by name.
         *
         * @param name {@link #PRIMARY}, or the name of a secondary metric such as
         *             {@link #ALLOCATION}
         * @return the metric
         * @throws IllegalArgumentException if there is no such metric
         */
        public Metric metric(String name) {
            if (PRIMARY.equals(name)) {
                return primary;
            }
            Metric m = secondary.get(name);
            if (m == null) {
                throw new IllegalArgumentException(simpleName() + " " + params + " has no metric '" + name
                        + "', only " + secondary.keySet());
            }
            return m;
        }
    }

    /**
     * Reads a JMH result file.
     *
     * @param file the file JMH wrote with {@code -rf json}
     * @return its results, in the order of the file
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if it is not JMH's JSON, or lacks a field the charts need
     */
    public static List<Result> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(in, file.getFileName().toString());
        }
    }

    /**
     * Reads JMH results from JSON text.
     *
     * @param in     the JSON: an array of JMH's result objects
     * @param source what to call the text in error messages, such as its file name
     * @return the results, in the order of the array
     * @throws IllegalArgumentException if it is not JMH's JSON, or lacks a field the charts need
     */
    public static List<Result> parse(Reader in, String source) {
        JsonElement root;
        try {
            root = JsonParser.parseReader(in);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + " is not JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonArray()) {
            throw new IllegalArgumentException(source + " is not a JMH result file: its top level is not an array");
        }
        List<Result> results = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray()) {
            results.add(result(e.getAsJsonObject(), source));
        }
        return Collections.unmodifiableList(results);
    }

    private static Result result(JsonObject o, String source) {
        String benchmark = string(o, "benchmark", source, "a result");
        String where = source + ", " + benchmark;
        Map<String, String> params = new LinkedHashMap<>();
        if (o.has("params")) {
            for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
                params.put(p.getKey(), p.getValue().getAsString());
            }
        }
        Map<String, Metric> secondary = new LinkedHashMap<>();
        if (o.has("secondaryMetrics")) {
            for (Map.Entry<String, JsonElement> m : o.getAsJsonObject("secondaryMetrics").entrySet()) {
                secondary.put(m.getKey(), metric(m.getValue().getAsJsonObject(), where + " " + params + ", " + m.getKey()));
            }
        }
        return new Result(benchmark, Collections.unmodifiableMap(params), string(o, "mode", source, benchmark),
                integer(o, "threads", where), integer(o, "forks", where), integer(o, "measurementIterations", where),
                string(o, "measurementTime", source, benchmark), string(o, "jmhVersion", source, benchmark),
                string(o, "jdkVersion", source, benchmark),
                metric(member(o, "primaryMetric", where).getAsJsonObject(), where + " " + params),
                Collections.unmodifiableMap(secondary));
    }

    private static Metric metric(JsonObject m, String where) {
        JsonObject percentiles = member(m, "scorePercentiles", where).getAsJsonObject();
        double median = member(percentiles, "50.0", where + " scorePercentiles").getAsDouble();
        int samples = 0;
        if (m.has("rawData")) {
            for (JsonElement fork : m.getAsJsonArray("rawData")) {
                samples += ((JsonArray) fork).size();
            }
        }
        return new Metric(median, member(m, "scoreUnit", where).getAsString(), samples);
    }

    private static JsonElement member(JsonObject o, String name, String where) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(where + " has no '" + name + "'");
        }
        return e;
    }

    private static String string(JsonObject o, String name, String source, String what) {
        return member(o, name, source + ", " + what).getAsString();
    }

    private static int integer(JsonObject o, String name, String where) {
        return member(o, name, where).getAsInt();
    }
}
