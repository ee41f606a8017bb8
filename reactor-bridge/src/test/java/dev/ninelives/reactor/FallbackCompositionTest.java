package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryExhaustedException;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fallback outside the other operators, where it belongs: it catches the refusal of a
 * breaker and of a bulkhead, an exhausted retry (its last error, or RetryExhaustedException) and
 * a timeout alike, while every policy inside still sees the call as it was and gets back every
 * permit it handed out.
 */
class FallbackCompositionTest {

    /** Records which errors reached the fallback, and delivers "fallback". */
    private static final class Witness {
        final List<Throwable> seen = new CopyOnWriteArrayList<>();
        final Fallback<String> fallback = Fallback.with(e -> {
            seen.add(e);
            return Mono.just("fallback");
        });
    }

    @Test
    void aBreakersRefusalFallsBackAndTheSourceIsNeverSubscribed() {
        CircuitBreaker breaker = CircuitBreaker.builder("open").build();
        breaker.transitionTo(State.OPEN);
        AtomicInteger subscribed = new AtomicInteger();
        Witness w = new Witness();
        Mono<String> call = Mono.fromCallable(() -> "value" + subscribed.incrementAndGet())
                .transform(NineLives.breaker(breaker))
                .transform(NineLives.fallback(w.fallback));
        StepVerifier.create(call).expectNext("fallback").verifyComplete();
        assertThat(w.seen).singleElement().isInstanceOf(CallNotPermittedException.class);
        assertThat(subscribed).hasValue(0);
        assertThat(breaker.metrics().notPermitted()).isEqualTo(1);
    }

    /** The fallback outside never hides a failure from the breaker inside: the trial call is recorded as failed. */
    @Test
    void theBreakerInsideRecordsTheFailureTheCallerNeverSees() {
        CircuitBreaker breaker = CircuitBreaker.builder("trial").permittedCallsInHalfOpen(1).build();
        breaker.transitionTo(State.HALF_OPEN);
        StepVerifier.create(Mono.<String>error(new IOException("down"))
                        .transform(NineLives.breaker(breaker))
                        .transform(NineLives.fallback(Fallback.toValue("fallback"))))
                .expectNext("fallback").verifyComplete();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aBulkheadsRefusalFallsBackAndEveryPermitComesBack() {
        Bulkhead bulkhead = Bulkhead.builder("full").maxConcurrent(1).build();
        Disposable holder = Mono.never().transform(NineLives.bulkhead(bulkhead)).subscribe();
        Witness w = new Witness();
        StepVerifier.create(Mono.just("value").transform(NineLives.bulkhead(bulkhead)).transform(NineLives.fallback(w.fallback)))
                .expectNext("fallback").verifyComplete();
        assertThat(w.seen).singleElement().isInstanceOf(BulkheadFullException.class);
        holder.dispose();
        assertAllPermitsBack(bulkhead);
        StepVerifier.create(Mono.just("value").transform(NineLives.bulkhead(bulkhead)).transform(NineLives.fallback(w.fallback)))
                .expectNext("value").verifyComplete();
        assertAllPermitsBack(bulkhead);
    }

    @Test
    void aBulkheadsWaitTimeoutFallsBackOnVirtualTime() {
        Bulkhead bulkhead = Bulkhead.builder("waiting").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).build();
        List<Throwable> seen = new ArrayList<>();
        StepVerifier.withVirtualTime(() -> {
                    Mono<String> holder = Mono.<String>never().transform(NineLives.bulkhead(bulkhead));
                    Mono<String> waiting = Mono.just("value").transform(NineLives.bulkhead(bulkhead))
                            .transform(NineLives.fallback(Fallback.with(e -> {
                                seen.add(e);
                                return Mono.just("fallback");
                            })));
                    return Mono.zip(holder.onErrorReturn("held").timeout(Duration.ofSeconds(5), Mono.just("released")), waiting)
                            .map(t -> t.getT1() + "/" + t.getT2());
                })
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(4999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("released/fallback")
                .verifyComplete();
        assertThat(seen).singleElement().satisfies(e -> assertThat(BulkheadTestSupport.reason(e))
                .isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT));
        assertAllPermitsBack(bulkhead);
    }

