package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * The pipeline's two time limits, on virtual time: where each sits (the attempt timeout inside
 * the breaker, the total timeout between the bulkhead and the retry), what each one's expiry
 * does to the stages around it, and the deadline the total timeout hands to the source.
 */
class PipelineTimeoutTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    private static CircuitBreaker breaker(int window) {
        return CircuitBreaker.builder("inventory").slidingWindow(window).minimumNumberOfCalls(window)
                .ticker(NineLives.schedulerTicker()).build();
    }

    private static void assertStage(Throwable e, TimeoutExceededException.Stage stage, Duration limit) {
        assertThat(e).isInstanceOf(TimeoutExceededException.class);
        TimeoutExceededException t = (TimeoutExceededException) e;
        assertThat(t.stage()).isEqualTo(stage);
        assertThat(t.timeout()).isEqualTo(limit);
    }

    /**
     * Guards against the mistake the issue measured with Reactor's timeout placed outside the
     * breaker: two hung calls left the breaker CLOSED with nothing recorded. Inside the pipeline,
     * the attempt timeout sits inside the breaker, so hung attempts are failures and open it.
     */
    @Test
    void hungAttemptsAreFailuresTheBreakerRecords() {
        CircuitBreaker b = breaker(2);
        Pipeline p = Pipeline.builder("inventory").attemptTimeout(SECOND).breaker(b).build();
        for (int i = 0; i < 2; i++) {
            StepVerifier.withVirtualTime(() -> Mono.never().transform(NineLives.pipeline(p)))
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(999))
                    .thenAwait(Duration.ofMillis(1))
                    .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, SECOND))
                    .verify();
        }
        assertThat(b.metrics().failures()).isEqualTo(2);
        assertThat(b.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    /** Guards against an attempt timeout that ends the call: the retry tries again, and the breaker saw both attempts. */
    @Test
    void aTimedOutAttemptIsRetried() {
        CircuitBreaker b = breaker(10);
        Retry r = Retry.builder("inventory").maxAttempts(3).constantBackoff(Duration.ofMillis(100)).build();
        Pipeline p = Pipeline.builder("inventory").breaker(b).retry(r).attemptTimeout(SECOND).build();
        AtomicInteger attempts = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> attempts.incrementAndGet() == 1
                        ? Mono.<String>never() : Mono.just("stock")).transform(NineLives.pipeline(p)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1100))
                .expectNext("stock")
                .verifyComplete();
        assertThat(attempts).hasValue(2);
        assertThat(b.metrics().failures()).isEqualTo(1);
        assertThat(b.metrics().successes()).isEqualTo(1);
    }

    /**
     * Guards against a total timeout that leaves work behind: when it runs out during an
     * attempt, that attempt is cancelled (its breaker permit given back, nothing recorded for a
     * Mono), the call fails with stage TOTAL_TIMEOUT, no further attempt starts, and the bulkhead
     * permit is free again.
     */
    @Test
    void theTotalTimeoutCancelsTheAttemptInFlightAndFreesThePermit() {
        CircuitBreaker b = breaker(10);
        Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).build();
        Retry r = Retry.builder("inventory").maxAttempts(5).constantBackoff(Duration.ofMillis(500)).build();
        Pipeline p = Pipeline.builder("inventory").breaker(b).retry(r).bulkhead(h).timeout(Duration.ofSeconds(2)).build();
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> attempts.incrementAndGet() == 1
                        ? Mono.<String>error(new IOException("down"))
                        : Mono.<String>never().doOnCancel(cancelled::incrementAndGet))
                        .transform(NineLives.pipeline(p)))
                .expectSubscription()
                .then(() -> assertThat(h.metrics().inFlight()).isEqualTo(1))
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.TOTAL_TIMEOUT, Duration.ofSeconds(2)))
                .verifyThenAssertThat()
                .hasNotDroppedErrors();
        assertThat(attempts).hasValue(2);
        assertThat(cancelled).hasValue(1);
        assertThat(h.metrics().inFlight()).isZero();
        assertThat(b.metrics().calls()).as("the cancelled attempt is not recorded").isEqualTo(1);
        assertThat(b.metrics().failures()).isEqualTo(1);
    }

    /**
     * Pins what the breaker records for a Flux attempt the total timeout cancels: as for any
     * cancelled Flux call (the README's semantics table), a success if it delivered an element,
     * otherwise nothing (the permit is released).
     */
    @Test
    void aFluxAttemptCancelledByTheTotalTimeoutCountsAsTheBreakerCountsCancels() {
        for (boolean delivered : new boolean[] {true, false}) {
            CircuitBreaker b = breaker(10);
            Pipeline p = Pipeline.builder("inventory").breaker(b).timeout(Duration.ofSeconds(2)).build();
            Flux<String> source = delivered ? Flux.concat(Flux.just("first"), Flux.never()) : Flux.never();
            StepVerifier.withVirtualTime(() -> source.transform(NineLives.pipeline(p)))
                    .expectSubscription()
                    .expectNextCount(delivered ? 1 : 0)
                    .thenAwait(Duration.ofSeconds(2))
                    .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.TOTAL_TIMEOUT, Duration.ofSeconds(2)))
                    .verify();
            assertThat(b.metrics().successes()).as("delivered %s", delivered).isEqualTo(delivered ? 1 : 0);
            assertThat(b.metrics().calls()).as("delivered %s", delivered).isEqualTo(delivered ? 1 : 0);
        }
    }

    /**
     * Guards against a retry that sleeps past the total timeout: its deadline is in the Context,
     * so a backoff that would end past it is not started and the call ends with the attempt's
     * own error at once, rather than a timeout two seconds later.
     */
    @Test
    void noBackoffThatWouldEndPastTheTotalTimeoutIsStarted() {
        Retry r = Retry.builder("inventory").maxAttempts(3).constantBackoff(Duration.ofSeconds(3)).build();
        Pipeline p = Pipeline.builder("inventory").retry(r).breaker(breaker(10)).timeout(Duration.ofSeconds(2)).build();
        AtomicInteger attempts = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.defer(() -> {
                    attempts.incrementAndGet();
                    return Mono.<String>error(new IOException("down"));
                }).transform(NineLives.pipeline(p)))
                .expectSubscription()
                .expectError(IOException.class)
                .verify();
        assertThat(attempts).hasValue(1);
    }

    /**
     * Guards against a source that cannot know its budget: inside the pipeline it reads what is
     * left of the total timeout from the Context, less at each attempt.
     */
    @Test
    void theSourceReadsWhatIsLeftOfTheTotalTimeout() {
        Retry r = Retry.builder("inventory").maxAttempts(3).constantBackoff(Duration.ofMillis(500)).build();
        Pipeline p = Pipeline.builder("inventory").retry(r).breaker(breaker(10)).timeout(Duration.ofSeconds(2)).build();
        List<Duration> left = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> Mono.deferContextual(ctx -> {
                    left.add(Deadline.remaining(ctx).orElseThrow());
                    return left.size() < 3 ? Mono.<String>error(new IOException("down")) : Mono.just("stock");
                }).transform(NineLives.pipeline(p)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("stock")
                .verifyComplete();
        assertThat(left).containsExactly(Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofSeconds(1));
    }

    /**
     * Guards against a total timeout that counts the wait for a bulkhead permit: its clock starts
     * once the call holds the permit (the wait has the bulkhead's own maxWait), so a call that
     * waited 3 s still has its whole 2 s.
     */
    @Test
    void theTotalTimeoutStartsOnceTheCallHoldsItsPermit() {
        Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).maxWait(Duration.ofSeconds(10))
                .ticker(NineLives.schedulerTicker()).build();
        Pipeline p = Pipeline.builder("inventory").bulkhead(h).breaker(breaker(10)).timeout(Duration.ofSeconds(2)).build();
        StepVerifier.withVirtualTime(() -> Mono.when(
                                Mono.delay(Duration.ofMillis(1500)).then(Mono.just("first")).transform(NineLives.pipeline(p)),
                                Mono.delay(Duration.ofMillis(1500)).then(Mono.just("second")).transform(NineLives.pipeline(p)))
                        .thenReturn("both"))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(3))
                .expectNext("both")
                .verifyComplete();
        assertThat(h.metrics().inFlight()).isZero();
    }

    /** Guards against a Flux's attempt timeout that limits each element: it limits the attempt's whole stream. */
    @Test
    void aFluxAttemptTimeoutCoversTheWholeStream() {
        Retry r = Retry.builder("inventory").maxAttempts(2).noBackoff().build();
        Pipeline p = Pipeline.builder("inventory").retry(r).breaker(breaker(10)).attemptTimeout(SECOND).build();
        StepVerifier.withVirtualTime(() -> Flux.interval(Duration.ofMillis(400)).take(5).transform(NineLives.pipeline(p)))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(800)).expectNext(0L, 1L)
                .thenAwait(Duration.ofMillis(200))             // the first attempt times out at 1 s
                .thenAwait(Duration.ofMillis(800)).expectNext(0L, 1L)
                .thenAwait(Duration.ofMillis(200))
                .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, SECOND))
                .verify();
    }

    /** Guards against a fallback placed inside a stage: around the whole pipeline, it sees the error the retry gave up on. */
    @Test
    void theFallbackIsOutsideEveryStage() {
        CircuitBreaker b = breaker(10);
        Retry r = Retry.builder("inventory").maxAttempts(2).noBackoff().build();
        Pipeline p = Pipeline.builder("inventory").retry(r).breaker(b).attemptTimeout(SECOND).build();
        List<Throwable> seen = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> Mono.<String>never()
                        .transform(NineLives.pipeline(p, Fallback.<String>with(e -> {
                            seen.add(e);
                            return Mono.just("cached");
                        }))))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectNext("cached")
                .verifyComplete();
        assertThat(seen).singleElement().satisfies(e -> assertStage(e, TimeoutExceededException.Stage.ATTEMPT_TIMEOUT, SECOND));
        assertThat(b.metrics().failures()).as("both attempts reached the breaker").isEqualTo(2);
    }

    /**
     * Guards against a call that starts after its deadline passed (a late inner subscription, a
     * timer that fires a millisecond late) and still takes a bulkhead permit, asks the breaker
     * for one or reaches the source: every pipeline shape ends it at once with the deadline's
     * error, having asked for nothing.
     */
    @Test
    void aCallThatStartsWithNoTimeLeftAsksForNothing() {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        try {
            Deadline passed = new Deadline(clock, clock.now(java.util.concurrent.TimeUnit.NANOSECONDS),
                    SECOND, TimeoutExceededException.Stage.DEADLINE);
            List<String> announced = new ArrayList<>();
            CircuitBreaker b = breaker(10);
            b.onCallRecorded(e -> announced.add("breaker recorded"));
            Bulkhead h = Bulkhead.builder("inventory").maxConcurrent(1).build();
            h.onPermitted(e -> announced.add("bulkhead permitted"));
            Retry r = Retry.builder("inventory").maxAttempts(2).noBackoff().build();
            List<Pipeline> shapes = List.of(
                    Pipeline.builder("breaker").breaker(b).build(),
                    Pipeline.builder("retry").retry(r).build(),
                    Pipeline.builder("bulkhead").bulkhead(h).build(),
                    Pipeline.builder("fused").bulkhead(h).retry(r).breaker(b).build(),
                    Pipeline.builder("split").bulkhead(h).timeout(Duration.ofSeconds(5)).breaker(b).build());
            AtomicInteger subscribed = new AtomicInteger();
            for (Pipeline p : shapes) {
                for (boolean mono : new boolean[] {true, false}) {
                    org.reactivestreams.Publisher<String> call = mono
                            ? Mono.fromSupplier(() -> "v").doOnSubscribe(x -> subscribed.incrementAndGet())
                                    .transform(NineLives.pipeline(p)).contextWrite(c -> passed.writeTo(Context.of(c)))
                            : Flux.just("v").doOnSubscribe(x -> subscribed.incrementAndGet())
                                    .transform(NineLives.pipeline(p)).contextWrite(c -> passed.writeTo(Context.of(c)));
                    StepVerifier.create(call)
                            .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.DEADLINE, SECOND))
                            .verify();
                }
            }
            assertThat(subscribed).as("no source was subscribed").hasValue(0);
            assertThat(announced).isEmpty();
            assertThat(b.metrics().calls()).isZero();
            assertThat(h.metrics().inFlight()).isZero();
        } finally {
            clock.dispose();
        }
    }

    /**
     * Guards against a deadline that runs out during an attempt being blamed on the dependency:
     * the attempt is cancelled by the deadline (the caller's budget is gone), not failed by the
     * attempt timeout, so a Mono's breaker records nothing for it, and the call ends with the
     * deadline's error.
     */
    @Test
    void anAttemptCutShortByTheDeadlineIsNotAFailure() {
        CircuitBreaker b = breaker(10);
        Pipeline p = Pipeline.builder("inventory").breaker(b).attemptTimeout(Duration.ofSeconds(5)).build();
        StepVerifier.withVirtualTime(() -> Mono.never().transform(NineLives.pipeline(p))
                        .transform(NineLives.deadline(Duration.ofSeconds(2))))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectErrorSatisfies(e -> assertStage(e, TimeoutExceededException.Stage.DEADLINE, Duration.ofSeconds(2)))
                .verify();
        assertThat(b.metrics().calls()).isZero();
    }

    /** Guards against a timed-out attempt that escapes slow-call detection: it took the attempt timeout, and is slow too. */
    @Test
    void aTimedOutAttemptIsASlowFailure() {
        CircuitBreaker b = CircuitBreaker.builder("inventory").slidingWindow(10).minimumNumberOfCalls(10)
                .slowCallDuration(Duration.ofMillis(500)).ticker(NineLives.schedulerTicker()).build();
        List<String> recorded = new ArrayList<>();
        b.onCallRecorded(e -> recorded.add(e.outcome() + (e.slow() ? " slow " : " ") + Duration.ofNanos(e.durationNanos())));
        Pipeline p = Pipeline.builder("inventory").breaker(b).attemptTimeout(SECOND).build();
        StepVerifier.withVirtualTime(() -> Mono.never().transform(NineLives.pipeline(p)))
                .expectSubscription()
                .thenAwait(SECOND)
                .expectError(TimeoutExceededException.class)
                .verify();
        assertThat(recorded).containsExactly("FAILURE slow PT1S");
        assertThat(b.metrics().slowCalls()).isEqualTo(1);
    }

    @Test
    void explainPutsTheTimeoutsWhereTheyRun() {
        Pipeline p = Pipeline.builder("inventory").attemptTimeout(Duration.ofMillis(300))
                .breaker(breaker(10)).timeout(Duration.ofSeconds(2))
                .retry(Retry.builder("inventory").maxAttempts(3).noBackoff().build())
                .bulkhead(Bulkhead.builder("inventory").maxConcurrent(4).build())
                .rateLimiter(dev.ninelives.ratelimit.RateLimiter.builder("inventory").limitForPeriod(100).build()).build();
        List<String> lines = p.explain().lines().toList();
        assertThat(lines).hasSize(8);
        assertThat(lines.get(1)).isEqualTo("  1. rate limiter 'inventory': one permit per call, before any other stage"
                + " (a call refused for rate takes no other permit, one that waits holds none); 100 per 1s, bursts of 100,"
                + " the others refused at once");
        assertThat(lines.get(2)).startsWith("  2. bulkhead 'inventory'");
        assertThat(lines.get(3)).isEqualTo("  3. total timeout: 2s for the whole call, attempts and backoffs, from the moment"
                + " it holds its permit; its deadline goes into the Context, so no backoff that would end past it is started");
        assertThat(lines.get(4)).startsWith("  4. retry 'inventory'");
        assertThat(lines.get(5)).startsWith("  5. circuit breaker 'inventory'");
        assertThat(lines.get(6)).isEqualTo("  6. attempt timeout: 300ms per attempt; an attempt that takes longer is cancelled"
                + " and fails with a TimeoutExceededException, which the breaker records as a failure and the retry may retry");
        assertThat(lines.get(7)).isEqualTo("  7. the source");
        assertThat(p.timeout()).contains(Duration.ofSeconds(2));
        assertThat(p.attemptTimeout()).contains(Duration.ofMillis(300));
    }

    @Test
    void badTimeoutsAreRefusedWithTheirValues() {
        Pipeline.Builder b = Pipeline.builder("inventory");
        assertThatNullPointerException().isThrownBy(() -> b.timeout(null)).withMessageContaining("timeout");
        assertThatNullPointerException().isThrownBy(() -> b.attemptTimeout(null)).withMessageContaining("attemptTimeout");
        assertThatIllegalArgumentException().isThrownBy(() -> b.timeout(Duration.ZERO)).withMessageContaining("timeout");
        assertThatIllegalArgumentException().isThrownBy(() -> b.attemptTimeout(Duration.ofMillis(-1)))
                .withMessageContaining("attemptTimeout");
        b.timeout(SECOND).attemptTimeout(SECOND);
        assertThatIllegalStateException().isThrownBy(() -> b.timeout(SECOND)).withMessageContaining("total timeout");
        assertThatIllegalStateException().isThrownBy(() -> b.attemptTimeout(SECOND)).withMessageContaining("attempt timeout");
        assertThatIllegalArgumentException().isThrownBy(b::build)
                .withMessage("pipeline 'inventory': attemptTimeout (1s) must be shorter than timeout (1s), or it could never fire");
    }
}
