package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bulkhead benchmarks in the normal build: each facade measures a working pipeline that
 * returns its permits, both bulkheads refuse alike when full, and every bulkhead benchmark runs
 * (one short iteration, in this JVM) and produces a score.
 */
class BulkheadBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(BulkheadType.class)
    void monoAndFluxDeliverAndReturnTheirPermits(BulkheadType impl) {
        BulkheadFacade bulkhead = impl.create(BulkheadType.MAX_CONCURRENT, Duration.ZERO);
        Mono<Integer> mono = bulkhead.mono(Mono.just(1));
        Flux<Integer> flux = bulkhead.flux(Flux.range(0, 1000));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 2 * BulkheadType.MAX_CONCURRENT; i++) {   // more calls than permits: each returns its own
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
        assertThat(bulkhead.inFlight()).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = BulkheadType.class, names = {"NINELIVES", "RESILIENCE4J"})
    void aFullBulkheadRefusesWhenWaitingIsOff(BulkheadType impl) {
        BulkheadFacade bulkhead = impl.create(1, Duration.ZERO);
        Sinks.One<Integer> holder = Sinks.one();
        BenchSubscriber first = new BenchSubscriber(BH);
        bulkhead.mono(holder.asMono()).subscribe(first);
        assertThat(bulkhead.inFlight()).isEqualTo(1);

        BenchSubscriber second = new BenchSubscriber(BH);
        bulkhead.mono(Mono.just(2)).subscribe(second);
        assertThat(second.error()).isInstanceOfAny(dev.ninelives.bulkhead.BulkheadFullException.class,
                io.github.resilience4j.bulkhead.BulkheadFullException.class);

        holder.tryEmitValue(1);
        assertThat(first.completed()).isTrue();
        assertThat(bulkhead.inFlight()).isZero();
    }

    @Test
    void everyBulkheadBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.Bulkhead\\w*Benchmark\\.");

        List<String> expected = new ArrayList<>();
        for (BulkheadType impl : BulkheadType.values()) {
            expected.add("BulkheadBenchmark.monoUncontended impl=" + impl);
            expected.add("BulkheadBenchmark.fluxUncontended impl=" + impl);
        }
        for (String impl : new String[] {"BARE", "NINELIVES", "RESILIENCE4J"}) {
            for (String mode : new String[] {"WAIT", "FAIL_FAST"}) {
                expected.add("BulkheadSaturatedBenchmark.call impl=" + impl + " mode=" + mode);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
