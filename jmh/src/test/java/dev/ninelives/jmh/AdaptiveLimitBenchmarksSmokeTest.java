package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive-limit benchmark in the normal build: every benchmark runs in-process for each
 * implementation (ours and Netflix's), its tear-down check passes, and it scores.
 */
class AdaptiveLimitBenchmarksSmokeTest {

    @Test
    void everyAdaptiveLimitBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.AdaptiveLimitBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (AdaptiveLimitBenchmark.Impl impl : AdaptiveLimitBenchmark.Impl.values()) {
            for (String b : new String[] {"permitCycle", "monoFree"}) {
                expected.add("AdaptiveLimitBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
