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
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * An open breaker, one thread: what a rejected call costs during an outage. Both breakers are
 * opened by hand for an hour ({@code state=OPEN}: NineLives {@code transitionTo(OPEN)},
 * Resilience4j {@code transitionToOpenState()}; {@code state=FORCED_OPEN}: the forced variants),
 * so every subscription is refused with {@code onSubscribe} + {@code onError}. The floors have
 * nothing to open: BARE is the bare {@code Mono.just(1)} and PASS_THROUGH the do-nothing
 * operator over it, both delivering their value, as the issue asks.
 *
 * <p>OPEN and FORCED_OPEN differ in one thing that matters here: in OPEN a breaker must read the
 * clock on every call to know whether the open duration has passed.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar BreakerRejectBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BreakerRejectBenchmark {

    /** Which implementation is measured. */
    @Param
    public BreakerType impl;

    /** How the breaker is opened. */
    @Param({"OPEN", "FORCED_OPEN"})
    public String state;

    private BreakerFacade breaker;
    private Mono<Integer> mono;

    /** Builds the breaker, opens it for an hour and assembles the pipeline once. */
    @Setup
    public void setup() {
        breaker = impl.create();
        mono = breaker.mono(Mono.just(1));
        breaker.open("FORCED_OPEN".equals(state));
    }

    /** The breaker must still be open: a trial call would mean the run measured another path. */
    @TearDown
    public void check() {
        Checks.expectState(breaker, state);
    }

    /**
     * Subscribes once to the protected {@code Mono.just(1)}: a refused call.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoRejected(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }
}
