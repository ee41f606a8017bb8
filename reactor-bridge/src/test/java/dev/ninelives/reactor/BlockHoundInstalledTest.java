package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * BlockHound watches the whole reactor-bridge test suite: {@code blockhound-junit-platform}
 * installs it before the first test (the surefire argLine carries
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods}, which it needs on JDK 13+), with Reactor's
 * integration marking the threads of {@code Schedulers.parallel()} non-blocking. Any blocking
 * call there, in our operators or in a test, fails with {@link BlockingOperationError}.
 */
class BlockHoundInstalledTest {

    private static final Duration SAFETY = Duration.ofSeconds(60); // a hang fails the test instead of the build

    @AfterEach
    void resetHooks() {
        Hooks.resetOnErrorDropped();
        Schedulers.resetOnHandleError();
    }

    /**
     * Proves the agent is active: without it the probe would return and the test fail. The
     * probe is {@code Thread.yield()}, which BlockHound counts as blocking but which never waits
     * for time, so the test sleeps neither way.
     */
    @Test
    void blockingOnAParallelThreadIsCaught() {
        Mono<Object> blocking = Mono.fromRunnable(Thread::yield)   // the probe BlockHound must refuse
                .subscribeOn(Schedulers.parallel());
        StepVerifier.create(blocking)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BlockingOperationError.class)
                        .hasMessageContaining("java.lang.Thread.yield"))
                .verify(SAFETY);
    }

    /**
     * Guards against a blocking call anywhere on the bulkhead's paths: permits taken, waiters
     * queued with their timeouts armed and disposed, permits handed over, cancels and errors,
     * every one of them on {@code Schedulers.parallel()} threads. Errors that a blocking call
     * would raise inside a scheduled task or after cancellation (dropped) are caught by hooks.
     */
    @Test
    void aSaturatedBulkheadWithWaitersOnParallelThreadsNeverBlocks() {
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(escaped::add);
        Schedulers.onHandleError("blockhound-probe", (thread, error) -> escaped.add(error));
        Bulkhead b = Bulkhead.builder("nonBlocking").maxConcurrent(3).maxWait(Duration.ofMinutes(1)).maxQueued(10_000).build();
        AtomicInteger waited = new AtomicInteger();
        b.onPermitted(e -> {
            if (e.waitNanos() > 0) {
                waited.incrementAndGet();
            }
        });
        List<String> outcomes = Flux.range(0, 3_000)
                .flatMap(i -> call(b, i)
                        .subscribeOn(Schedulers.parallel())        // the bulkhead's subscribe on a parallel thread
                        .onErrorResume(e -> e instanceof IOException || e instanceof TimeoutException,
                                e -> Mono.just(e.getClass().getSimpleName())), 256)
                .collectList()
                .block(SAFETY);
        assertThat(outcomes).hasSize(3_000);
        assertThat(outcomes).contains("value", "IOException", "TimeoutException");
        assertThat(escaped).isEmpty();
        assertThat(waited).as("calls waited in the queue and were handed a permit").hasPositiveValue();
        assertThat(b.metrics().rejectedCalls()).as("nobody was refused").isZero();
        assertAllPermitsBack(b);
    }

    /**
     * Guards against a blocking call on the rate limiter's paths: permits free at once, waits
     * scheduled on parallel threads and run there, waits cancelled (their task disposed, their
     * permit given back) and refusals, all subscribed from parallel threads.
     */
    @Test
    void aRateLimiterWithWaitersOnParallelThreadsNeverBlocks() {
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(escaped::add);
        Schedulers.onHandleError("blockhound-probe", (thread, error) -> escaped.add(error));
        dev.ninelives.ratelimit.RateLimiter rl = dev.ninelives.ratelimit.RateLimiter.builder("nonBlockingRate")
                .limitForPeriod(20_000).period(Duration.ofSeconds(1)).burst(20).maxWait(Duration.ofMillis(20)).build();
        List<String> outcomes = Flux.range(0, 2_000)
                .flatMap(i -> {
                    Mono<String> call = Mono.just("value").transform(NineLives.rateLimiter(rl));
                    if (i % 3 == 0) {
                        call = call.transform(NineLives.timeout(Duration.ofNanos(1)));   // cancels waiters
                    }
                    return call.subscribeOn(Schedulers.parallel())
                            .onErrorResume(e -> NineLives.isRateLimited(e) || NineLives.isTimeout(e),
                                    e -> Mono.just(e.getClass().getSimpleName()));
                }, 256)
                .collectList()
                .block(SAFETY);
        assertThat(outcomes).hasSize(2_000).contains("value");
        assertThat(escaped).isEmpty();
    }

    /**
     * Guards against a blocking call on the hedge's paths: timers armed from parallel threads,
     * hedges issued from the timer's task, races won by either attempt with the losers
     * cancelled, timers disposed, the adaptive delay's window closed by whichever call fills it.
     */
    @Test
    void hedgedCallsOnParallelThreadsNeverBlock() {
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(escaped::add);
        Schedulers.onHandleError("blockhound-probe", (thread, error) -> escaped.add(error));
        dev.ninelives.hedge.Hedge h = dev.ninelives.hedge.Hedge.builder("nonBlockingHedge").delayPercentile(50)
                .minDelay(Duration.ofMillis(1)).window(50).maxHedges(2).budget(2.0, 100).build();
        AtomicInteger n = new AtomicInteger();
        Mono<String> source = Mono.defer(() -> Mono.delay(Duration.ofMillis(n.getAndIncrement() % 4)).thenReturn("value"));
        List<String> outcomes = Flux.range(0, 1_000)
                .flatMap(i -> source.transform(NineLives.hedge(h)).subscribeOn(Schedulers.parallel()), 64)
                .collectList()
                .block(SAFETY);
        assertThat(outcomes).hasSize(1_000).containsOnly("value");
        assertThat(escaped).isEmpty();
        assertThat(h.metrics().hedgesIssued()).as("hedges ran on the timer's threads").isPositive();
    }

    /**
     * Guards against a blocking call on the timeout's paths: timeouts and deadlines armed on
     * parallel threads, calls that end first and clear their slot, calls that time out on the
     * shared timer's task, cancels, and retries that look the deadline up in their Context.
     */
    @Test
    void timeoutsAndDeadlinesOnParallelThreadsNeverBlock() {
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(escaped::add);
        Schedulers.onHandleError("blockhound-probe", (thread, error) -> escaped.add(error));
        dev.ninelives.retry.Retry retry = dev.ninelives.retry.Retry.builder("nonBlockingRetry").maxAttempts(3)
                .constantBackoff(Duration.ofMillis(1)).build();
        List<String> outcomes = Flux.range(0, 3_000)
                .flatMap(i -> timed(i, retry)
                        .subscribeOn(Schedulers.parallel())          // armed on a parallel thread
                        .onErrorResume(e -> NineLives.isTimeout(e) || e instanceof IOException,
                                e -> Mono.just(e.getClass().getSimpleName())), 256)
                .collectList()
                .block(SAFETY);
        assertThat(outcomes).hasSize(3_000).contains("value", "TimeoutExceededException", "IOException");
        assertThat(escaped).isEmpty();
    }

    private static Mono<String> timed(int i, dev.ninelives.retry.Retry retry) {
        switch (i % 4) {
            case 0:
                return Mono.just("value").publishOn(Schedulers.parallel()).transform(NineLives.timeout(Duration.ofSeconds(10)));
            case 1:
                return Mono.<String>never().transform(NineLives.timeout(Duration.ofMillis(5)));
            case 2:
                return Mono.<String>error(new IOException("down")).publishOn(Schedulers.parallel())
                        .transform(NineLives.retry(retry))
                        .transform(NineLives.deadline(Duration.ofSeconds(10)));
            default:
                return Mono.<String>never().transform(NineLives.deadline(Duration.ofMillis(5)));
        }
    }

    /** A value, an error, or a cancel by a timeout racing the call; each ends on a parallel thread. */
    private static Mono<String> call(Bulkhead b, int i) {
        switch (i % 3) {
            case 0:
                return Mono.just("value").publishOn(Schedulers.parallel()).transform(NineLives.bulkhead(b));
            case 1:
                return Mono.<String>error(new IOException("down")).publishOn(Schedulers.parallel()).transform(NineLives.bulkhead(b));
            default:
                return Mono.<String>never().transform(NineLives.bulkhead(b))
                        .timeout(Mono.just(0L).publishOn(Schedulers.parallel()));
        }
    }
}
