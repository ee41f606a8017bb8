package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hedge benchmark in the normal build: each variant delivers and completes on both paths,
 * synchronously (the armed timer never fires), and every benchmark runs in-process and scores.
 */
class HedgeBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(HedgeBenchmark.Impl.class)
    void bothPathsDeliverAndComplete(HedgeBenchmark.Impl impl) {
        HedgeBenchmark b = new HedgeBenchmark();
        b.impl = impl;
        b.setup();
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 1000; i++) {
            b.monoAtOnce(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
            b.monoArmed(s);
            assertThat(s.terminated()).isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
        }
    }

    @Test
    void everyHedgeBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.HedgeBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (HedgeBenchmark.Impl impl : HedgeBenchmark.Impl.values()) {
            for (String b : new String[] {"monoAtOnce", "monoArmed"}) {
                expected.add("HedgeBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
