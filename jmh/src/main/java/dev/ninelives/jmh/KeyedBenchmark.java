package dev.ninelives.jmh;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
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

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a policy per key costs on the hit path: a call that asks the family for its tenant's
 * policy, beside the same call through one plain policy, in the same run. The keys are all in the
 * map (1,024 tenants, asked for in turn), so a keyed call pays one lookup in Caffeine's map; an
 * unbounded {@link ConcurrentHashMap} is measured too, for what the bound and the expiry add.
 *
 * <ul>
 *   <li>{@code breakerMono}: {@code Mono.just(1).transform(NineLives.breaker(b))}, assembled per
 *       call as a keyed call must be, on a CLOSED breaker.</li>
 *   <li>{@code bulkheadMono}: the same with a bulkhead whose permits are free.</li>
 *   <li>{@code breakerPermit}: the permit protocol without Reactor ({@code tryAcquire} and
 *       {@code onSuccess}): the lookup and the breaker alone.</li>
 * </ul>
 *
 * <p>Run (from the repository root, after {@code mvn -B -q package -DskipTests -pl jmh -am}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar KeyedBenchmark -f 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KeyedBenchmark {

    /** The number of tenants, a power of two. */
    static final int TENANTS = 1 << 10;

    /** Where a call gets its policy. */
    public enum Lookup {
        /** One breaker and one bulkhead for every call: the baseline. */
        PLAIN,
        /** {@link KeyedBreaker#get} and {@link KeyedBulkhead#get} of the call's tenant. */
        KEYED,
        /** {@code computeIfAbsent} on an unbounded ConcurrentHashMap: no bound, no expiry. */
        CONCURRENT_MAP
    }

    /** Where a call gets its policy. */
    @Param
    public Lookup impl;

    private final String[] tenants = new String[TENANTS];
    private final Mono<Integer> source = Mono.just(1);
    private CircuitBreaker plainBreaker;
    private Bulkhead plainBulkhead;
    private KeyedBreaker<String> keyedBreakers;
    private KeyedBulkhead<String> keyedBulkheads;
    private ConcurrentHashMap<String, CircuitBreaker> mapBreakers;
    private ConcurrentHashMap<String, Bulkhead> mapBulkheads;
    private int next;

    private static CircuitBreaker newBreaker(String tenant) {
        return CircuitBreaker.builder("bench-" + tenant).slidingWindow(100).minimumNumberOfCalls(100).build();
    }

    private static Bulkhead newBulkhead(String tenant) {
        return Bulkhead.builder("bench-" + tenant).maxConcurrent(25).build();
    }

    /** Builds the policies and puts every tenant in the maps, so that each call is a hit. */
    @Setup
    public void setup() {
        plainBreaker = newBreaker("plain");
        plainBulkhead = newBulkhead("plain");
        keyedBreakers = KeyedBreaker.<String>builder("bench").maximumKeys(10_000)
                .expireAfterIdle(Duration.ofMinutes(10)).build(KeyedBenchmark::newBreaker);
        keyedBulkheads = KeyedBulkhead.<String>builder("bench").maximumKeys(10_000)
                .expireAfterIdle(Duration.ofMinutes(10)).build(KeyedBenchmark::newBulkhead);
        mapBreakers = new ConcurrentHashMap<>();
        mapBulkheads = new ConcurrentHashMap<>();
        for (int i = 0; i < TENANTS; i++) {
            tenants[i] = "tenant-" + i;
            keyedBreakers.get(tenants[i]);
            keyedBulkheads.get(tenants[i]);
            mapBreakers.computeIfAbsent(tenants[i], KeyedBenchmark::newBreaker);
            mapBulkheads.computeIfAbsent(tenants[i], KeyedBenchmark::newBulkhead);
        }
    }

    /**
     * Every call still delivers, and every tenant is still in the keyed maps (a miss would
     * measure the factory, not the lookup).
     *
     * @param bh for the subscriber of the check
     */
    @TearDown
    public void check(Blackhole bh) {
        BenchSubscriber s = new BenchSubscriber(bh);
        Checks.expectDelivers(impl + " breaker", source.transform(NineLives.breaker(breaker())), s, 1, 1);
        Checks.expectDelivers(impl + " bulkhead", source.transform(NineLives.bulkhead(bulkhead())), s, 1, 1);
        Checks.expect(keyedBreakers.estimatedSize() == TENANTS && keyedBulkheads.estimatedSize() == TENANTS,
                "every tenant stayed in the keyed maps");
        Checks.expect(plainBulkhead.metrics().inFlight() == 0, "the plain bulkhead's permits are all back");
    }

    private String tenant() {
        return tenants[next++ & (TENANTS - 1)];
    }

    private CircuitBreaker breaker() {
        return switch (impl) {
            case PLAIN -> plainBreaker;
            case KEYED -> keyedBreakers.get(tenant());
            case CONCURRENT_MAP -> mapBreakers.computeIfAbsent(tenant(), KeyedBenchmark::newBreaker);
        };
    }

    private Bulkhead bulkhead() {
        return switch (impl) {
            case PLAIN -> plainBulkhead;
            case KEYED -> keyedBulkheads.get(tenant());
            case CONCURRENT_MAP -> mapBulkheads.computeIfAbsent(tenant(), KeyedBenchmark::newBulkhead);
        };
    }

    /**
     * One call through its tenant's CLOSED breaker, assembled for the call.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void breakerMono(BenchSubscriber s) {
        s.reset();
        source.transform(NineLives.breaker(breaker())).subscribe(s);
    }

    /**
     * One call through its tenant's bulkhead, assembled for the call.
     *
     * @param s this thread's subscriber
     */
    @Benchmark
    public void bulkheadMono(BenchSubscriber s) {
        s.reset();
        source.transform(NineLives.bulkhead(bulkhead())).subscribe(s);
    }

    /**
     * A permit of its tenant's breaker, taken and recorded as a success, without Reactor.
     *
     * @return the permit, so that the JIT keeps the call
     */
    @Benchmark
    public long breakerPermit() {
        CircuitBreaker b = breaker();
        long permit = b.tryAcquire();
        b.onSuccess(permit, 0L);
        return permit;
    }
}
