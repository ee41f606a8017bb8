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
 * A bulkhead, a retry and a breaker on one call, the success path, one thread: the fused
 * NineLives pipeline beside the same policies stacked as three operators and Resilience4j's
 * three operators ({@link PipelineType}).
 *
 * <ul>
 *   <li>{@code monoSuccess}: one subscription to the protected {@code Mono.just(1)}.</li>
 *   <li>{@code monoLate}: one subscription to the protected {@link LateSource}, whose value
 *       arrives right after {@code onSubscribe} returns: the path of a call that does not answer
 *       inside {@code onSubscribe} (all real I/O), where an attempt timeout is armed and then
 *       disarmed (the {@code _FULL} rows).</li>
 *   <li>{@code fluxSuccess}: one subscription to the protected {@code Flux.range(0, 1000)}: the
 *       cost per element is {@code ns/op / 1000} over BARE.</li>
 * </ul>
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar PipelineBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PipelineBenchmark {

    /** Which implementation is measured. */
    @Param
    public PipelineType impl;

    private Mono<Integer> mono;
    private Mono<Integer> late;
    private Flux<Integer> flux;

    /** Assembles both pipelines once. */
    @Setup
    public void setup() {
        Wrapper w = impl.create();
        mono = w.mono(Mono.just(1));
        late = w.mono(new LateSource());
        flux = w.flux(Flux.range(0, 1000));
    }

    /**
     * After the trial both pipelines must still deliver.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " Mono", mono, s, 1, 1);
        Checks.expectDelivers(impl + " late Mono", late, s, 1, 1);
        Checks.expectDelivers(impl + " Flux", flux, s, 1000, 999);
    }

    /**
     * Subscribes once to the protected {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoSuccess(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }

    /**
     * Subscribes once to the protected {@link LateSource}: an attempt timeout is armed, then disarmed.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoLate(BenchSubscriber s) {
        s.reset();
        late.subscribe(s);
    }

    /**
     * Subscribes once to the protected {@code Flux.range(0, 1000)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxSuccess(BenchSubscriber s) {
        s.reset();
        flux.subscribe(s);
    }
}
