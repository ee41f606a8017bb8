package dev.ninelives.reactor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.scheduler.Schedulers;
import reactor.test.util.RaceTestUtils;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The switch to the fallback raced, on two threads, by what downstream may do at any time:
 * request more, or cancel. Each race runs a few thousand times on Schedulers.boundedElastic()
 * (RaceTestUtils spins and parks while it lines the two up, which BlockHound allows there).
 */
class FallbackRaceTest {

    private static final int ROUNDS = 1_000;
    private static final int REQUESTS = 100;
    private static final IOException DOWN = new IOException("down");

    @AfterEach
    void resetHooks() {
        Hooks.resetOnErrorDropped();
    }

    /**
     * A fallback publisher that records what it is asked for and whether it is cancelled, and
     * calls onSubscribe only when told (so a test can race its onSubscribe with something else),
     * or at once.
     */
    static final class Recording extends Flux<Integer> {
        final boolean subscribeAtOnce;
        final AtomicLong requested = new AtomicLong();
        final AtomicInteger cancelled = new AtomicInteger();
        final AtomicInteger subscribed = new AtomicInteger();
        volatile CoreSubscriber<? super Integer> actual;

        Recording(boolean subscribeAtOnce) {
            this.subscribeAtOnce = subscribeAtOnce;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Integer> actual) {
            subscribed.incrementAndGet();
            this.actual = actual;
            if (subscribeAtOnce) {
                onSubscribeNow();
            }
        }

        void onSubscribeNow() {
            actual.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requested.addAndGet(n);
                }

                @Override
                public void cancel() {
                    cancelled.incrementAndGet();
                }
            });
        }
    }

    /** Requests one at a time, {@link #REQUESTS} times: many chances to land inside the switch. */
    private static void requestOneByOne(BulkheadTestSupport.Capturing<Integer> down) {
        for (int r = 0; r < REQUESTS; r++) {
            down.request(1);
        }
    }

    /**
     * A request racing the source's failure (the fallback subscribed synchronously in it). The
     * fallback must be asked for exactly what downstream requested in all minus what the source
     * delivered: 2 + 100 - 1. Guards against a request counted by the switch and forwarded to the
     * fallback as well (more), or forwarded to the dead source and missed by the switch (fewer).
     */
    @Test
    void aRequestRacingTheFailureReachesTheFallbackExactlyOnce() {
        for (int i = 0; i < ROUNDS; i++) {
            BulkheadTestSupport.ManualSource<Integer> source = new BulkheadTestSupport.ManualSource<>();
            Recording fallback = new Recording(true);
            BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(2);
            source.flux().transform(NineLives.fallback(Fallback.to(fallback))).subscribe(down);
            source.next(1);
            RaceTestUtils.race(Schedulers.boundedElastic(), () -> source.error(DOWN), () -> requestOneByOne(down));
            assertThat(fallback.requested).as("round %d", i).hasValue(2 + REQUESTS - 1);
            assertThat(down.values).containsExactly(1);
        }
    }

    /**
     * A request racing the fallback publisher's onSubscribe, which comes on another thread than
     * the source's failure: the install of the fallback's Subscription against a request of
     * downstream. Guards against the same double or lost request, at the other end of the switch.
     */
    @Test
    void aRequestRacingTheFallbacksOnSubscribeReachesItExactlyOnce() {
        for (int i = 0; i < ROUNDS; i++) {
            BulkheadTestSupport.ManualSource<Integer> source = new BulkheadTestSupport.ManualSource<>();
            Recording fallback = new Recording(false);
            BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(2);
            source.flux().transform(NineLives.fallback(Fallback.to(fallback))).subscribe(down);
            source.next(1);
            source.error(DOWN);                              // the switch is under way: the fallback has not called onSubscribe
            RaceTestUtils.race(Schedulers.boundedElastic(), fallback::onSubscribeNow, () -> requestOneByOne(down));
            assertThat(fallback.requested).as("round %d", i).hasValue(2 + REQUESTS - 1);
        }
    }

    /**
     * A cancel racing the source's failure. Whoever wins, the fallback publisher is either never
     * subscribed or cancelled, and it is never asked for anything once cancelled. Guards against
     * a cancel that went to the failed source while the switch installed the fallback, leaving
     * the fallback running with nobody listening.
     */
    @Test
    void aCancelRacingTheFailureNeverLeavesTheFallbackRunning() {
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);                  // the error reaches a subscriber that has cancelled
        int reached = 0;
        for (int i = 0; i < ROUNDS; i++) {
            BulkheadTestSupport.ManualSource<Integer> source = new BulkheadTestSupport.ManualSource<>();
            Recording fallback = new Recording(true);
            BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(Long.MAX_VALUE);
            source.flux().transform(NineLives.fallback(Fallback.to(fallback))).subscribe(down);
            RaceTestUtils.race(Schedulers.boundedElastic(), () -> source.error(DOWN), down::cancel);
            if (fallback.subscribed.get() == 1) {
                reached++;
                assertThat(fallback.cancelled).as("round %d: the fallback is cancelled", i).hasValue(1);
            } else {
                assertThat(fallback.subscribed).hasValue(0);
            }
        }
        assertThat(reached).as("the switch won some rounds, or the race proved nothing").isPositive();
        assertThat(dropped).as("only the source's own error, where the cancel came first").containsOnly(DOWN);
    }

    /**
     * A cancel racing the fallback publisher's onSubscribe, on another thread than the failure.
     * Guards against a cancel and an install that both missed the fallback's Subscription.
     */
    @Test
    void aCancelRacingTheFallbacksOnSubscribeCancelsIt() {
        for (int i = 0; i < ROUNDS; i++) {
            BulkheadTestSupport.ManualSource<Integer> source = new BulkheadTestSupport.ManualSource<>();
            Recording fallback = new Recording(false);
            BulkheadTestSupport.Capturing<Integer> down = new BulkheadTestSupport.Capturing<>(Long.MAX_VALUE);
            source.flux().transform(NineLives.fallback(Fallback.to(fallback))).subscribe(down);
            source.error(DOWN);
            RaceTestUtils.race(Schedulers.boundedElastic(), fallback::onSubscribeNow, down::cancel);
            assertThat(fallback.cancelled).as("round %d", i).hasValue(1);
        }
    }
}
