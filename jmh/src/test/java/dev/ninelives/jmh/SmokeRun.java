package dev.ninelives.jmh;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs benchmarks briefly in-process for the smoke tests and checks every one produced a score. */
final class SmokeRun {

    private SmokeRun() {
    }

    /**
     * Runs the benchmarks whose names match {@code include} with no fork, no warm-up and one
     * 150 ms iteration, asserts each score is finite and positive (ns/op, or ops/s for the
     * throughput benchmarks), and returns the labels "Class.method impl=X[ state=Y][ mode=Z]" of
     * what ran. How long the run takes is not asserted: wall-clock time on a shared machine is
     * not a test result, and the iteration time fixes it anyway.
     */
    static List<String> run(String include) throws RunnerException {
        List<String> ran = new ArrayList<>();
        for (RunResult r : new Runner(new OptionsBuilder()
                .include(include)
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(150))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build()).run()) {
            String state = r.getParams().getParam("state");
            String mode = r.getParams().getParam("mode");
            String label = r.getParams().getBenchmark().replace("dev.ninelives.jmh.", "")
                    + " impl=" + r.getParams().getParam("impl") + (state == null ? "" : " state=" + state)
                    + (mode == null ? "" : " mode=" + mode);
            ran.add(label);
            assertThat(r.getPrimaryResult().getScore()).as(label).isPositive().isFinite();
            assertThat(r.getPrimaryResult().getScoreUnit()).as(label).isIn("ns/op", "ops/s");
        }
        return ran;
    }
}
