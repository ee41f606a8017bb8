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
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * A CLOSED breaker on the happy path, one thread: what protecting a call costs when nothing is
 * wrong, beside Resilience4j and the two floors ({@link BreakerType}).
 *
 * <ul>
 *   <li>{@code monoClosed}: one subscription to {@code Mono.just(1)} transformed by the
 *       breaker: a permit, one value, a success recorded, completion.</li>
 *   <li>{@code fluxClosed}: one subscription to {@code Flux.range(0, 1000)} transformed by the
 *       breaker: one permit, 1000 elements, one success. The cost per element is
 *       {@code ns/op / 1000}. The bare source itself allocates (boxed Integers above 127), so
 *       only the difference over BARE is the operator's.</li>
 * </ul>
 * The transformed publishers are assembled once in {@code @Setup}; a measured operation only
 * subscribes the reusable {@link BenchSubscriber}.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar BreakerBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BreakerBenchmark {

    /** Which implementation is measured. */
    @Param
    public BreakerType impl;

    private BreakerFacade breaker;
    private Mono<Integer> mono;
    private Flux<Integer> flux;

    /** Builds a CLOSED breaker and assembles both pipelines once. */
    @Setup
    public void setup() {
        breaker = impl.create();
        mono = breaker.mono(Mono.just(1));
        flux = breaker.flux(Flux.range(0, 1000));
    }

    /** Every call succeeded, so a breaker must still be CLOSED: otherwise the run measured the wrong path. */
    @TearDown
    public void check() {
        Checks.expectState(breaker, "CLOSED");
    }

    /**
     * Subscribes once to the protected {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoClosed(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }

    /**
     * Subscribes once to the protected {@code Flux.range(0, 1000)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxClosed(BenchSubscriber s) {
        s.reset();
        flux.subscribe(s);
    }
}
