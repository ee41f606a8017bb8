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

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An uncontended bulkhead, one thread: what a permit costs when one is always free, beside
 * Resilience4j and the two floors ({@link BulkheadType}). The limit is
 * {@value BulkheadType#MAX_CONCURRENT} and waiting is off.
 *
 * <ul>
 *   <li>{@code monoUncontended}: one subscription to {@code Mono.just(1)} with the bulkhead:
 *       take a permit, one value (the permit returns), completion.</li>
 *   <li>{@code fluxUncontended}: one subscription to {@code Flux.range(0, 1000)}: the cost per
 *       element is {@code ns/op / 1000} over BARE.</li>
 * </ul>
 * The pipelines are assembled once in {@code @Setup}; a measured operation only subscribes the
 * reusable {@link BenchSubscriber}.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar BulkheadBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BulkheadBenchmark {

    /** Which implementation is measured. */
    @Param
    public BulkheadType impl;

    private BulkheadFacade bulkhead;
    private Mono<Integer> mono;
    private Flux<Integer> flux;

    /** Builds the bulkhead and assembles both pipelines once. */
    @Setup
    public void setup() {
        bulkhead = impl.create(BulkheadType.MAX_CONCURRENT, Duration.ZERO);
        mono = bulkhead.mono(Mono.just(1));
        flux = bulkhead.flux(Flux.range(0, 1000));
    }

    /**
     * After the trial both pipelines must still deliver, and no permit may be held.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " Mono", mono, s, 1, 1);
        Checks.expectDelivers(impl + " Flux", flux, s, 1000, 999);
        if (bulkhead.inFlight() != 0) {
            throw new IllegalStateException(impl + " leaked permits: " + bulkhead.inFlight() + " in flight");
        }
    }

    /**
     * Subscribes once to the limited {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoUncontended(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }

    /**
     * Subscribes once to the limited {@code Flux.range(0, 1000)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxUncontended(BenchSubscriber s) {
        s.reset();
        flux.subscribe(s);
    }
}
