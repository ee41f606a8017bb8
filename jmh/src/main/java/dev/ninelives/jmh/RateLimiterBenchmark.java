package dev.ninelives.jmh;

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
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * A rate limiter, one thread, beside Resilience4j's {@code RateLimiterOperator} and the bare
 * {@code Mono.just(1)} ({@link RateLimiterType}):
 * <ul>
 *   <li>{@code monoPermitted}: one subscription with a permit free (target: at most +10 ns and
 *       +32 B over BARE);</li>
 *   <li>{@code monoRefused}: one subscription refused, every permit of the hour taken (target:
 *       0 B; BARE delivers its value, as the floor).</li>
 * </ul>
 * The publishers are assembled once in {@code @Setup}; a measured operation only subscribes the
 * reusable {@link BenchSubscriber}.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar RateLimiterBenchmark -f 2 -wi 3 -w 1s -i 6 -r 1s -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RateLimiterBenchmark {

    /** Which implementation is measured. */
    @Param
    public RateLimiterType impl;

    private Mono<Integer> permitted;
    private Mono<Integer> refused;

    /** Builds both limiters and assembles the publishers once. */
    @Setup
    public void setup() {
        permitted = impl.create(false).mono(Mono.just(1));
        refused = impl.create(true).mono(Mono.just(1));
    }

    /**
     * Subscribes once with a permit free.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoPermitted(BenchSubscriber s) {
        s.reset();
        permitted.subscribe(s);
    }

    /**
     * Subscribes once and is refused.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoRefused(BenchSubscriber s) {
        s.reset();
        refused.subscribe(s);
    }
}
