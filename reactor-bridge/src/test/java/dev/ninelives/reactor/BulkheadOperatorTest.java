package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.Bulkhead.QueueOrder;
import dev.ninelives.bulkhead.BulkheadEvent;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.reactor.BulkheadTestSupport.Capturing;
import dev.ninelives.reactor.BulkheadTestSupport.CountingScheduler;
import dev.ninelives.reactor.BulkheadTestSupport.Events;
import dev.ninelives.reactor.BulkheadTestSupport.ManualSource;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.Scannable.Attr;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.test.publisher.TestPublisher;
import reactor.core.scheduler.Scheduler;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static dev.ninelives.reactor.BulkheadTestSupport.reason;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * NineLives.bulkhead, one behaviour per test: the shape of the operator and Reactor's
 * conventions, when a permit is held and returned, refusals, waiting (demand, cancel, timeout
 * under virtual time, queue order, resizing), the thread a granted waiter runs on, and
 * composition with retry. Tests that depend on demand run twice: unbounded, and their
 * backpressured twin that requests one element at a time.
 *
 * <p>Wait timeouts run on a {@link VirtualTimeScheduler} passed to the operator (or on the
 * virtual {@code Schedulers.parallel()} of {@code StepVerifier.withVirtualTime}), so no test
 * ever waits for real time.
 */
class BulkheadOperatorTest {

    private static final Duration MAX_WAIT = Duration.ofSeconds(1);

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    @AfterEach
    void tearDown() {
        clock.dispose();
        Hooks.resetOnEachOperator();
        Hooks.resetOnErrorDropped();
    }

    private static Bulkhead refusing(String name, int maxConcurrent) {
        return Bulkhead.builder(name).maxConcurrent(maxConcurrent).build();
    }

    private static Bulkhead waiting(String name, int maxConcurrent) {
        return Bulkhead.builder(name).maxConcurrent(maxConcurrent).maxWait(MAX_WAIT).build();
    }

    /** The operator with its wait timeouts on this test's virtual clock. */
    private <T> java.util.function.Function<Publisher<T>, Publisher<T>> on(Bulkhead b) {
        return NineLives.bulkhead(b, clock);
    }

    /** Takes one permit of {@code b} with a call that ends when {@code release} is emitted. */
    private void hold(Bulkhead b, Sinks.Empty<Void> release) {
        release.asMono().transform(on(b)).subscribe();
    }

    private static <T> StepVerifier.FirstStep<T> verify(Publisher<T> p, boolean backpressured) {
        return backpressured ? StepVerifier.create(p, 0) : StepVerifier.create(p);
    }

    private static <T> StepVerifier.Step<T> demand(StepVerifier.FirstStep<T> step, boolean backpressured) {
        return backpressured ? step.thenRequest(1) : step;
    }

    // ------------------------------------------------------------------ the shape of the operator

    @Test
    void aMonoStaysAMonoAFluxAFluxAndAnyPublisherBecomesAFlux() {
        Bulkhead b = refusing("shape", 2);
        Mono<Integer> mono = Mono.just(1).transform(NineLives.bulkhead(b));
        Flux<Integer> flux = Flux.just(1, 2).transform(NineLives.bulkhead(b));
        assertThat(mono).isInstanceOf(Mono.class);
        assertThat(flux).isInstanceOf(Flux.class);
        assertThat(Scannable.from(mono).name()).isEqualTo("shape");
        assertThat(Scannable.from(flux).name()).isEqualTo("shape");

        Publisher<Integer> plain = s -> Flux.just(1, 2).subscribe(s);
        Publisher<Integer> protectedPlain = NineLives.<Integer>bulkhead(b).apply(plain);
        assertThat(protectedPlain).isInstanceOf(Flux.class);
        assertThat(Scannable.from(protectedPlain).name()).isEqualTo("shape");

        Events events = new Events(b);
        StepVerifier.create(protectedPlain).expectNext(1, 2).verifyComplete();
        StepVerifier.create(mono).expectNext(1).verifyComplete();
        StepVerifier.create(mono).expectNext(1).verifyComplete();
        assertThat(events.permitted).as("each subscription is one call").hasSize(3);
        assertThat(events.finished).hasValue(3);
        assertAllPermitsBack(b);
    }