    @Test
    void anExhaustedRetryFallsBackWithItsLastErrorOrRetryExhaustedException() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> failing = Mono.defer(() -> Mono.error(new IOException("failure " + attempts.incrementAndGet())));
        Witness last = new Witness();
        StepVerifier.create(failing.transform(NineLives.retry(Retry.builder("last").maxAttempts(3).noBackoff().build()))
                        .transform(NineLives.fallback(last.fallback)))
                .expectNext("fallback").verifyComplete();
        assertThat(last.seen).singleElement().satisfies(e -> assertThat(e).hasMessage("failure 3"));

        Witness exhausted = new Witness();
        StepVerifier.create(failing.transform(NineLives.retry(Retry.builder("exhausted").maxAttempts(2).noBackoff().exhaustedException(true).build()))
                        .transform(NineLives.fallback(exhausted.fallback)))
                .expectNext("fallback").verifyComplete();
        assertThat(exhausted.seen).singleElement().isInstanceOf(RetryExhaustedException.class);
        assertThat(attempts).hasValue(5);
    }

    /** The retry's delays run first, on virtual time; the fallback comes only when they are spent. */
    @Test
    void theFallbackWaitsForTheRetrysBackoffOnVirtualTime() {
        StepVerifier.withVirtualTime(() -> Mono.<String>error(new IOException("down"))
                        .transform(NineLives.retry(Retry.builder("slow").maxAttempts(3).constantBackoff(Duration.ofSeconds(1)).build()))
                        .transform(NineLives.fallback(Fallback.toValue("fallback"))))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("fallback")
                .verifyComplete();
    }

    @Test
    void aTimeoutInsideFallsBackByTypeOnVirtualTime() {
        Witness w = new Witness();
        StepVerifier.withVirtualTime(() -> Mono.<String>never().timeout(Duration.ofMillis(300))
                        .transform(NineLives.fallback(w.fallback.on(TimeoutException.class))))
                .expectSubscription()
                .thenAwait(Duration.ofMillis(300))
                .expectNext("fallback")
                .verifyComplete();
        assertThat(w.seen).singleElement().isInstanceOf(TimeoutException.class);
    }

    /**
     * The whole stack, a Flux: the retry over the breaker re-runs the failing source, the bulkhead
     * holds one permit across the attempts, and the fallback continues after the elements
     * delivered. Every permit of every policy is back afterwards.
     */
    @Test
    void theWholeStackFallsBackAndLeaksNothing() {
        CircuitBreaker breaker = CircuitBreaker.builder("stack").permittedCallsInHalfOpen(100).build();
        breaker.transitionTo(State.HALF_OPEN);
        Bulkhead bulkhead = Bulkhead.builder("stack").maxConcurrent(1).build();
        Retry retry = Retry.builder("stack").maxAttempts(2).noBackoff().retryAfterElements(false).build();
        Flux<Integer> call = Flux.concat(Flux.just(1), Flux.error(new IOException("down")))
                .transform(NineLives.breaker(breaker))
                .transform(NineLives.retry(retry))
                .transform(NineLives.bulkhead(bulkhead))
                .transform(NineLives.fallback(Fallback.to(Flux.just(8, 9))));
        StepVerifier.create(call, 0)
                .thenRequest(1).expectNext(1)
                .thenRequest(1).expectNext(8)
                .thenRequest(1).expectNext(9)
                .verifyComplete();
        assertAllPermitsBack(bulkhead);
        assertThat(breaker.metrics().calls()).as("the one attempt recorded").isEqualTo(1);
        assertThat(breaker.metrics().failures()).isEqualTo(1);
        long trial = breaker.tryAcquire();
        assertThat(trial).as("the trial slots not recorded are free").isNotNegative();
        breaker.release(trial);
    }
}
