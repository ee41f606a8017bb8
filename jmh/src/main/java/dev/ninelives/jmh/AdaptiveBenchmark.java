package dev.ninelives.jmh;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerBuilder;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Adaptive;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Retry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What live configuration costs on the hot path: the breaker, the retry and the bulkhead built
 * with fixed settings and with the same settings bound to {@link Adaptive}s, in the same run.
 * The target is at most +1 ns per policy.
 *
 * <ul>
 *   <li>{@code breakerClosed}: a CLOSED breaker on {@code Mono.just(1)}: the thresholds, the
 *       slow-call duration, the open duration and the half-open permits are adaptive.</li>
 *   <li>{@code bulkheadFree}: a bulkhead with a free permit on {@code Mono.just(1)}: the limit
 *       and the wait are adaptive.</li>
 *   <li>{@code retryFailThenSucceed}: a retry whose first attempt fails and second succeeds (no
 *       delay): the attempts and the backoff are adaptive, read at the failure.</li>
 * </ul>
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar AdaptiveBenchmark -f 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AdaptiveBenchmark {

    /** How the policies' settings are given. */
    public enum Settings {
        /** Plain values given to the builders. */
        FIXED,
        /** The same values, each through an {@link Adaptive}. */
        ADAPTIVE
    }

    /** Which way the settings are given. */
    @Param
    public Settings impl;

    private Mono<Integer> breakerMono;
    private Mono<Integer> bulkheadMono;
    private Mono<Integer> retryMono;
    private FlakySource flaky;

    /** Builds the three policies and assembles their Monos once. */
    @Setup
    public void setup() {
        boolean adaptive = impl == Settings.ADAPTIVE;
        CircuitBreakerBuilder cb = CircuitBreaker.builder("bench").slidingWindow(100).minimumNumberOfCalls(100);
        if (adaptive) {
            cb.failureRateThreshold(Adaptive.of(50f)).slowCallRateThreshold(Adaptive.of(100f))
                    .slowCallDuration(Adaptive.of(Duration.ofSeconds(60))).openDuration(Adaptive.of(Duration.ofMinutes(1)))
                    .permittedCallsInHalfOpen(Adaptive.of(10));
        } else {
            cb.failureRateThreshold(50f).slowCallRateThreshold(100f).slowCallDuration(Duration.ofSeconds(60))
                    .openDuration(Duration.ofMinutes(1)).permittedCallsInHalfOpen(10);
        }
        CircuitBreaker breaker = cb.build();
        Bulkhead bulkhead = adaptive
                ? Bulkhead.builder("bench").maxConcurrent(Adaptive.of(25)).maxWait(Adaptive.of(Duration.ZERO)).build()
                : Bulkhead.builder("bench").maxConcurrent(25).build();
        Retry retry = adaptive
                ? Retry.builder("bench").maxAttempts(Adaptive.of(2)).backoff(Adaptive.of(Backoff.none())).build()
                : Retry.builder("bench").maxAttempts(2).noBackoff().build();
        breakerMono = Mono.just(1).transform(NineLives.breaker(breaker));
        bulkheadMono = Mono.just(1).transform(NineLives.bulkhead(bulkhead));
        flaky = FlakySource.failingOddSubscriptions();
        retryMono = flaky.transform(NineLives.retry(retry));
    }

    /**
     * Every Mono still delivers.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " breaker", breakerMono, s, 1, 1);
        Checks.expectDelivers(impl + " bulkhead", bulkheadMono, s, 1, 1);
        Checks.expectDelivers(impl + " retry", retryMono, s, 1, 1);
    }

    /**
     * One call through a CLOSED breaker.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void breakerClosed(BenchSubscriber s) {
        s.reset();
        breakerMono.subscribe(s);
    }

    /**
     * One call through a bulkhead with a free permit.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void bulkheadFree(BenchSubscriber s) {
        s.reset();
        bulkheadMono.subscribe(s);
    }

    /**
     * One call whose first attempt fails and second succeeds.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void retryFailThenSucceed(BenchSubscriber s) {
        s.reset();
        retryMono.subscribe(s);
    }
}
