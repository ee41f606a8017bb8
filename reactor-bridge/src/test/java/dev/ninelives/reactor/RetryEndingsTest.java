package dev.ninelives.reactor;

import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;
import dev.ninelives.retry.RetryEvent.Type;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a call through NineLives.retry ends, as its listeners see it: exactly one of SUCCEEDED,
 * FAILED, EXHAUSTED or BUDGET_REFUSED per call (none for a cancelled call), with the attempt it
 * ended at; and the success path costs nothing while nobody listens.
 */
class RetryEndingsTest {

    private final List<RetryEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        Hooks.resetOnErrorDropped();
    }

    private Retry listened(dev.ninelives.retry.RetryBuilder b) {
        Retry retry = b.build();
        retry.onRetry(events::add);
        retry.onExhausted(events::add);
        retry.onBudgetRefused(events::add);
        retry.onSucceeded(events::add);
        retry.onFailed(events::add);
        return retry;
    }

    /** The events as "TYPE@attempt". */
    private List<String> seen() {
        return events.stream().map(e -> e.type() + "@" + e.attempt()).collect(Collectors.toList());
    }

    /** Fails {@code failures} times with {@code error}, then emits "ok". */
    private static Mono<String> flaky(int failures, Throwable error) {
        AtomicInteger subscriptions = new AtomicInteger();
        return Mono.defer(() -> subscriptions.incrementAndGet() <= failures ? Mono.error(error) : Mono.just("ok"));
    }

    @Test
    void aMonoValueAtTheFirstAttempt() {
        Retry retry = listened(Retry.builder("retry").noBackoff());
        StepVerifier.create(Mono.just("ok").transform(NineLives.retry(retry))).expectNext("ok").verifyComplete();
        assertThat(seen()).containsExactly("SUCCEEDED@1");
        assertThat(events.get(0).error()).isNull();
        assertThat(events.get(0).delay()).isZero();
    }

    @Test
    void aMonoValueAfterRetriesInVirtualTime() {
        Retry retry = listened(Retry.builder("retry").maxAttempts(3).constantBackoff(Duration.ofSeconds(1)));
        StepVerifier.withVirtualTime(() -> flaky(2, new IOException("down")).transform(NineLives.retry(retry)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectNext("ok")
                .verifyComplete();
        assertThat(seen()).containsExactly("RETRY@1", "RETRY@2", "SUCCEEDED@3");
    }

    @Test
    void anEmptyMonoAndAFluxSucceedWhenTheyComplete() {
        Retry retry = listened(Retry.builder("retry").noBackoff());
        StepVerifier.create(Mono.<String>empty().transform(NineLives.retry(retry))).verifyComplete();
        AtomicInteger subscriptions = new AtomicInteger();
        Flux<Integer> flux = Flux.defer(() -> subscriptions.incrementAndGet() == 1
                ? Flux.error(new IOException("down")) : Flux.just(1, 2, 3));
        StepVerifier.create(flux.transform(NineLives.retry(retry))).expectNext(1, 2, 3).verifyComplete();
        assertThat(seen()).containsExactly("SUCCEEDED@1", "RETRY@1", "SUCCEEDED@2");
    }

    @Test
    void aFluxElementIsNotASuccessItsCompletionIs() {
        Retry retry = listened(Retry.builder("retry").noBackoff());
        TestPublisher<Integer> source = TestPublisher.create();
        StepVerifier.create(source.flux().transform(NineLives.retry(retry)))
                .then(() -> source.next(1))
                .expectNext(1)
                .then(() -> assertThat(events).isEmpty())
                .then(source::complete)
                .verifyComplete();
        assertThat(seen()).containsExactly("SUCCEEDED@1");
    }

    @Test
    void anErrorThatIsNotRetriedFailsTheCall() {
        Retry retry = listened(Retry.builder("retry").maxAttempts(5).noBackoff().retryIf(e -> e instanceof IOException));
        IllegalArgumentException bad = new IllegalArgumentException("bad request");
        StepVerifier.create(flaky(1, bad).transform(NineLives.retry(retry))).verifyErrorMessage("bad request");

        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> thenBad = Mono.defer(() -> Mono.error(subscriptions.incrementAndGet() == 1 ? new IOException("down") : bad));
        StepVerifier.create(thenBad.transform(NineLives.retry(retry))).verifyErrorMessage("bad request");

        assertThat(seen()).containsExactly("FAILED@1", "RETRY@1", "FAILED@2");
        assertThat(events.get(0).error()).isSameAs(bad);
    }

    @Test
    void exhaustionAndBudgetRefusalAreNotFailures() {
        Retry exhausting = listened(Retry.builder("retry").maxAttempts(2).noBackoff());
        StepVerifier.create(flaky(5, new IOException("down")).transform(NineLives.retry(exhausting))).verifyError(IOException.class);
        assertThat(seen()).containsExactly("RETRY@1", "EXHAUSTED@2");

        events.clear();
        AtomicLong now = new AtomicLong();
        RetryBudget empty = RetryBudget.builder().ratio(0).minRetriesPerSecond(0).capacity(1).ticker(now::get).build();
        Retry budgeted = listened(Retry.builder("retry").maxAttempts(5).noBackoff().budget(empty));
        StepVerifier.create(flaky(5, new IOException("down")).transform(NineLives.retry(budgeted))).verifyError(IOException.class);
        assertThat(seen()).containsExactly("RETRY@1", "BUDGET_REFUSED@2");
    }

    @Test
    void theRetryMachineryGivingUpFailsTheCall() {
        Retry stops = listened(Retry.builder("retry").maxAttempts(5).backoff((attempt, error) -> attempt < 2 ? Duration.ZERO : null));
        StepVerifier.create(flaky(5, new IOException("down")).transform(NineLives.retry(stops))).verifyError(IOException.class);
        assertThat(seen()).containsExactly("RETRY@1", "FAILED@2");

        events.clear();
        Retry broken = listened(Retry.builder("retry").maxAttempts(5).backoff((attempt, error) -> Duration.ofMillis(-1)));
        StepVerifier.create(flaky(5, new IOException("down")).transform(NineLives.retry(broken)))
                .verifyErrorMatches(e -> e instanceof IllegalStateException && e.getMessage().contains("negative delay"));
        assertThat(seen()).containsExactly("FAILED@1");
        assertThat(events.get(0).error()).isInstanceOf(IllegalStateException.class);

        events.clear();
        Retry delayed = listened(Retry.builder("retry").maxAttempts(5).constantBackoff(Duration.ofSeconds(1)));
        StepVerifier.create(flaky(5, new IOException("down")).transform(NineLives.retry(delayed, new RejectingScheduler())))
                .verifyError(RejectedExecutionException.class);
        assertThat(seen()).as("the retry was announced, then the scheduler refused it").containsExactly("RETRY@1", "FAILED@1");
    }

    @Test
    void aFluxErrorAfterElementsThatIsNotRetriedFailsTheCall() {
        Retry retry = listened(Retry.builder("retry").noBackoff().retryAfterElements(false));
        Flux<Integer> source = Flux.just(1).concatWith(Flux.error(new IOException("down")));
        StepVerifier.create(source.transform(NineLives.retry(retry))).expectNext(1).verifyErrorMessage("down");
        assertThat(seen()).containsExactly("FAILED@1");
    }

    @Test
    void aCancelledCallAnnouncesNoEnding() {
        Retry retry = listened(Retry.builder("retry").maxAttempts(3).constantBackoff(Duration.ofSeconds(1)));
        StepVerifier.withVirtualTime(() -> flaky(5, new IOException("down")).transform(NineLives.retry(retry)))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(500))
                .thenCancel()
                .verify();
        StepVerifier.create(Mono.never().transform(NineLives.retry(retry))).thenCancel().verify();
        assertThat(seen()).containsExactly("RETRY@1");
    }

    /**
     * A Mono's value ends the call: the success is announced and downstream completed at the
     * value, even if the source never completes, and a late error is dropped, not retried into
     * a second value.
     */
    @Test
    void aMonoValueEndsTheCall() {
        Retry retry = listened(Retry.builder("retry").maxAttempts(3).noBackoff());
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        RetryOperatorTest.RawMono raw = new RetryOperatorTest.RawMono();
        AtomicInteger subscriptions = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> {
            subscriptions.incrementAndGet();
            return raw;
        });
        StepVerifier.create(source.transform(NineLives.retry(retry)))
                .then(() -> raw.subscriber.onNext("ok"))
                .expectNext("ok")
                .expectComplete()
                .verify(Duration.ofSeconds(5));
        raw.subscriber.onError(new IOException("late"));
        raw.subscriber.onComplete();
        assertThat(subscriptions).hasValue(1);
        assertThat(dropped).singleElement().satisfies(e -> assertThat(e).hasMessage("late"));
        assertThat(seen()).containsExactly("SUCCEEDED@1");
    }

    @Test
    void listenersOfAnotherPolicyHearNothing() {
        Retry quiet = Retry.builder("quiet").noBackoff().build();
        listened(Retry.builder("listened"));
        StepVerifier.create(flaky(1, new IOException("down")).transform(NineLives.retry(quiet))).expectNext("ok").verifyComplete();
        assertThat(events).isEmpty();
    }

    /**
     * Guards the cost promise: while nobody listens for successes, a successful ending
     * allocates nothing (the subscriber is reused by resetting its per-call state by hand).
     */
    @Test
    void aSuccessWithoutListenersAllocatesNothing() throws Exception {
        Retry retry = Retry.builder("retry").noBackoff().build();
        RetryPlan<String> plan = new RetryPlan<>(Mono.just("ok"), retry, null, true);
        MonoRetrySubscriber<String> s = new MonoRetrySubscriber<>(new Ignoring<>(), plan);
        Runnable call = () -> {
            s.cold = null;
            s.onNext("ok");
            s.cold = null;
            s.onComplete();
        };
        Allocations allocations = new Allocations();
        int calls = 10_000;
        assertThat(allocations.leastDuring(3, calls, call)).as("bytes for %d successes", calls).isLessThan(calls / 10);

        AtomicInteger heard = new AtomicInteger();
        retry.onSucceeded(e -> heard.incrementAndGet());
        assertThat(allocations.during(calls, call)).as("an event per success once someone listens")
                .isGreaterThanOrEqualTo(2L * 16 * calls);
        assertThat(heard).hasValue(4 * calls);
    }

    /** A downstream that ignores everything. */
    static final class Ignoring<T> implements CoreSubscriber<T> {
        @Override
        public void onSubscribe(org.reactivestreams.Subscription s) {
        }

        @Override
        public void onNext(T t) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    /** A scheduler that refuses every delayed task, as a disposed one does. */
    static final class RejectingScheduler implements Scheduler {
        @Override
        public Disposable schedule(Runnable task) {
            return Schedulers.immediate().schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            throw new RejectedExecutionException("no delayed tasks here");
        }

        @Override
        public Worker createWorker() {
            return Schedulers.immediate().createWorker();
        }
    }
}