    @Test
    void transformAndTransformDeferredBehaveTheSame() {
        Bulkhead b = refusing("deferred", 1);
        Events events = new Events(b);
        Mono<String> assembled = Mono.just("x").transform(NineLives.bulkhead(b));
        Mono<String> deferred = Mono.just("x").transformDeferred(NineLives.bulkhead(b));
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(assembled).expectNext("x").verifyComplete();
            StepVerifier.create(deferred).expectNext("x").verifyComplete();
        }
        assertThat(events.permitted).hasSize(6);
        assertThat(events.finished).hasValue(6);
        assertAllPermitsBack(b);
    }

    @Test
    void bulkheadOperatorsGoThroughOnAssembly() {
        Bulkhead b = refusing("assembled", 1);
        List<Publisher<?>> seen = new ArrayList<>();
        Hooks.onEachOperator("probe", p -> {
            seen.add(p);
            return p;
        });
        Mono<Integer> mono = Mono.just(1).transform(NineLives.bulkhead(b));
        Flux<Integer> flux = Flux.just(1).transform(NineLives.bulkhead(b, clock));
        Hooks.resetOnEachOperator("probe");
        assertThat(seen).filteredOn(p -> "assembled".equals(Scannable.from(p).name())).hasSizeGreaterThanOrEqualTo(2);
        assertThat(seen).as("the operator itself went through the hook").anySatisfy(p -> assertThat(p).isSameAs(mono));
        assertThat(seen).anySatisfy(p -> assertThat(p).isSameAs(flux));
    }

    @Test
    void operatorsAnswerScannable() {
        Bulkhead b = refusing("scan", 1);
        Mono<Integer> monoSource = Mono.just(1);
        Flux<Integer> fluxSource = Flux.just(1);
        Scannable mono = Scannable.from(monoSource.transform(NineLives.bulkhead(b)));
        Scannable flux = Scannable.from(fluxSource.transform(NineLives.bulkhead(b, clock)));
        assertThat(mono.scan(Attr.PARENT)).isSameAs(monoSource);
        assertThat(flux.scan(Attr.PARENT)).isSameAs(fluxSource);
        for (Scannable s : List.of(mono, flux)) {
            assertThat(s.scan(Attr.NAME)).isEqualTo("scan");
            assertThat(s.name()).isEqualTo("scan");
            assertThat(s.scan(Attr.RUN_STYLE)).isEqualTo(Attr.RunStyle.ASYNC);
            assertThat(s.scanUnsafe(Attr.ACTUAL)).as("an operator has no downstream").isNull();
        }
    }

    @Test
    void subscribersAnswerScannable() {
        Bulkhead b = refusing("scanSub", 2);
        TestPublisher<Integer> monoSource = TestPublisher.create();
        TestPublisher<Integer> fluxSource = TestPublisher.create();
        Capturing<Integer> monoDown = new Capturing<>(1);
        Capturing<Integer> fluxDown = new Capturing<>(0);
        monoSource.mono().transform(NineLives.bulkhead(b)).subscribe(monoDown);
        fluxSource.flux().transform(NineLives.bulkhead(b)).subscribe(fluxDown);
        for (Capturing<Integer> down : List.of(monoDown, fluxDown)) {
            Scannable s = down.scannable();
            assertThat(s.scan(Attr.NAME)).isEqualTo("scanSub");
            assertThat(s.scan(Attr.RUN_STYLE)).isEqualTo(Attr.RunStyle.ASYNC);
            assertThat(s.scan(Attr.PARENT)).as("the source's subscription").isNotNull();
            assertThat(s.scanUnsafe(Attr.ACTUAL)).isSameAs(down);
            assertThat(s.scan(Attr.TERMINATED)).isFalse();
            assertThat(s.scan(Attr.CANCELLED)).isFalse();
        }
        monoDown.cancel();
        assertThat(monoDown.scannable().scan(Attr.CANCELLED)).isTrue();
        assertThat(monoDown.scannable().scan(Attr.TERMINATED)).isFalse();
        fluxSource.complete();
        assertThat(fluxDown.scannable().scan(Attr.TERMINATED)).isTrue();
        assertThat(fluxDown.scannable().scan(Attr.CANCELLED)).isFalse();
        assertAllPermitsBack(b);
    }

    @Test
    void aWaitingSubscriberAnswersScannableBeforeAndAfterItsPermit() {
        Bulkhead b = waiting("scanWait", 1);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        ManualSource<Integer> source = new ManualSource<>();
        Capturing<Integer> granted = new Capturing<>(0);
        Capturing<Integer> cancelled = new Capturing<>(0);
        Capturing<Integer> timedOut = new Capturing<>(0);
        source.flux().transform(on(b)).subscribe(granted);
        Flux.<Integer>never().transform(on(b)).subscribe(cancelled);

        Scannable waiting = granted.scannable();
        assertThat(waiting.scan(Attr.NAME)).isEqualTo("scanWait");
        assertThat(waiting.scan(Attr.RUN_STYLE)).isEqualTo(Attr.RunStyle.ASYNC);
        assertThat(waiting.scan(Attr.PARENT)).as("no source yet").isNull();
        assertThat(waiting.scanUnsafe(Attr.ACTUAL)).isSameAs(granted);
        assertThat(waiting.scan(Attr.TERMINATED)).isFalse();
        assertThat(waiting.scan(Attr.CANCELLED)).isFalse();
        granted.request(5);
        assertThat(waiting.scan(Attr.REQUESTED_FROM_DOWNSTREAM)).isEqualTo(5L);

        cancelled.cancel();
        assertThat(cancelled.scannable().scan(Attr.CANCELLED)).isTrue();
        assertThat(cancelled.scannable().scan(Attr.TERMINATED)).isFalse();

        release.tryEmitEmpty();
        assertThat(waiting.scan(Attr.PARENT)).as("the source's subscription, once granted").isNotNull();
        assertThat(source.requests).containsExactly(5L);
        source.complete();
        assertThat(waiting.scan(Attr.TERMINATED)).isTrue();

        Sinks.Empty<Void> again = Sinks.empty();
        hold(b, again);
        Flux.<Integer>never().transform(on(b)).subscribe(timedOut);
        clock.advanceTimeBy(MAX_WAIT);
        assertThat(timedOut.scannable().scan(Attr.TERMINATED)).isTrue();
        assertThat(timedOut.scannable().scan(Attr.CANCELLED)).isFalse();
        again.tryEmitEmpty();
        assertAllPermitsBack(b);
    }

    @Test
    void theSubscribersContextReachesTheSourceWhetherItWaitedOrNot() {
        Bulkhead b = waiting("context", 1);
        Mono<String> mono = Mono.deferContextual(ctx -> Mono.just(ctx.<String>get("user"))).transform(on(b));
        Flux<String> flux = Flux.deferContextual(ctx -> Flux.just(ctx.<String>get("user"), "!")).transform(on(b));
        StepVerifier.create(mono.contextWrite(Context.of("user", "ada"))).expectNext("ada").verifyComplete();
        StepVerifier.create(flux.contextWrite(Context.of("user", "grace"))).expectNext("grace", "!").verifyComplete();

        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        StepVerifier.create(mono.contextWrite(Context.of("user", "barbara")))
                .expectSubscription()
                .then(() -> assertThat(b.metrics().queued()).isEqualTo(1))
                .then(release::tryEmitEmpty)
                .expectNext("barbara")
                .verifyComplete();
        Sinks.Empty<Void> release2 = Sinks.empty();
        hold(b, release2);
        StepVerifier.create(flux.contextWrite(Context.of("user", "margaret")))
                .expectSubscription()
                .then(release2::tryEmitEmpty)
                .expectNext("margaret", "!")
                .verifyComplete();
        assertAllPermitsBack(b);
    }

    // ------------------------------------------------------------------ when the permit is returned

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aMonoReturnsItsPermitAtItsFirstValueBeforePassingItOn(boolean backpressured) {
        Bulkhead b = refusing("monoValue", 1);
        Events events = new Events(b);
        ManualSource<String> source = new ManualSource<>();
        List<Integer> inFlightAtValue = new ArrayList<>();
        demand(verify(source.mono().transform(NineLives.bulkhead(b)).doOnNext(v -> inFlightAtValue.add(b.metrics().inFlight())),
                backpressured), backpressured)
                .then(() -> assertThat(b.metrics().inFlight()).as("held while the call runs").isEqualTo(1))
                .then(() -> source.next("v"))
                .expectNext("v")
                .then(() -> assertThat(b.metrics().inFlight()).as("returned at the value, before completion").isZero())
                .then(source::complete)
                .verifyComplete();
        assertThat(inFlightAtValue).as("downstream sees the value with the permit already returned").containsExactly(0);
        assertThat(events.finished).as("returned exactly once: the completion returns nothing more").hasValue(1);
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aFluxHoldsItsPermitAcrossItsElementsUntilItCompletes(boolean backpressured) {
        Bulkhead b = refusing("fluxComplete", 1);
        Events events = new Events(b);
        TestPublisher<String> source = TestPublisher.create();
        List<Integer> inFlightAtElement = new ArrayList<>();
        StepVerifier.Step<String> step = demand(verify(source.flux().transform(NineLives.bulkhead(b))
                .doOnNext(v -> inFlightAtElement.add(b.metrics().inFlight())), backpressured), backpressured)
                .then(() -> source.next("a"))
                .expectNext("a");
        if (backpressured) {
            step = step.thenRequest(1);
        }
        step.then(() -> source.next("b"))
                .expectNext("b")
                .then(() -> assertThat(b.metrics().inFlight()).isEqualTo(1))
                .then(source::complete)
                .verifyComplete();
        assertThat(inFlightAtElement).containsExactly(1, 1);
        assertThat(events.finished).hasValue(1);
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aFluxReturnsItsPermitAtItsError(boolean backpressured) {
        Bulkhead b = refusing("fluxError", 1);
        Events events = new Events(b);
        TestPublisher<String> source = TestPublisher.create();
        demand(verify(source.flux().transform(NineLives.bulkhead(b)), backpressured), backpressured)
                .then(() -> source.next("a"))
                .expectNext("a")
                .then(() -> assertThat(b.metrics().inFlight()).isEqualTo(1))
                .then(() -> source.error(new IOException("down")))
                .verifyErrorMessage("down");
        assertThat(events.finished).hasValue(1);
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aFluxReturnsItsPermitAtCancelWithOrWithoutElements(boolean backpressured) {
        Bulkhead b = refusing("fluxCancel", 1);
        Events events = new Events(b);
        TestPublisher<String> withElement = TestPublisher.create();
        demand(verify(withElement.flux().transform(NineLives.bulkhead(b)), backpressured), backpressured)
                .then(() -> withElement.next("a"))
                .expectNext("a")
                .then(() -> assertThat(b.metrics().inFlight()).isEqualTo(1))
                .thenCancel()
                .verify();
        withElement.assertCancelled();
        assertAllPermitsBack(b);
        TestPublisher<String> empty = TestPublisher.create();
        demand(verify(empty.flux().transform(NineLives.bulkhead(b)), backpressured), backpressured)
                .thenCancel()
                .verify();
        empty.assertCancelled();
        assertThat(events.finished).hasValue(2);
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aMonoReturnsItsPermitWhenEmptyFailedOrCancelled(boolean backpressured) {
        Bulkhead b = refusing("monoOther", 1);
        Events events = new Events(b);
        demand(verify(Mono.<String>empty().transform(NineLives.bulkhead(b)), backpressured), backpressured).verifyComplete();
        assertAllPermitsBack(b);
        demand(verify(Mono.<String>error(new IOException("down")).transform(NineLives.bulkhead(b)), backpressured), backpressured)
                .verifyErrorMessage("down");
        assertAllPermitsBack(b);
        ManualSource<String> never = new ManualSource<>();
        demand(verify(never.mono().transform(NineLives.bulkhead(b)), backpressured), backpressured)
                .then(() -> assertThat(b.metrics().inFlight()).isEqualTo(1))
                .thenCancel()
                .verify();
        assertThat(never.cancelled).isTrue();
        assertThat(events.finished).hasValue(3);
        assertAllPermitsBack(b);
    }

    @Test
    void aCancelAfterAMonoValueReturnsNothingMore() {
        Bulkhead b = refusing("valueThenCancel", 1);
        Events events = new Events(b);
        ManualSource<String> source = new ManualSource<>();
        Capturing<String> down = new Capturing<>(1);
        source.mono().transform(NineLives.bulkhead(b)).subscribe(down);
        source.next("v");
        down.cancel();
        source.complete();
        assertThat(down.values).containsExactly("v");
        assertThat(events.finished).hasValue(1);
        assertAllPermitsBack(b);
    }

    // ------------------------------------------------------------------ refusals

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aRefusedCallGetsOnSubscribeThenFullAndNeverReachesTheSource(boolean backpressured) {
        Bulkhead b = refusing("refusing", 1);
        Events events = new Events(b);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        PublisherProbe<String> mono = PublisherProbe.of(Mono.just("x"));
        PublisherProbe<String> flux = PublisherProbe.of(Flux.just("x"));
        verify(mono.mono().transform(NineLives.bulkhead(b)), backpressured)
                .expectSubscription()
                .expectErrorSatisfies(e -> {
                    assertThat(reason(e)).isEqualTo(Reason.FULL);
                    assertThat(NineLives.isBulkheadFull(e)).isTrue();
                    assertThat(((BulkheadFullException) e).bulkheadName()).isEqualTo("refusing");
                    assertThat(e.getMessage()).contains("refusing");
                })
                .verify();
        verify(flux.flux().transform(NineLives.bulkhead(b)), backpressured)
                .expectSubscription()
                .expectErrorSatisfies(e -> assertThat(reason(e)).isEqualTo(Reason.FULL))
                .verify();
        mono.assertWasNotSubscribed();
        flux.assertWasNotSubscribed();
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
        assertThat(events.rejections()).containsExactly(Reason.FULL, Reason.FULL);
        assertThat(b.metrics().inFlight()).as("a refusal takes no permit").isEqualTo(1);
        release.tryEmitEmpty();
        assertThat(events.finished).as("only the holder returned a permit").hasValue(1);
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aFullQueueRefusesWithQueueFull(boolean backpressured) {
        Bulkhead b = Bulkhead.builder("queueFull").maxConcurrent(1).maxWait(MAX_WAIT).maxQueued(2).build();
        Events events = new Events(b);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        Capturing<String> first = new Capturing<>(1);
        Capturing<String> second = new Capturing<>(1);
        Mono.just("first").transform(on(b)).subscribe(first);
        Mono.just("second").transform(on(b)).subscribe(second);
        assertThat(b.metrics().queued()).isEqualTo(2);
        PublisherProbe<String> third = PublisherProbe.of(Mono.just("third"));
        verify(third.mono().transform(on(b)), backpressured)
                .expectSubscription()
                .expectErrorSatisfies(e -> assertThat(reason(e)).isEqualTo(Reason.QUEUE_FULL))
                .verify();
        third.assertWasNotSubscribed();
        assertThat(b.metrics().queued()).as("the refusal took no place").isEqualTo(2);
        assertThat(events.rejections()).containsExactly(Reason.QUEUE_FULL);

        release.tryEmitEmpty();
        assertThat(first.values).containsExactly("first");
        assertThat(second.values).containsExactly("second");
        assertAllPermitsBack(b);
    }

    @Test
    void isBulkheadFullRecognisesEveryRefusalAndNothingElse() {
        Bulkhead b = refusing("predicate", 1);
        assertThat(NineLives.isBulkheadFull(b.rejection())).isTrue();
        assertThat(NineLives.isBulkheadFull(new IOException("io"))).isFalse();
        assertThat(NineLives.isBulkheadFull(new IllegalStateException("full"))).isFalse();
        assertThat(NineLives.isBulkheadFull(new RuntimeException(b.rejection()))).as("only the exception itself").isFalse();
        assertThat(NineLives.isBulkheadFull(null)).isFalse();
    }

    // ------------------------------------------------------------------ waiting

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aWaiterGetsOnSubscribeAtOnceAndItsCancelGivesItsPlaceBack(boolean backpressured) {
        Bulkhead b = waiting("cancelWaiter", 1);
        Events events = new Events(b);
        CountingScheduler timeouts = new CountingScheduler(clock);
        Sinks.Empty<Void> release = Sinks.empty();
        release.asMono().transform(NineLives.bulkhead(b, timeouts)).subscribe();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("never reached"));
        verify(source.mono().transform(NineLives.bulkhead(b, timeouts)), backpressured)
                .expectSubscription()
                .then(() -> assertThat(b.metrics().queued()).isEqualTo(1))
                .then(() -> assertThat(timeouts.armed).hasValue(1))
                .expectNoEvent(Duration.ZERO)
                .thenCancel()
                .verify();
        assertThat(b.metrics().queued()).as("the cancelled waiter's place is given back").isZero();

        release.tryEmitEmpty();
        source.assertWasNotSubscribed();
        assertThat(events.permitted).as("the released permit went back to the pool, not to the cancelled waiter").hasSize(1);
        clock.advanceTimeBy(MAX_WAIT.multipliedBy(2));
        assertThat(events.rejected).as("a cancel is not a refusal, and no timeout fires later").isEmpty();
        assertThat(b.metrics().rejectedCalls()).isZero();
        assertThat(timeouts.armed).as("the timer ran once, at the deadline, found nobody waiting and stopped").hasValue(1);
        assertAllPermitsBack(b);
    }

    /**
     * Reactive Streams rule 3.13, found by the TCK (MonoWaitingBulkheadTckTest): a waiter that
     * left the queue, cancelled or timed out, must not stay reachable from the bulkhead. Guards
     * against the dead node left in the wait queue until a later drain polled it past (only when
     * another caller waited behind it) or purged it (only past 64 dead nodes): with nobody else
     * waiting, it kept the subscriber, and everything downstream of it, for as long as the
     * bulkhead lived.
     */
    @ParameterizedTest(name = "{0}, timed out: {1}")
    @CsvSource({"FIFO, false", "FIFO, true", "LIFO, false", "LIFO, true"})
    void aWaiterThatLeftTheQueueIsNotKeptReachable(QueueOrder order, boolean timedOut) {
        Bulkhead b = Bulkhead.builder("leftWaiter").maxConcurrent(1).maxWait(MAX_WAIT).queueOrder(order).build();
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        AtomicReference<Throwable> error = new AtomicReference<>();
        WeakReference<Object> waiter = waitAndLeave(b, timedOut, error);
        assertThat(b.metrics().queued()).isZero();
        if (timedOut) {
            assertThat(reason(error.get())).isEqualTo(Reason.WAIT_TIMED_OUT);
        } else {
            assertThat(error.get()).isNull();
        }
        for (int i = 0; i < 100 && waiter.get() != null; i++) {
            System.gc();
        }
        assertThat(waiter.get()).as("the subscriber of a waiter that left, still reachable from the bulkhead").isNull();
        release.tryEmitEmpty();
        assertAllPermitsBack(b);
    }

    /** Queues a subscriber on {@code b}, full, and has it leave: cancelled, or timed out; returns it weakly held. */
    private WeakReference<Object> waitAndLeave(Bulkhead b, boolean timedOut, AtomicReference<Throwable> error) {
        BaseSubscriber<String> subscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnError(Throwable throwable) {
                error.set(throwable);
            }
        };
        Mono.<String>never().transform(on(b)).subscribe(subscriber);
        assertThat(b.metrics().queued()).isEqualTo(1);
        if (timedOut) {
            clock.advanceTimeBy(MAX_WAIT);
        } else {
            subscriber.dispose();
        }
        return new WeakReference<>(subscriber);
    }

    /**
     * The waits of one operator share one timer task, scheduled for the oldest waiter's deadline
     * and again for the next one: each waiter still times out exactly maxWait after it queued,
     * and one that got its permit meanwhile is dropped from the timer, not timed out. Guards
     * against a shared timer that times waiters by the wrong deadline, skips one, or fires for a
     * waiter that was served.
     */
    @Test
    void waitersShareOneTimerAndEachTimesOutExactlyAtItsOwnDeadline() {
        Bulkhead b = waiting("sharedTimer", 1);
        CountingScheduler timeouts = new CountingScheduler(clock);
        Sinks.Empty<Void> release = Sinks.empty();
        release.asMono().transform(NineLives.bulkhead(b, timeouts)).subscribe();
        List<Capturing<String>> waiters = new ArrayList<>();
        List<PublisherProbe<String>> sources = new ArrayList<>();
        for (int i = 0; i < 3; i++) {                  // queued at 0, 100 and 200 ms, each by its own assembly
            Capturing<String> w = new Capturing<>(Long.MAX_VALUE);
            PublisherProbe<String> source = PublisherProbe.of(Mono.never());   // a served call holds its permit
            source.mono().transform(NineLives.bulkhead(b, timeouts)).subscribe(w);
            waiters.add(w);
            sources.add(source);
            clock.advanceTimeBy(Duration.ofMillis(100));
        }
        assertThat(timeouts.armed).as("one task for three waits").hasValue(1);
        assertThat(b.metrics().queued()).isEqualTo(3);

        clock.advanceTimeBy(MAX_WAIT.minusMillis(300).minusNanos(1));   // 1 ns before the first deadline
        assertThat(waiters).allSatisfy(w -> assertThat(w.error.get()).isNull());
        clock.advanceTimeBy(Duration.ofNanos(1));                       // the first deadline
        assertThat(waiters.get(0).error.get()).isInstanceOf(BulkheadFullException.class);
        assertThat(waiters.get(1).error.get()).isNull();

        release.tryEmitEmpty();                                         // the second waiter is served
        sources.get(1).assertWasSubscribed();
        sources.get(2).assertWasNotSubscribed();
        clock.advanceTimeBy(Duration.ofMillis(100));                    // its deadline passes: nothing happens
        assertThat(waiters.get(1).error.get()).isNull();
        assertThat(waiters.get(2).error.get()).isNull();
        clock.advanceTimeBy(Duration.ofMillis(100).minusNanos(1));
        assertThat(waiters.get(2).error.get()).isNull();
        clock.advanceTimeBy(Duration.ofNanos(1));                       // the third deadline
        assertThat(waiters.get(2).error.get()).isInstanceOf(BulkheadFullException.class);
        assertThat(((BulkheadFullException) waiters.get(2).error.get()).reason())
                .isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
        waiters.get(1).subscription.cancel();                            // the served call ends
        assertAllPermitsBack(b);
    }

    /** Cancelled from inside onSubscribe: the waiter never gets into the queue, and its place is given back. */
    @Test
    void aWaiterCancelledInsideOnSubscribeGivesItsPlaceBack() {
        Bulkhead b = waiting("cancelInOnSubscribe", 1);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("never reached"));
        source.mono().transform(on(b)).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.cancel();
            }
        });
        assertThat(b.metrics().queued()).isZero();
        release.tryEmitEmpty();
        source.assertWasNotSubscribed();
        assertAllPermitsBack(b);
    }

    /** A subscriber that breaks Reactive Streams rule 2.13: its first onSubscribe throws. */
    static final class ThrowingOnSubscribe implements CoreSubscriber<String> {
        final AtomicInteger onSubscribes = new AtomicInteger();

        @Override
        public void onSubscribe(Subscription s) {
            if (onSubscribes.getAndIncrement() == 0) {
                throw new IllegalStateException("onSubscribe blew up");
            }
        }

        @Override
        public void onNext(String t) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    /** On the fast path, an onSubscribe that throws ends the call and the permit comes back. */
    @Test
    void aSubscriberWhoseOnSubscribeThrowsReturnsItsPermit() {
        Bulkhead b = waiting("throwingSubscriber", 1);
        Mono.just("x").transform(on(b)).subscribe(new ThrowingOnSubscribe());
        assertAllPermitsBack(b);
    }

    /**
     * Rule 2.13: a Subscriber whose onSubscribe throws must be considered cancelled. On the
     * fast path the permit comes back (above); a waiter, whose onSubscribe is signalled from
     * {@code WaitingBulkheadSubscriber.await()} after {@code admit()} counted its place, lets
     * the exception escape before {@code enqueue}, and the place stays counted forever: the
     * queue reports a waiter that does not exist, every later call goes through the queue, and
     * with {@code maxQueued(1)} every call that finds the permit taken is refused QUEUE_FULL.
     */
    @Test
    void aWaiterWhoseOnSubscribeThrowsGivesItsPlaceBack() {
        Bulkhead b = Bulkhead.builder("throwingWaiter").maxConcurrent(1).maxWait(MAX_WAIT).maxQueued(1).build();
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        try {
            Mono.just("x").transform(on(b)).subscribe(new ThrowingOnSubscribe());
        } catch (IllegalStateException expected) {
            // the exception may propagate to the subscribing caller; the place must not leak either way
        }
        assertThat(b.metrics().queued()).as("the broken subscriber's place is given back").isZero();
        Capturing<String> next = new Capturing<>(1);
        Mono.just("next").transform(on(b)).subscribe(next);
        assertThat(next.error.get()).as("the next caller can wait (maxQueued 1)").isNull();
        release.tryEmitEmpty();
        assertThat(next.values).containsExactly("next");
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aWaitTimesOutExactlyAtMaxWaitAndNotBefore(boolean backpressured) {
        Bulkhead b = Bulkhead.builder("timeout").maxConcurrent(1).maxWait(Duration.ofMillis(300)).build();
        Events events = new Events(b);
        Sinks.Empty<Void> release = Sinks.empty();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("late"));
        StepVerifier.withVirtualTime(() -> {
                    release.asMono().transform(NineLives.bulkhead(b)).subscribe();   // the default: timeouts on Schedulers.parallel()
                    return source.mono().transform(NineLives.bulkhead(b));
                }, backpressured ? 0 : Long.MAX_VALUE)
                .expectSubscription()
                .then(() -> assertThat(b.metrics().queued()).isEqualTo(1))
                .expectNoEvent(Duration.ofMillis(300).minusNanos(1))
                .thenAwait(Duration.ofNanos(1))
                .expectErrorSatisfies(e -> {
                    assertThat(reason(e)).isEqualTo(Reason.WAIT_TIMED_OUT);
                    assertThat(e.getMessage()).contains("timeout").contains("PT0.3S");
                })
                .verify();
        source.assertWasNotSubscribed();
        assertThat(b.metrics().queued()).isZero();
        assertThat(events.rejections()).containsExactly(Reason.WAIT_TIMED_OUT);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(1);
        release.tryEmitEmpty();
        assertThat(events.permitted).as("the timed-out waiter never takes a later permit").hasSize(1);
        source.assertWasNotSubscribed();
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aPermitJustBeforeMaxWaitWinsAndItsTimeoutNeverFires(boolean backpressured) {
        Bulkhead b = Bulkhead.builder("justInTime").maxConcurrent(1).maxWait(Duration.ofMillis(300))
                .ticker(NineLives.schedulerTicker()).build();
        Events events = new Events(b);
        Sinks.Empty<Void> release = Sinks.empty();
        StepVerifier.Step<String> step = StepVerifier.withVirtualTime(() -> {
                    release.asMono().transform(NineLives.bulkhead(b)).subscribe();
                    return Mono.just("in time").transform(NineLives.bulkhead(b));
                }, backpressured ? 0 : Long.MAX_VALUE)
                .expectSubscription();
        if (backpressured) {
            step = step.thenRequest(1);
        }
        step.expectNoEvent(Duration.ofMillis(300).minusNanos(1))
                .then(release::tryEmitEmpty)
                .expectNext("in time")
                .expectComplete()
                .verifyThenAssertThat()
                .hasNotDroppedErrors();
        assertThat(events.permitted).hasSize(2);
        assertThat(events.permitted.get(1).waitNanos()).as("the wait, measured on the virtual clock")
                .isEqualTo(Duration.ofMillis(300).minusNanos(1).toNanos());
        assertThat(events.rejected).isEmpty();
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void demandRequestedWhileWaitingReachesTheSourceExactlyOnceItArrives(boolean backpressured) {
        Bulkhead b = waiting("demand", 1);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        AtomicInteger subscribed = new AtomicInteger();
        List<Long> requests = new CopyOnWriteArrayList<>();
        Flux<Integer> source = Flux.range(1, 5).doOnSubscribe(s -> subscribed.incrementAndGet()).doOnRequest(requests::add);
        StepVerifier.Step<Integer> step = StepVerifier.create(source.transform(on(b)), 0)
                .expectSubscription();
        step = backpressured ? step.thenRequest(1).thenRequest(1) : step.thenRequest(2);
        step = step.expectNoEvent(Duration.ZERO)
                .then(() -> assertThat(subscribed).as("still waiting").hasValue(0))
                .then(release::tryEmitEmpty)
                .expectNext(1, 2)
                .expectNoEvent(Duration.ZERO);
        step = backpressured
                ? step.thenRequest(1).expectNext(3).thenRequest(1).expectNext(4).thenRequest(1).expectNext(5)
                : step.thenRequest(3).expectNext(3, 4, 5);
        step.verifyComplete();
        assertThat(subscribed).hasValue(1);
        assertThat(requests).as("what was asked while waiting arrives as one request, then each later one")
                .containsExactlyElementsOf(backpressured ? List.of(2L, 1L, 1L, 1L) : List.of(2L, 3L));
        assertAllPermitsBack(b);
    }

    @ParameterizedTest(name = "backpressured={0}")
    @ValueSource(booleans = {false, true})
    void aWaitingMonoDeliversItsValueOnlyWhenRequested(boolean backpressured) {
        Bulkhead b = waiting("monoDemand", 1);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        StepVerifier.Step<String> step = StepVerifier.create(Mono.just("v").transform(on(b)), 0)
                .expectSubscription();
        if (backpressured) {
            step = step.thenRequest(1);        // asked while waiting
        }
        step = step.then(release::tryEmitEmpty);
        if (!backpressured) {
            step = step.expectNoEvent(Duration.ZERO).thenRequest(1);   // asked once the source is there
        }
        step.expectNext("v").verifyComplete();
        assertAllPermitsBack(b);
    }

    /** Three waiters behind one permit, released one call at a time: who runs next is the queue order. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(QueueOrder.class)
    void waitersAreServedInQueueOrder(QueueOrder order) {
        Bulkhead b = Bulkhead.builder("order").maxConcurrent(1).maxWait(MAX_WAIT).queueOrder(order).build();
        Sinks.One<String> first = Sinks.one();
        first.asMono().transform(on(b)).subscribe();
        List<Integer> started = new CopyOnWriteArrayList<>();
        List<Sinks.One<String>> calls = List.of(Sinks.one(), Sinks.one(), Sinks.one());
        List<String> results = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 3; i++) {
            int id = i;
            Mono.defer(() -> {
                started.add(id);
                return calls.get(id).asMono();
            }).transform(on(b)).subscribe(results::add);
        }
        assertThat(b.metrics().queued()).isEqualTo(3);
        assertThat(started).isEmpty();
        List<Integer> expected = order == QueueOrder.FIFO ? List.of(0, 1, 2) : List.of(2, 1, 0);

        first.tryEmitValue("first");
        assertThat(started).containsExactly(expected.get(0));
        calls.get(expected.get(0)).tryEmitValue("r" + expected.get(0));
        assertThat(started).containsExactlyElementsOf(expected.subList(0, 2));
        calls.get(expected.get(1)).tryEmitValue("r" + expected.get(1));
        assertThat(started).containsExactlyElementsOf(expected);
        calls.get(expected.get(2)).tryEmitValue("r" + expected.get(2));
        assertThat(results).containsExactly("r" + expected.get(0), "r" + expected.get(1), "r" + expected.get(2));
        assertAllPermitsBack(b);
    }

    /**
     * Guards against a stack that grows with the queue: each granted waiter's source runs on the
     * releasing thread and, being synchronous, releases at once, which must only leave a missed
     * pass to the running drain, not start a nested one.
     */
    @ParameterizedTest(name = "mono={0}")
    @ValueSource(booleans = {true, false})
    void tenThousandSynchronousWaitersAreServedInALoopNotADeepStack(boolean mono) {
        Bulkhead b = Bulkhead.builder("loop").maxConcurrent(1).maxWait(MAX_WAIT).maxQueued(20_000).build();
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        AtomicInteger delivered = new AtomicInteger();
        for (int i = 0; i < 10_000; i++) {
            Publisher<Integer> call = mono ? Mono.just(i).transform(on(b)) : Flux.range(i, 2).transform(on(b));
            Flux.from(call).subscribe(v -> delivered.incrementAndGet());
        }
        assertThat(b.metrics().queued()).isEqualTo(10_000);
        release.tryEmitEmpty();
        assertThat(delivered).hasValue(mono ? 10_000 : 20_000);
        assertAllPermitsBack(b);
    }

    @Test
    void shrinkingWhileSaturatedTakesPermitsBackAsCallsEndAndGrowingServesWaitersAtOnce() {
        Bulkhead b = Bulkhead.builder("resize").maxConcurrent(3).maxWait(MAX_WAIT).build();
        List<Sinks.Empty<Void>> holders = List.of(Sinks.empty(), Sinks.empty(), Sinks.empty());
        holders.forEach(h -> hold(b, h));
        List<Integer> started = new CopyOnWriteArrayList<>();
        List<Sinks.Empty<Void>> waiters = List.of(Sinks.empty(), Sinks.empty());
        for (int i = 0; i < 2; i++) {
            int id = i;
            Mono.defer(() -> {
                started.add(id);
                return waiters.get(id).asMono();
            }).transform(on(b)).subscribe();
        }
        assertThat(b.metrics().queued()).isEqualTo(2);

        b.changeMaxConcurrent(1);
        assertThat(b.metrics().maxConcurrent()).isEqualTo(1);
        assertThat(b.metrics().availablePermits()).as("three in flight against a limit of one").isEqualTo(-2);
        holders.get(0).tryEmitEmpty();
        holders.get(1).tryEmitEmpty();
        assertThat(b.metrics().availablePermits()).isZero();
        assertThat(started).as("the returned permits paid back the deficit").isEmpty();
        assertThat(b.metrics().queued()).isEqualTo(2);
        holders.get(2).tryEmitEmpty();
        assertThat(started).containsExactly(0);
        assertThat(b.metrics().inFlight()).isEqualTo(1);
        assertThat(b.metrics().queued()).isEqualTo(1);

        b.changeMaxConcurrent(3);
        assertThat(started).as("growing hands the new permit to the waiter at once").containsExactly(0, 1);
        assertThat(b.metrics().queued()).isZero();
        assertThat(b.metrics().availablePermits()).isEqualTo(1);
        clock.advanceTimeBy(MAX_WAIT.multipliedBy(2));
        assertThat(b.metrics().rejectedCalls()).as("granted waiters' timeouts were disposed").isZero();
        waiters.forEach(Sinks.Empty::tryEmitEmpty);
        assertAllPermitsBack(b);
        assertThat(b.metrics().maxConcurrent()).isEqualTo(3);
    }

    @Test
    void aWaiterWhoseTimeoutCannotBeScheduledIsRefusedAndGivesItsPlaceBack() {
        Bulkhead b = waiting("rejectedTimer", 1);
        VirtualTimeScheduler disposed = VirtualTimeScheduler.create();
        disposed.dispose();
        Sinks.Empty<Void> release = Sinks.empty();
        release.asMono().transform(NineLives.bulkhead(b, disposed)).subscribe();
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("x"));
        StepVerifier.create(source.mono().transform(NineLives.bulkhead(b, disposed)))
                .expectSubscription()
                .expectError(RejectedExecutionException.class)
                .verify();
        assertThat(b.metrics().queued()).isZero();
        release.tryEmitEmpty();
        source.assertWasNotSubscribed();
        assertAllPermitsBack(b);
    }

    /**
     * The shared timer's next run is refused (its Scheduler was disposed while callers waited):
     * no waiter left on it can be timed any more, so each ends at once with Reactor's rejection
     * error and gives its place back, instead of waiting forever. Guards against a timer that
     * strands its waiters when it cannot schedule itself again.
     */
    @Test
    void whenTheTimerCannotRunAgainItsRemainingWaitersAreRefused() {
        Bulkhead b = waiting("rejectedRearm", 1);
        AtomicInteger schedules = new AtomicInteger();
        Scheduler firstOnly = new Scheduler() {                    // accepts the first delayed task only
            @Override
            public reactor.core.Disposable schedule(Runnable task) {
                return clock.schedule(task);
            }

            @Override
            public reactor.core.Disposable schedule(Runnable task, long delay, java.util.concurrent.TimeUnit unit) {
                if (schedules.incrementAndGet() > 1) {
                    throw new RejectedExecutionException("disposed");
                }
                return clock.schedule(task, delay, unit);
            }

            @Override
            public long now(java.util.concurrent.TimeUnit unit) {
                return clock.now(unit);
            }

            @Override
            public Worker createWorker() {
                return clock.createWorker();
            }
        };
        Sinks.Empty<Void> release = Sinks.empty();
        release.asMono().transform(NineLives.bulkhead(b, firstOnly)).subscribe();
        Capturing<String> first = new Capturing<>(Long.MAX_VALUE);
        Capturing<String> second = new Capturing<>(Long.MAX_VALUE);
        PublisherProbe<String> secondSource = PublisherProbe.of(Mono.just("late"));
        Mono.just("x").transform(NineLives.bulkhead(b, firstOnly)).subscribe(first);
        clock.advanceTimeBy(Duration.ofMillis(100));
        secondSource.mono().transform(NineLives.bulkhead(b, firstOnly)).subscribe(second);
        assertThat(b.metrics().queued()).isEqualTo(2);

        clock.advanceTimeBy(MAX_WAIT.minusMillis(100));             // the first deadline: the timer runs once
        assertThat(first.error.get()).isInstanceOf(BulkheadFullException.class);
        assertThat(second.error.get()).as("its timer could not be set again").isInstanceOf(RejectedExecutionException.class);
        assertThat(b.metrics().queued()).isZero();
        release.tryEmitEmpty();
        secondSource.assertWasNotSubscribed();
        assertAllPermitsBack(b);
    }

    /**
     * Guards against a waiter stranded without a timeout: the first waiter arms the shared timer
     * and asks the Scheduler to run it; a second waiter arrives while that request is still in
     * progress, finds the timer armed and relies on it. When the Scheduler then refuses, both
     * must be refused, not only the first (the second would wait forever: nothing times it).
     * Latches hold the first waiter inside {@code schedule} while the second arrives.
     */
    @Test
    void aWaiterThatArrivedWhileTheTimerWasBeingRefusedIsRefusedToo() throws InterruptedException {
        Bulkhead b = waiting("refusedWhileArming", 1);
        CountDownLatch inSchedule = new CountDownLatch(1);
        CountDownLatch refuse = new CountDownLatch(1);
        Scheduler refusing = new Scheduler() {
            @Override
            public Disposable schedule(Runnable task) {
                return clock.schedule(task);
            }

            @Override
            public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
                inSchedule.countDown();
                try {
                    assertThat(refuse.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new RejectedExecutionException("disposed");
            }

            @Override
            public long now(TimeUnit unit) {
                return clock.now(unit);
            }

            @Override
            public Worker createWorker() {
                return clock.createWorker();
            }
        };
        Sinks.Empty<Void> release = Sinks.empty();
        release.asMono().transform(NineLives.bulkhead(b, refusing)).subscribe();
        Capturing<String> first = new Capturing<>(1);
        Capturing<String> second = new Capturing<>(1);
        Thread arming = new Thread(() -> Mono.just("first").transform(NineLives.bulkhead(b, refusing)).subscribe(first),
                "arming");
        arming.start();
        assertThat(inSchedule.await(60, TimeUnit.SECONDS)).isTrue();
        Mono.just("second").transform(NineLives.bulkhead(b, refusing)).subscribe(second);
        assertThat(second.error.get()).as("the timer looks armed: it relies on it").isNull();
        refuse.countDown();
        arming.join();

        assertThat(first.error.get()).isInstanceOf(RejectedExecutionException.class);
        assertThat(second.error.get()).as("refused with the first").isInstanceOf(RejectedExecutionException.class);
        assertThat(b.metrics().queued()).isZero();
        release.tryEmitEmpty();
        assertThat(first.values).isEmpty();
        assertThat(second.values).isEmpty();
        assertAllPermitsBack(b);
    }

    // ------------------------------------------------------------------ a source whose subscribe throws

    enum Throwing { AT_ONCE, AFTER_ON_SUBSCRIBE, AFTER_ON_ERROR }

    private static <T> Publisher<T> throwing(Throwing how, boolean mono, Throwable thrown) {
        java.util.function.Consumer<CoreSubscriber<? super T>> body = actual -> {
            if (how != Throwing.AT_ONCE) {
                actual.onSubscribe(Operators.emptySubscription());
            }
            if (how == Throwing.AFTER_ON_ERROR) {
                actual.onError(new IOException("signalled first"));
            }
            if (thrown instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) thrown;
        };
        return mono ? new Mono<T>() {
            @Override
            public void subscribe(CoreSubscriber<? super T> actual) {
                body.accept(actual);
            }
        } : new Flux<T>() {
            @Override
            public void subscribe(CoreSubscriber<? super T> actual) {
                body.accept(actual);
            }
        };
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Throwing.class)
    void aSourceWhoseSubscribeThrowsReturnsThePermitExactlyOnce(Throwing how) {
        for (boolean mono : new boolean[] {true, false}) {
            for (boolean waited : new boolean[] {false, true}) {
                Bulkhead b = waiting("throwing", 1);
                Events events = new Events(b);
                List<Throwable> dropped = new CopyOnWriteArrayList<>();
                Hooks.onErrorDropped(dropped::add);
                Sinks.Empty<Void> release = Sinks.empty();
                if (waited) {
                    hold(b, release);
                }
                Publisher<String> call = mono
                        ? Mono.from(BulkheadOperatorTest.<String>throwing(how, true, new IllegalStateException("subscribe blew up"))).transform(on(b))
                        : Flux.from(BulkheadOperatorTest.<String>throwing(how, false, new IllegalStateException("subscribe blew up"))).transform(on(b));
                String expected = how == Throwing.AFTER_ON_ERROR ? "signalled first" : "subscribe blew up";
                StepVerifier.create(call)
                        .expectSubscription()
                        .then(release::tryEmitEmpty)
                        .expectErrorMessage(expected)
                        .verify();
                assertThat(events.permitted).as("mono=%s waited=%s", mono, waited).hasSize(waited ? 2 : 1);
                assertThat(events.finished).as("returned exactly once, mono=%s waited=%s", mono, waited)
                        .hasValue(waited ? 2 : 1);
                assertAllPermitsBack(b);
                if (how == Throwing.AFTER_ON_ERROR) {
                    assertThat(dropped).extracting(Throwable::getMessage).containsExactly("subscribe blew up");
                }
                Hooks.resetOnErrorDropped();
            }
        }
    }

    /**
     * A JVM-fatal error (here a {@link LinkageError}, as a missing class in a {@code Mono.defer}
     * supplier throws) is rethrown by Reactor's {@code Operators.onOperatorError}; the permit must
     * still come back, as ARCHITECTURE.md promises for every path, and the subscriber must get
     * the error as its ending first, so that an operator around this one ends its call too.
     */
    @ParameterizedTest(name = "mono={0}")
    @ValueSource(booleans = {true, false})
    void aSourceWhoseSubscribeThrowsAFatalErrorStillReturnsThePermit(boolean mono) {
        Bulkhead b = refusing("fatal", 1);
        Publisher<String> call = mono
                ? Mono.from(BulkheadOperatorTest.<String>throwing(Throwing.AT_ONCE, true, new NoClassDefFoundError("com/example/Missing"))).transform(NineLives.bulkhead(b))
                : Flux.from(BulkheadOperatorTest.<String>throwing(Throwing.AT_ONCE, false, new NoClassDefFoundError("com/example/Missing"))).transform(NineLives.bulkhead(b));
        Capturing<String> down = new Capturing<>(1);
        Throwable thrown = BulkheadTestSupport.thrownBy(() -> call.subscribe(down));
        assertThat(thrown).as("a fatal error propagates, as everywhere in Reactor").isInstanceOf(NoClassDefFoundError.class);
        assertThat(down.error.get()).as("after the call ended with it").isSameAs(thrown);
        assertAllPermitsBack(b);
    }

    /**
     * The waiting path of the same bug is worse: the fatal error escapes from inside the bulkhead's
     * drain loop, whose work-in-progress counter then never returns to zero, so no waiter is ever
     * granted again, although permits are free.
     */
    @Test
    void aGrantedWaiterWhoseSourceThrowsAFatalErrorDoesNotWedgeTheBulkhead() {
        Bulkhead b = waiting("fatalWaiter", 1);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        Capturing<String> granted = new Capturing<>(1);
        Mono.from(BulkheadOperatorTest.<String>throwing(Throwing.AT_ONCE, true, new NoClassDefFoundError("com/example/Missing")))
                .transform(on(b)).subscribe(granted);
        Capturing<String> next = new Capturing<>(1);
        Mono.just("next").transform(on(b)).subscribe(next);
        Throwable thrown = BulkheadTestSupport.thrownBy(release::tryEmitEmpty);
        assertThat(thrown).as("a fatal error propagates to whoever released the permit")
                .isInstanceOf(NoClassDefFoundError.class);
        assertThat(granted.error.get()).as("once the granted call ended with it").isSameAs(thrown);
        b.changeMaxConcurrent(2);                  // at the latest, a new permit must reach the waiter
        assertThat(next.values).as("the next waiter still gets a permit").containsExactly("next");
        b.changeMaxConcurrent(1);
        assertAllPermitsBack(b);
    }

    /**
     * Guards against phantom dead nodes: a waiter cancelled inside onSubscribe (or refused because
     * its timeout could not be scheduled) calls {@code leave()}, which counts it as a dead node in
     * the queue; if it were never offered to the queue, no drain would ever skip or purge it and
     * the dead count would never come down. Past {@code PURGE_AT} (64) such phantoms outnumbering
     * the live waiters, every {@code leave()} would run a drain and every drain a purge (for LIFO
     * a walk of the whole stack). White-box: it reads {@code LockFreeBulkhead.dead} by reflection.
     */
    @Test
    void waitersThatNeverReachedTheQueueAreNotCountedAsDeadNodesForever() throws ReflectiveOperationException {
        Bulkhead b = Bulkhead.builder("phantoms").maxConcurrent(1).maxWait(MAX_WAIT).queueOrder(QueueOrder.LIFO).build();
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        for (int i = 0; i < 200; i++) {
            Mono.just(i).transform(on(b)).subscribe(new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    subscription.cancel();
                }
            });
        }
        release.tryEmitEmpty();
        for (int i = 0; i < 10; i++) {            // ordinary traffic through the queue
            Sinks.Empty<Void> r = Sinks.empty();
            hold(b, r);
            Capturing<Integer> w = new Capturing<>(1);
            Mono.just(i).transform(on(b)).subscribe(w);
            r.tryEmitEmpty();
            assertThat(w.values).containsExactly(i);
        }
        assertAllPermitsBack(b);
        java.lang.reflect.Field dead = b.getClass().getDeclaredField("dead");
        dead.setAccessible(true);
        assertThat(dead.getInt(b)).as("dead nodes that can still be in the queue").isLessThanOrEqualTo(64);
    }

    // ------------------------------------------------------------------ the thread a granted waiter runs on

    enum Release { VALUE, CANCEL, GROW }

    /**
     * Guards against a hop: a granted waiter's source must be subscribed on the thread that handed
     * the permit over (a call's value, a cancel, or a resize), not on the timer's thread nor on
     * the thread that subscribed the waiter.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Release.class)
    void aGrantedWaitersSourceIsSubscribedOnTheThreadThatReleasedThePermit(Release how) throws InterruptedException {
        Bulkhead b = waiting("thread", 1);
        ManualSource<String> holder = new ManualSource<>();
        Disposable holding = holder.mono().transform(on(b)).subscribe();
        ManualSource<String> waiter = new ManualSource<>();
        Capturing<String> down = new Capturing<>(1);
        waiter.mono().transform(on(b)).subscribe(down);
        assertThat(b.metrics().queued()).isEqualTo(1);

        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread releaser = new Thread(() -> {
            try {
                assertThat(go.await(60, TimeUnit.SECONDS)).isTrue();
                switch (how) {
                    case VALUE -> holder.next("done");
                    case CANCEL -> holding.dispose();
                    case GROW -> b.changeMaxConcurrent(2);
                    default -> throw new IllegalStateException("invalid release: " + how);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "bulkhead-releaser");
        releaser.start();
        assertThat(waiter.subscriptions).as("nothing happens before the release").hasValue(0);
        go.countDown();
        releaser.join();
        assertThat(failure.get()).isNull();
        assertThat(waiter.subscriptions).hasValue(1);
        assertThat(waiter.subscribedOn).isEqualTo("bulkhead-releaser");

        waiter.next("w");
        assertThat(down.values).containsExactly("w");
        if (how == Release.GROW) {
            holder.next("done");
        }
        assertAllPermitsBack(b);
    }

    // ------------------------------------------------------------------ composition

    @Test
    void aRetryInsideTheBulkheadHoldsOnePermitAcrossEveryAttempt() {
        Bulkhead b = refusing("composed", 1);
        Events events = new Events(b);
        Retry retry = Retry.builder("retry").maxAttempts(3).constantBackoff(Duration.ofSeconds(1)).build();
        AtomicInteger attempts = new AtomicInteger();
        List<Integer> inFlightAtAttempt = new CopyOnWriteArrayList<>();
        Mono<String> flaky = Mono.defer(() -> {
            inFlightAtAttempt.add(b.metrics().inFlight());
            return attempts.incrementAndGet() < 3 ? Mono.error(new IOException("flaky")) : Mono.just("ok");
        });
        StepVerifier.withVirtualTime(() -> flaky.transform(NineLives.retry(retry)).transform(NineLives.bulkhead(b)))
                .expectSubscription()
                .then(() -> assertThat(attempts).hasValue(1))
                .then(() -> assertThat(b.metrics().inFlight()).as("held during the backoff").isEqualTo(1))
                .then(() -> StepVerifier.create(Mono.just("other").transform(NineLives.bulkhead(b)))
                        .expectErrorSatisfies(e -> assertThat(reason(e)).isEqualTo(Reason.FULL))
                        .verify())
                .thenAwait(Duration.ofSeconds(1))
                .then(() -> assertThat(attempts).hasValue(2))
                .then(() -> assertThat(b.metrics().inFlight()).isEqualTo(1))
                .thenAwait(Duration.ofSeconds(1))
                .expectNext("ok")
                .verifyComplete();
        assertThat(inFlightAtAttempt).containsExactly(1, 1, 1);
        assertThat(events.permitted).as("one permit for all three attempts").hasSize(1);
        assertThat(events.finished).hasValue(1);
        assertThat(events.rejections()).containsExactly(Reason.FULL);
        assertAllPermitsBack(b);
    }

    @Test
    void aBulkheadInsideTheRetryTakesOnePermitPerAttempt() {
        Bulkhead b = refusing("perAttempt", 1);
        Events events = new Events(b);
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> flaky = Mono.defer(() -> attempts.incrementAndGet() < 3 ? Mono.error(new IOException("flaky")) : Mono.just("ok"));
        StepVerifier.create(flaky.transform(NineLives.bulkhead(b)).transform(NineLives.retry(Retry.builder("retry").maxAttempts(3).noBackoff().build())))
                .expectNext("ok")
                .verifyComplete();
        assertThat(events.permitted).hasSize(3);
        assertThat(events.finished).hasValue(3);
        assertAllPermitsBack(b);
    }

    @Test
    void aListenerThatThrowsNeverBreaksTheStream() {
        Bulkhead b = waiting("throwingListener", 1);
        b.onPermitted(e -> {
            throw new IllegalStateException("listener bug");
        });
        b.onFinished(e -> {
            throw new IllegalStateException("listener bug");
        });
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);
        StepVerifier.create(Mono.just("w").transform(on(b)))
                .expectSubscription()
                .then(release::tryEmitEmpty)
                .expectNext("w")
                .verifyComplete();
        assertAllPermitsBack(b);
    }

    @Test
    void eventsTellWhatTheOperatorDidWithEachCall() {
        Bulkhead b = Bulkhead.builder("events").maxConcurrent(1).maxWait(MAX_WAIT).maxQueued(1).build();
        Events events = new Events(b);
        Sinks.Empty<Void> release = Sinks.empty();
        hold(b, release);                                                            // PERMITTED
        Capturing<String> waiter = new Capturing<>(1);
        Mono.just("w").transform(on(b)).subscribe(waiter);                          // queued
        StepVerifier.create(Mono.just("x").transform(on(b))).expectError(BulkheadFullException.class).verify(); // QUEUE_FULL
        clock.advanceTimeBy(MAX_WAIT);                                              // WAIT_TIMED_OUT
        assertThat(reason(waiter.error.get())).isEqualTo(Reason.WAIT_TIMED_OUT);
        release.tryEmitEmpty();                                                     // FINISHED
        assertThat(events.permitted).extracting(BulkheadEvent::type).containsExactly(BulkheadEvent.Type.PERMITTED);
        assertThat(events.rejections()).containsExactly(Reason.QUEUE_FULL, Reason.WAIT_TIMED_OUT);
        assertThat(events.rejected).allSatisfy(e -> assertThat(e.bulkheadName()).isEqualTo("events"));
        assertThat(events.finished).hasValue(1);
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
        assertAllPermitsBack(b);
    }
}
