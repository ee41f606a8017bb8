package dev.ninelives.jmh;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.internal.WaitingBulkhead;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;

import java.util.concurrent.TimeUnit;

/**
 * What an adaptive limit costs per call, one thread, a permit always free: our bulkhead with a
 * fixed limit, with the AIMD and the gradient adaptive limit, and Netflix concurrency-limits'
 * {@code SimpleLimiter} with its AIMD limit, in the same run.
 *
 * <ul>
 *   <li>{@code permitCycle}: one call without Reactor. Ours: {@code tryAcquire}, then (adaptive
 *       only) the ticker read at the permit and the timed release that records the sample;
 *       fixed: {@code tryAcquire} + {@code release}. Netflix: {@code acquire} + {@code onSuccess}.</li>
 *   <li>{@code monoFree}: one subscription to {@code Mono.just(1)} through the bulkhead operator
 *       (Netflix: {@code Mono.using} around the same acquire and onSuccess).</li>
 * </ul>
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar AdaptiveLimitBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AdaptiveLimitBenchmark {

    /** The implementations measured side by side. */
    public enum Impl {
        /** Our bulkhead, a fixed limit: the floor the adaptive ones are compared with. */
        FIXED,
        /** Our bulkhead with {@code AdaptiveLimit.aimd()}. */
        AIMD,
        /** Our bulkhead with {@code AdaptiveLimit.gradient()}. */
        GRADIENT,
        /** Netflix concurrency-limits 0.5.4: {@code SimpleLimiter} with {@code AIMDLimit}. */
        NETFLIX_SIMPLE_AIMD
    }

    /** Which implementation is measured. */
    @Param
    public Impl impl;

    private Bulkhead bulkhead;
    private WaitingBulkhead timed;
    private Limiter<Void> netflix;
    private Mono<Integer> mono;

    /** Builds the limiter and assembles the Mono once. */
    @Setup
    public void setup() {
        switch (impl) {
            case FIXED:
                bulkhead = Bulkhead.builder("bench").maxConcurrent(1000).build();
                break;
            case AIMD:
                bulkhead = Bulkhead.builder("bench").adaptiveLimit(AdaptiveLimit.aimd().initialLimit(1000)).build();
                break;
            case GRADIENT:
                bulkhead = Bulkhead.builder("bench").adaptiveLimit(AdaptiveLimit.gradient().initialLimit(1000)).build();
                break;
            case NETFLIX_SIMPLE_AIMD:
                netflix = SimpleLimiter.newBuilder().limit(AIMDLimit.newBuilder().initialLimit(1000).maxLimit(1000).build()).build();
                break;
            default:
                throw new IllegalStateException("invalid impl: " + impl);
        }
        if (bulkhead != null) {
            timed = (WaitingBulkhead) bulkhead;
            mono = Mono.just(1).transform(NineLives.bulkhead(bulkhead));
        } else {
            mono = Mono.using(() -> netflix.acquire(null).orElseThrow(), l -> Mono.just(1), Limiter.Listener::onSuccess);
        }
    }

    /**
     * The Mono still delivers and, for ours, no permit is held.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        Checks.expectDelivers(impl + " Mono", mono, new BenchSubscriber(bh), 1, 1);
        if (bulkhead != null && bulkhead.metrics().inFlight() != 0) {
            throw new IllegalStateException(impl + " leaked permits: " + bulkhead.metrics().inFlight() + " in flight");
        }
    }

    /**
     * One call without Reactor.
     *
     * @return whether the permit was granted
     */
    @Benchmark
    public boolean permitCycle() {
        if (bulkhead == null) {
            Limiter.Listener l = netflix.acquire(null).orElse(null);
            if (l == null) {
                return false;
            }
            l.onSuccess();
            return true;
        }
        if (!bulkhead.tryAcquire()) {
            return false;
        }
        if (timed.timesCalls()) {
            timed.release(timed.callStarted(), false);
        } else {
            bulkhead.release();
        }
        return true;
    }

    /**
     * Subscribes once to the limited {@code Mono.just(1)}.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoFree(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
    }
}
