package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pipeline benchmark in the normal build: each implementation measures a working call, and
 * every row runs (one short iteration, in this JVM) and produces a score.
 */
class PipelineBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(PipelineType.class)
    void monoAndFluxDeliver(PipelineType impl) {
        Wrapper w = impl.create();
        Mono<Integer> mono = w.mono(Mono.just(1));
        Flux<Integer> flux = w.flux(Flux.range(0, 1000));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 50; i++) {                     // more calls than the bulkhead's 25 permits
            s.reset();
            mono.subscribe(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
            s.reset();
            flux.subscribe(s);
            assertThat(s.count()).isEqualTo(1000);
            assertThat(s.completed()).isTrue();
        }
    }

    @Test
    void everyPipelineBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.PipelineBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (PipelineType impl : PipelineType.values()) {
            expected.add("PipelineBenchmark.monoSuccess impl=" + impl);
            expected.add("PipelineBenchmark.monoLate impl=" + impl);
            expected.add("PipelineBenchmark.fluxSuccess impl=" + impl);
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
