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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * One CLOSED breaker shared by two threads, each subscribing to the same protected
 * {@code Mono.just(1)} as fast as it can: the cost of contention on the breaker's shared state
 * (its state word, the window's slots and counters). Each thread has its own
 * {@link BenchSubscriber}; the breaker and the assembled Mono are shared
 * ({@code Scope.Benchmark}). The score is the average time per call seen by one thread; compare
 * it with the same impl's single-thread {@code BreakerBenchmark.monoClosed} of the same run,
 * and with the floors, which share nothing mutable and so show what two busy threads cost on
 * this machine anyway.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar "BreakerBenchmark.monoClosed|BreakerSharedBenchmark" -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
public class BreakerSharedBenchmark {

    /** Which implementation is measured. */
    @Param
    public BreakerType impl;

    private BreakerFacade breaker;
    private Mono<Integer> mono;

    /** Builds one CLOSED breaker, for both threads, and assembles the pipeline once. */
    @Setup
    public void setup() {
        breaker = impl.create();
        mono = breaker.mono(Mono.just(1));
    }

    /** Every call succeeded, so a breaker must still be CLOSED. */
    @TearDown
    public void check() {
        Checks.expectState(breaker, "CLOSED");
    }

    /**
     * Subscribes once to the shared protected {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoClosedShared(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }
}
