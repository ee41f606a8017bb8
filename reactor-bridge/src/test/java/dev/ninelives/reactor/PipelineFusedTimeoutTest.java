package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attempt timeout fused into the pipeline's subscriber (see {@code TimedAttempts}): the first
 * attempt is timed by the call's own subscriber, as the shared timer's entry, with no subscriber
 * of its own; a later attempt through the stage's TimeoutSubscriber; and an abandoned first
 * attempt that keeps signalling never reaches the call, whose subscriber by then takes a later
 * attempt's signals. {@code PipelineEquivalenceTest} compares the whole against the stacked
 * operators, with sources that do not hear a cancel among its attempts.
 */
class PipelineFusedTimeoutTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    @AfterEach
    void tearDown() {
        Hooks.resetOnNextDropped();
        Hooks.resetOnErrorDropped();
        clock.dispose();
    }

    /** A source that keeps every subscriber it is given, hears no cancel, and signals only when told. */
    static final class Attempts implements Publisher<String> {
        final List<Subscriber<? super String>> subscribers = new ArrayList<>();
        final List<AtomicBoolean> cancelled = new ArrayList<>();

        @Override
        public void subscribe(Subscriber<? super String> s) {
            AtomicBoolean c = new AtomicBoolean();
            subscribers.add(s);
            cancelled.add(c);
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                    c.set(true);
                }
            });
        }
    }

    /** Downstream: records signals, and the Subscription it was given. */
    static class Recorder implements CoreSubscriber<String> {
        final List<String> signals = new ArrayList<>();
        Subscription subscription;

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String v) {
            signals.add("next " + v);
        }

        @Override
        public void onError(Throwable t) {
            signals.add("error " + t.getClass().getSimpleName());
        }

        @Override
        public void onComplete() {
            signals.add("complete");
        }
    }

    private Pipeline pipeline(CircuitBreaker breaker) {
        Retry retry = Retry.builder("inventory").maxAttempts(3).noBackoff().build();
        Pipeline.Builder b = Pipeline.builder("inventory").retry(retry).attemptTimeout(SECOND).scheduler(clock);
        return (breaker != null ? b.breaker(breaker) : b).build();
    }

    /**
     * Guards the point of the fusion: the first attempt's subscriber is the call's own subscriber
     * (the one downstream holds as its Subscription), not a timeout subscriber in front of it;
     * the attempt after a timeout is subscribed through the stage's TimeoutSubscriber.
     */
    @Test
    void theFirstAttemptIsTimedByTheCallsOwnSubscriberALaterOneByTheStagesSubscriber() {
        for (boolean mono : new boolean[] {true, false}) {
            Attempts source = new Attempts();
            Recorder down = new Recorder();
            Publisher<String> call = mono ? Mono.fromDirect(source).transform(NineLives.pipeline(pipeline(null)))
                    : Flux.from(source).transform(NineLives.pipeline(pipeline(null)));
            call.subscribe(down);
            assertThat(source.subscribers).hasSize(1);
            assertThat((Object) source.subscribers.get(0)).as("mono=" + mono).isSameAs(down.subscription);

            clock.advanceTimeBy(SECOND);
            assertThat(source.cancelled.get(0)).as("the timed-out attempt is cancelled").isTrue();
            assertThat(source.subscribers).hasSize(2);
            assertThat((Object) source.subscribers.get(1)).isInstanceOf(TimeoutSubscriber.class);

            source.subscribers.get(1).onNext("stock");
            source.subscribers.get(1).onComplete();
            assertThat(down.signals).containsExactly("next stock", "complete");
        }
    }

    /**
     * Guards against the hazard of sharing one subscriber between attempts: the first attempt,
     * abandoned at its timeout, signals late while the second one runs. Its value and its error
     * are dropped (to Reactor's hooks), the breaker does not count them, and the call ends with
     * the second attempt's value.
     */
    @Test
    void anAbandonedFirstAttemptThatSignalsLateNeverReachesTheCall() {
        for (boolean mono : new boolean[] {true, false}) {
            List<Object> droppedValues = new ArrayList<>();
            List<Throwable> droppedErrors = new ArrayList<>();
            Hooks.onNextDropped(droppedValues::add);
            Hooks.onErrorDropped(droppedErrors::add);
            CircuitBreaker breaker = CircuitBreaker.builder("inventory").slidingWindow(10).build();
            Attempts source = new Attempts();
            Recorder down = new Recorder();
            Publisher<String> call = mono ? Mono.fromDirect(source).transform(NineLives.pipeline(pipeline(breaker)))
                    : Flux.from(source).transform(NineLives.pipeline(pipeline(breaker)));
            call.subscribe(down);
            clock.advanceTimeBy(SECOND);
            assertThat(source.subscribers).hasSize(2);

            Subscriber<? super String> abandoned = source.subscribers.get(0);
            abandoned.onNext("stale");
            IllegalStateException lateError = new IllegalStateException("late");
            abandoned.onError(lateError);
            assertThat(down.signals).as("mono=" + mono).isEmpty();
            assertThat(droppedValues).containsExactly("stale");
            assertThat(droppedErrors).containsExactly(lateError);
            assertThat(breaker.metrics().failures()).as("the timeout alone").isEqualTo(1);

            source.subscribers.get(1).onNext("stock");
            source.subscribers.get(1).onComplete();
            assertThat(down.signals).containsExactly("next stock", "complete");
            assertThat(breaker.metrics().successes()).isEqualTo(1);
            Hooks.resetOnNextDropped();
            Hooks.resetOnErrorDropped();
        }
    }

    /** Guards the timer of a later attempt: the second attempt hangs too, and is timed out by its own subscriber. */
    @Test
    void everyAttemptIsTimed() {
        Attempts source = new Attempts();
        Recorder down = new Recorder();
        Mono.fromDirect(source).transform(NineLives.pipeline(pipeline(null))).subscribe(down);
        clock.advanceTimeBy(SECOND);
        clock.advanceTimeBy(SECOND);
        clock.advanceTimeBy(SECOND);
        assertThat(source.subscribers).hasSize(3);
        assertThat(source.cancelled).allSatisfy(c -> assertThat(c).isTrue());
        assertThat(down.signals).containsExactly("error TimeoutExceededException");
    }

    /**
     * Guards the gate against a cancel: a call cancelled during its first attempt is not timed out
     * later (the timer forgets it), and the attempt is cancelled once.
     */
    @Test
    void aCallCancelledDuringItsFirstAttemptIsNeverTimedOut() {
        for (boolean mono : new boolean[] {true, false}) {
            CircuitBreaker breaker = CircuitBreaker.builder("inventory").slidingWindow(10).build();
            Attempts source = new Attempts();
            Recorder down = new Recorder();
            Publisher<String> call = mono ? Mono.fromDirect(source).transform(NineLives.pipeline(pipeline(breaker)))
                    : Flux.from(source).transform(NineLives.pipeline(pipeline(breaker)));
            call.subscribe(down);
            down.subscription.cancel();
            assertThat(source.cancelled.get(0)).isTrue();
            clock.advanceTimeBy(Duration.ofSeconds(5));
            assertThat(source.subscribers).as("mono=" + mono).hasSize(1);
            assertThat(down.signals).isEmpty();
            assertThat(breaker.metrics().failures()).isZero();
            assertThat(breaker.metrics().calls()).isZero();
        }
    }

    /**
     * Guards the fused total timeout: the call's one subscriber holds the bulkhead's permit and
     * the deadline (the source's subscriber is the one downstream holds, and its Context carries
     * the deadline); at the deadline the attempt is cancelled, the permit is back before the
     * error reaches downstream, and a late value of the abandoned attempt is dropped.
     */
    @Test
    void theTotalTimeoutIsRunByTheCallsOwnSubscriberWithTheBulkheadInIt() {
        for (boolean mono : new boolean[] {true, false}) {
            List<Object> droppedValues = new ArrayList<>();
            Hooks.onNextDropped(droppedValues::add);
            dev.ninelives.bulkhead.Bulkhead bulkhead = dev.ninelives.bulkhead.Bulkhead.builder("inventory")
                    .maxConcurrent(1).build();
            Retry retry = Retry.builder("inventory").maxAttempts(3).noBackoff().build();
            Pipeline p = Pipeline.builder("inventory").bulkhead(bulkhead).retry(retry).timeout(SECOND).scheduler(clock)
                    .build();
            Attempts source = new Attempts();
            List<Integer> permitsAtTheError = new ArrayList<>();
            Recorder down = new Recorder() {
                @Override
                public void onError(Throwable t) {
                    permitsAtTheError.add(bulkhead.metrics().availablePermits());
                    super.onError(t);
                }
            };
            Publisher<String> call = mono ? Mono.fromDirect(source).transform(NineLives.pipeline(p))
                    : Flux.from(source).transform(NineLives.pipeline(p));
            call.subscribe(down);
            assertThat((Object) source.subscribers.get(0)).as("mono=" + mono).isSameAs(down.subscription);
            CoreSubscriber<?> attempt = (CoreSubscriber<?>) source.subscribers.get(0);
            assertThat(Deadline.remaining(attempt.currentContext())).contains(SECOND);
            assertThat(bulkhead.metrics().availablePermits()).isZero();

            clock.advanceTimeBy(SECOND);
            assertThat(source.cancelled.get(0)).isTrue();
            assertThat(down.signals).containsExactly("error TimeoutExceededException");
            assertThat(permitsAtTheError).containsExactly(1);

            source.subscribers.get(0).onNext("stale");
            assertThat(down.signals).hasSize(1);
            assertThat(droppedValues).containsExactly("stale");
            Hooks.resetOnNextDropped();
        }
    }

    /**
     * Guards the outer deadline's precedence: a Context deadline tighter than the total timeout
     * is the one the call meets (the pipeline adds no deadline of its own), and one looser than
     * it is replaced by the pipeline's.
     */
    @Test
    void theTighterOfTheContextsDeadlineAndTheTotalTimeoutWins() {
        Pipeline p = Pipeline.builder("inventory").retry(Retry.builder("inventory").maxAttempts(2).build())
                .timeout(SECOND).scheduler(clock).build();
        for (Duration outer : new Duration[] {Duration.ofMillis(400), Duration.ofSeconds(5)}) {
            Attempts source = new Attempts();
            Recorder down = new Recorder();
            Mono.fromDirect(source).transform(NineLives.pipeline(p))
                    .transform(NineLives.deadline(outer, clock)).subscribe(down);
            CoreSubscriber<?> attempt = (CoreSubscriber<?>) source.subscribers.get(0);
            Duration expected = outer.compareTo(SECOND) < 0 ? outer : SECOND;
            assertThat(Deadline.remaining(attempt.currentContext())).contains(expected);
            clock.advanceTimeBy(expected);
            assertThat(down.signals).as("outer " + outer).containsExactly("error TimeoutExceededException");
        }
    }
}
