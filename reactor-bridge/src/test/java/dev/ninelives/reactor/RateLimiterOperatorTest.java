package dev.ninelives.reactor;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RequestNotPermittedException;
import org.junit.jupiter.api.Test;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The rate limiter operator on virtual time: exact instants, refusals, cancels, deadlines. */
class RateLimiterOperatorTest {

    private static RateLimiter tenPerSecond(int burst, Duration maxWait) {
        return RateLimiter.builder("rl").limitForPeriod(10).period(Duration.ofSeconds(1)).burst(burst)
                .maxWait(maxWait).ticker(NineLives.schedulerTicker()).build();
    }

    /** Callers that must wait are subscribed exactly at their reserved instants, in arrival order. */
    @Test
    void waitersAreSubscribedAtTheirInstantsInOrder() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = tenPerSecond(2, Duration.ofSeconds(1));
            List<String> log = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                Mono.fromCallable(() -> n).transform(NineLives.rateLimiter(rl))
                        .subscribe(v -> log.add(v + "@" + vts.now(java.util.concurrent.TimeUnit.MILLISECONDS)));
            }
            assertThat(log).containsExactly("0@0", "1@0");
            assertThat(rl.metrics().waiting()).isEqualTo(3);
            vts.advanceTimeBy(Duration.ofMillis(99));
            assertThat(log).hasSize(2);
            vts.advanceTimeBy(Duration.ofMillis(1));
            assertThat(log).containsExactly("0@0", "1@0", "2@100");
            vts.advanceTimeBy(Duration.ofMillis(200));
            assertThat(log).containsExactly("0@0", "1@0", "2@100", "3@200", "4@300");
            assertThat(rl.metrics().waiting()).isZero();
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    /** Over ten virtual seconds of a caller every millisecond, exactly limit x seconds + burst get through. */
    @Test
    void exactRateUnderVirtualTime() {
        AtomicInteger passed = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> {
                    RateLimiter rl = tenPerSecond(3, Duration.ZERO);
                    return Flux.interval(Duration.ZERO, Duration.ofMillis(1)).take(10_000)
                            .concatMap(i -> Mono.just(i).transform(NineLives.rateLimiter(rl))
                                    .doOnNext(v -> passed.incrementAndGet())
                                    .onErrorResume(NineLives::isRateLimited, e -> Mono.empty()));
                })
                .thenAwait(Duration.ofSeconds(10))
                .expectNextCount(102)      // 3 at t=0 (the burst), then one per 100 ms from 100 ms to 9.9 s
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertThat(passed).hasValue(3 + 99);
    }

    @Test
    void aRefusalIsStacklessAndSaysWhenToRetry() {
        StepVerifier.withVirtualTime(() -> {
                    RateLimiter rl = tenPerSecond(1, Duration.ZERO);
                    AtomicInteger subscribed = new AtomicInteger();
                    Mono<Integer> call = Mono.fromCallable(subscribed::incrementAndGet).transform(NineLives.rateLimiter(rl));
                    return call.then(Mono.delay(Duration.ofMillis(40))).then(call);
                })
                .expectSubscription()
                .thenAwait(Duration.ofMillis(40))
                .expectErrorSatisfies(e -> {
                    assertThat(NineLives.isRateLimited(e)).isTrue();
                    assertThat(e).isInstanceOf(RequestNotPermittedException.class)
                            .hasMessageContaining("rate limiter 'rl'");
                    assertThat(e.getStackTrace()).isEmpty();
                    assertThat(((RequestNotPermittedException) e).retryAfter()).isEqualTo(Duration.ofMillis(60));
                })
                .verify(Duration.ofSeconds(10));
    }

    /** Guards against a cancelled waiter keeping its permit (or its task): the next caller gets its instant. */
    @Test
    void cancelWhileWaitingGivesThePermitBackAndDisposesTheTask() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
            AtomicInteger subscribed = new AtomicInteger();
            Mono<Integer> call = Mono.fromCallable(subscribed::incrementAndGet).transform(NineLives.rateLimiter(rl));
            call.subscribe();
            var waiting = call.subscribe();
            assertThat(rl.metrics().waiting()).isEqualTo(1);
            waiting.dispose();
            assertThat(rl.metrics().waiting()).isZero();
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(subscribed).as("the cancelled call never reaches the source").hasValue(1);
            List<Long> at = new ArrayList<>();
            call.subscribe(v -> at.add(vts.now(java.util.concurrent.TimeUnit.MILLISECONDS)));
            assertThat(at).as("the permit is free again after the idle second").containsExactly(1000L);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void cancelWhileWaitingReturnsTheSameInstantToTheNextCaller() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
            Mono<Long> call = Mono.fromCallable(() -> vts.now(java.util.concurrent.TimeUnit.MILLISECONDS))
                    .transform(NineLives.rateLimiter(rl));
            List<Long> at = new ArrayList<>();
            call.subscribe(at::add);
            call.subscribe().dispose();                // reserved 100 ms, cancelled: given back
            call.subscribe(at::add);                   // gets 100 ms, not 200 ms
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(at).containsExactly(0L, 100L);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    /** A Flux takes one permit per subscription; a backpressured subscriber's demand made while waiting reaches the source. */
    @Test
    void aFluxTakesOnePermitAndKeepsItsDemandWhileWaiting() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
            Flux<Integer> f = Flux.range(1, 3).transform(NineLives.rateLimiter(rl));
            assertThat(f).isInstanceOf(Flux.class).isNotInstanceOf(Mono.class);
            f.subscribe();                             // takes the permit of t = 0 for all three elements
            assertThat(rl.metrics().availablePermits()).isZero();
            List<Integer> got = new ArrayList<>();
            org.reactivestreams.Subscription[] sub = new org.reactivestreams.Subscription[1];
            boolean[] completed = new boolean[1];
            f.subscribe(new reactor.core.CoreSubscriber<Integer>() {
                @Override public void onSubscribe(org.reactivestreams.Subscription s) { sub[0] = s; }
                @Override public void onNext(Integer v) { got.add(v); }
                @Override public void onError(Throwable t) { }
                @Override public void onComplete() { completed[0] = true; }
            });
            sub[0].request(1);                         // demand made while waiting
            sub[0].request(1);
            vts.advanceTimeBy(Duration.ofMillis(99));
            assertThat(got).isEmpty();
            vts.advanceTimeBy(Duration.ofMillis(1));
            assertThat(got).containsExactly(1, 2);
            sub[0].request(1);
            assertThat(got).containsExactly(1, 2, 3);
            assertThat(completed[0]).isTrue();
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void aMonoStaysAMonoAndScans() {
        RateLimiter rl = tenPerSecond(1, Duration.ZERO);
        Mono<Integer> m = Mono.just(1).transform(NineLives.rateLimiter(rl));
        assertThat(m).isInstanceOf(Mono.class);
        Scannable s = Scannable.from(m);
        assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
        assertThat(s.name()).isEqualTo("rl");
        assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
    }

    /** The waiting subscriber answers Scannable and passes the Context through. */
    @Test
    void theWaitingSubscriberScansAndSeesTheContext() {
        StepVerifier.withVirtualTime(() -> {
                    RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
                    Mono<String> call = Mono.deferContextual(c -> Mono.just(c.<String>get("k")))
                            .transform(NineLives.rateLimiter(rl));
                    return call.then(call).contextWrite(c -> c.put("k", "v"));
                })
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(100))
                .expectNext("v")
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
        rl.tryAcquire();
        StepVerifier.create(Mono.just(1).transform(NineLives.rateLimiter(rl)))
                .consumeSubscriptionWith(sub -> {
                    Scannable sc = Scannable.from(sub);
                    assertThat(sc.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.ASYNC);
                    assertThat(sc.scan(Scannable.Attr.NAME)).isEqualTo("rl");
                    assertThat(sc.scan(Scannable.Attr.ACTUAL)).isNotNull();
                    assertThat(sc.scan(Scannable.Attr.CANCELLED)).isFalse();
                })
                .thenCancel()
                .verify(Duration.ofSeconds(10));
    }

    /** A call whose deadline would pass before its instant is refused at once and spends no permit. */
    @Test
    void aDeadlineBeforeTheInstantRefusesAtOnceWithoutSpendingThePermit() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = tenPerSecond(1, Duration.ofSeconds(1));
            rl.tryAcquire();                           // the next permit is at 100 ms
            List<Throwable> errors = new ArrayList<>();
            Mono.just(1).transform(NineLives.rateLimiter(rl))
                    .transform(NineLives.deadline(Duration.ofMillis(50)))
                    .subscribe(v -> { }, errors::add);
            assertThat(errors).singleElement().satisfies(e -> assertThat(NineLives.isRateLimited(e)).isTrue());
            List<Long> at = new ArrayList<>();
            Mono.just(1).transform(NineLives.rateLimiter(rl))
                    .transform(NineLives.deadline(Duration.ofMillis(150)))
                    .subscribe(v -> at.add(vts.now(java.util.concurrent.TimeUnit.MILLISECONDS)));
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(at).as("the refused call left the 100 ms instant free").containsExactly(100L);
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    /**
     * A call whose deadline passed before it reached the limiter ends with the deadline's error
     * and asks the limiter for nothing. The deadline's clock is a scheduler whose time the test
     * moves and whose tasks never run, so only the limiter's own check can end the call.
     */
    @Test
    void aPassedDeadlineAsksForNothing() {
        AtomicLong nanos = new AtomicLong();
        reactor.core.scheduler.Scheduler clock = new reactor.core.scheduler.Scheduler() {
            @Override
            public reactor.core.Disposable schedule(Runnable task) {
                return reactor.core.Disposables.single();
            }

            @Override
            public reactor.core.Disposable schedule(Runnable task, long delay, java.util.concurrent.TimeUnit unit) {
                return reactor.core.Disposables.single();
            }

            @Override
            public long now(java.util.concurrent.TimeUnit unit) {
                return unit.convert(nanos.get(), java.util.concurrent.TimeUnit.NANOSECONDS);
            }

            @Override
            public Worker createWorker() {
                return reactor.core.scheduler.Schedulers.immediate().createWorker();
            }
        };
        RateLimiter rl = tenPerSecond(1, Duration.ZERO);
        StepVerifier.create(Mono.just(1).transform(NineLives.rateLimiter(rl))
                        .delaySubscription(Mono.fromRunnable(() -> nanos.addAndGet(20_000_000L)))
                        .transform(NineLives.deadline(Duration.ofMillis(10), clock)))
                .expectErrorSatisfies(e -> assertThat(NineLives.isTimeout(e)).isTrue())
                .verify(Duration.ofSeconds(10));
        assertThat(rl.metrics().refusedCalls()).isZero();
        assertThat(rl.metrics().availablePermits()).as("no permit spent").isEqualTo(1);
    }

    /** A waiter cancelled by a deadline that passes during its wait gives its permit back. */
    @Test
    void aDeadlinePassingDuringTheWaitCancelsAndGivesBack() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(10).burst(1).maxWait(Duration.ofSeconds(1))
                    .ticker(NineLives.schedulerTicker()).build();
            rl.tryAcquire();
            List<Throwable> errors = new ArrayList<>();
            Mono.just(1).transform(NineLives.rateLimiter(rl)).transform(NineLives.timeout(Duration.ofMillis(50)))
                    .subscribe(v -> { }, errors::add);
            assertThat(rl.metrics().waiting()).isEqualTo(1);
            vts.advanceTimeBy(Duration.ofMillis(50));
            assertThat(errors).singleElement().satisfies(e -> assertThat(NineLives.isTimeout(e)).isTrue());
            assertThat(rl.metrics().waiting()).isZero();
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    @Test
    void nullArgumentsAreNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NineLives.rateLimiter(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("limiter");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NineLives.rateLimiter(tenPerSecond(1, Duration.ZERO), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("scheduler");
    }
}
