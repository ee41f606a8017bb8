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
 * The timeout benchmark in the normal build: each facade measures a working pipeline (the
 * Monos deliver {@code 1} and complete, the Flux delivers 0..999 and completes, none times out),
 * and every benchmark runs in-process and scores. (That each timeout fires is the libraries' own
 * business; NineLives' is tested in reactor-bridge, on virtual time.)
 *
 * <p>Only {@link BenchSubscriber} subscribes here, as in the benchmarks.
 */
class TimeoutBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(TimeoutType.class)
    void everyPipelineDeliversAndCompletes(TimeoutType impl) {
        Wrapper timeout = impl.create();
        List<Mono<Integer>> monos = List.of(timeout.mono(Mono.just(1)), timeout.mono(new LateSource()));
        Flux<Integer> flux = timeout.flux(Flux.range(0, 1000));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {
            for (Mono<Integer> mono : monos) {
                s.reset();
                mono.subscribe(s);
                assertThat(s.terminated()).as("synchronous").isTrue();
                assertThat(s.count()).isEqualTo(1);
                assertThat(s.error()).isNull();
                assertThat(s.completed()).isTrue();
            }
            s.reset();
            flux.subscribe(s);
            assertThat(s.count()).isEqualTo(1000);
            assertThat(s.last()).isEqualTo(999);
            assertThat(s.completed()).isTrue();
        }
    }

    @Test
    void everyTimeoutBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.TimeoutBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (TimeoutType impl : TimeoutType.values()) {
            for (String b : new String[] {"monoJust", "monoArmed", "fluxRange"}) {
                expected.add("TimeoutBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
