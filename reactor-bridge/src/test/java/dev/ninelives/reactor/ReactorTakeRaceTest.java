package dev.ninelives.reactor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What issue 9 reported, with no NineLives operator at all: Reactor's own {@code take(Duration)}
 * ({@code FluxTakeUntilOther}, reactor-core 3.8.8) can signal {@code onComplete} to its
 * subscriber before, or while, it signals {@code onSubscribe}. Its subscriber first stores the
 * upstream Subscription (a CAS), then calls {@code actual.onSubscribe}; when the timer fires in
 * between, on its own thread, it finds the Subscription stored, cancels it and calls
 * {@code actual.onComplete()} at once. These tests pin that interleaving with latches and a
 * virtual clock advanced on a second thread.
 *
 * <p>This is why {@link ListenerSoakTest} asserts the checkpoints of our operators and only
 * reports the one downstream of {@code take(Duration)}: in the soak, every rule 1.9 breach came
 * from there, with the checkpoint between our bulkhead and {@code take} clean. It also checks
 * that {@link SignalCheck} sees both shapes of the breach. If a Reactor upgrade makes these tests
 * fail, the race is fixed upstream: delete them and assert the take checkpoint too.
 */
class ReactorTakeRaceTest {

    private static final long SAFETY_SECONDS = 30;        // a hang fails the test instead of the build

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final SignalCheck.Findings findings = new SignalCheck.Findings();

    @AfterEach
    void stopClock() {
        clock.dispose();
    }

    /** Fires take's timer on another thread once {@code entered} opens, then opens {@code resume}. */
    private Thread timerThread(CountDownLatch entered, CountDownLatch resume, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try {
                assertThat(entered.await(SAFETY_SECONDS, TimeUnit.SECONDS)).isTrue();
                clock.advanceTimeBy(Duration.ofSeconds(1));        // take's timer runs here, on this thread
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                resume.countDown();
            }
        }, "take-timer");
        t.start();
        return t;
    }

    /**
     * The timer fires while the subscriber is inside onSubscribe and has requested nothing:
     * onComplete arrives concurrently with onSubscribe, from the timer's thread.
     */
    @Test
    void onCompleteWhileOnSubscribeRuns() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread timer = timerThread(entered, resume, failure);

        Flux.<Integer>never()
                .take(Duration.ofSeconds(1), clock)
                .transform(SignalCheck.checkpoint("take", findings))
                .subscribe(new Sink() {
                    @Override
                    public void onSubscribe(Subscription s) {
                        entered.countDown();
                        await(resume);                             // still inside onSubscribe when the timer fires
                    }
                });
        timer.join(TimeUnit.SECONDS.toMillis(SAFETY_SECONDS));

        assertThat(failure.get()).isNull();
        assertThat(findings.summary()).containsOnlyKeys(
                "take: 1.9 onComplete during onSubscribe on another thread, nothing requested yet");
    }

    /**
     * The timer fires after take stored the upstream Subscription and before its subscriber's
     * onSubscribe is entered: onComplete with no onSubscribe before it, the exact report. The
     * pause stands for the subscribing thread being descheduled at that point; it is a
     * pass-through between take and the checker that waits before passing onSubscribe on.
     */
    @Test
    void onCompleteBeforeOnSubscribe() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread timer = timerThread(entered, resume, failure);

        Flux.<Integer>never()
                .take(Duration.ofSeconds(1), clock)
                .transform(f -> Flux.from(Operators.<Integer, Integer>lift((sc, actual) -> new Paused(actual, entered, resume)).apply(f)))
                .transform(SignalCheck.checkpoint("take", findings))
                .subscribe(new Sink());
        timer.join(TimeUnit.SECONDS.toMillis(SAFETY_SECONDS));

        assertThat(failure.get()).isNull();
        assertThat(findings.summary()).containsOnlyKeys("take: 1.9 onComplete before onSubscribe");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(SAFETY_SECONDS, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A subscriber that requests nothing and ignores what it gets. */
    private static class Sink implements CoreSubscriber<Integer> {
        @Override
        public void onSubscribe(Subscription s) {
        }

        @Override
        public void onNext(Integer v) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    /** Passes every signal on; onSubscribe only once {@code resume} opens. */
    private static final class Paused implements CoreSubscriber<Integer> {
        final CoreSubscriber<? super Integer> actual;
        final CountDownLatch entered;
        final CountDownLatch resume;

        Paused(CoreSubscriber<? super Integer> actual, CountDownLatch entered, CountDownLatch resume) {
            this.actual = actual;
            this.entered = entered;
            this.resume = resume;
        }

        @Override
        public void onSubscribe(Subscription s) {
            entered.countDown();
            await(resume);
            actual.onSubscribe(s);
        }

        @Override
        public void onNext(Integer v) {
            actual.onNext(v);
        }

        @Override
        public void onError(Throwable t) {
            actual.onError(t);
        }

        @Override
        public void onComplete() {
            actual.onComplete();
        }
    }
}
