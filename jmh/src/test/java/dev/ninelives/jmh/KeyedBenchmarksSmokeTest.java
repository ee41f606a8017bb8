package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keyed-policy benchmark in the normal build: every benchmark runs in-process, its tear-down
 * check passes (each call still delivers, every tenant stayed in the keyed maps), and it scores.
 */
class KeyedBenchmarksSmokeTest {

    @Test
    void everyKeyedBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.KeyedBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (KeyedBenchmark.Lookup impl : KeyedBenchmark.Lookup.values()) {
            for (String b : new String[] {"breakerMono", "bulkheadMono", "breakerPermit"}) {
                expected.add("KeyedBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
