package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive-settings benchmark in the normal build: every benchmark runs in-process, its
 * tear-down check passes (each Mono still delivers), and it scores.
 */
class AdaptiveBenchmarksSmokeTest {

    @Test
    void everyAdaptiveBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.AdaptiveBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (AdaptiveBenchmark.Settings impl : AdaptiveBenchmark.Settings.values()) {
            for (String b : new String[] {"breakerClosed", "bulkheadFree", "retryFailThenSucceed"}) {
                expected.add("AdaptiveBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
