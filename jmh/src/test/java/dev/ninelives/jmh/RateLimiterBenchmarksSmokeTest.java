package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;
import reactor.core.publisher.Mono;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rate limiter benchmark in the normal build: each facade's permitted call delivers and
 * completes, its refused call is refused (BARE, which cannot refuse, delivers), and every
 * benchmark runs in-process and scores.
 */
class RateLimiterBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(RateLimiterType.class)
    void permittedDeliversAndRefusedIsRefused(RateLimiterType impl) {
        Mono<Integer> permitted = impl.create(false).mono(Mono.just(1));
        Mono<Integer> refused = impl.create(true).mono(Mono.just(1));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 1000; i++) {
            s.reset();
            permitted.subscribe(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
            s.reset();
            refused.subscribe(s);
            assertThat(s.terminated()).isTrue();
            if (impl == RateLimiterType.BARE) {
                assertThat(s.completed()).isTrue();
            } else {
                assertThat(s.count()).isZero();
                assertThat(s.error()).isNotNull();
            }
        }
    }

    @Test
    void everyRateLimiterBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.RateLimiterBenchmark\\.");
        List<String> expected = new ArrayList<>();
        for (RateLimiterType impl : RateLimiterType.values()) {
            for (String b : new String[] {"monoPermitted", "monoRefused"}) {
                expected.add("RateLimiterBenchmark." + b + " impl=" + impl);
            }
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
