package dev.ninelives.bulkhead;

import dev.ninelives.internal.WaitingBulkhead;
import dev.ninelives.testing.ManualTicker;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class AdaptiveLimitTest {

    /**
     * Guards against: an adaptive limit that plain-Java callers cannot feed (a bulkhead used with
     * tryAcquire/release would never move its limit), and a bad latency that keeps the permit.
     */
    @Test
    void plainJavaCallersFeedTheLimitThroughReleaseWithTheLatency() {
        Bulkhead b = Bulkhead.builder("plain").ticker(new ManualTicker())
                .adaptiveLimit(AdaptiveLimit.aimd().minLimit(1).maxLimit(20).initialLimit(10).windowSize(1)
                        .latencyThreshold(Duration.ofMillis(50)))
                .build();
        assertThat(b.tryAcquire()).isTrue();
        b.release(Duration.ofMillis(100), false);
        assertThat(b.config().maxConcurrent()).as("a slow call is a drop").isEqualTo(9);
        assertThat(b.tryAcquire()).isTrue();
        b.release(Duration.ofMillis(1), true);
        assertThat(b.config().maxConcurrent()).as("a failed call is a drop").isEqualTo(8);
        assertThat(b.tryAcquire()).isTrue();
        b.release();
        assertThat(b.config().maxConcurrent()).as("release() gives no sample").isEqualTo(8);
        assertThat(b.metrics().availablePermits()).isEqualTo(8);

        assertThat(b.tryAcquire()).isTrue();
        assertThatIllegalArgumentException().isThrownBy(() -> b.release(Duration.ofMillis(-1), false))
                .withMessageContaining("'plain'").withMessageContaining("PT-0.001S");
        assertThat(b.tryAcquire()).isTrue();
        assertThatNullPointerException().isThrownBy(() -> b.release(null, false));
        assertThat(b.metrics().availablePermits()).as("the permit came back before each refusal").isEqualTo(8);

        Bulkhead fixed = Bulkhead.builder("fixed").maxConcurrent(2).build();
        assertThat(fixed.tryAcquire()).isTrue();
        fixed.release(Duration.ofSeconds(5), true);
        assertThat(fixed.config().maxConcurrent()).as("a fixed limit does not move").isEqualTo(2);
        assertThat(fixed.metrics().availablePermits()).isEqualTo(2);
    }

    @Test
    void badSettingsAreRefusedNamingTheParameterAndTheValue() {
        AdaptiveLimit a = AdaptiveLimit.aimd();
        assertThatIllegalArgumentException().isThrownBy(() -> a.minLimit(0)).withMessageContaining("minLimit").withMessageContaining("0");
        assertThatIllegalArgumentException().isThrownBy(() -> a.maxLimit(-3)).withMessageContaining("maxLimit").withMessageContaining("-3");
        assertThatIllegalArgumentException().isThrownBy(() -> a.initialLimit(0)).withMessageContaining("initialLimit");
        assertThatIllegalArgumentException().isThrownBy(() -> a.windowSize(10_001)).withMessageContaining("windowSize").withMessageContaining("10001");
        assertThatIllegalArgumentException().isThrownBy(() -> a.windowDuration(Duration.ZERO)).withMessageContaining("windowDuration");
        assertThatNullPointerException().isThrownBy(() -> a.windowDuration(null)).withMessageContaining("windowDuration");
        assertThatIllegalArgumentException().isThrownBy(() -> a.backoffRatio(1.0)).withMessageContaining("backoffRatio").withMessageContaining("1.0");
        assertThatIllegalArgumentException().isThrownBy(() -> a.backoffRatio(Double.NaN)).withMessageContaining("backoffRatio").withMessageContaining("NaN");
        assertThatIllegalArgumentException().isThrownBy(() -> a.latencyThreshold(Duration.ofMillis(-1))).withMessageContaining("latencyThreshold").withMessageContaining("PT-0.001S");
        assertThatIllegalArgumentException().isThrownBy(() -> a.tolerance(0.9)).withMessageContaining("tolerance").withMessageContaining("0.9");
        assertThatIllegalArgumentException().isThrownBy(() -> a.smoothing(0.0)).withMessageContaining("smoothing").withMessageContaining("0.0");
        assertThatIllegalArgumentException().isThrownBy(() -> AdaptiveLimit.named("vegas")).withMessageContaining("algorithm").withMessageContaining("'vegas'");
        assertThatNullPointerException().isThrownBy(() -> Bulkhead.builder("x").adaptiveLimit((AdaptiveLimit) null)).withMessageContaining("adaptiveLimit");
        assertThatIllegalArgumentException().isThrownBy(() -> Bulkhead.builder("x").adaptiveLimit(a.minLimit(10).maxLimit(5)).build())
                .withMessageContaining("minLimit (10)").withMessageContaining("maxLimit (5)");
        assertThatIllegalArgumentException().isThrownBy(() -> Bulkhead.builder("x").adaptiveLimit(a.minLimit(10).initialLimit(5)).build())
                .withMessageContaining("initialLimit").withMessageContaining("was 5");
    }

    @Test
    void namesSelectTheAlgorithmAndASpecIsNeverChangedByItsCopies() {
        assertThat(AdaptiveLimit.named(" AIMD ").algorithm()).isEqualTo(AdaptiveLimit.Algorithm.AIMD);
        assertThat(AdaptiveLimit.named("gradient").algorithm()).isEqualTo(AdaptiveLimit.Algorithm.GRADIENT);
        AdaptiveLimit a = AdaptiveLimit.aimd();
        AdaptiveLimit b = a.minLimit(3).maxLimit(30).initialLimit(7);
        assertThat(a.minLimit()).isEqualTo(1);
        assertThat(b.minLimit()).isEqualTo(3);
        assertThat(b.maxLimit()).isEqualTo(30);
        assertThat(b.initialLimit()).isEqualTo(7);
        Bulkhead built = Bulkhead.builder("x").adaptiveLimit(b).build();
        assertThat(built.config().maxConcurrent()).isEqualTo(7);
        assertThat(built.config().adaptiveLimit()).isSameAs(b);
        assertThat(built.config().toBuilder("y").build().config().adaptiveLimit()).isSameAs(b);
        assertThat(Bulkhead.builder("x").adaptiveLimit(b).maxConcurrent(4).build().config().adaptiveLimit())
                .as("a later maxConcurrent replaces it").isNull();
        assertThat(((WaitingBulkhead) Bulkhead.ofDefaults("fixed")).timesCalls()).as("a fixed limit times nothing").isFalse();
    }

    /** Whatever the samples (slow, fast, failed, in any mix), the limit never leaves [min, max]. */
    @ParameterizedTest
    @EnumSource(AdaptiveLimit.Algorithm.class)
    void theLimitNeverLeavesItsBounds(AdaptiveLimit.Algorithm algorithm) {
        ManualTicker ticker = new ManualTicker();
        AdaptiveLimit spec = AdaptiveLimit.named(algorithm.name()).minLimit(3).maxLimit(12).initialLimit(5).windowSize(2)
                .latencyThreshold(Duration.ofMillis(20));
        Bulkhead b = Bulkhead.builder("bounded").ticker(ticker).adaptiveLimit(spec).build();
        WaitingBulkhead w = (WaitingBulkhead) b;
        List<Integer> seen = new ArrayList<>();
        b.config().maxConcurrentSetting().onChange(c -> seen.add(c.newValue()));
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            int calls = 1 + random.nextInt(b.config().maxConcurrent());
            long[] starts = new long[calls];
            int held = 0;
            for (int c = 0; c < calls && b.tryAcquire(); c++) {
                starts[held++] = w.callStarted();
            }
            ticker.advance(Duration.ofMillis(random.nextInt(4) == 0 ? 1 + random.nextInt(200) : 1));
            for (int c = 0; c < held; c++) {
                w.release(starts[c], random.nextInt(10) == 0);
            }
        }
        assertThat(seen).as("the limit moved").hasSizeGreaterThan(100);
        assertThat(seen).allSatisfy(l -> assertThat(l).isBetween(3, 12));
        assertThat(b.metrics().availablePermits()).isEqualTo(b.config().maxConcurrent());
    }

    /**
     * Guards against: a limit change racing acquires and timed releases that loses or invents a
     * permit (a window closed twice applying its change twice, a delta applied to a stale limit,
     * a release recorded before its permit is back). Eight threads hammer a bulkhead whose limit
     * moves on every sample (windows of one, a drop one call in three, growth otherwise); no more calls ever run
     * at once than the largest limit allowed, and once they stop, the free permits are exactly
     * the limit in force and exactly that many can be taken.
     */
    @ParameterizedTest
    @EnumSource(AdaptiveLimit.Algorithm.class)
    void aMovingLimitNeverAdmitsMoreThanItAllowsNorLosesAPermit(AdaptiveLimit.Algorithm algorithm) throws Exception {
        AdaptiveLimit spec = AdaptiveLimit.named(algorithm.name()).minLimit(1).maxLimit(6).initialLimit(3).windowSize(1)
                .smoothing(1.0);
        // a clock that stands still: each call's latency is what its start is dated back by, fast
        // (1 µs) or slow (5 µs) at random, so the gradient swings between 1 and 0.5 as well
        ManualTicker clock = new ManualTicker();
        Bulkhead b = Bulkhead.builder("race").adaptiveLimit(spec).ticker(clock).build();
        WaitingBulkhead w = (WaitingBulkhead) b;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger changes = new AtomicInteger();
        b.config().maxConcurrentSetting().onChange(c -> changes.incrementAndGet());
        Race.run(8, id -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            long[] starts = new long[3];
            for (int i = 0; i < 20_000; i++) {
                // up to three calls at once per thread, ended innermost first: the first end of
                // a stack samples 3 calls in flight whether or not the threads overlap, so the
                // limit moves (up on a busy window, down on a slow or failed one) even when a
                // loaded machine runs the threads one after another
                int held = 0;
                while (held < starts.length && b.tryAcquire()) {
                    starts[held++] = w.callStarted() - (random.nextBoolean() ? 1_000L : 5_000L);
                    assertThat(inFlight.incrementAndGet()).isLessThanOrEqualTo(6);
                }
                while (held > 0) {
                    inFlight.decrementAndGet();
                    w.release(starts[--held], random.nextInt(3) == 0);
                }
            }
        });
        int limit = b.config().maxConcurrent();
        assertThat(changes.get()).as("the limit moved").isGreaterThan(10);
        assertThat(limit).isBetween(1, 6);
        assertThat(b.metrics().availablePermits()).isEqualTo(limit);
        for (int i = 0; i < limit; i++) {
            assertThat(b.tryAcquire()).isTrue();
        }
        assertThat(b.tryAcquire()).isFalse();
    }
}
