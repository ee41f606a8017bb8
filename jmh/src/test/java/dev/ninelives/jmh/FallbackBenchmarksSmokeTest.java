package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fallback benchmarks in the normal build: each facade measures a working pipeline, the
 * fallbacks apply to the same errors (every Exception, so the planned failure), and every
 * fallback benchmark runs (one short iteration, in this JVM) and produces a score.
 */
class FallbackBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(FallbackType.class)
    void successPipelinesDeliverAndFailingOnesFallBack(FallbackType impl) {
        FallbackFacade fallback = impl.create();
        Mono<Integer> mono = fallback.mono(Mono.just(1));
        Flux<Integer> flux = fallback.flux(Flux.range(0, 1000));
        Mono<Integer> failing = fallback.mono(Mono.error(FlakySource.FAILURE));
        Flux<Integer> failingFlux = fallback.flux(Flux.concat(Flux.range(0, 3), Flux.error(new IOException("down"))));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {                     // reusable: the same pipelines, call after call
            s.reset();
            mono.subscribe(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
            s.reset();
            flux.subscribe(s);
            assertThat(s.count()).isEqualTo(1000);
            assertThat(s.last()).isEqualTo(999);
            assertThat(s.completed()).isTrue();
            s.reset();
            failing.subscribe(s);
            s.reset();
            failingFlux.subscribe(s);
            if (fallback.fallsBack()) {
                assertThat(s.count()).as("the elements, then the fallback").isEqualTo(4);
                assertThat(s.last()).isEqualTo(FallbackType.FALLBACK_VALUE);
                assertThat(s.completed()).isTrue();
            } else {
                assertThat(s.count()).isEqualTo(3);
                assertThat(s.error()).isInstanceOf(IOException.class);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(FallbackType.class)
    void theBenchmarkOperationsDoWhatTheyClaim(FallbackType impl) {
        FallbackBenchmark bench = new FallbackBenchmark();
        bench.impl = impl;
        bench.setup();
        BenchSubscriber s = new BenchSubscriber(BH);
        bench.monoFallback(s);
        if (impl == FallbackType.BARE || impl == FallbackType.PASS_THROUGH) {
            assertThat(s.error()).isSameAs(FlakySource.FAILURE);
        } else {
            assertThat(s.error()).isNull();
            assertThat(s.last()).isEqualTo(FallbackType.FALLBACK_VALUE);
            assertThat(s.completed()).isTrue();
        }
        bench.check(BH);
    }

    @Test
    void everyFallbackBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.FallbackBenchmark\\.");

        List<String> expected = new ArrayList<>();
        for (FallbackType impl : FallbackType.values()) {
            expected.add("FallbackBenchmark.monoSuccess impl=" + impl);
            expected.add("FallbackBenchmark.fluxSuccess impl=" + impl);
            expected.add("FallbackBenchmark.monoFallback impl=" + impl);
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
