package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadConfig;
import dev.ninelives.retry.Retry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random valid settings, written with random spellings (kebab, camel, snake) and random forms of
 * their values (units, ISO-8601, bare milliseconds, fractions), load into policies whose
 * accessors read exactly those settings; and a reload of other random settings into the same
 * registry reads the same as a fresh load of them.
 */
class PropertiesRoundTripTest {

    /** Settings drawn for one breaker, one retry and one bulkhead. */
    record Drawn(int window, int minimum, int threshold, long slowMs, int slowRate, long openMs, int halfOpen,
                 int attempts, long initialMs, int concurrent, long waitMs, int queued, boolean lifo, long seed) {
    }

    @Provide
    Arbitrary<Drawn> drawn() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            return new Drawn(1 + r.nextInt(8191), 1 + r.nextInt(500), 1 + r.nextInt(100), 1 + r.nextInt(100_000),
                    1 + r.nextInt(100), 1 + r.nextInt(3_600_000), 1 + r.nextInt(1023), 1 + r.nextInt(50),
                    1 + r.nextInt(5_000), 1 + r.nextInt(10_000), 1 + r.nextInt(60_000), 1 + r.nextInt(10_000),
                    r.nextBoolean(), seed);
        });
    }

    private static String spell(String kebab, Random r) {
        switch (r.nextInt(3)) {
            case 0:
                return kebab;
            case 1:
                return kebab.replace('-', '_');
            default:
                StringBuilder sb = new StringBuilder();
                boolean up = false;
                for (char c : kebab.toCharArray()) {
                    if (c == '-') {
                        up = true;
                    } else {
                        sb.append(up ? Character.toUpperCase(c) : c);
                        up = false;
                    }
                }
                return sb.toString();
        }
    }

    private static String duration(long ms, Random r) {
        switch (r.nextInt(4)) {
            case 0:
                return Long.toString(ms);
            case 1:
                return ms + "ms";
            case 2:
                return Duration.ofMillis(ms).toString();
            default:
                return ms % 1000 == 0 ? ms / 1000 + "s" : ms * 1000 + "us";
        }
    }

    private static Map<String, String> keys(Drawn d) {
        Random r = new Random(d.seed());
        Map<String, String> m = new HashMap<>();
        String b = "ninelives.breaker.svc.";
        m.put(b + spell("sliding-window", r), Integer.toString(d.window()));
        m.put(b + spell("minimum-number-of-calls", r), Integer.toString(d.minimum()));
        m.put(b + spell("failure-rate-threshold", r), r.nextBoolean() ? d.threshold() + ".0" : Integer.toString(d.threshold()));
        m.put(b + spell("slow-call-duration", r), duration(d.slowMs(), r));
        m.put(b + spell("slow-call-rate-threshold", r), Integer.toString(d.slowRate()));
        m.put(b + spell("open-duration", r), duration(d.openMs(), r));
        m.put(b + spell("permitted-calls-in-half-open", r), Integer.toString(d.halfOpen()));
        String q = "ninelives.retry.svc.";
        m.put(q + spell("max-attempts", r), Integer.toString(d.attempts()));
        m.put(q + "backoff." + spell("type", r), r.nextBoolean() ? "CONSTANT" : "constant");
        m.put(q + "backoff." + spell("initial", r), duration(d.initialMs(), r));
        String k = "ninelives.bulkhead.svc.";
        m.put(k + spell("max-concurrent", r), Integer.toString(d.concurrent()));
        m.put(k + spell("max-wait", r), duration(d.waitMs(), r));
        m.put(k + spell("max-queued", r), Integer.toString(d.queued()));
        m.put(k + spell("queue-order", r), d.lifo() ? "lifo" : "FIFO");
        return m;
    }

    private static void readsAsDrawn(NineLivesRegistry registry, Drawn d) {
        CircuitBreakerConfig c = registry.breaker("svc").config();
        assertThat(c.windowSize()).isEqualTo(d.window());
        assertThat(c.minimumNumberOfCalls()).isEqualTo(Math.min(d.minimum(), d.window()));   // a minimum above the window acts as the window
        assertThat(c.failureRateThreshold()).isEqualTo((float) d.threshold());
        assertThat(c.slowCallDuration()).isEqualTo(Duration.ofMillis(d.slowMs()));
        assertThat(c.slowCallRateThreshold()).isEqualTo((float) d.slowRate());
        assertThat(c.openDuration()).isEqualTo(Duration.ofMillis(d.openMs()));
        assertThat(c.permittedCallsInHalfOpen()).isEqualTo(d.halfOpen());
        Retry retry = registry.retry("svc");
        assertThat(retry.maxAttempts()).isEqualTo(d.attempts());
        assertThat(retry.backoff().initialDelay()).isEqualTo(Duration.ofMillis(d.initialMs()));
        BulkheadConfig b = registry.bulkhead("svc").config();
        assertThat(b.maxConcurrent()).isEqualTo(d.concurrent());
        assertThat(b.maxWait()).isEqualTo(Duration.ofMillis(d.waitMs()));
        assertThat(b.maxQueued()).isEqualTo(d.queued());
        assertThat(b.queueOrder()).isEqualTo(d.lifo() ? Bulkhead.QueueOrder.LIFO : Bulkhead.QueueOrder.FIFO);
    }

    @Property(tries = 300)
    void randomValidKeysReadBackThroughTheBuildersAccessors(@ForAll("drawn") Drawn d) {
        readsAsDrawn(NineLivesProperties.load(keys(d)).registry(), d);
    }

    @Property(tries = 200)
    void aReloadReadsAsAFreshLoadOfTheNewKeys(@ForAll("drawn") Drawn first, @ForAll("drawn") Drawn second) {
        NineLivesProperties p = NineLivesProperties.load(keys(first));
        ReloadReport report = p.reload(keys(second));
        readsAsDrawn(p.registry(), second);
        boolean structural = first.minimum() != second.minimum() || first.queued() != second.queued()
                || first.lifo() != second.lifo();
        assertThat(report.changes()).allSatisfy(c -> assertThat(c.action())
                .isIn(ReloadReport.Action.CHANGED, ReloadReport.Action.REPLACED));
        if (!structural) {
            assertThat(report.changes()).noneMatch(c -> c.action() == ReloadReport.Action.REPLACED);
        }
    }
}
