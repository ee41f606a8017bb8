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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * A retry on the success path, one thread: what wrapping a call in a retry costs when the first
 * attempt succeeds, beside Reactor's {@code retryWhen}, Resilience4j and the two floors
 * ({@link RetryType}). Every retry allows 3 attempts with a 10 ms first backoff, never waited.
 *
 * <ul>
 *   <li>{@code monoSuccess}: one subscription to {@code Mono.just(1)} with the retry: one
 *       attempt, one value, completion.</li>
 *   <li>{@code fluxSuccess}: one subscription to {@code Flux.range(0, 1000)} with the retry: one
 *       attempt, 1000 elements, completion. The cost per element is {@code ns/op / 1000}; the
 *       bare source allocates (boxed Integers above 127), so only the difference over BARE is
 *       the operator's.</li>
 * </ul>
 * The retried publishers are assembled once in {@code @Setup}; a measured operation only
 * subscribes the reusable {@link BenchSubscriber}.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar RetryBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RetryBenchmark {

    /** Which implementation is measured. */
    @Param
    public RetryType impl;

    private Mono<Integer> mono;
    private Flux<Integer> flux;

    /** Builds the retry and assembles both pipelines once. */
    @Setup
    public void setup() {
        RetryFacade retry = impl.create(RetryType.BACKOFF);
        mono = retry.mono(Mono.just(1));
        flux = retry.flux(Flux.range(0, 1000));
    }

    /**
     * After the trial both pipelines must still deliver, complete and not fail.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " Mono", mono, s, 1, 1);
        Checks.expectDelivers(impl + " Flux", flux, s, 1000, 999);
    }

    /**
     * Subscribes once to the retried {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoSuccess(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }

    /**
     * Subscribes once to the retried {@code Flux.range(0, 1000)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxSuccess(BenchSubscriber s) {
        s.reset();
        flux.subscribe(s);
    }
}
