package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static dev.ninelives.reactor.TimeoutOperatorTest.assertTimeout;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * NineLives.deadline under virtual time: the deadline in the Context, its enforcement, nesting,
 * a call that starts with no time left, and the stages that respect it (retry, bulkhead).
 */
class DeadlineTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    @BeforeAll
    static void noHangs() {
        StepVerifier.setDefaultTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void defaultTimeout() {
        StepVerifier.resetDefaultTimeout();
    }

    /** What is left of the deadline when the source is subscribed, as the source sees it. */
    private static Mono<Optional<Duration>> remaining() {
        return Mono.deferContextual(ctx -> Mono.just(Deadline.remaining(ctx)));
    }

    @Test
    void theSourceSeesTheDeadlineAndWhatIsLeftOfIt() {
        StepVerifier.withVirtualTime(() -> remaining().transform(NineLives.deadline(Duration.ofSeconds(2))))
                .expectNext(Optional.of(Duration.ofSeconds(2)))
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(300)).then(remaining())
                        .transform(NineLives.deadline(Duration.ofSeconds(2))))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(300))
                .expectNext(Optional.of(Duration.ofMillis(1700)))
                .verifyComplete();
        StepVerifier.create(remaining()).expectNext(Optional.empty()).verifyComplete();
        assertThat(Deadline.remaining(Context.empty())).isEmpty();
    }

    @Test
    void theDeadlineIsEnforcedExactly() {
        PublisherProbe<String> probe = PublisherProbe.of(Mono.never());
        StepVerifier.withVirtualTime(() -> probe.mono().transform(NineLives.deadline(Duration.ofSeconds(2))))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(2).minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> {
                    assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, Duration.ofSeconds(2));
                    assertThat(e).hasMessage("deadline of 2 s exceeded");
                })
                .verify();
        probe.assertWasCancelled();
        StepVerifier.withVirtualTime(() -> Flux.just(1, 2).concatWith(Flux.never()).transform(NineLives.deadline(SECOND)), 0)
                .expectSubscription()
                .thenRequest(1).expectNext(1)
                .thenRequest(1).expectNext(2)
                .expectNoEvent(SECOND.minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, SECOND))
                .verify();
    }

    @Test
    void aCallThatEndsInTimeIsNotTouched() {
        StepVerifier.withVirtualTime(() -> Mono.just("v").delayElement(SECOND.minusNanos(1)).transform(NineLives.deadline(SECOND)))
                .expectSubscription()
                .thenAwait(SECOND.minusNanos(1))
                .expectNext("v")
                .verifyComplete();
    }

    @Test
    void anInnerDeadlineTakesTheTighterOfItsOwnAndTheOuterOne() {
        // the outer one is tighter: the source sees 1 s left, and the call fails at 1 s, named after the outer deadline
        StepVerifier.withVirtualTime(() -> remaining().concatWith(Mono.never())
                        .transform(NineLives.deadline(Duration.ofSeconds(5)))
                        .transform(NineLives.deadline(SECOND)))
                .expectNext(Optional.of(SECOND))
                .expectNoEvent(SECOND.minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, SECOND))
                .verify();
        // the inner one is tighter: the source sees 1 s, and the inner deadline fires at 1 s
        StepVerifier.withVirtualTime(() -> remaining().concatWith(Mono.never())
                        .transform(NineLives.deadline(SECOND))
                        .transform(NineLives.deadline(Duration.ofSeconds(5))))
                .expectNext(Optional.of(SECOND))
                .expectNoEvent(SECOND.minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, SECOND))
                .verify();
        // an inner deadline reached later inherits what is left of the outer one
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(600))
                        .then(remaining().transform(NineLives.deadline(SECOND)))
                        .transform(NineLives.deadline(SECOND)))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(600))
                .expectNext(Optional.of(Duration.ofMillis(400)))
                .verifyComplete();
    }

    /** The outer deadline's clock is the one that counts, even when the inner deadline runs on another Scheduler. */
    @Test
    void nestedDeadlinesOnTwoClocksCompareWhatIsLeft() {
        VirtualTimeScheduler outerClock = VirtualTimeScheduler.create();
        VirtualTimeScheduler innerClock = VirtualTimeScheduler.create();
        innerClock.advanceTimeBy(Duration.ofHours(5));                 // the two clocks read very different instants
        List<Object> seen = new ArrayList<>();
        remaining().transform(NineLives.deadline(Duration.ofSeconds(3), innerClock))
                .transform(NineLives.deadline(SECOND, outerClock))
                .subscribe(seen::add, seen::add);
        assertThat(seen).containsExactly(Optional.of(SECOND));
        outerClock.dispose();
        innerClock.dispose();
    }

    /**
     * A call that starts with no time left fails at once, and its source is never subscribed.
     * The outer deadline passes while the call is still being subscribed (time moves inside a
     * defer, before the outer operator's timer could fire), so the inner one finds none left.
     * (The outer operator, armed when the refusal's onSubscribe reaches it, finds its deadline
     * past too; on a VirtualTimeScheduler, which runs a task that is due inside schedule(), it
     * fires first, and the inner refusal's copy of the same error is dropped.)
     */
    @Test
    void aCallThatStartsWithNoTimeLeftFailsAtOnceWithoutSubscribingTheSource() {
        List<Throwable> dropped = new ArrayList<>();
        reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("never asked"));
        List<Object> seen = new ArrayList<>();
        Mono.defer(() -> {
                    clock.advanceTimeBy(Duration.ofSeconds(2));
                    return source.mono().transform(NineLives.deadline(Duration.ofSeconds(5), clock));
                })
                .transform(NineLives.deadline(SECOND, clock))
                .subscribe(seen::add, seen::add);
        source.assertWasNotSubscribed();
        assertThat(seen).singleElement().satisfies(e -> assertTimeout((Throwable) e, TimeoutExceededException.Stage.DEADLINE, SECOND));
        clock.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(seen).as("one signal only").hasSize(1);
        assertThat(dropped).allSatisfy(e -> assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, SECOND));
        reactor.core.publisher.Hooks.resetOnErrorDropped();
        clock.dispose();
    }

    // ------------------------------------------------------------------ retry

    @Test
    void retrySchedulesNoAttemptWhoseBackoffEndsAtOrPastTheDeadline() {
        Retry retry = Retry.builder("deadlineRetry").maxAttempts(10).constantBackoff(SECOND).build();
        List<RetryEvent> exhausted = new ArrayList<>();
        List<RetryEvent> retried = new ArrayList<>();
        retry.onExhausted(exhausted::add);
        retry.onRetry(retried::add);
        AtomicInteger subscriptions = new AtomicInteger();
        List<Long> times = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> {
                            times.add(VirtualTimeScheduler.get().now(TimeUnit.MILLISECONDS));
                            return Mono.<String>error(new IOException("failure " + subscriptions.incrementAndGet()));
                        })
                        .transform(NineLives.retry(retry))
                        .transform(NineLives.deadline(Duration.ofMillis(2500))))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectErrorMessage("failure 3")                 // at 2 s: a retry at 3 s would start past the deadline
                .verify();
        assertThat(times).containsExactly(0L, 1000L, 2000L);
        assertThat(retried).hasSize(2);
        assertThat(exhausted).singleElement().satisfies(e -> {
            assertThat(e.attempt()).isEqualTo(3);
            assertThat(e.delay()).isEqualTo(SECOND);
        });
    }

    @Test
    void aBackoffThatEndsExactlyAtTheDeadlineIsNotScheduled() {
        Retry retry = Retry.builder("deadlineRetryExact").maxAttempts(10).constantBackoff(SECOND).build();
        AtomicInteger subscriptions = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> Mono.<String>error(new IOException("failure " + subscriptions.incrementAndGet())))
                        .transform(NineLives.retry(retry))
                        .transform(NineLives.deadline(Duration.ofSeconds(2))))
                .expectSubscription()
                .thenAwait(SECOND)
                .expectErrorMessage("failure 2")                 // the third attempt would start at 2 s, with nothing left
                .verify();
        assertThat(subscriptions).hasValue(2);
    }

    @Test
    void retriesWithinTheDeadlineGoOnAndTheFluxToo() {
        Retry retry = Retry.builder("deadlineRetryFlux").maxAttempts(3).constantBackoff(Duration.ofMillis(100)).build();
        AtomicInteger subscriptions = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Flux.defer(() -> subscriptions.incrementAndGet() < 3
                                ? Flux.<String>error(new IOException("again")) : Flux.just("a", "b"))
                        .transform(NineLives.retry(retry))
                        .transform(NineLives.deadline(SECOND)), 0)
                .expectSubscription()
                .thenRequest(1)
                .thenAwait(Duration.ofMillis(200))
                .expectNext("a")
                .thenRequest(1)
                .expectNext("b")
                .verifyComplete();
    }

    /** A call past its deadline is cancelled by the deadline, even while a retry's backoff is pending. */
    @Test
    void theDeadlineCancelsAPendingBackoff() {
        Retry retry = Retry.builder("deadlineRetryPending").maxAttempts(3).constantBackoff(Duration.ofMillis(800)).build();
        AtomicInteger subscriptions = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> {
                            subscriptions.incrementAndGet();
                            return Mono.delay(Duration.ofMillis(100)).then(Mono.<String>error(new IOException("slow failure")));
                        })
                        .transform(NineLives.retry(retry))
                        .transform(NineLives.deadline(SECOND)))
                .expectSubscription()
                .expectNoEvent(SECOND.minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> assertTimeout(e, TimeoutExceededException.Stage.DEADLINE, SECOND))
                .verify();
        assertThat(subscriptions).as("the second attempt started at 900 ms, with 100 ms left").hasValue(2);
    }

    // ------------------------------------------------------------------ bulkhead

    /** A caller that would wait for a permit with no time left does not queue: it fails at once with the deadline's error. */
    @Test
    void aWaiterWithNoTimeLeftFailsAtOnceAndDoesNotQueue() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        Bulkhead bulkhead = Bulkhead.builder("deadlineWaiter").maxConcurrent(1).maxWait(Duration.ofSeconds(10)).build();
        Disposable holder = Mono.never().transform(NineLives.bulkhead(bulkhead, clock)).subscribe();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("v"));
        List<Object> seen = new ArrayList<>();
        Mono.defer(() -> {
                    clock.advanceTimeBy(Duration.ofSeconds(2));
                    return source.mono().transform(NineLives.bulkhead(bulkhead, clock));
                })
                .transform(NineLives.deadline(SECOND, clock))
                .subscribe(seen::add, seen::add);
        assertThat(seen).singleElement().satisfies(e -> assertTimeout((Throwable) e, TimeoutExceededException.Stage.DEADLINE, SECOND));
        assertThat(bulkhead.metrics().queued()).isZero();
        assertThat(bulkhead.metrics().rejectedCalls()).as("not the bulkhead's refusal").isZero();
        source.assertWasNotSubscribed();
        holder.dispose();
        assertAllPermitsBack(bulkhead);
        clock.dispose();
    }

    /** The deadline comes before maxWait: the wait ends at the deadline, with the deadline's error, and leaves the queue. */
    @Test
    void aWaitEndsAtTheDeadlineWhenItComesFirst() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        Bulkhead bulkhead = Bulkhead.builder("deadlineFirst").maxConcurrent(1).maxWait(Duration.ofSeconds(10)).build();
        Disposable holder = Mono.never().transform(NineLives.bulkhead(bulkhead, clock)).subscribe();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("v"));
        List<Object> seen = new ArrayList<>();
        source.mono().transform(NineLives.bulkhead(bulkhead, clock)).transform(NineLives.deadline(Duration.ofMillis(500), clock))
                .subscribe(seen::add, seen::add);
        assertThat(bulkhead.metrics().queued()).isEqualTo(1);
        clock.advanceTimeBy(Duration.ofMillis(500).minusNanos(1));
        assertThat(seen).isEmpty();
        clock.advanceTimeBy(Duration.ofNanos(1));
        assertThat(seen).singleElement().satisfies(e ->
                assertTimeout((Throwable) e, TimeoutExceededException.Stage.DEADLINE, Duration.ofMillis(500)));
        assertThat(bulkhead.metrics().queued()).isZero();
        assertThat(bulkhead.metrics().rejectedCalls()).isZero();
        holder.dispose();
        clock.advanceTimeBy(Duration.ofMinutes(1));
        source.assertWasNotSubscribed();
        assertAllPermitsBack(bulkhead);
        clock.dispose();
    }

    /** maxWait comes before the deadline: the bulkhead's own WAIT_TIMED_OUT, as without a deadline. */
    @Test
    void aWaitTimesOutAtMaxWaitWhenItComesFirst() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        Bulkhead bulkhead = Bulkhead.builder("maxWaitFirst").maxConcurrent(1).maxWait(Duration.ofMillis(300)).build();
        Disposable holder = Mono.never().transform(NineLives.bulkhead(bulkhead, clock)).subscribe();
        List<Object> seen = new ArrayList<>();
        Mono.just("v").transform(NineLives.bulkhead(bulkhead, clock)).transform(NineLives.deadline(SECOND, clock))
                .subscribe(seen::add, seen::add);
        clock.advanceTimeBy(Duration.ofMillis(300));
        assertThat(seen).singleElement().satisfies(e ->
                assertThat(BulkheadTestSupport.reason((Throwable) e)).isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT));
        clock.advanceTimeBy(Duration.ofMinutes(1));
        assertThat(seen).hasSize(1);
        holder.dispose();
        assertAllPermitsBack(bulkhead);
        clock.dispose();
    }
}
