package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.hedge.Hedge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hedged calls on real threads, where the first attempt's answer, the timer's claim of a hedge,
 * a hedge's answer and the downstream's cancel race. Guards against a hedge subscribed after the
 * call ended and never cancelled (its breaker permit leaked), against a permit released twice,
 * and against a call that ends twice or never: every call ends exactly once (value or cancel),
 * and the breaker's free trial slots are its permitted ones minus the outcomes it recorded. Every
 * other call's first attempt never answers, so hedges are issued however the threads run.
 */
class HedgeRaceTest {

    private final ExecutorService executor = Executors.newScheduledThreadPool(4);   // scheduled: the hedge delays run here too
    private final Scheduler pool = Schedulers.fromExecutorService(executor);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void answersTimersAndCancelsRaceWithoutLeakingPermits() throws InterruptedException {
        CircuitBreaker b = CircuitBreaker.builder("race").permittedCallsInHalfOpen(1023).build();
        b.transitionTo(CircuitBreaker.State.HALF_OPEN);
        AtomicInteger recorded = new AtomicInteger();
        b.onCallRecorded(e -> recorded.incrementAndGet());
        Hedge h = Hedge.builder("race").delay(Duration.ofNanos(1)).maxHedges(3).budget(10, 1000).build();
        Pipeline p = Pipeline.builder("race").breaker(b).hedge(h).scheduler(pool).build();
        int calls = 200;
        CountDownLatch ended = new CountDownLatch(calls);
        AtomicInteger endings = new AtomicInteger();
        List<Disposable> running = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            // every other call's first attempt never answers: only a hedge can end it (unless it is
            // cancelled), so hedges are issued whatever the machine's timing
            AtomicInteger subscriptions = new AtomicInteger();
            boolean stuckFirst = i % 2 == 1;
            Mono<Integer> answer = Mono.fromCallable(() -> 1).subscribeOn(pool);
            Mono<Integer> source = Mono.defer(() -> stuckFirst && subscriptions.getAndIncrement() == 0 ? Mono.<Integer>never() : answer);
            Mono<Integer> call = source.transform(NineLives.pipeline(p))
                    .doFinally(signal -> {
                        endings.incrementAndGet();
                        ended.countDown();
                    });
            running.add(call.subscribe());
            if (i % 3 == 0) {
                Disposable d = running.get(i);
                executor.execute(d::dispose);
            }
        }
        assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
        executor.shutdown();
        assertThat(executor.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(endings).as("each call ended once").hasValue(calls);
        assertThat(PipelineHedgeTest.freeTrialSlots(b)).isEqualTo(1023 - recorded.get());
        assertThat(h.metrics().hedgesIssued()).as("the timers did issue hedges").isPositive();
    }
}
