package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadEvent;
import dev.ninelives.bulkhead.BulkheadFullException.Reason;
import dev.ninelives.reactor.BulkheadTestSupport.Capturing;
import dev.ninelives.reactor.BulkheadTestSupport.ManualSource;
import dev.ninelives.reactor.BulkheadTestSupport.ReportingScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static dev.ninelives.reactor.BulkheadTestSupport.reason;
import static dev.ninelives.reactor.BulkheadTestSupport.thrownBy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bulkhead listener that throws, at every place the bulkhead operators call one: the permitted
 * listener of a call that gets its permit at once and of a waiter handed one (by a value, an
 * error, a cancel, a resize, or a release inside the waiter's own onSubscribe), the rejected
 * listener of a refusal (waiting off, queue full) and of a wait that times out, and the finished
 * listener of every way a call ends. Each case runs with a {@link RuntimeException}, an
 * {@link AssertionError} (an Error that is not JVM-fatal) and a {@link StackOverflowError}, on
 * a synchronous source (it answers inside subscribe) and an asynchronous one (the test answers
 * later).
 *
 * <p>The rule under test: a non-fatal throwable is logged and the call carries on as if the
 * listener had not thrown; a JVM-fatal error leaves the bulkhead whole, signals the subscriber
 * (so that operators around this one end their call and return their own permits), and only
 * then propagates, to the thread that caused the event. Every case ends with every permit back,
 * nobody queued, and a later wait that still times out at its deadline.
 *
 * <p>Guards against a fatal error that escapes halfway through an update: a permit never
 * returned, a place in the queue counted forever, a subscriber that never gets a terminal
 * signal, an upstream never cancelled, and the bug that started this class: a rejected listener
 * that throws while a wait times out used to leave that waiter without a signal and the shared
 * wait timer armed with nothing scheduled, after which no wait on the bulkhead ever timed out.
 *
 * <p>Timeouts run on a {@link ReportingScheduler} over a virtual clock: like Reactor's own
 * Schedulers it keeps what a timer task throws, where a bare {@link VirtualTimeScheduler} would
 * let it out of {@code advanceTimeBy} and stop running tasks.
 */
class BulkheadListenerErrorsTest {

    private static final Duration MAX_WAIT = Duration.ofSeconds(1);

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final ReportingScheduler timers = new ReportingScheduler(clock);
    @AfterEach
    void tearDown() {
        clock.dispose();
    }

    /** Where the call's answer comes from. */
    enum Source { SYNC, ASYNC }

    /** A listener that throws once, when armed, and keeps what it threw. */
    static final class Bomb implements Consumer<BulkheadEvent> {
        final Thrown kind;
        final List<Throwable> thrown = new CopyOnWriteArrayList<>();
        final List<BulkheadEvent> heard = new CopyOnWriteArrayList<>();
        volatile boolean armed;

        Bomb(Thrown kind) {
            this.kind = kind;
        }

        Bomb arm() {
            armed = true;
            return this;
        }

        @Override
        public void accept(BulkheadEvent event) {
            heard.add(event);
            if (!armed) {
                return;
            }
            armed = false;
            Throwable t = kind.create();
            thrown.add(t);
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) t;
        }

        /** What should have come out of the action that caused the event: the error if fatal, else nothing. */
        Throwable expectedEscape() {
            assertThat(thrown).as("the listener threw once").hasSize(1);
            return kind.fatal() ? thrown.get(0) : null;
        }
    }

    /** One call under test: its source, how often that source was subscribed, its subscriber. */
    static final class Call {
        final ManualSource<String> async = new ManualSource<>();
        final AtomicInteger syncSubscriptions = new AtomicInteger();
        final Capturing<String> down = new Capturing<>(Long.MAX_VALUE);
        final Source source;

        Call(Source source) {
            this.source = source;
        }

        Mono<String> mono(Function<Mono<String>, Mono<String>> sync) {
            return source == Source.ASYNC ? async.mono()
                    : Mono.defer(() -> {
                        syncSubscriptions.incrementAndGet();
                        return sync.apply(Mono.just("v"));
                    });
        }

        Mono<String> mono() {
            return mono(m -> m);
        }

        int subscriptions() {
            return source == Source.ASYNC ? async.subscriptions.get() : syncSubscriptions.get();
        }
    }

    private Bulkhead waiting(String name) {
        return Bulkhead.builder(name).maxConcurrent(1).maxWait(MAX_WAIT).build();
    }

    private <T> Function<Publisher<T>, Publisher<T>> on(Bulkhead b) {
        return NineLives.bulkhead(b, timers);
    }

    /**
     * The bulkhead is whole: every permit back, nobody queued, the timer tasks threw nothing but
     * what {@code expectedTaskErrors} lists, and a wait started now still times out at its
     * deadline (the shared timer was re-armed, not left armed with nothing scheduled).
     */
    private void assertWholeAndWaitsStillTimeOut(Bulkhead b, Throwable... expectedTaskErrors) {
        assertAllPermitsBack(b);
        assertThat(timers.taskErrors).containsExactly(expectedTaskErrors);
        Sinks.Empty<Void> hold = Sinks.empty();
        hold.asMono().transform(on(b)).subscribe();
        Capturing<String> late = new Capturing<>(1);
        Mono.just("late").transform(on(b)).subscribe(late);
        assertThat(b.metrics().queued()).isEqualTo(1);
        clock.advanceTimeBy(MAX_WAIT.minusNanos(1));
        assertThat(late.error.get()).as("not before its deadline").isNull();
        clock.advanceTimeBy(Duration.ofNanos(1));
        assertThat(reason(late.error.get())).as("a later wait still times out").isEqualTo(Reason.WAIT_TIMED_OUT);
        hold.tryEmitEmpty();
        assertAllPermitsBack(b);
    }

    private static void assertAnswered(Call call) {
        if (call.source == Source.ASYNC) {
            call.async.next("v");
            call.async.complete();
        }
        assertThat(call.down.values).containsExactly("v");
        assertThat(call.down.completions).hasValue(1);
        assertThat(call.down.error.get()).isNull();
    }

    // ------------------------------------------------------------------ onPermitted

    static Stream<Arguments> thrownAndSource() {
        List<Arguments> args = new ArrayList<>();
        for (Thrown t : Thrown.values()) {
            for (Source s : Source.values()) {
                args.add(Arguments.of(t, s));
            }
        }
        return args.stream();
    }

    /**
     * A call that gets its permit at once: a non-fatal error leaves the call running; a fatal
     * one gives the permit back, never starts the call, ends it with onError(that error), and
     * then comes out of subscribe.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("thrownAndSource")
    void permittedListenerOfACallThatDidNotWait(Thrown thrown, Source source) {
        Bulkhead b = waiting("permittedAtOnce");
        Bomb bomb = new Bomb(thrown).arm();
        b.onPermitted(bomb);
        Call call = new Call(source);

        Throwable escaped = thrownBy(() -> call.mono().transform(on(b)).subscribe(call.down));

        assertThat(escaped).isSameAs(bomb.expectedEscape());
        if (thrown.fatal()) {
            assertThat(call.down.error.get()).as("ended with the listener's error").isSameAs(escaped);
            assertThat(call.subscriptions()).as("the call never started").isZero();
            assertThat(call.down.values).isEmpty();
        } else {
            assertAnswered(call);
        }
        assertWholeAndWaitsStillTimeOut(b);
    }

    /** How the permit a waiter gets is handed over. */
    enum Handoff {
        /** The call holding it returns a Mono value. */
        VALUE,
        /** The call holding it fails. */
        ERROR,
        /** The call holding it is cancelled. */
        CANCEL,
        /** The limit grows. */
        GROW,
        /** The call holding it ends inside the waiter's own onSubscribe, before the waiter is in the queue. */
        INSIDE_ON_SUBSCRIBE
    }

    static Stream<Arguments> thrownSourceAndHandoff() {
        List<Arguments> args = new ArrayList<>();
        for (Thrown t : Thrown.values()) {
            for (Source s : Source.values()) {
                for (Handoff h : Handoff.values()) {
                    args.add(Arguments.of(t, s, h));
                }
            }
        }
        return args.stream();
    }

    /**
     * A waiter handed a permit: a non-fatal error leaves its call running; a fatal one withdraws
     * the permit (the waiter's call never starts and ends with onError(that error)), and comes
     * out on the thread that handed the permit over, once the call that returned the permit got
     * its own signal and its upstream its cancel.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("thrownSourceAndHandoff")
    void permittedListenerOfAWaiter(Thrown thrown, Source source, Handoff handoff) {
        Bulkhead b = waiting("permittedWaiter");
        Bomb bomb = new Bomb(thrown);
        b.onPermitted(bomb);
        ManualSource<String> holder = new ManualSource<>();
        Capturing<String> holderDown = new Capturing<>(Long.MAX_VALUE);
        holder.mono().transform(on(b)).subscribe(holderDown);
        Call call = new Call(source);
        Capturing<String> down = handoff != Handoff.INSIDE_ON_SUBSCRIBE ? call.down : new Capturing<>(Long.MAX_VALUE) {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                super.hookOnSubscribe(s);
                holder.next("h");                      // the permit comes back before the waiter is queued
            }
        };
        bomb.arm();

        Throwable escaped = thrownBy(() -> call.mono().transform(on(b)).subscribe(down));
        if (handoff != Handoff.INSIDE_ON_SUBSCRIBE) {
            assertThat(escaped).as("waiting: nothing announced yet").isNull();
            assertThat(bomb.thrown).isEmpty();
            assertThat(b.metrics().queued()).isEqualTo(1);
            escaped = thrownBy(() -> {
                switch (handoff) {
                    case VALUE -> holder.next("h");
                    case ERROR -> holder.error(new IOException("holder failed"));
                    case CANCEL -> holderDown.cancel();
                    case GROW -> b.changeMaxConcurrent(2);
                    default -> throw new IllegalStateException("invalid handoff: " + handoff);
                }
            });
        }

        assertThat(escaped).isSameAs(bomb.expectedEscape());
        switch (handoff) {                             // the call that returned the permit got its signal all the same
            case VALUE, INSIDE_ON_SUBSCRIBE -> assertThat(holderDown.values).containsExactly("h");
            case ERROR -> assertThat(holderDown.error.get()).hasMessage("holder failed");
            case CANCEL -> assertThat(holder.cancelled).as("the holder's upstream was cancelled").isTrue();
            case GROW -> assertThat(holderDown.values).isEmpty();
            default -> throw new IllegalStateException("invalid handoff: " + handoff);
        }
        if (thrown.fatal()) {
            assertThat(down.error.get()).as("ended with the listener's error").isSameAs(escaped);
            assertThat(call.subscriptions()).as("the call never started").isZero();
        } else {
            if (call.source == Source.ASYNC) {
                call.async.next("v");
                call.async.complete();
            }
            assertThat(down.values).containsExactly("v");
            assertThat(down.completions).hasValue(1);
        }
        if (handoff == Handoff.VALUE || handoff == Handoff.INSIDE_ON_SUBSCRIBE || handoff == Handoff.GROW) {
            holder.complete();
        }
        if (handoff == Handoff.GROW) {
            assertThat(holderDown.completions).hasValue(1);
            b.changeMaxConcurrent(1);
        }
        assertWholeAndWaitsStillTimeOut(b);
    }

    // ------------------------------------------------------------------ onRejected

    static Stream<Arguments> thrownSourceAndRefusal() {
        List<Arguments> args = new ArrayList<>();
        for (Thrown t : Thrown.values()) {
            for (Source s : Source.values()) {
                args.add(Arguments.of(t, s, Reason.FULL));
                args.add(Arguments.of(t, s, Reason.QUEUE_FULL));
            }
        }
        return args.stream();
    }

    /** A refusal at subscribe: the subscriber gets its BulkheadFullException whatever the listener throws. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("thrownSourceAndRefusal")
    void rejectedListenerOfARefusal(Thrown thrown, Source source, Reason refusal) {
        Bulkhead b = refusal == Reason.FULL
                ? Bulkhead.builder("refusedFull").maxConcurrent(1).build()
                : Bulkhead.builder("refusedQueueFull").maxConcurrent(1).maxWait(MAX_WAIT).maxQueued(1).build();
        Bomb bomb = new Bomb(thrown);
        b.onRejected(bomb);
        Sinks.Empty<Void> holder = Sinks.empty();
        holder.asMono().transform(on(b)).subscribe();
        Capturing<String> queued = new Capturing<>(1);
        if (refusal == Reason.QUEUE_FULL) {
            Mono.just("queued").transform(on(b)).subscribe(queued);
        }
        Call call = new Call(source);
        bomb.arm();

        Throwable escaped = thrownBy(() -> call.mono().transform(on(b)).subscribe(call.down));

        assertThat(escaped).isSameAs(bomb.expectedEscape());
        assertThat(reason(call.down.error.get())).as("refused all the same").isEqualTo(refusal);
        assertThat(call.subscriptions()).isZero();
        assertThat(b.metrics().rejectedCalls()).as("counted once").isEqualTo(1);
        assertThat(bomb.heard).extracting(BulkheadEvent::reason).containsExactly(refusal);
        holder.tryEmitEmpty();
        if (refusal == Reason.QUEUE_FULL) {
            assertThat(queued.values).containsExactly("queued");
            assertWholeAndWaitsStillTimeOut(b);
        } else {
            assertAllPermitsBack(b);                   // waiting is off: no wait to time out
        }
    }

    /**
     * A wait that times out while the rejected listener throws: the timed-out waiter still gets
     * onError(WAIT_TIMED_OUT), the timer still times the waiter behind it at its own deadline and
     * re-arms for later waits, and a fatal error reaches the Scheduler once all that is done.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("thrownAndSource")
    void rejectedListenerOfAWaitThatTimesOut(Thrown thrown, Source source) {
        Bulkhead b = waiting("timeout");
        Bomb bomb = new Bomb(thrown);
        b.onRejected(bomb);
        Sinks.Empty<Void> holder = Sinks.empty();
        holder.asMono().transform(on(b)).subscribe();
        Call first = new Call(source);
        first.mono().transform(on(b)).subscribe(first.down);           // waits from 0 ms
        clock.advanceTimeBy(Duration.ofMillis(100));
        Call second = new Call(source);
        second.mono().transform(on(b)).subscribe(second.down);         // waits from 100 ms
        bomb.arm();

        clock.advanceTimeBy(MAX_WAIT.minusMillis(100));                 // the first deadline

        assertThat(reason(first.down.error.get())).as("the timed-out waiter is signalled").isEqualTo(Reason.WAIT_TIMED_OUT);
        Throwable escaped = bomb.expectedEscape();
        if (escaped != null) {
            assertThat(timers.taskErrors).as("rethrown to the Scheduler, once").containsExactly(escaped);
        } else {
            assertThat(timers.taskErrors).isEmpty();
        }
        assertThat(second.down.error.get()).isNull();
        assertThat(b.metrics().queued()).isEqualTo(1);
        clock.advanceTimeBy(Duration.ofMillis(100).minusNanos(1));
        assertThat(second.down.error.get()).isNull();
        clock.advanceTimeBy(Duration.ofNanos(1));                       // the second deadline
        assertThat(reason(second.down.error.get())).as("the timer went on").isEqualTo(Reason.WAIT_TIMED_OUT);
        assertThat(first.subscriptions() + second.subscriptions()).isZero();
        assertThat(b.metrics().rejectedCalls()).isEqualTo(2);
        holder.tryEmitEmpty();
        timers.taskErrors.clear();
        assertWholeAndWaitsStillTimeOut(b);
    }

    // ------------------------------------------------------------------ the ticker

    /**
     * The bulkhead's ticker is user code too, read when a caller starts to wait (for the wait its
     * permitted event reports). One that throws ends that call, after onSubscribe, with the
     * error (Reactor's operator error, or a fatal one as it is, then rethrown), and gives its
     * place in the queue back. Guards against a place counted forever: the ticker was read
     * before anything could give it back.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Thrown.class)
    void aTickerThatThrowsWhenACallerStartsToWait(Thrown thrown) {
        Bomb bomb = new Bomb(thrown);
        Bulkhead b = Bulkhead.builder("ticker").maxConcurrent(1).maxWait(MAX_WAIT).ticker(() -> {
            bomb.accept(null);
            return 0L;
        }).build();
        Sinks.Empty<Void> holder = Sinks.empty();
        holder.asMono().transform(on(b)).subscribe();
        Call call = new Call(Source.SYNC);
        bomb.arm();

        Throwable escaped = thrownBy(() -> call.mono().transform(on(b)).subscribe(call.down));

        assertThat(escaped).isSameAs(bomb.expectedEscape());
        assertThat(call.down.subscription).as("onSubscribe first").isNotNull();
        assertThat(call.down.error.get()).as("then the ticker's error").isSameAs(bomb.thrown.get(0));
        assertThat(b.metrics().queued()).as("the place is given back").isZero();
        assertThat(b.metrics().rejectedCalls()).as("not a refusal").isZero();
        holder.tryEmitEmpty();
        assertThat(call.subscriptions()).isZero();
        assertWholeAndWaitsStillTimeOut(b);
    }

    // ------------------------------------------------------------------ onFinished

    /** How the call under test ends. */
    enum Ending { MONO_VALUE, MONO_EMPTY, MONO_ERROR, FLUX_COMPLETE, FLUX_ERROR, CANCEL }

    static Stream<Arguments> thrownSourceEndingAndWaited() {
        List<Arguments> args = new ArrayList<>();
        for (Thrown t : Thrown.values()) {
            for (Source s : Source.values()) {
                for (Ending e : Ending.values()) {
                    if (e == Ending.CANCEL && s == Source.SYNC) {
                        continue;                      // a synchronous call has ended before anyone can cancel it
                    }
                    args.add(Arguments.of(t, s, e, false));
                    args.add(Arguments.of(t, s, e, true));
                }
            }
        }
        return args.stream();
    }

    /**
     * The finished listener of a call that ends: the permit is back (and handed to the next
     * waiter) before the listener runs, and the call's subscriber gets its terminal signal (or
     * its upstream the cancel) whatever the listener throws; a fatal error then comes out of the
     * signal that ended the call.
     */
    @ParameterizedTest(name = "{0} {1} {2} waited={3}")
    @MethodSource("thrownSourceEndingAndWaited")
    void finishedListenerOfACallThatEnds(Thrown thrown, Source source, Ending ending, boolean waited) {
        Bulkhead b = waiting("finished");
        Bomb bomb = new Bomb(thrown);
        b.onFinished(bomb);
        ManualSource<String> holder = new ManualSource<>();
        if (waited) {
            holder.mono().transform(on(b)).subscribe(new Capturing<>(1));
        }
        ManualSource<String> async = new ManualSource<>();
        AtomicInteger syncSubscriptions = new AtomicInteger();
        boolean mono = ending != Ending.FLUX_COMPLETE && ending != Ending.FLUX_ERROR;
        Publisher<String> sync = switch (ending) {
            case MONO_VALUE -> Mono.just("v");
            case MONO_EMPTY -> Mono.empty();
            case MONO_ERROR -> Mono.error(new IOException("call failed"));
            case FLUX_COMPLETE -> Flux.just("v", "w");
            case FLUX_ERROR -> Flux.concat(Flux.just("v"), Flux.error(new IOException("call failed")));
            case CANCEL -> null;                       // asynchronous only
        };
        Publisher<String> raw = source == Source.ASYNC ? (mono ? async.mono() : async.flux())
                : (mono ? Mono.defer(() -> {
                    syncSubscriptions.incrementAndGet();
                    return Mono.from(sync);
                }) : Flux.defer(() -> {
                    syncSubscriptions.incrementAndGet();
                    return sync;
                }));
        Capturing<String> down = new Capturing<>(Long.MAX_VALUE);
        Publisher<String> call = mono ? Mono.from(raw).transform(on(b)) : Flux.from(raw).transform(on(b));
        if (source == Source.SYNC && !waited) {
            bomb.arm();                                // the call ends inside subscribe
        }

        Throwable escaped = thrownBy(() -> call.subscribe(down));
        if (waited) {
            assertThat(escaped).isNull();
            assertThat(b.metrics().queued()).isEqualTo(1);
            if (source == Source.SYNC) {
                bomb.arm();                            // the call runs and ends inside the holder's release
            }
            escaped = thrownBy(holder::complete);
            assertThat(b.metrics().queued()).isZero();
        }
        if (source == Source.ASYNC) {
            assertThat(escaped).isNull();
            assertThat(async.subscriptions).hasValue(1);
            bomb.arm();
            escaped = thrownBy(() -> {
                switch (ending) {
                    case MONO_VALUE -> async.next("v");
                    case MONO_EMPTY, FLUX_COMPLETE -> {
                        if (ending == Ending.FLUX_COMPLETE) {
                            async.next("v");
                            async.next("w");
                        }
                        async.complete();
                    }
                    case MONO_ERROR -> async.error(new IOException("call failed"));
                    case FLUX_ERROR -> {
                        async.next("v");
                        async.error(new IOException("call failed"));
                    }
                    case CANCEL -> down.cancel();
                    default -> throw new IllegalStateException("invalid ending: " + ending);
                }
            });
            if (ending == Ending.MONO_VALUE) {
                async.complete();                      // the source completes after its value
            }
        } else {
            assertThat(syncSubscriptions).hasValue(1);
        }

        assertThat(escaped).isSameAs(bomb.expectedEscape());
        switch (ending) {
            case MONO_VALUE -> {
                assertThat(down.values).containsExactly("v");
                if (source == Source.SYNC && thrown.fatal()) {
                    // the error came out of onNext and cut the source's completion short: the call
                    // ends with it, so that an operator downstream still sees an ending
                    assertThat(down.error.get()).isSameAs(escaped);
                } else {
                    assertThat(down.completions).hasValue(1);
                }
            }
            case MONO_EMPTY -> assertThat(down.completions).hasValue(1);
            case FLUX_COMPLETE -> {
                assertThat(down.values).containsExactly("v", "w");
                assertThat(down.completions).hasValue(1);
            }
            case MONO_ERROR, FLUX_ERROR -> assertThat(down.error.get()).as("the call's own error").hasMessage("call failed");
            case CANCEL -> assertThat(async.cancelled).as("the upstream was cancelled all the same").isTrue();
            default -> throw new IllegalStateException("invalid ending: " + ending);
        }
        boolean failed = ending == Ending.MONO_ERROR || ending == Ending.FLUX_ERROR;
        if (failed || ending == Ending.CANCEL) {
            assertThat(down.completions).hasValue(0);
        } else if (!(ending == Ending.MONO_VALUE && source == Source.SYNC && thrown.fatal())) {
            assertThat(down.error.get()).as("one terminal signal").isNull();
        }
        assertWholeAndWaitsStillTimeOut(b);
    }
}
