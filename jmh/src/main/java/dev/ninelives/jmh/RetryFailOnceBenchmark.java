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
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One failed attempt followed by a successful one, one thread: what a retry that is needed
 * costs. The source ({@link FlakySource}) fails on its odd subscriptions and delivers
 * {@code 1} on its even ones, so every call is exactly one failure and one success. Every retry
 * is configured with a ZERO delay (NineLives {@code noBackoff()}, Reactor {@code Retry.max(2)},
 * Resilience4j {@code waitDuration(Duration.ZERO)}), so the figure is the retry machinery, not a
 * sleep.
 *
 * <p>The floors cannot retry, so the benchmark retries for them, by hand: when the subscriber
 * got the error it is reset and subscribed once more. BARE is then the least any retry can
 * cost: the source's two attempts and one resubscription, with no operator. For a retrying impl
 * that branch is never taken (the tear-down check fails the run otherwise).
 *
 * <p>Resilience4j always retries through {@code Mono.delay}, even with a zero wait, so its
 * second attempt runs on a {@code Schedulers.parallel()} worker (or on this thread if the worker
 * is faster than this thread's return); the benchmark waits for the terminal signal
 * ({@link BenchSubscriber#awaitTerminal()}, which returns at once for the synchronous impls), so
 * its figure includes that thread hand-off.
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar RetryFailOnceBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RetryFailOnceBenchmark {

    /** Which implementation is measured. */
    @Param
    public RetryType impl;

    private RetryFacade retry;
    private FlakySource source;
    private Mono<Integer> mono;
    private long retriedByHand;

    /** Builds the zero-delay retry and assembles the pipeline once. */
    @Setup
    public void setup() {
        retry = impl.create(Duration.ZERO);
        source = FlakySource.failingOddSubscriptions();
        mono = retry.mono(source);
        retriedByHand = 0;
    }

    /**
     * A retrying impl must never have needed the hand-made retry, a floor always; every call
     * ended on a success (an even number of subscriptions); and the pipeline still turns one
     * failure and one success into the value.
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        boolean floor = retry.maxAttempts() == 1;
        Checks.expect(floor ? retriedByHand > 0 : retriedByHand == 0,
                impl + " was retried by hand " + retriedByHand + " times");
        Checks.expect(source.subscriptions() > 0 && source.subscriptions() % 2 == 0,
                impl + ": the source saw " + source.subscriptions() + " subscriptions, not an even number");
        if (!floor) {
            long before = source.subscriptions();
            Checks.expectDelivers(impl + " fail-then-succeed Mono", mono, new BenchSubscriber(bh), 1, 1);
            Checks.expect(source.subscriptions() - before == 2,
                    impl + ": one call subscribed the source " + (source.subscriptions() - before) + " times, not 2");
        }
    }

    /**
     * One call: subscribes once to the retried flaky Mono, which fails and then succeeds.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void monoFailThenSucceed(BenchSubscriber s) {
        s.reset();
        mono.subscribe(s);
        s.awaitTerminal();               // returns at once unless the retry ran on another thread
        if (s.error != null) {           // a floor: the retry by hand
            retriedByHand++;
            s.reset();
            mono.subscribe(s);
        }
    }

    /** @return the source, for the smoke test */
    FlakySource source() {
        return source;
    }

    /** @return how many calls needed the hand-made retry, for the smoke test */
    long retriedByHand() {
        return retriedByHand;
    }
}
