package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import java.time.Duration;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
// end::imports[]

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.BulkheadConfig;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.core.Ticker;
import dev.ninelives.retry.Retry;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Checks every region of {@link BulkheadSnippets} that the "Bulkhead" page shows, the figures the
 * page quotes, and holds the page's virtual-time example (the {@code virtual-time} region below).
 *
 * <p>Each test runs with a {@link VirtualTimeScheduler} in place of {@code Schedulers.parallel()},
 * so a waiting caller's timeout fires only when the test moves the clock, and never on its own.
 */
class BulkheadSnippetsTest extends OnVirtualClock {

    static final String DOWN = "quotes are down";
    /** The message of a wait timeout of the page's bulkhead, as the page quotes it. */
    static final String TIMED_OUT_MESSAGE = "Bulkhead 'quotes' is full: no permit came within PT0.2S";

    /**
     * A quote client whose answers the test controls. The n-th quote subscription (from 1) gets
     * {@code quotes.apply(n)}; by default it is held until the test calls {@link #answer(int)}.
     * Records the thread and the virtual time of each subscription.
     */
    static final class FakeClient implements GettingStartedSnippets.QuoteClient {
        final List<Sinks.One<String>> pending = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());
        final List<Long> millis = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger subscriptions = new AtomicInteger();
        IntFunction<Mono<String>> quotes = n -> held();
        IntFunction<Flux<String>> histories = n -> Flux.just("ACME 41.00", "ACME 41.50", "ACME 42.00");

        @Override
        public Mono<String> quote(String symbol) {
            return Mono.defer(() -> quotes.apply(subscribed()));
        }

        @Override
        public Flux<String> history(String symbol) {
            return Flux.defer(() -> histories.apply(subscribed()));
        }

        private int subscribed() {
            threads.add(Thread.currentThread().getName());
            millis.add(Schedulers.parallel().now(TimeUnit.MILLISECONDS));
            return subscriptions.incrementAndGet();
        }

        /** A quote that comes when the test answers it. */
        Mono<String> held() {
            Sinks.One<String> answer = Sinks.one();
            pending.add(answer);
            return answer.asMono();
        }

        /** Answers the {@code n}-th held quote (from 1) with {@code "ACME 42.00"}. */
        void answer(int n) {
            assertThat(pending.get(n - 1).tryEmitValue("ACME 42.00").isSuccess()).as("quote %d answered once", n).isTrue();
        }

