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
 * The benchmarks in the normal build: each facade measures a working pipeline, and every
 * benchmark runs (one short iteration, in this JVM) and produces a score.
 *
 * <p>Only {@link BenchSubscriber} subscribes here too, as in the benchmarks.
 */
class BenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(BreakerType.class)
    void closedMonoDeliversOneAndCompletes(BreakerType impl) {
        BreakerFacade breaker = impl.create();
        Mono<Integer> mono = breaker.mono(Mono.just(1));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {                     // reusable: the same subscriber, again and again
            s.reset();
            mono.subscribe(s);
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.last()).isEqualTo(1);
            assertThat(s.error()).isNull();
            assertThat(s.completed()).isTrue();
        }
        assertThat(breaker.state()).isIn("CLOSED", "NONE");
    }

    @ParameterizedTest
    @EnumSource(BreakerType.class)
    void closedFluxDeliversAThousandAndCompletes(BreakerType impl) {
        BreakerFacade breaker = impl.create();
        Flux<Integer> flux = breaker.flux(Flux.range(0, 1000));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {
            s.reset();
            flux.subscribe(s);
            assertThat(s.count()).isEqualTo(1000);
            assertThat(s.last()).isEqualTo(999);
            assertThat(s.error()).isNull();
            assertThat(s.completed()).isTrue();
        }
        assertThat(breaker.state()).isIn("CLOSED", "NONE");
    }

    @ParameterizedTest
    @EnumSource(BreakerType.class)
    void openBreakerRejectsWithItsOwnException(BreakerType impl) {
        for (boolean forced : new boolean[] {false, true}) {
            BreakerFacade breaker = impl.create();
            Mono<Integer> mono = breaker.mono(Mono.just(1));
            breaker.open(forced);
            BenchSubscriber s = new BenchSubscriber(BH);
            for (int i = 0; i < 3; i++) {
                s.reset();
                mono.subscribe(s);
                if (breaker.rejectionType() == null) {   // a floor: nothing to open, the value flows
                    assertThat(s.count()).isEqualTo(1);
                    assertThat(s.completed()).isTrue();
                    assertThat(s.error()).isNull();
                } else {
                    assertThat(s.count()).isZero();
                    assertThat(s.completed()).isFalse();
                    assertThat(s.error()).isExactlyInstanceOf(breaker.rejectionType());
                }
            }
            assertThat(breaker.state()).isIn(forced ? "FORCED_OPEN" : "OPEN", "NONE");
        }
    }

    @Test
    void bothBreakersOpenAfterHalfOfAHundredCallsFail() {
        // The equivalence of the two configurations, checked where it shows: 49 failures in
        // 100 calls keep both CLOSED, the 50th failure in the window opens both.
        for (BreakerType impl : new BreakerType[] {BreakerType.NINELIVES, BreakerType.RESILIENCE4J}) {
            BreakerFacade breaker = impl.create();
            Mono<Integer> ok = breaker.mono(Mono.just(1));
            Mono<Integer> failing = breaker.mono(Mono.error(new IllegalStateException("boom")));
            BenchSubscriber s = new BenchSubscriber(BH);
            for (int i = 0; i < 51; i++) {
                s.reset();
                ok.subscribe(s);
            }
            for (int i = 0; i < 49; i++) {
                s.reset();
                failing.subscribe(s);
                assertThat(s.error()).isInstanceOf(IllegalStateException.class);
            }
            assertThat(breaker.state()).as(impl + " after 49 failures in 100 calls").isEqualTo("CLOSED");
            s.reset();
            failing.subscribe(s);                            // evicts a success: 50 failures in 100
            assertThat(breaker.state()).as(impl + " after 50 failures in 100 calls").isEqualTo("OPEN");
        }
    }

    @Test
    void everyBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.Breaker\\w*Benchmark\\.");

        List<String> expected = new ArrayList<>();
        for (BreakerType impl : BreakerType.values()) {
            expected.add("BreakerBenchmark.monoClosed impl=" + impl);
            expected.add("BreakerBenchmark.fluxClosed impl=" + impl);
            expected.add("BreakerSharedBenchmark.monoClosedShared impl=" + impl);
            for (String state : new String[] {"OPEN", "FORCED_OPEN"}) {
                expected.add("BreakerRejectBenchmark.monoRejected impl=" + impl + " state=" + state);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
