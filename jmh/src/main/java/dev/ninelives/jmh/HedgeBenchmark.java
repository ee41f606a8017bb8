package dev.ninelives.jmh;

import dev.ninelives.hedge.Hedge;
import dev.ninelives.reactor.NineLives;
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

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The hedge on its success path, one thread, beside the bare source ({@code impl}):
 * <ul>
 *   <li>{@code monoAtOnce}: one subscription to {@code Mono.just(1)}, whose value comes during
 *       the subscribe: no timer is scheduled (target: at most +15 ns and +32 B over BARE);</li>
 *   <li>{@code monoArmed}: one subscription to a {@link HeldSource} released right after the
 *       subscribe returns: the hedge schedules its 1 s timer on {@code Schedulers.parallel()}
 *       and disposes it at the answer, the delay never firing. The difference to
 *       {@code monoAtOnce} is what scheduling the timer costs.</li>
 * </ul>
 * {@code impl}: {@code BARE} (no hedge), {@code FIXED} (a fixed delay), {@code ADAPTIVE} (a
 * percentile delay: two ticker reads and two atomic adds more per answer). The publishers are
 * assembled once in {@code @Setup}.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar HedgeBenchmark -f 2 -wi 3 -w 1s -i 6 -r 1s -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HedgeBenchmark {

    /** What protects the source. */
    public enum Impl {
        /** Nothing: the floor. */
        BARE,
        /** A hedge with a fixed 1 s delay. */
        FIXED,
        /** A hedge at the p99 of recent latency, at least 1 s. */
        ADAPTIVE;

        /**
         * Wraps a source.
         *
         * @param source the source
         * @return the protected Mono
         */
        public Mono<Integer> mono(Mono<Integer> source) {
            return switch (this) {
                case BARE -> source;
                case FIXED -> source.transform(NineLives.hedge(Hedge.builder("bench").delay(Duration.ofSeconds(1)).build()));
                case ADAPTIVE -> source.transform(NineLives.hedge(Hedge.builder("bench").delayPercentile(99)
                        .minDelay(Duration.ofSeconds(1)).window(1000).build()));
            };
        }
    }

    /** Which implementation is measured. */
    @Param
    public Impl impl;

    private Mono<Integer> atOnce;
    private HeldSource held;
    private Mono<Integer> armed;

    /** Assembles the publishers once. */
    @Setup
    public void setup() {
        atOnce = impl.mono(Mono.just(1));
        held = new HeldSource();
        armed = impl.mono(held);
    }

    /**
     * Subscribes once; the value comes during the subscribe.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoAtOnce(BenchSubscriber s) {
        s.reset();
        atOnce.subscribe(s);
    }

    /**
     * Subscribes once, then releases the answer: the hedge's timer is armed, then disposed.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoArmed(BenchSubscriber s) {
        s.reset();
        armed.subscribe(s);
        held.release();
    }
}
