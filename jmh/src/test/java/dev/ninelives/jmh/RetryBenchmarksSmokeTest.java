package dev.ninelives.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.RunnerException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The retry benchmarks in the normal build: each facade measures a working pipeline, the retries
 * are configured alike, and every retry benchmark runs (one short iteration, in this JVM) and
 * produces a score.
 *
 * <p>Only {@link BenchSubscriber} subscribes here too, as in the benchmarks.
 */
class RetryBenchmarksSmokeTest {

    private static final Blackhole BH = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @ParameterizedTest
    @EnumSource(RetryType.class)
    void monoDeliversOneAndCompletes(RetryType impl) {
        Mono<Integer> mono = impl.create(RetryType.BACKOFF).mono(Mono.just(1));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {                     // reusable: the same subscriber, again and again
            s.reset();
            mono.subscribe(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.last()).isEqualTo(1);
            assertThat(s.error()).isNull();
            assertThat(s.completed()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RetryType.class)
    void fluxDeliversAThousandAndCompletes(RetryType impl) {
        Flux<Integer> flux = impl.create(RetryType.BACKOFF).flux(Flux.range(0, 1000));
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 0; i < 3; i++) {
            s.reset();
            flux.subscribe(s);
            assertThat(s.terminated()).as("synchronous").isTrue();
            assertThat(s.count()).isEqualTo(1000);
            assertThat(s.last()).isEqualTo(999);
            assertThat(s.error()).isNull();
            assertThat(s.completed()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RetryType.class)
    void failThenSucceedDeliversOneAfterTwoSubscriptions(RetryType impl) {
        // The facade's zero-delay pipeline: a retry turns the failure and the success into the
        // value, a floor hands the failure over.
        RetryFacade retry = impl.create(Duration.ZERO);
        FlakySource source = FlakySource.failingOddSubscriptions();
        Mono<Integer> mono = retry.mono(source);
        BenchSubscriber s = new BenchSubscriber(BH);
        for (int i = 1; i <= 5; i++) {                    // more calls than attempts: no state leaks between calls
            s.reset();
            mono.subscribe(s);
            if (impl != RetryType.RESILIENCE4J) {
                assertThat(s.terminated()).as("an immediate retry runs before subscribe returns").isTrue();
            }
            s.awaitTerminal();
            if (retry.maxAttempts() == 1) {
                assertThat(s.error()).isSameAs(FlakySource.FAILURE);
                assertThat(s.count()).isZero();
                assertThat(source.subscriptions()).isEqualTo(2L * i - 1);
                s.reset();
                mono.subscribe(s);
            }
            assertThat(s.count()).as("call " + i).isEqualTo(1);
            assertThat(s.last()).isEqualTo(1);
            assertThat(s.error()).isNull();
            assertThat(s.completed()).isTrue();
            assertThat(source.subscriptions()).as("subscriptions after call " + i).isEqualTo(2L * i);
        }

        // The benchmark's own operation, and its tear-down check.
        RetryFailOnceBenchmark bench = new RetryFailOnceBenchmark();
        bench.impl = impl;
        bench.setup();
        for (int i = 1; i <= 5; i++) {
            s.reset();
            bench.monoFailThenSucceed(s);
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.completed()).isTrue();
            assertThat(bench.source().subscriptions()).isEqualTo(2L * i);
        }
        assertThat(bench.retriedByHand()).isEqualTo(retry.maxAttempts() == 1 ? 5 : 0);
        bench.check(BH);
    }

    @ParameterizedTest
    @EnumSource(value = RetryType.class, names = {"NINELIVES", "REACTOR_RETRY_WHEN", "RESILIENCE4J"})
    void everyRetryGivesUpAfterThreeAttempts(RetryType impl) {
        // The equivalence of the configurations, checked where it shows: a source that always
        // fails is subscribed exactly 3 times, with the benchmarks' backoff and with no delay.
        for (Duration delay : new Duration[] {RetryType.BACKOFF, Duration.ZERO}) {
            FlakySource source = FlakySource.alwaysFailing();
            Mono<Integer> mono = impl.create(delay).mono(source);
            BenchSubscriber s = new BenchSubscriber(BH);
            s.reset();
            mono.subscribe(s);
            s.awaitTerminal();
            assertThat(source.subscriptions()).as(impl + " with first delay " + delay).isEqualTo(RetryType.MAX_ATTEMPTS);
            assertThat(s.count()).isZero();
            assertThat(s.error()).satisfiesAnyOf(                  // the failure itself, or the library's wrapper around it
                    e -> assertThat(e).isSameAs(FlakySource.FAILURE),
                    e -> assertThat(e.getCause()).isSameAs(FlakySource.FAILURE));
        }
    }

    @Test
    void everyRetryBenchmarkRunsAndScores() throws RunnerException {
        List<String> ran = SmokeRun.run("dev\\.ninelives\\.jmh\\.Retry\\w*Benchmark\\.");

        List<String> expected = new ArrayList<>();
        for (RetryType impl : RetryType.values()) {
            expected.add("RetryBenchmark.monoSuccess impl=" + impl);
            expected.add("RetryBenchmark.fluxSuccess impl=" + impl);
            expected.add("RetryFailOnceBenchmark.monoFailThenSucceed impl=" + impl);
        }
        assertThat(ran).containsExactlyInAnyOrderElementsOf(expected);
    }
}
