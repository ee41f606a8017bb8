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
 * A fallback, one thread: what it costs on the success path (the call never fails, the
 * fallback is never used) and when the call fails and falls back, beside Reactor's
 * {@code onErrorResume}, Resilience4j's fallback decorator and the two floors
 * ({@link FallbackType}).
 *
 * <ul>
 *   <li>{@code monoSuccess}: one subscription to {@code Mono.just(1)} with the fallback: one
 *       value, completion.</li>
 *   <li>{@code fluxSuccess}: one subscription to {@code Flux.range(0, 1000)} with the fallback.
 *       The cost per element is {@code ns/op / 1000} over BARE.</li>
 *   <li>{@code monoFallback}: one subscription to a Mono that fails at once (the shared
 *       stackless {@link FlakySource#FAILURE}, no allocation) with the fallback: the fallback's
 *       {@code -1} and completion. The floors have no fallback: they deliver the error, so their
 *       figure is the failing source alone.</li>
 * </ul>
 * The pipelines are assembled once in {@code @Setup}; a measured operation only subscribes the
 * reusable {@link BenchSubscriber}.
 *
 * <p>Run (from the repository root, after
 * {@code mvn -B -q package -DskipTests -pl operators,reactor-bridge,jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar FallbackBenchmark -f 2 -wi 3 -w 1s -i 6 -r 1s -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FallbackBenchmark {

    /** Which implementation is measured. */
    @Param
    public FallbackType impl;

    private FallbackFacade fallback;
    private Mono<Integer> mono;
    private Flux<Integer> flux;
    private Mono<Integer> failing;

    /** Builds the fallback and assembles the three pipelines once. */
    @Setup
    public void setup() {
        fallback = impl.create();
        mono = fallback.mono(Mono.just(1));
        flux = fallback.flux(Flux.range(0, 1000));
        failing = fallback.mono(Mono.error(FlakySource.FAILURE));
    }

    /**
     * After the trial the success pipelines must still deliver and complete, and the failing one
     * fall back (or, for a floor, fail with the planned failure).
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " Mono", mono, s, 1, 1);
        Checks.expectDelivers(impl + " Flux", flux, s, 1000, 999);
        if (fallback.fallsBack()) {
            Checks.expectDelivers(impl + " failing Mono", failing, s, 1, FallbackType.FALLBACK_VALUE);
        } else {
            s.reset();
            failing.subscribe(s);
            Checks.expect(s.error() == FlakySource.FAILURE && s.count() == 0,
                    impl + " failing Mono should signal the planned failure, but signalled " + s.error());
        }
    }

    /**
     * Subscribes once to {@code Mono.just(1)} with the fallback.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoSuccess(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }

    /**
     * Subscribes once to {@code Flux.range(0, 1000)} with the fallback.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxSuccess(BenchSubscriber s) {
        s.reset();
        flux.subscribe(s);
    }

    /**
     * Subscribes once to the failing Mono with the fallback.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoFallback(BenchSubscriber s) {
        s.reset();
        failing.subscribe(s);
    }
}