        /** Holds the first {@code n} quotes; answers every later one at once. */
        FakeClient holdingFirst(int n) {
            quotes = i -> i <= n ? held() : Mono.just("ACME 42.00");
            return this;
        }
    }

    final FakeClient client = new FakeClient();
    final Bulkhead bulkhead = BulkheadSnippets.quotesBulkhead(NineLives.schedulerTicker());
    final CircuitBreaker breaker = GettingStartedSnippets.quotesBreaker();
    final BulkheadSnippets quotes = new BulkheadSnippets(client, bulkhead, breaker, RetrySnippets.quotesRetry());
    final List<String> answers = Collections.synchronizedList(new ArrayList<>());
    final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    /** Starts {@code n} quotes through the snippets' bulkhead, each held by the client. */
    void occupy(BulkheadSnippets service, int n) {
        for (int i = 0; i < n; i++) {
            service.quote("ACME").subscribe(answers::add, errors::add);
        }
    }

    static Reason reasonOf(Throwable e) {
        assertThat(NineLives.isBulkheadFull(e)).as("%s is a bulkhead's refusal", e).isTrue();
        return ((BulkheadFullException) e).reason();
    }

    void assertNoPermitLeaked(Bulkhead b) {
        assertThat(b.metrics().inFlight()).as("calls in flight").isZero();
        assertThat(b.metrics().queued()).as("callers waiting").isZero();
        assertThat(b.metrics().availablePermits()).isEqualTo(b.metrics().maxConcurrent());
    }

    // ---------------------------------------------------------------- build

    @Test
    void buildSetsEveryOptionAsThePageSays() {
        Ticker ticker = () -> 42L;
        Bulkhead b = BulkheadSnippets.quotesBulkhead(ticker);
        BulkheadConfig c = b.config();
        assertThat(b.name()).isEqualTo("quotes");
        assertThat(c.maxConcurrent()).isEqualTo(10);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(200));
        assertThat(c.maxQueued()).isEqualTo(20);
        assertThat(c.queueOrder()).isEqualTo(Bulkhead.QueueOrder.FIFO);
        assertThat(c.ticker()).isSameAs(ticker);
        assertThat(c.rejectionStackTraces()).isFalse();
        assertNoPermitLeaked(b);
    }

    @Test
    void tenCallsRunTwentyWaitAndTheThirtyFirstIsRefusedAtOnce() {
        occupy(quotes, 30);
        assertThat(client.subscriptions).as("10 in flight").hasValue(10);
        assertThat(bulkhead.metrics().inFlight()).isEqualTo(10);
        assertThat(bulkhead.metrics().queued()).as("20 waiting").isEqualTo(20);

        occupy(quotes, 2);
        assertThat(errors).hasSize(2).allSatisfy(e -> assertThat(reasonOf(e)).isEqualTo(Reason.QUEUE_FULL));
        assertThat(errors.get(0)).as("one shared exception per reason").isSameAs(errors.get(1));
        assertThat(errors.get(0).getStackTrace()).as("no stack trace").isEmpty();
        assertThat(client.subscriptions).as("a refused call never reaches the client").hasValue(10);

        client.answer(1);                                    // a permit comes back: the oldest waiter starts
        assertThat(client.subscriptions).hasValue(11);
        assertThat(bulkhead.metrics().queued()).isEqualTo(19);

        clock.advanceTimeBy(Duration.ofMillis(200));         // the 19 others wait in vain
        assertThat(errors).hasSize(21);
        assertThat(errors.subList(2, 21)).allSatisfy(e -> assertThat(reasonOf(e)).isEqualTo(Reason.WAIT_TIMED_OUT));
        assertThat(errors.get(2)).hasMessage(TIMED_OUT_MESSAGE);
        for (int n = 2; n <= 11; n++) {
            client.answer(n);
        }
        assertThat(answers).hasSize(11);
        assertNoPermitLeaked(bulkhead);
        assertThat(bulkhead.metrics().rejectedCalls()).isEqualTo(21);
    }

    // ---------------------------------------------------------------- fail fast or wait

    @Test
    void failFastRefusesTheEleventhCallerAtOnceAndWaitingLetsItWait() {
        BulkheadSnippets.Modes modes = BulkheadSnippets.modes();
        assertThat(modes.failFast().config().maxWait()).isZero();
        BulkheadSnippets failFast = new BulkheadSnippets(client, modes.failFast(), breaker, Retry.ofDefaults("retry"));
        occupy(failFast, 10);
        StepVerifier.create(failFast.quote("ACME"))
                .expectSubscription()                         // onSubscribe, then at once:
                .expectErrorSatisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.FULL))
                .verify();
        assertThat(client.subscriptions).hasValue(10);

        BulkheadSnippets waiting = new BulkheadSnippets(client, modes.waiting(), breaker, Retry.ofDefaults("retry"));
        occupy(waiting, 10);
        StepVerifier.create(waiting.quote("ACME"))
                .expectSubscription()
                .then(() -> assertThat(modes.waiting().metrics().queued()).isEqualTo(1))
                .then(() -> assertThat(client.subscriptions).hasValue(20))
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(199)))
                .then(() -> client.answer(11))               // 199 ms: a permit comes back in time
                .then(() -> assertThat(client.subscriptions).hasValue(21))
                .then(() -> client.answer(21))
                .expectNext("ACME 42.00")
                .verifyComplete();
    }

    // ---------------------------------------------------------------- transform

    @Test
    void aMonoReturnsItsPermitAtItsValueBeforePassingItOn() {
        AtomicInteger inFlightAtValue = new AtomicInteger(-1);
        quotes.quote("ACME").subscribe(v -> inFlightAtValue.set(bulkhead.metrics().inFlight()));
        assertThat(bulkhead.metrics().inFlight()).isEqualTo(1);
        client.answer(1);
        assertThat(inFlightAtValue).as("downstream work does not hold the permit").hasValue(0);
        assertThat(Mono.just(1).transform(NineLives.bulkhead(bulkhead))).isInstanceOf(Mono.class);
    }

    @Test
    void aFluxHoldsItsPermitUntilItEnds() {
        Sinks.Many<String> feed = Sinks.many().unicast().onBackpressureBuffer();
        client.histories = n -> feed.asFlux();
        StepVerifier.create(quotes.history("ACME"))
                .then(() -> feed.tryEmitNext("ACME 41.00"))
                .expectNext("ACME 41.00")
                .then(() -> assertThat(bulkhead.metrics().inFlight()).as("after an element").isEqualTo(1))
                .then(feed::tryEmitComplete)
                .verifyComplete();
        assertNoPermitLeaked(bulkhead);
        assertThat(Flux.just(1).transform(NineLives.bulkhead(bulkhead))).isInstanceOf(Flux.class);
    }

    @Test
    void aFluxReturnsItsPermitWhenCancelled() {
        client.histories = n -> Flux.never();
        StepVerifier.create(quotes.history("ACME"))
                .expectSubscription()
                .then(() -> assertThat(bulkhead.metrics().inFlight()).isEqualTo(1))
                .thenCancel()
                .verify();
        assertNoPermitLeaked(bulkhead);
    }

    // ---------------------------------------------------------------- a waiting caller

    @Test
    void aWaitingCallerIsSubscribedAtOnceAndCanCancelWithoutTakingAPermit() {
        occupy(quotes, 10);
        StepVerifier.create(quotes.quote("ACME"), 0)
                .expectSubscription()                        // at once, though no permit is free
                .then(() -> assertThat(bulkhead.metrics().queued()).isEqualTo(1))
                .thenRequest(1)                              // demand is kept for the source
                .then(() -> assertThat(client.subscriptions).hasValue(10))
                .thenCancel()
                .verify();
        assertThat(bulkhead.metrics().queued()).as("cancelled: out of the queue").isZero();
        assertThat(bulkhead.metrics().rejectedCalls()).as("a cancel is not a refusal").isZero();

        client.answer(1);
        assertThat(client.subscriptions).as("the cancelled caller never reaches the client").hasValue(10);
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(1);
        for (int n = 2; n <= 10; n++) {
            client.answer(n);
        }
        assertNoPermitLeaked(bulkhead);
    }

    @Test
    void aCallerWithItsOwnLimitGetsTheStaleQuoteWhenTheWaitOutlastsIt() {
        occupy(quotes, 10);
        StepVerifier.create(quotes.quoteWithin("ACME", Duration.ofMillis(150), "ACME 41.00 (stale)"))
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(150)))
                .expectNext("ACME 41.00 (stale)")
                .verifyComplete();
        assertThat(bulkhead.metrics().queued()).isZero();
        assertThat(bulkhead.metrics().rejectedCalls()).as("the caller left; the bulkhead refused nothing").isZero();
        assertThat(client.subscriptions).hasValue(10);
    }

    @Test
    void aCallerWithItsOwnLimitGetsTheQuoteWhenAPermitComesInTime() {
        client.holdingFirst(10);
        occupy(quotes, 10);
        StepVerifier.create(quotes.quoteWithin("ACME", Duration.ofMillis(150), "ACME 41.00 (stale)"))
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(100)))
                .then(() -> client.answer(1))                // at 100 ms a permit comes back
                .expectNext("ACME 42.00")
                .verifyComplete();
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void quoteOrBusyTellsTheThreeRefusalsApart() {
        occupy(quotes, 30);                                  // 10 in flight, 20 waiting
        StepVerifier.create(quotes.quoteOrBusy("ACME"))
                .expectNext("busy: too many callers already waiting")
                .verifyComplete();
        clock.advanceTimeBy(Duration.ofMillis(100));
        client.answer(1);                                    // the first waiter starts: a place frees up
        Mono<String> waiter = quotes.quoteOrBusy("ACME");
        StepVerifier.create(waiter)
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(200)))
                .expectNext("busy: no permit came within 200 ms")
                .verifyComplete();

        BulkheadSnippets.Modes modes = BulkheadSnippets.modes();
        BulkheadSnippets failFast = new BulkheadSnippets(client, modes.failFast(), breaker, Retry.ofDefaults("retry"));
        occupy(failFast, 10);
        StepVerifier.create(failFast.quoteOrBusy("ACME"))
                .expectNext("busy: every permit taken, no waiting")
                .verifyComplete();

        FakeClient failing = new FakeClient();
        failing.quotes = n -> Mono.error(new IOException(DOWN));
        BulkheadSnippets down = new BulkheadSnippets(failing, BulkheadSnippets.quotesBulkhead(Ticker.system()),
                breaker, Retry.ofDefaults("retry"));
        StepVerifier.create(down.quoteOrBusy("ACME")).as("the client's own error is not a refusal")
                .verifyErrorMessage(DOWN);
    }

    @Test
    void isBulkheadFullAnswersOnlyForTheBulkheadsRefusals() {
        assertThat(NineLives.isBulkheadFull(bulkhead.rejection())).isTrue();
        assertThat(NineLives.isBulkheadFull(new IOException(DOWN))).isFalse();
        CircuitBreaker forcedOpen = CircuitBreaker.ofDefaults("forced");
        forcedOpen.transitionTo(CircuitBreaker.State.FORCED_OPEN);
        assertThat(NineLives.isBulkheadFull(forcedOpen.rejection(forcedOpen.tryAcquire()))).isFalse();
        assertThat(NineLives.isBulkheadFull(null)).isFalse();
        assertThat(bulkhead.rejection().bulkheadName()).isEqualTo("quotes");
        assertThat(bulkhead.rejection().getMessage()).contains("quotes");
    }

    // ---------------------------------------------------------------- threads

    /** Runs {@code action} on a new thread named {@code name} and waits for it to end. */
    static void onThread(String name, Runnable action) throws InterruptedException {
        Thread t = new Thread(action, name);
        t.start();
        t.join();
    }

    @Test
    void afterAWaitTheClientIsCalledOnTheThreadThatReturnedThePermit() throws InterruptedException {
        client.holdingFirst(10);
        occupy(quotes, 10);
        quotes.quote("ACME").subscribe(answers::add);       // waits, subscribed from this thread
        String me = Thread.currentThread().getName();
        assertThat(client.threads).hasSize(10).allMatch(me::equals);

        onThread("releaser", () -> client.answer(1));       // the permit comes back on "releaser"

        assertThat(client.threads).hasSize(11).last().isEqualTo("releaser");
        assertThat(answers).containsExactly("ACME 42.00", "ACME 42.00");
    }

    @Test
    void subscribeOnAfterTheBulkheadDoesNotMoveTheClientOfAWaitingCall() throws Exception {
        ExecutorService io = Executors.newSingleThreadExecutor(r -> new Thread(r, "quotes-io"));
        Scheduler ioScheduler = Schedulers.fromExecutorService(io, "quotes-io");
        try {
            client.holdingFirst(10);
            occupy(quotes, 10);
            client.quote("ACME")
                    .transform(NineLives.bulkhead(bulkhead))
                    .subscribeOn(ioScheduler)               // after the bulkhead: moves only the subscription
                    .subscribe(answers::add);
            io.submit(() -> { }).get();                      // the admission ran on quotes-io: the caller waits
            assertThat(bulkhead.metrics().queued()).isEqualTo(1);

            onThread("releaser", () -> client.answer(1));

            assertThat(client.threads).last().isEqualTo("releaser");
        } finally {
            ioScheduler.dispose();
        }
    }

    @Test
    void subscribeOnBeforeTheBulkheadCallsTheClientOnThatSchedulerWaitedOrNot() throws Exception {
        ExecutorService io = Executors.newSingleThreadExecutor(r -> new Thread(r, "quotes-io"));
        Scheduler ioScheduler = Schedulers.fromExecutorService(io, "quotes-io");
        try {
            client.holdingFirst(10);
            quotes.quoteOn("ACME", ioScheduler).subscribe(answers::add);     // a permit is free
            io.submit(() -> { }).get();
            assertThat(client.threads).containsExactly("quotes-io");
            occupy(quotes, 9);
            quotes.quoteOn("ACME", ioScheduler).subscribe(answers::add);     // waits
            assertThat(bulkhead.metrics().queued()).isEqualTo(1);

            onThread("releaser", () -> client.answer(1));
            io.submit(() -> { }).get();

            assertThat(client.threads).hasSize(11).last().isEqualTo("quotes-io");
            assertThat(answers).containsExactly("ACME 42.00", "ACME 42.00");
        } finally {
            ioScheduler.dispose();
        }
    }

    @Test
    void quoteTimedOnRunsTheWaitTimeoutsOnTheGivenScheduler() {
        VirtualTimeScheduler timeouts = VirtualTimeScheduler.create();      // not installed: a scheduler of its own
        try {
            occupy(quotes, 10);
            quotes.quoteTimedOn("ACME", timeouts).subscribe(answers::add, errors::add);
            clock.advanceTimeBy(Duration.ofSeconds(1));                      // Schedulers.parallel() moves: nothing
            assertThat(errors).isEmpty();
            timeouts.advanceTimeBy(Duration.ofMillis(199));
            assertThat(errors).isEmpty();
            timeouts.advanceTimeBy(Duration.ofMillis(1));
            assertThat(errors).singleElement().satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.WAIT_TIMED_OUT));
        } finally {
            timeouts.dispose();
        }
    }

    // ---------------------------------------------------------------- FIFO and LIFO

    @Test
    void lifoGivesAReleasedPermitToTheNewestCaller() {
        Bulkhead lifo = BulkheadSnippets.newestFirst();
        assertThat(lifo.config().queueOrder()).isEqualTo(Bulkhead.QueueOrder.LIFO);
        assertThat(lifo.config().maxWait()).isEqualTo(Duration.ofMillis(200));
        BulkheadSnippets service = new BulkheadSnippets(client, lifo, breaker, Retry.ofDefaults("retry"));
        occupy(service, 10);
        List<String> order = new ArrayList<>();
        for (String caller : List.of("A", "B", "C")) {
            service.quote("ACME").subscribe(v -> order.add(caller));
        }
        client.answer(1);                                    // the permit goes to C, the newest
        client.answer(11);
        client.answer(2);                                    // then to B
        client.answer(12);
        client.answer(3);
        client.answer(13);
        assertThat(order).containsExactly("C", "B", "A");

        Bulkhead fifo = BulkheadSnippets.modes().waiting();
        FakeClient other = new FakeClient();
        BulkheadSnippets inOrder = new BulkheadSnippets(other, fifo, breaker, Retry.ofDefaults("retry"));
        for (int i = 0; i < 10; i++) {
            inOrder.quote("ACME").subscribe();
        }
        List<String> fifoOrder = new ArrayList<>();
        for (String caller : List.of("A", "B", "C")) {
            inOrder.quote("ACME").subscribe(v -> fifoOrder.add(caller));
        }
        for (int n : new int[] {1, 11, 2, 12, 3, 13}) {
            other.answer(n);
        }
        assertThat(fifoOrder).containsExactly("A", "B", "C");
    }

    /** What became of 400 callers, one every 5 ms, each call 100 ms long, against 10 permits. */
    record Overload(int served, int timedOut, long medianMillis, long answeredWithin150Millis) {
    }

    static Overload overload(Bulkhead bulkhead) {
        List<Long> answeredAfter = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger timedOut = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Flux.interval(Duration.ofMillis(5)).take(400)
                        .flatMap(i -> {
                            long askedAt = Schedulers.parallel().now(TimeUnit.MILLISECONDS);
                            return Mono.delay(Duration.ofMillis(100)).thenReturn("ACME 42.00")
                                    .transform(NineLives.bulkhead(bulkhead))
                                    .doOnNext(quote -> answeredAfter.add(
                                            Schedulers.parallel().now(TimeUnit.MILLISECONDS) - askedAt))
                                    .onErrorResume(NineLives::isBulkheadFull, e -> {
                                        assertThat(reasonOf(e)).isEqualTo(Reason.WAIT_TIMED_OUT);
                                        timedOut.incrementAndGet();
                                        return Mono.empty();
                                    });
                        }, Integer.MAX_VALUE))
                .thenAwait(Duration.ofSeconds(5))
                .thenConsumeWhile(quote -> true)
                .verifyComplete();
        List<Long> sorted = answeredAfter.stream().sorted().toList();
        return new Overload(sorted.size(), timedOut.get(), sorted.get(sorted.size() / 2),
                sorted.stream().filter(ms -> ms <= 150).count());
    }

    @Test
    void underOverloadFifoAnswersLateAndLifoAnswersMostCallersFast() {
        Bulkhead fifo = BulkheadSnippets.modes().waiting();
        Bulkhead lifo = BulkheadSnippets.newestFirst();

        Overload f = overload(fifo);
        Overload l = overload(lifo);
        assertThat(f).isEqualTo(new Overload(220, 180, 300, 20));
        assertThat(l).isEqualTo(new Overload(211, 189, 105, 205));
        assertThat(f.served() + f.timedOut()).isEqualTo(400);
        assertThat(l.served() + l.timedOut()).isEqualTo(400);
        assertNoPermitLeaked(fifo);
        assertNoPermitLeaked(lifo);
    }

    @Test
    void pageQuotesTheOverloadFigures() throws IOException {
        Overload f = overload(BulkheadSnippets.modes().waiting());
        Overload l = overload(BulkheadSnippets.newestFirst());
        String html = SitePagesTest.visibleText(Path.of(System.getProperty("basedir", ""))
                .resolve("target/site-html/bulkhead.html"));
        assertThat(html)
                .contains("callers served " + f.served() + " " + l.served())
                .contains("callers whose wait timed out " + f.timedOut() + " " + l.timedOut())
                .contains("median time from subscription to quote " + f.medianMillis() + " ms " + l.medianMillis() + " ms")
                .contains("callers answered within 150 ms " + f.answeredWithin150Millis() + " " + l.answeredWithin150Millis());
    }

    // ---------------------------------------------------------------- resize

    @Test
    void growingStartsWaitingCallersAndShrinkingWaitsForCallsInFlight() {
        occupy(quotes, 15);                                  // 10 in flight, 5 waiting
        quotes.replicasChanged(2);                           // 20 permits: the 5 start at once
        assertThat(client.subscriptions).hasValue(15);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(20);
        assertThat(bulkhead.metrics().queued()).isZero();
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(5);

        quotes.replicasChanged(1);                           // 10 permits, 15 calls still in flight
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(10);
        assertThat(bulkhead.metrics().inFlight()).isEqualTo(15);
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(-5);
        assertThat(answers).as("no call is interrupted").isEmpty();
        assertThat(errors).isEmpty();

        for (int n = 1; n <= 5; n++) {
            client.answer(n);
        }
        quotes.quote("ACME").subscribe(answers::add);        // 10 in flight again: a newcomer waits
        assertThat(bulkhead.metrics().queued()).isEqualTo(1);
        client.answer(6);
        assertThat(client.subscriptions).hasValue(16);

        assertThatThrownBy(() -> quotes.replicasChanged(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConcurrent");
        for (int n = 7; n <= 16; n++) {
            client.answer(n);
        }
        assertNoPermitLeaked(bulkhead);
    }

    // ---------------------------------------------------------------- metrics and listeners

    @Test
    void healthDescribesPermitsQueueAndRefusals() {
        assertThat(quotes.health()).isEqualTo("quotes: 0 of 10 permits in use, 0 waiting, 0 refused");
        occupy(quotes, 33);
        assertThat(quotes.health()).isEqualTo("quotes: 10 of 10 permits in use, 20 waiting, 3 refused");
    }

    List<String> watchedLines(LongAdder finished) {
        List<String> log = new ArrayList<>();
        BulkheadSnippets.watch(bulkhead, log::add, finished);
        occupy(quotes, 12);                                  // 10 in flight, 2 waiting from 0 ms
        clock.advanceTimeBy(Duration.ofMillis(50));
        client.answer(1);                                    // the first waiter gets its permit at 50 ms
        clock.advanceTimeBy(Duration.ofMillis(150));         // the second waits in vain until 200 ms
        return log;
    }

    @Test
    void listenersHearAWaitARefusalAndEachReturnedPermit() {
        LongAdder finished = new LongAdder();
        List<String> log = watchedLines(finished);
        assertThat(log).containsExactly("quotes: permit after a wait of 50 ms", "quotes: refused, WAIT_TIMED_OUT");
        assertThat(finished.sum()).as("quote 1 only").isEqualTo(1);
        client.answer(2);
        assertThat(finished.sum()).isEqualTo(2);
    }

    @Test
    void pageQuotesTheLinesTheListenersSend() throws IOException {
        List<String> log = watchedLines(new LongAdder());
        Path base = Path.of(System.getProperty("basedir", ""));
        String page = Files.readString(base.resolve("src/docs/asciidoc/bulkhead.adoc"));
        String html = SitePagesTest.visibleText(base.resolve("target/site-html/bulkhead.html"));
        for (String line : log) {
            assertThat(page).contains("`+" + line + "+`");
            assertThat(html).contains(line);
        }
        assertThat(page).contains("`" + TIMED_OUT_MESSAGE + "`");
    }

    // ---------------------------------------------------------------- with a retry and a breaker

    @Test
    void aRetryingCallKeepsItsOnePermitAcrossItsAttemptsAndDelays() {
        Bulkhead one = Bulkhead.builder("quotes").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).build();
        BulkheadSnippets service = new BulkheadSnippets(client, one, breaker, RetrySnippets.quotesRetry());
        client.quotes = n -> n <= 2 ? Mono.error(new IOException(DOWN)) : Mono.just("ACME 42.00 (" + n + ")");

        service.protectedQuote("ACME").subscribe(answers::add);      // attempts at 0, 100 and 300 ms
        service.protectedQuote("ACME").subscribe(answers::add);      // waits for the whole first call
        for (int ms = 0; ms < 300; ms += 50) {
            assertThat(one.metrics().inFlight()).as("at %d ms", ms).isEqualTo(1);
            assertThat(one.metrics().queued()).as("at %d ms", ms).isEqualTo(1);
            clock.advanceTimeBy(Duration.ofMillis(50));
        }
        // The first call returns its permit before it passes its quote on, so the second call,
        // answered at once on the same thread, delivers first.
        assertThat(answers).containsExactly("ACME 42.00 (4)", "ACME 42.00 (3)");
        assertThat(client.millis).containsExactly(0L, 100L, 300L, 300L);
        assertThat(breaker.metrics().calls()).as("every attempt went through the breaker").isEqualTo(4);
        assertNoPermitLeaked(one);
    }

    @Test
    void aBulkheadRefusalReachesNeitherTheRetryNorTheBreaker() {
        Bulkhead one = Bulkhead.builder("quotes").maxConcurrent(1).build();
        Retry everyError = Retry.builder("retry").maxAttempts(4).constantBackoff(Duration.ofMillis(100)).build();
        AtomicInteger retries = new AtomicInteger();
        everyError.onRetry(event -> retries.incrementAndGet());
        BulkheadSnippets service = new BulkheadSnippets(client, one, breaker, everyError);
        service.protectedQuote("ACME").subscribe();                  // holds the permit

        StepVerifier.create(service.protectedQuote("ACME"))
                .expectErrorSatisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.FULL))
                .verify();
        assertThat(retries).as("not retried").hasValue(0);
        assertThat(breaker.metrics().calls() + breaker.metrics().failures()).as("nothing recorded").isZero();
        assertThat(client.subscriptions).hasValue(1);
    }

    @Test
    void inTheOtherOrderARefusalIsRetriedAndCountedAsAFailureOfTheDependency() {
        Bulkhead one = Bulkhead.builder("quotes").maxConcurrent(1).build();
        Retry everyError = Retry.builder("retry").maxAttempts(4).constantBackoff(Duration.ofMillis(100)).build();
        client.quote("ACME").transform(NineLives.bulkhead(one)).subscribe();     // holds the permit

        AtomicReference<Throwable> error = new AtomicReference<>();
        client.quote("ACME")
                .transform(NineLives.bulkhead(one))                  // the wrong order: innermost
                .transform(NineLives.breaker(breaker))
                .transform(NineLives.retry(everyError))
                .subscribe(v -> { }, error::set);
        clock.advanceTimeBy(Duration.ofSeconds(1));

        assertThat(reasonOf(error.get())).isEqualTo(Reason.FULL);
        assertThat(one.metrics().rejectedCalls()).as("refused four times, retried three").isEqualTo(4);
        assertThat(breaker.metrics().failures()).as("four failures the dependency never saw").isEqualTo(4);
        assertThat(client.subscriptions).hasValue(1);
    }

    // ---------------------------------------------------------------- without Reactor

    @Test
    void quoteNowHoldsAPermitOnlyWhileTheBlockingCallRuns() {
        assertThat(quotes.quoteNow("ACME", symbol -> {
            assertThat(bulkhead.metrics().inFlight()).isEqualTo(1);
            return symbol + " 42.00";
        })).isEqualTo("ACME 42.00");
        assertNoPermitLeaked(bulkhead);

        assertThatThrownBy(() -> quotes.quoteNow("ACME", symbol -> {
            throw new IllegalStateException(DOWN);
        })).hasMessage(DOWN);
        assertNoPermitLeaked(bulkhead);
    }

    @Test
    void quoteNowIsRefusedWhenEveryPermitIsTakenOrSomeoneWaits() {
        Function<String, String> blocking = symbol -> {
            throw new AssertionError("must not be called");
        };
        occupy(quotes, 10);
        assertThatThrownBy(() -> quotes.quoteNow("ACME", blocking))
                .isInstanceOf(BulkheadFullException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.FULL));

        occupy(quotes, 1);                                   // one caller waits
        client.answer(1);                                    // and takes the permit that comes back
        occupy(quotes, 1);                                   // another waits
        assertThat(bulkhead.metrics().queued()).isEqualTo(1);
        assertThatThrownBy(() -> quotes.quoteNow("ACME", blocking)).as("a newcomer never jumps the queue")
                .isInstanceOf(BulkheadFullException.class);
        assertThat(bulkhead.metrics().rejectedCalls()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- testing

    // tag::virtual-time[]
    @Test
    void theSecondCallerGetsThePermitOfTheFirstAndTheThirdTimesOut() {
        Bulkhead bulkhead = Bulkhead.builder("quotes")
                .maxConcurrent(1)
                .maxWait(Duration.ofMillis(200))
                .build();
        Function<String, Mono<String>> call = caller -> Mono.delay(Duration.ofMillis(150))   // 150 ms a call
                .thenReturn(caller + " answered")
                .transform(NineLives.bulkhead(bulkhead))
                .onErrorResume(NineLives::isBulkheadFull,
                        e -> Mono.just(caller + " " + ((BulkheadFullException) e).reason()));

        StepVerifier.withVirtualTime(() -> Flux.merge(call.apply("A"), call.apply("B"), call.apply("C")))
                .expectSubscription()                           // A runs, B and C wait
                .expectNoEvent(Duration.ofMillis(149))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("A answered")                       // 150 ms: B gets A's permit
                .expectNoEvent(Duration.ofMillis(49))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("C WAIT_TIMED_OUT")                 // 200 ms: C waited in vain
                .thenAwait(Duration.ofMillis(100))
                .expectNext("B answered")                       // 300 ms
                .verifyComplete();

        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(1);
    }
    // end::virtual-time[]
}
