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
 * A 1 s timeout that never fires, one thread: what bounding a call's time costs when the call
 * answers at once, beside Reactor's {@code timeout(Duration)}, Resilience4j's
 * {@code TimeLimiterOperator} and the bare source ({@link TimeoutType}).
 *
 * <ul>
 *   <li>{@code monoJust}: one subscription to {@code Mono.just(1)} with the timeout. The value
 *       arrives inside {@code onSubscribe}, before any timeout is armed: NineLives never touches
 *       its timer for such a call; Reactor schedules its timeout task anyway, and cancels it.</li>
 *   <li>{@code monoArmed}: one subscription to a {@link LateSource}, whose value arrives right
 *       after {@code onSubscribe} returns, on the same thread: every timeout is armed and then
 *       disarmed. This is the path of any call that does not answer inside {@code onSubscribe}
 *       (all real I/O), measured without the I/O. ({@code Mono.fromSupplier} would not do: in
 *       Reactor 3.8 it answers inside {@code onSubscribe}, like {@code Mono.just}.)</li>
 *   <li>{@code fluxRange}: one subscription to {@code Flux.range(0, 1000)} with the timeout;
 *       the cost per element is {@code ns/op / 1000}. Not like for like: Reactor and Resilience4j
 *       time each element, NineLives the whole stream (see {@link TimeoutType}).</li>
 * </ul>
 * The publishers are assembled once in {@code @Setup}; a measured operation only subscribes the
 * reusable {@link BenchSubscriber}. Every call ends synchronously, so a timeout task of Reactor's
 * that was scheduled is already cancelled when {@code subscribe} returns.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar TimeoutBenchmark -f 2 -wi 3 -w 1s -i 6 -r 1s -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TimeoutBenchmark {

    /** Which implementation is measured. */
    @Param
    public TimeoutType impl;

    private Mono<Integer> just;
    private Mono<Integer> armed;
    private Flux<Integer> range;

    /** Builds the timeout and assembles the three pipelines once. */
    @Setup
    public void setup() {
        Wrapper timeout = impl.create();
        just = timeout.mono(Mono.just(1));
        armed = timeout.mono(new LateSource());
        range = timeout.flux(Flux.range(0, 1000));
    }

    /**
     * After the trial every pipeline must still deliver and complete, without a timeout.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " Mono.just", just, s, 1, 1);
        Checks.expectDelivers(impl + " late Mono", armed, s, 1, 1);
        Checks.expectDelivers(impl + " Flux", range, s, 1000, 999);
    }

    /**
     * Subscribes once to {@code Mono.just(1)} with the timeout.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoJust(BenchSubscriber s) {
        s.reset();
        just.subscribe(s);
    }

    /**
     * Subscribes once to a {@link LateSource} with the timeout: armed, then disarmed.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoArmed(BenchSubscriber s) {
        s.reset();
        armed.subscribe(s);
    }

    /**
     * Subscribes once to {@code Flux.range(0, 1000)} with the timeout.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void fluxRange(BenchSubscriber s) {
        s.reset();
        range.subscribe(s);
    }
}
