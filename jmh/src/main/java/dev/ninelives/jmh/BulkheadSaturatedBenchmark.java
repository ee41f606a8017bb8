package dev.ninelives.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A saturated bulkhead: two callers ({@code @Threads(2)}) share one permit, and every call
 * holds it for a fixed amount of CPU work ({@value #WORK} {@code Blackhole.consumeCPU} tokens).
 * Each caller offers a call, waits for its outcome (spinning, as a closed-loop client), and
 * offers the next. The secondary counters report, per second, the calls that
 * {@code completed} and the calls that were {@code rejected}; the primary score is offers per
 * second.
 *
 * <ul>
 *   <li>{@code mode=WAIT}: a caller that finds the permit taken waits up to 1 s. NineLives
 *       queues the subscriber and returns; the permit's holder hands it over when its call ends,
 *       and runs the waiting call on its own thread. Resilience4j parks the subscribing thread
 *       in its semaphore until the permit is free.</li>
 *   <li>{@code mode=FAIL_FAST}: no waiting; a caller that finds the permit taken is refused
 *       and offers again at once.</li>
 * </ul>
 * The floors run the same calls with no limit at all: both callers work at once.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar BulkheadSaturatedBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(2)
public class BulkheadSaturatedBenchmark {

    /** CPU work per call, while it holds its permit (about a microsecond). */
    public static final int WORK = 500;

    /** Which implementation is measured. */
    @Param({"BARE", "NINELIVES", "RESILIENCE4J"})
    public BulkheadType impl;

    /** Waiting on (up to 1 s) or off. */
    @Param({"WAIT", "FAIL_FAST"})
    public String mode;

    private BulkheadFacade bulkhead;
    private Mono<Integer> call;

    /** One bulkhead with one permit, for both callers. */
    @Setup
    public void setup() {
        bulkhead = impl.create(1, "WAIT".equals(mode) ? Duration.ofSeconds(1) : Duration.ZERO);
        call = bulkhead.mono(Mono.fromSupplier(() -> {
            Blackhole.consumeCPU(WORK);
            return 1;
        }));
    }

    /** Once both callers have stopped, no permit may be held. */
    @TearDown
    public void check() {
        if (bulkhead.inFlight() != 0) {
            throw new IllegalStateException(impl + " " + mode + " leaked permits: " + bulkhead.inFlight() + " in flight");
        }
    }

    /** The outcomes of one caller's calls, reported per second beside the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Outcomes {
        /** Calls that got a permit and delivered their value. */
        public long completed;
        /** Calls the bulkhead refused (full, or the wait timed out). */
        public long rejected;

        /** Counts from zero in every iteration. */
        @Setup(Level.Iteration)
        public void clear() {
            completed = 0;
            rejected = 0;
        }
    }

    /**
     * Offers one call and waits for its outcome.
     *
     * @param s this caller's subscriber
     * @param o this caller's counters
     */
    @Benchmark
    public void call(BenchSubscriber s, Outcomes o) {
        s.reset();
        call.subscribe(s);
        s.awaitTerminal();
        if (s.completed()) {
            o.completed++;
        } else {
            o.rejected++;
        }
    }
}
