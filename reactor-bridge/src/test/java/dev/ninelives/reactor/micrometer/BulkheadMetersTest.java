package dev.ninelives.reactor.micrometer;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.reactor.NineLives;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bulkhead's meters, driven through the Reactor operator: the gauges of a saturated
 * bulkhead, refusals by reason, and the wait timer under a hand-moved ticker. Wait timeouts run
 * on a virtual-time scheduler.
 */
class BulkheadMetersTest {

    private static final long MS = 1_000_000L;

    /** A mock clock, so the timer's max never rotates with the wall clock. */
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, new MockClock());
    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final AtomicLong now = new AtomicLong();

    @AfterEach
    void tearDown() {
        clock.dispose();
    }

    private double gauge(String name, String bulkhead) {
        return registry.get(name).tags("name", bulkhead).gauge().value();
    }

    private double rejected(String bulkhead, String reason) {
        return registry.get("ninelives.bulkhead.rejected").tags("name", bulkhead, "reason", reason).counter().count();
    }

    private Timer waits(String bulkhead) {
        return registry.get("ninelives.bulkhead.wait").tags("name", bulkhead).timer();
    }

    private void assertGauges(String bulkhead, int inFlight, int queued, int available, int max) {
        assertThat(gauge("ninelives.bulkhead.in.flight", bulkhead)).as("in flight").isEqualTo(inFlight);
        assertThat(gauge("ninelives.bulkhead.queued", bulkhead)).as("queued").isEqualTo(queued);
        assertThat(gauge("ninelives.bulkhead.available.permits", bulkhead)).as("available").isEqualTo(available);
        assertThat(gauge("ninelives.bulkhead.max.concurrent", bulkhead)).as("max").isEqualTo(max);
    }

    /** A call that holds its permit until disposed. */
    private Disposable hold(Bulkhead b) {
        return Mono.never().transform(NineLives.bulkhead(b, clock)).subscribe();
    }

    @Test
    void theGaugesFollowASaturatedBulkheadAndTheTimerEveryWait() {
        Bulkhead b = Bulkhead.builder("payments").maxConcurrent(2).maxWait(Duration.ofSeconds(1)).maxQueued(1)
                .ticker(now::get).build();
        NineLivesMeters.bulkhead(b).bindTo(registry);
        assertGauges("payments", 0, 0, 2, 2);
        assertThat(registry.get("ninelives.bulkhead.rejected").tag("name", "payments").counters()).hasSize(3)
                .allSatisfy(c -> assertThat(c.count()).isZero());

        Disposable first = hold(b);
        Disposable second = hold(b);
        assertGauges("payments", 2, 0, 0, 2);
        Disposable waiter = hold(b);
        assertGauges("payments", 2, 1, 0, 2);
        StepVerifier.create(Mono.just(1).transform(NineLives.bulkhead(b, clock)))
                .verifyErrorMatches(e -> ((BulkheadFullException) e).reason() == BulkheadFullException.Reason.QUEUE_FULL);

        now.addAndGet(300 * MS);
        first.dispose();                                            // the waiter takes the permit after 300 ms
        assertGauges("payments", 2, 0, 0, 2);
        assertThat(waits("payments").count()).as("three permitted calls, two of them at once").isEqualTo(3);
        assertThat(waits("payments").totalTime(TimeUnit.NANOSECONDS)).isEqualTo(300 * MS);
        assertThat(waits("payments").max(TimeUnit.NANOSECONDS)).isEqualTo(300 * MS);

        StepVerifier.create(Mono.just(1).transform(NineLives.bulkhead(b, clock)))
                .expectSubscription()
                .then(() -> assertGauges("payments", 2, 1, 0, 2))
                .then(() -> clock.advanceTimeBy(Duration.ofSeconds(1)))
                .verifyErrorMatches(e -> ((BulkheadFullException) e).reason() == BulkheadFullException.Reason.WAIT_TIMED_OUT);
        assertGauges("payments", 2, 0, 0, 2);

        b.changeMaxConcurrent(5);
        assertGauges("payments", 2, 0, 3, 5);
        second.dispose();
        waiter.dispose();
        assertGauges("payments", 0, 0, 5, 5);
        assertThat(rejected("payments", "queue_full")).isEqualTo(1);
        assertThat(rejected("payments", "wait_timed_out")).isEqualTo(1);
        assertThat(rejected("payments", "full")).isZero();
        assertThat(waits("payments").count()).as("refused calls record no wait").isEqualTo(3);
    }

    @Test
    void aBulkheadThatDoesNotWaitRejectsFullAndRecordsZeroWaits() {
        Bulkhead b = Bulkhead.builder("strict").maxConcurrent(1).ticker(now::get).build();
        NineLivesMeters.bulkhead(b).bindTo(registry);
        StepVerifier.create(Mono.just(1).transform(NineLives.bulkhead(b))).expectNext(1).verifyComplete();
        Disposable held = hold(b);
        StepVerifier.create(Mono.just(1).transform(NineLives.bulkhead(b))).verifyError(BulkheadFullException.class);
        StepVerifier.create(Mono.just(1).transform(NineLives.bulkhead(b))).verifyError(BulkheadFullException.class);
        assertThat(b.tryAcquire()).as("the plain-Java path is counted too").isFalse();
        held.dispose();

        assertThat(rejected("strict", "full")).isEqualTo(3);
        assertThat(rejected("strict", "queue_full")).isZero();
        assertThat(waits("strict").count()).isEqualTo(2);
        assertThat(waits("strict").totalTime(TimeUnit.NANOSECONDS)).isZero();
        assertGauges("strict", 0, 0, 1, 1);
    }
}
