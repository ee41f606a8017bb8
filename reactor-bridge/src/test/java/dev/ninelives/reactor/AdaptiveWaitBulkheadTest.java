package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadEvent;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.core.Adaptive;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bulkhead whose maxWait is bound to an {@link Adaptive}, on virtual time: a change applies to
 * the waits that start after it; waiters queued before it keep their deadlines; each timed-out
 * waiter is told the wait it had; no permit leaks. Guards against a shared wait timer that
 * assumes deadlines in arrival order: after a lowered maxWait a newcomer's deadline comes first,
 * and a single FIFO timer would time it out only at the older waiter's deadline.
 */
class AdaptiveWaitBulkheadTest {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    /** One call through the bulkhead that never ends by itself; records how it ended. */
    private final class Call {
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicReference<String> value = new AtomicReference<>();
        final Disposable disposable;

        Call(Bulkhead b, Mono<String> source) {
            disposable = source.transform(NineLives.bulkhead(b, clock)).subscribe(value::set, error::set);
        }

        Duration timedOutAfter() {
            Throwable e = error.get();
            assertThat(e).isInstanceOf(BulkheadFullException.class);
            assertThat(((BulkheadFullException) e).reason()).isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT);
            return Duration.parse(e.getMessage().substring(e.getMessage().lastIndexOf("within ") + 7));
        }
    }

    private void at(long millis) {
        clock.advanceTimeTo(Instant.ofEpochMilli(millis));
    }

    @Test
    void aLoweredWaitTimesOutNewcomersFirstAndLeavesTheQueuedTheirDeadlines() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(10));
        Bulkhead b = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(wait).build();
        List<BulkheadEvent> rejected = new ArrayList<>();
        b.onRejected(rejected::add);
        Call holder = new Call(b, Mono.never());
        Call early = new Call(b, Mono.just("early"));         // queued at 0 s: deadline 10 s
        at(1_000);
        wait.set(Duration.ofSeconds(2));
        Call late = new Call(b, Mono.just("late"));           // queued at 1 s: deadline 3 s
        assertThat(b.config().maxWait()).isEqualTo(Duration.ofSeconds(2));
        at(2_999);
        assertThat(late.error.get()).isNull();
        at(3_000);
        assertThat(late.timedOutAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(early.error.get()).as("the older waiter keeps its deadline").isNull();
        at(9_999);
        assertThat(early.error.get()).isNull();
        at(10_000);
        assertThat(early.timedOutAfter()).as("quotes the wait it had").isEqualTo(Duration.ofSeconds(10));
        assertThat(rejected).hasSize(2);
        assertThat(b.metrics().queued()).isZero();
        holder.disposable.dispose();
        assertAllPermitsBack(b);
    }

    @Test
    void aRaisedWaitLetsNewcomersWaitLongerAndTheQueuedStillTimeOutAtTheirOwnDeadlines() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(2));
        Bulkhead b = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(wait).build();
        Call holder = new Call(b, Mono.never());
        Call early = new Call(b, Mono.just("early"));         // deadline 2 s
        at(1_000);
        wait.set(Duration.ofSeconds(10));
        Call late = new Call(b, Mono.just("late"));           // deadline 11 s
        at(2_000);
        assertThat(early.timedOutAfter()).isEqualTo(Duration.ofSeconds(2));
        at(5_000);
        assertThat(late.error.get()).isNull();
        assertThat(b.metrics().queued()).isEqualTo(1);
        holder.disposable.dispose();                          // the permit goes to the waiter still in time
        assertThat(late.value.get()).isEqualTo("late");
        at(60_000);
        assertThat(late.error.get()).isNull();
        assertAllPermitsBack(b);
    }

    @Test
    void waitingTurnedOffRefusesNewcomersAtOnceAndTheQueuedWaitOnToBeServed() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(5));
        Bulkhead b = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(wait).maxQueued(10).build();
        Call holder = new Call(b, Mono.never());
        Call queued = new Call(b, Mono.just("queued"));
        wait.set(Duration.ZERO);
        Call refused = new Call(b, Mono.just("refused"));
        assertThat(BulkheadTestSupport.reason(refused.error.get())).isEqualTo(BulkheadFullException.Reason.FULL);
        at(1_000);
        holder.disposable.dispose();
        assertThat(queued.value.get()).isEqualTo("queued");
        wait.set(Duration.ofSeconds(1));                      // on again
        Call holder2 = new Call(b, Mono.never());
        Call again = new Call(b, Mono.just("again"));
        at(2_000);
        assertThat(again.timedOutAfter()).isEqualTo(Duration.ofSeconds(1));
        holder2.disposable.dispose();
        assertAllPermitsBack(b);
    }

    @Test
    void manyChangesWhileWaitersQueueTimeEachAtItsOwnDeadline() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(1));
        Bulkhead b = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(wait).build();
        Call holder = new Call(b, Mono.never());
        long[] waits = {8, 1, 5, 2, 9, 3};                    // seconds; waiter i queues at i * 100 ms
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < waits.length; i++) {
            at(i * 100L);
            wait.set(Duration.ofSeconds(waits[i]));
            calls.add(new Call(b, Mono.just("v" + i)));
        }
        // deadlines 8.0, 1.1, 5.2, 2.3, 9.4, 3.5 s: in the order waiters 1, 3, 5, 2, 0, 4 must time out
        for (int i : new int[] {1, 3, 5, 2, 0, 4}) {
            long deadline = i * 100L + waits[i] * 1000;
            at(deadline - 1);
            assertThat(calls.get(i).error.get()).as("waiter %d before its deadline", i).isNull();
            at(deadline);
            assertThat(calls.get(i).timedOutAfter()).as("waiter %d", i).isEqualTo(Duration.ofSeconds(waits[i]));
        }
        holder.disposable.dispose();
        assertAllPermitsBack(b);
    }

    @Test
    void aNegativeWaitIsRefusedNamingTheBulkheadAndTheOldWaitStays() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ofSeconds(1));
        Bulkhead b = Bulkhead.builder("inventory").maxWait(wait).build();
        assertThatThrownBy(() -> wait.set(Duration.ofMillis(-5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxWait of bulkhead 'inventory' must be zero or positive, but was PT-0.005S");
        assertThat(wait.get()).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.config().maxWait()).isEqualTo(Duration.ofSeconds(1));
    }
}
