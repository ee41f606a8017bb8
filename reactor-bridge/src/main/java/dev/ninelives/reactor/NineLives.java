package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.core.Ticker;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RequestNotPermittedException;
import dev.ninelives.internal.Check;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryExhaustedException;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

import java.time.Duration;
import java.util.function.Function;

/**
 * The entry point of NineLives for Reactor: resilience operators for {@code transform}.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.ofDefaults("quotes");
 *
 * Mono<Quote> quote = client.quote(id)
 *     .transform(NineLives.breaker(breaker));
 * }</pre>
 */
public final class NineLives {

    private NineLives() {
    }

    /**
     * Protects a Mono, a Flux or any Publisher with a circuit breaker. A Mono stays a Mono, a
     * Flux stays a Flux, any other Publisher becomes a Flux. Nothing happens per call until
     * subscription, so {@code transform} and {@code transformDeferred} behave the same, and one
     * transformed publisher can be subscribed many times: each subscription is one call.
     *
     * <p>What the operator does on each signal:
     * <ul>
     *   <li><b>subscribe</b>: asks the breaker for a permit ({@link CircuitBreaker#tryAcquire()},
     *       at most one CAS). Refused: the subscriber gets {@code onSubscribe} then
     *       {@code onError(CallNotPermittedException)}, and the source is never subscribed.</li>
     *   <li><b>first {@code onNext}</b> of a Mono: success, recorded at once. A Flux's elements
     *       pass through untouched: no allocation and no atomic write per element.</li>
     *   <li><b>{@code onComplete}</b>: success, if nothing was recorded yet (an empty Mono, any Flux).</li>
     *   <li><b>{@code onError}</b>: a failure if the breaker's failure predicate accepts the error,
     *       otherwise the permit is released unrecorded.</li>
     *   <li><b>{@code cancel}</b> before an outcome: the permit is released and nothing is
     *       recorded; for a Flux that had delivered at least one element, a success.</li>
     *   <li><b>slow calls</b> (when configured) are measured from subscription to outcome.</li>
     * </ul>
     * The outcome is recorded exactly once, by whichever of these signals comes first, so a
     * cancelled trial call in HALF_OPEN returns its permit and the breaker cannot get stuck.
     *
     * <p>Testing with virtual time takes one line of setup, the breaker's ticker. Open the
     * breaker inside the supplier, once {@code withVirtualTime} has installed its clock:
     * <pre>{@code
     * CircuitBreaker breaker = CircuitBreaker.builder("quotes")
     *     .ticker(NineLives.schedulerTicker())          // the one line: read Reactor's (virtual) clock
     *     .openDuration(Duration.ofSeconds(30))
     *     .build();
     *
     * StepVerifier.withVirtualTime(() -> {
     *         breaker.transitionTo(CircuitBreaker.State.OPEN);      // opened at virtual time 0
     *         return Mono.just("quote").transform(NineLives.breaker(breaker))
     *             .delaySubscription(Duration.ofSeconds(30));      // the call comes 30 s later
     *     })
     *     .expectSubscription()
     *     .thenAwait(Duration.ofSeconds(30))            // OPEN becomes HALF_OPEN; the trial call succeeds
     *     .expectNext("quote")
     *     .verifyComplete();
     * }</pre>
     *
     * @param breaker the circuit breaker; one breaker is usually shared by every call to a dependency
     * @param <T>     the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code breaker} is null
     */
    @SuppressWarnings("unchecked")
    public static <T> Function<Publisher<T>, Publisher<T>> breaker(CircuitBreaker breaker) {
        Check.notNull(breaker, "breaker");
        return source -> {
            if (source instanceof Mono) {
                return MonoBreaker.assemble((Mono<T>) source, breaker);
            }
            return FluxBreaker.assemble(Flux.from(source), breaker);
        };
    }

    /**
     * Retries a Mono, a Flux or any Publisher by resubscribing it, as the policy says. A Mono
     * stays a Mono, a Flux stays a Flux. Delays run on {@code Schedulers.parallel()}, resolved
     * at each subscription, so {@code StepVerifier.withVirtualTime} drives them.
     *
     * <pre>{@code
     * Retry retry = Retry.builder("quotes")
     *     .maxAttempts(3)
     *     .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
     *     .build();
     *
     * Mono<Quote> quote = client.quote(id)
     *     .transform(NineLives.breaker(breaker))   // every attempt goes through the breaker
     *     .transform(NineLives.retry(retry));
     * }</pre>
     *
     * <p>What the operator does: one subscriber per subscription runs every attempt and
     * resubscribes the source itself (immediate retries loop, they never deepen the stack);
     * elements pass through with one plain increment; an error the policy retries schedules the
     * next attempt after the policy's delay; downstream demand stays exact across attempts (the
     * next attempt is asked only for what is still outstanding); cancel during a delay disposes
     * it and nothing is resubscribed. A Flux that already emitted elements is resubscribed and
     * may emit them again, unless the policy says otherwise. A circuit breaker's refusal is not
     * retried unless the policy says so. When the attempts run out, the last error is signalled
     * with the earlier ones attached as suppressed (or a {@code RetryExhaustedException}).
     * A deadline the call carries in its Context ({@link #deadline(Duration)}) counts like the
     * policy's own: no retry is scheduled whose delay would end at or past it, and the call ends
     * as if its attempts had run out ({@code onExhausted}).
     * A Mono's value ends the call: downstream gets the value and its completion at once. Each
     * call's ending is announced to the policy's listeners ({@code onSucceeded},
     * {@code onFailed}, {@code onExhausted}, {@code onBudgetRefused}); a cancelled call
     * announces none. Each attempt gets one {@code onSubscribe} through: a second
     * Subscription within one attempt is cancelled (and reported to Reactor's hooks), and the
     * first keeps running.
     *
     * <p>When one of the policy's callbacks throws, the call never hangs and never retries by
     * mistake; the same happens whether the source signals on the subscribing thread or on
     * another one:
     * <ul>
     *   <li><b>{@code retryIf} predicate</b>: the error is not retried; the call ends with the
     *       attempt's error, what the predicate threw attached as suppressed; FAILED.</li>
     *   <li><b>result predicate</b>: the attempt is cancelled and the call ends with
     *       {@code onError(what the predicate threw)}; FAILED.</li>
     *   <li><b>backoff function, jitter generator</b>: no retry; the call ends with what they
     *       threw, the attempt's error attached as suppressed; FAILED.</li>
     *   <li><b>listener</b>: logged and ignored; the call goes on.</li>
     * </ul>
     * A JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) from a predicate, the
     * backoff function or the generator ends the call with {@code onError(that error)}, announced
     * FAILED; from a listener, what the event announced still happens (the retry is scheduled,
     * the call ends, the value is delivered). Only then does the error propagate, to the thread
     * that signalled: out of {@code subscribe} for a synchronous source, into the scheduler's
     * task otherwise. So an operator outside the retry, a bulkhead say, has its permit back
     * before the error reaches anyone.
     *
     * @param retry the policy; one policy can serve any number of pipelines
     * @param <T>   the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code retry} is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> retry(Retry retry) {
        return retryOn(retry, null);
    }

    /**
     * As {@link #retry(Retry)}, with the delays on {@code scheduler}.
     *
     * @param retry     the policy
     * @param scheduler where delayed retries run
     * @param <T>       the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if an argument is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> retry(Retry retry, Scheduler scheduler) {
        return retryOn(retry, Check.notNull(scheduler, "scheduler"));
    }

    @SuppressWarnings("unchecked")
    static <T> Function<Publisher<T>, Publisher<T>> retryOn(Retry retry, Scheduler scheduler) {
        Check.notNull(retry, "retry");
        return source -> {
            if (source instanceof Mono) {
                return MonoRetry.assemble((Mono<T>) source, retry, scheduler);
            }
            return FluxRetry.assemble(Flux.from(source), retry, scheduler);
        };
    }

    /**
     * Limits a Mono, a Flux or any Publisher with a bulkhead: at most {@code maxConcurrent}
     * subscriptions run at once, and the others wait for a permit without blocking a thread,
     * or are refused. A Mono stays a Mono, a Flux stays a Flux, any other Publisher becomes a
     * Flux. Wait timeouts run on {@code Schedulers.parallel()}, resolved at each subscription,
     * so {@code StepVerifier.withVirtualTime} drives them exactly. The waits of one bulkhead share
     * one scheduled task, set for the oldest waiter's deadline, so a wait schedules nothing of
     * its own; on a real Scheduler, whose clock counts milliseconds, a wait times out within a
     * millisecond of {@code maxWait}.
     *
     * <pre>{@code
     * Bulkhead bulkhead = Bulkhead.builder("inventory")
     *     .maxConcurrent(10)
     *     .maxWait(Duration.ofMillis(250))
     *     .build();
     *
     * Mono<Stock> stock = client.stock(sku)
     *     .transform(NineLives.breaker(breaker))
     *     .transform(NineLives.retry(retry))
     *     .transform(NineLives.bulkhead(bulkhead));   // outermost: a retrying call keeps its permit
     * }</pre>
     *
     * <p>What the operator does on each subscription:
     * <ul>
     *   <li><b>a permit is free and nobody waits</b>: the source is subscribed at once, on the
     *       subscribing thread (one CAS on the bulkhead).</li>
     *   <li><b>every permit is taken</b>, waiting on: the subscriber gets {@code onSubscribe} at
     *       once, so it can request and cancel while it waits, and waits in the queue. When a
     *       permit is handed to it, the source is subscribed <em>on the thread that returned
     *       the permit</em> (where an earlier call ended or was cancelled): no thread hop, no
     *       blocked thread. To choose another thread, put {@code subscribeOn} before the operator,
     *       on the source: a {@code subscribeOn} after it moves only the request for a permit.
     *       After {@code maxWait} without a permit it gets
     *       {@code onError(BulkheadFullException)} with reason {@code WAIT_TIMED_OUT}.</li>
     *   <li><b>refused</b> (waiting off, or the queue full): {@code onSubscribe} then
     *       {@code onError(BulkheadFullException)}; the source is never subscribed.</li>
     * </ul>
     * A Mono returns its permit at its first value (before passing it on), completion, error or
     * cancel; a Flux at its terminal signal or cancel. Each permit is returned exactly once on
     * every path, including a source whose {@code subscribe} throws, and a waiter that is
     * cancelled or times out never takes a permit. A caller whose Context carries a deadline
     * that has passed ({@link #deadline(Duration)}) neither takes a permit nor waits: it gets
     * {@code onError} with the deadline's {@link TimeoutExceededException} at once; one that waits is cancelled by the
     * deadline when it passes, if {@code maxWait} has not ended the wait first.
     *
     * <p><b>Listeners that throw.</b> The bulkhead's listeners ({@code onPermitted},
     * {@code onRejected}, {@code onFinished}) run inside these signals. A non-fatal throwable
     * (any {@code RuntimeException}, or an {@code Error} that is not JVM-fatal, such as an
     * {@code AssertionError}) is logged and the call carries on as if the listener had not
     * thrown. A JVM-fatal error ({@code VirtualMachineError}, {@code LinkageError}) first leaves
     * everything whole, then propagates to the thread that caused the event: the permits and the
     * queue are right, the wait timer goes on timing every other waiter, and the subscriber has
     * had its signal, so that operators around this one end their call too. That signal is the
     * call's own (a refusal's {@code BulkheadFullException}, a timed-out waiter's
     * {@code WAIT_TIMED_OUT}, the terminal signal or cancel that ended the call), except when
     * {@code onPermitted} throws: then the call does not start, its permit goes to the next
     * caller, and its subscriber gets {@code onError} with the listener's error. A source whose
     * {@code subscribe} throws a JVM-fatal error is treated the same way: permit back,
     * {@code onError} with that error, then rethrown.
     *
     * @param bulkhead the bulkhead; one is usually shared by every call to a dependency
     * @param <T>      the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code bulkhead} is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> bulkhead(Bulkhead bulkhead) {
        return bulkheadOn(bulkhead, null);
    }

    /**
     * As {@link #bulkhead(Bulkhead)}, with wait timeouts on {@code scheduler}.
     *
     * @param bulkhead  the bulkhead
     * @param scheduler where wait timeouts run
     * @param <T>       the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if an argument is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> bulkhead(Bulkhead bulkhead, Scheduler scheduler) {
        return bulkheadOn(bulkhead, Check.notNull(scheduler, "scheduler"));
    }

    @SuppressWarnings("unchecked")
    static <T> Function<Publisher<T>, Publisher<T>> bulkheadOn(Bulkhead bulkhead, Scheduler scheduler) {
        Check.notNull(bulkhead, "bulkhead");
        return source -> {
            if (source instanceof Mono) {
                return MonoBulkhead.assemble((Mono<T>) source, bulkhead, scheduler);
            }
            return FluxBulkhead.assemble(Flux.from(source), bulkhead, scheduler);
        };
    }

    /**
     * Limits the rate of calls of a Mono, a Flux or any Publisher with a rate limiter: one permit
     * per subscription (a Flux's elements are not counted). A Mono stays a Mono, a Flux stays a
     * Flux, any other Publisher becomes a Flux.
     *
     * <pre>{@code
     * RateLimiter limiter = RateLimiter.builder("geocoder")
     *     .limitForPeriod(10).period(Duration.ofSeconds(1))
     *     .maxWait(Duration.ofMillis(500))
     *     .build();
     *
     * Mono<Place> place = geocoder.lookup(address).transform(NineLives.rateLimiter(limiter));
     * }</pre>
     *
     * <p>What the operator does on each subscription:
     * <ul>
     *   <li><b>a permit is free now</b>: the source is subscribed at once, on the subscribing
     *       thread, with the downstream subscriber itself (one CAS on the limiter, nothing
     *       allocated).</li>
     *   <li><b>a permit is free within {@code maxWait}</b>: the call reserves its instant at once
     *       (callers are served in the order they reserved), the subscriber gets
     *       {@code onSubscribe} at once, so it can request and cancel while it waits, and the
     *       source is subscribed at that instant from a task on the Scheduler resolved at
     *       subscription ({@code Schedulers.parallel()}, the virtual-time one under
     *       {@code StepVerifier.withVirtualTime}), on that Scheduler's thread. No thread is held
     *       meanwhile. A cancel during the wait disposes the task and gives the permit back if no
     *       later caller has reserved since (otherwise it is forfeit; see {@link RateLimiter}).</li>
     *   <li><b>refused</b>: {@code onSubscribe} then {@code onError(RequestNotPermittedException)},
     *       whose {@link RequestNotPermittedException#retryAfter()} tells when a call would be
     *       admitted; the source is never subscribed.</li>
     * </ul>
     * A Context deadline ({@link #deadline(Duration)}, a pipeline's total timeout) is respected:
     * passed already, the call ends with its {@link TimeoutExceededException} and asks for no
     * permit; a call whose deadline would pass before its reserved instant is refused at once
     * (as above) and spends no permit.
     *
     * <p>The limiter reads its own ticker; to test with virtual time build it with
     * {@link #schedulerTicker()}. <b>Listeners that throw:</b> a non-fatal throwable is logged
     * and the call carries on; a JVM-fatal error propagates from {@code subscribe} once the
     * subscriber had its signal: its refusal, or for a permitted listener {@code onError} with
     * that error (the call does not start, and its permit is given back if it still can be).
     *
     * @param limiter the rate limiter; one is usually shared by every call to a dependency
     * @param <T>     the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code limiter} is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> rateLimiter(RateLimiter limiter) {
        return rateLimiterOn(limiter, null);
    }

    /**
     * As {@link #rateLimiter(RateLimiter)}, with waits scheduled on {@code scheduler}.
     *
     * @param limiter   the rate limiter
     * @param scheduler where a call that waits is subscribed at its instant
     * @param <T>       the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if an argument is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> rateLimiter(RateLimiter limiter, Scheduler scheduler) {
        return rateLimiterOn(limiter, Check.notNull(scheduler, "scheduler"));
    }

    @SuppressWarnings("unchecked")
    static <T> Function<Publisher<T>, Publisher<T>> rateLimiterOn(RateLimiter limiter, Scheduler scheduler) {
        Check.notNull(limiter, "limiter");
        return source -> {
            if (source instanceof Mono) {
                return MonoRateLimiter.assemble((Mono<T>) source, limiter, scheduler);
            }
            return FluxRateLimiter.assemble(Flux.from(source), limiter, scheduler);
        };
    }

    /**
     * Hedges a Mono: when it has not answered after the hedge's delay, the Mono is subscribed
     * again (a hedge), and again after each further delay up to {@code maxHedges}; the first
     * answer wins and every other attempt is cancelled. It cuts the tail latency of a dependency
     * whose slow calls are slow by chance, for a few extra calls that the hedge's budget bounds.
     * Only for calls that are safe to repeat (reads, idempotent writes).
     *
     * <pre>{@code
     * Hedge hedge = Hedge.builder("search").delayPercentile(95).minDelay(Duration.ofMillis(20)).build();
     *
     * Mono<Hits> hits = search.query(q).transform(NineLives.hedge(hedge));
     * }</pre>
     *
     * <p>What the operator does on each subscription:
     * <ul>
     *   <li><b>the first attempt answers during its subscribe</b> (a cached or synchronous
     *       source): the answer goes downstream and nothing is scheduled; the call costs one
     *       subscriber object and one atomic add.</li>
     *   <li><b>no answer yet</b>: a one-shot task is scheduled with the delay in force on the
     *       Scheduler resolved at subscription ({@code Schedulers.parallel()}, the virtual-time
     *       one under {@code StepVerifier.withVirtualTime}), and re-armed at each tick for the
     *       next. At each tick with no answer, a hedge takes a token from the budget and
     *       subscribes the source again, on the Scheduler's thread; a refused hedge is counted and no later one is tried (the attempts in flight
     *       go on). A Context deadline ({@link #deadline(Duration)}, a pipeline's total timeout)
     *       that leaves no more than the delay arms nothing: a hedge would start too late.</li>
     *   <li><b>the first answer</b> (a value, or an empty completion) from any attempt is the
     *       call's: the timer is disposed, the other attempts are cancelled, and the subscriber
     *       gets the value and {@code onComplete}. Later answers are discarded.</li>
     *   <li><b>an attempt's error</b> is dropped while another attempt is in flight; the call
     *       fails with the error of its last attempt in flight, or at once with an error the
     *       hedge's {@code errorEndsRace} predicate accepts (see there for a predicate that
     *       throws).</li>
     *   <li><b>cancel</b>: the timer and every attempt are cancelled.</li>
     * </ul>
     * The subscriber's request is passed to each attempt as an unbounded one (a Mono emits one
     * value at most), and an attempt is only asked once the subscriber has asked.
     *
     * <p><b>Mono only.</b> A Flux's elements cannot be raced as one answer against another
     * subscription's without buffering or mixing streams, so a Flux is refused at assembly with
     * an {@link IllegalArgumentException}; hedge each element's call, or a Mono of the whole
     * answer ({@code flux.collectList()}).
     *
     * <p><b>Listeners that throw:</b> a non-fatal throwable is logged and the call carries on; a
     * JVM-fatal error ends the call (every attempt cancelled, the subscriber gets
     * {@code onError} with that error) and then propagates, from the Scheduler's task or from the
     * thread that delivered the answer.
     *
     * @param hedge the hedge policy; one is usually shared by every call to a dependency
     * @param <T>   the element type
     * @return a function for {@link Mono#transform}
     * @throws NullPointerException if {@code hedge} is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> hedge(Hedge hedge) {
        return hedgeOn(hedge, null, null);
    }

    /**
     * As {@link #hedge(Hedge)}, with the delays scheduled on {@code scheduler}.
     *
     * @param hedge     the hedge policy
     * @param scheduler where the delays run and the hedges are subscribed
     * @param <T>       the element type
     * @return a function for {@link Mono#transform}
     * @throws NullPointerException if an argument is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> hedge(Hedge hedge, Scheduler scheduler) {
        return hedgeOn(hedge, Check.notNull(scheduler, "scheduler"), null);
    }

    @SuppressWarnings("unchecked")
    static <T> Function<Publisher<T>, Publisher<T>> hedgeOn(Hedge hedge, Scheduler scheduler, CircuitBreaker breaker) {
        Check.notNull(hedge, "hedge");
        return source -> {
            if (!(source instanceof Mono)) {
                throw notAMono(hedge, source);
            }
            return MonoHedge.assemble((Mono<T>) source, hedge, scheduler, breaker);
        };
    }

    static IllegalArgumentException notAMono(Hedge hedge, Publisher<?> source) {
        return new IllegalArgumentException("hedge '" + hedge.name() + "' applies to a Mono only, but was given a "
                + (source == null ? "null" : source.getClass().getSimpleName())
                + ": a Flux's elements cannot be raced against another subscription's; hedge each element's call,"
                + " or a Mono of the whole answer (collectList())");
    }

    /**
     * Protects a Mono, a Flux or any Publisher with every stage of a {@link Pipeline}, in the
     * pipeline's order: the rate limiter (one permit per call), the bulkhead (one permit per call), the total timeout, the retry (the
     * attempts), the circuit breaker (a permit per attempt), the attempt timeout, then the
     * source. A Mono stays a Mono, a Flux stays a Flux.
     *
     * <pre>{@code
     * Pipeline inventory = Pipeline.builder("inventory")
     *     .bulkhead(bulkhead).retry(retry).breaker(breaker)   // any order: the pipeline orders them
     *     .attemptTimeout(Duration.ofMillis(300))
     *     .build();
     *
     * Mono<Stock> stock = client.stock(sku).transform(NineLives.pipeline(inventory));
     * }</pre>
     *
     * <p>Each stage behaves exactly as its single operator does ({@link #bulkhead(Bulkhead)},
     * {@link #retry(Retry)}, {@link #breaker(CircuitBreaker)}, {@link #timeout(Duration)}, and
     * for the total timeout {@link #deadline(Duration)}): the same signals, the same permits, the
     * same listener events. The bulkhead, the retry and the breaker run in one subscriber per call.
     *
     * @param pipeline the pipeline; one per dependency, shared by every call to it
     * @param <T>      the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code pipeline} is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> pipeline(Pipeline pipeline) {
        Check.notNull(pipeline, "pipeline");
        return source -> PipelineAssembly.assemble(source, pipeline);
    }

    /**
     * As {@link #pipeline(Pipeline)}, with a fallback around the whole pipeline: a call that still
     * fails after every stage (a refusal of the bulkhead or the breaker, an exhausted retry, the
     * source's error) switches to the fallback, as {@link #fallback(Fallback)} does.
     *
     * <pre>{@code
     * Mono<Stock> stock = client.stock(sku)
     *     .transform(NineLives.pipeline(inventory, Fallback.toValue(Stock.unknown(sku))));
     * }</pre>
     *
     * <p>The fallback belongs to the call, not to the pipeline: one pipeline protects every call
     * to a dependency whatever their element types, and each call falls back to a value of its
     * own type.
     *
     * @param pipeline the pipeline
     * @param fallback what a failed call switches to
     * @param <T>      the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if an argument is null
     */
    public static <T> Function<Publisher<T>, Publisher<T>> pipeline(Pipeline pipeline, Fallback<? extends T> fallback) {
        Check.notNull(pipeline, "pipeline");
        Check.notNull(fallback, "fallback");
        return source -> PipelineAssembly.assemble(source, pipeline, fallback);
    }

    /**
     * Gives a Mono, a Flux or any Publisher a fallback: when the call fails with an error the
     * {@link Fallback} applies to (by default every {@link Exception}, never a JVM-fatal error),
     * downstream gets the fallback's value or publisher in place of the error. A Mono stays a
     * Mono, a Flux stays a Flux, any other Publisher becomes a Flux. Put it outermost, so that it
     * sees what every other operator decided: a breaker's or a bulkhead's refusal, an exhausted
     * retry, a timeout.
     *
     * <pre>{@code
     * Mono<Quote> quote = client.quote(id)
     *     .transform(NineLives.breaker(breaker))
     *     .transform(NineLives.retry(retry))
     *     .transform(NineLives.bulkhead(bulkhead))
     *     .transform(NineLives.fallback(Fallback.with(error -> cache.lastQuote(id))));   // outermost
     *
     * Flux<Price> prices = feed.prices()
     *     .transform(NineLives.fallback(Fallback.to(backupFeed.prices()).on(IOException.class)));
     * }</pre>
     *
     * <p>What the operator does on each signal:
     * <ul>
     *   <li><b>elements, completion</b>: passed on untouched. A call that succeeds costs one
     *       subscriber object, a plain increment per element and one CAS per request; the
     *       fallback is never looked at.</li>
     *   <li><b>{@code onError}</b> the fallback applies to: the fallback publisher is subscribed
     *       (anew for each such call, with the subscriber's {@code Context}) and its signals go
     *       downstream in place of the error. It is asked for exactly what downstream requested
     *       and has not received, no more; later requests go to it.</li>
     *   <li><b>a Flux that already delivered elements</b> then fails: the fallback continues the
     *       stream, its elements after those delivered; nothing is replayed. Restrict the
     *       fallback with {@link Fallback#when} if a partial stream must fail instead.</li>
     *   <li><b>a Mono</b> falls back only before its value: a value ends the call, and an error
     *       after it (from a source that breaks the Mono contract) is passed on. A Mono's
     *       fallback publisher gives at most one value: a Flux there is cut after its first
     *       element, as {@code Mono.from} does.</li>
     *   <li><b>{@code onError}</b> the fallback does not apply to, a JVM-fatal error included:
     *       passed on unchanged.</li>
     *   <li><b>the fallback publisher fails</b>: its error ends the call, the original error
     *       attached to it as suppressed.</li>
     *   <li><b>{@code cancel}</b>: cancels the source, or the fallback publisher once the call
     *       has switched to it; a cancel that races the switch cancels the fallback publisher as
     *       soon as it has subscribed, and asks it for nothing.</li>
     *   <li><b>the source's {@code subscribe} throws</b>: the call fails with that error, and may
     *       fall back.</li>
     * </ul>
     *
     * <p><b>Callbacks that throw.</b> The fallback's predicate ({@link Fallback#when}) and function
     * ({@link Fallback#with}) are user code. An exception or a non-fatal {@code Error} from either,
     * or a null from the function, ends the call with {@code onError(what was thrown)} (a
     * {@link NullPointerException} for the null), the original error attached as suppressed. A
     * JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) ends the call with
     * {@code onError(that error)}, so that the operators around this one end their call and return
     * their permits, and only then propagates, to the thread that signalled the original error:
     * out of {@code subscribe} for a synchronous source, into the source's thread otherwise. The
     * same holds for a fallback publisher whose {@code subscribe} throws.
     *
     * @param fallback what to deliver, and for which errors; one fallback can serve any number of calls
     * @param <T>      the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException if {@code fallback} is null
     */
    @SuppressWarnings("unchecked")
    public static <T> Function<Publisher<T>, Publisher<T>> fallback(Fallback<? extends T> fallback) {
        Check.notNull(fallback, "fallback");
        return source -> {
            if (source instanceof Mono) {
                return MonoFallback.assemble((Mono<T>) source, fallback);
            }
            return FluxFallback.assemble(Flux.from(source), fallback);
        };
    }

    /**
     * Limits how long a Mono, a Flux or any Publisher may take: if the subscription has not ended
     * within {@code timeout}, the source is cancelled and the subscriber gets
     * {@code onError(TimeoutExceededException)} (stage {@code "timeout"}). A Mono stays a Mono, a
     * Flux stays a Flux, any other Publisher becomes a Flux. Time is read from
     * {@code Schedulers.parallel()}, resolved at each subscription, so
     * {@code StepVerifier.withVirtualTime} drives it exactly.
     *
     * <pre>{@code
     * Mono<Quote> quote = client.quote(id)
     *     .transform(NineLives.timeout(Duration.ofMillis(500)))   // inside the breaker: it sees the hung call fail
     *     .transform(NineLives.breaker(breaker));
     *
     * StepVerifier.withVirtualTime(() -> Mono.never().transform(NineLives.timeout(Duration.ofSeconds(1))))
     *     .expectSubscription()
     *     .thenAwait(Duration.ofSeconds(1))
     *     .expectErrorSatisfies(e -> assertThat(NineLives.isTimeout(e)).isTrue())
     *     .verify();
     * }</pre>
     *
     * <p>What the operator does on each signal:
     * <ul>
     *   <li><b>subscribe</b>: subscribes the source. The clock starts once the subscription has
     *       reached the subscriber ({@code onSubscribe}), as with Reactor's {@code timeout}; a
     *       source that ends inside {@code onSubscribe} (a {@code Mono.just}, a cached value) is
     *       never timed at all.</li>
     *   <li><b>a Mono's first value</b>, or <b>{@code onComplete}</b> / <b>{@code onError}</b>:
     *       the call ended in time; the signal passes through and the timeout is forgotten.</li>
     *   <li><b>a Flux's elements</b> pass through; the timeout covers the whole stream, not
     *       each element. Each element costs two atomic operations, so that the timeout can never
     *       signal {@code onError} while {@code onNext} is still running on another thread: a
     *       timeout that fires during an element is delivered as soon as that element is through.</li>
     *   <li><b>the timeout</b>: the source is cancelled, then the subscriber gets
     *       {@code onError(TimeoutExceededException)}, on the Scheduler's thread. Signals the
     *       source sends after that are dropped (Reactor's {@code onNextDropped} and
     *       {@code onErrorDropped} hooks).</li>
     *   <li><b>{@code cancel}</b>: cancels the source and forgets the timeout.</li>
     * </ul>
     *
     * <p>The cost: every timeout of one duration on one Scheduler shares one scheduled task,
     * set for the oldest call's deadline, so a call schedules nothing of its own: arming is one
     * atomic add and a store into a shared array, and a call that ends in time clears its slot
     * with one store. Reactor's real Schedulers tell time in milliseconds, so a timeout fires
     * within a millisecond of its deadline. A Scheduler that cannot run delayed tasks
     * ({@code Schedulers.immediate()}), or one that is disposed, ends the call with Reactor's
     * {@code RejectedExecutionException}.
     *
     * @param timeout how long a subscription may take, positive
     * @param <T>     the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public static <T> Function<Publisher<T>, Publisher<T>> timeout(Duration timeout) {
        return limit(timeout, "timeout", TimeoutExceededException.Stage.TIMEOUT, null);
    }

    /**
     * As {@link #timeout(Duration)}, timed on {@code scheduler}'s clock and threads.
     *
     * @param timeout   how long a subscription may take, positive
     * @param scheduler where the time is read and the timeout fires
     * @param <T>       the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public static <T> Function<Publisher<T>, Publisher<T>> timeout(Duration timeout, Scheduler scheduler) {
        return limit(timeout, "timeout", TimeoutExceededException.Stage.TIMEOUT, Check.notNull(scheduler, "scheduler"));
    }

    /**
     * Gives every call a deadline: the instant {@code deadline} after its subscription, on the
     * Scheduler's clock, by which the whole call must be over. The operator writes it into the
     * subscriber {@code Context}, for everything upstream of it to see, and enforces it: when it
     * passes, the source is cancelled and the subscriber gets
     * {@code onError(TimeoutExceededException)} with stage {@code "deadline"}, exactly as
     * {@link #timeout(Duration)} does. Time is read from {@code Schedulers.parallel()}, resolved at
     * each subscription, so {@code StepVerifier.withVirtualTime} drives it.
     *
     * <pre>{@code
     * Mono<Order> order = Mono.deferContextual(ctx -> orders.place(request,
     *             Deadline.remaining(ctx).orElseThrow()))          // what is left, for the service
     *     .transform(NineLives.retry(retry))                       // no backoff ends past the deadline
     *     .transform(NineLives.deadline(Duration.ofSeconds(2)));
     * }</pre>
     *
     * <p>What respects it, upstream of the operator:
     * <ul>
     *   <li><b>another {@code deadline}</b>: an inner deadline gets the tighter of its own and the
     *       outer one. When the outer one is tighter, the inner operator adds nothing (the outer
     *       one enforces it).</li>
     *   <li><b>a call that starts with no time left</b> (an inner {@code deadline} reached after
     *       the outer one passed) fails at once with the outer deadline's error, and its source is
     *       never subscribed.</li>
     *   <li><b>{@link #retry(Retry)}</b> schedules no attempt whose backoff would end at or past
     *       the deadline: the call ends as if its attempts had run out (announced
     *       {@code EXHAUSTED}, with the last error, or a {@code RetryExhaustedException} if the
     *       policy asks for one).</li>
     *   <li><b>{@link #bulkhead(Bulkhead)}</b> and {@link #pipeline(Pipeline)}: a call that starts
     *       with no time left fails at once with the deadline's error, takes no permit (bulkhead
     *       or breaker), does not queue and never reaches the source; one that waits is
     *       cancelled when the deadline passes (this operator's error reaches the subscriber), or
     *       times out with {@code WAIT_TIMED_OUT} if {@code maxWait} comes first.</li>
     *   <li><b>your code</b>: {@link Deadline#remaining(ContextView)} tells what is left, to pass
     *       to a downstream service (an HTTP header, a gRPC deadline).</li>
     * </ul>
     *
     * @param deadline how long a call may take from its subscription, positive
     * @param <T>      the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException     if {@code deadline} is null
     * @throws IllegalArgumentException if {@code deadline} is zero or negative
     */
    public static <T> Function<Publisher<T>, Publisher<T>> deadline(Duration deadline) {
        return limit(deadline, "deadline", TimeoutExceededException.Stage.DEADLINE, null);
    }

    /**
     * As {@link #deadline(Duration)}, on {@code scheduler}'s clock and threads.
     *
     * @param deadline  how long a call may take from its subscription, positive
     * @param scheduler whose clock the deadline is an instant of, and where it fires
     * @param <T>       the element type
     * @return a function for {@link Mono#transform} and {@link Flux#transform}
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code deadline} is zero or negative
     */
    public static <T> Function<Publisher<T>, Publisher<T>> deadline(Duration deadline, Scheduler scheduler) {
        return limit(deadline, "deadline", TimeoutExceededException.Stage.DEADLINE, Check.notNull(scheduler, "scheduler"));
    }

    @SuppressWarnings("unchecked")
    static <T> Function<Publisher<T>, Publisher<T>> limit(Duration duration, String name,
                                                         TimeoutExceededException.Stage stage, Scheduler scheduler) {
        Check.positive(duration, name);
        return source -> {
            if (source instanceof Mono) {
                return MonoTimeout.assemble((Mono<T>) source, duration, stage, scheduler);
            }
            return FluxTimeout.assemble(Flux.from(source), duration, stage, scheduler);
        };
    }

    /**
     * Tells whether {@code error} says that a NineLives time limit ran out: a timeout, a
     * pipeline's total or attempt timeout, or a deadline ({@link TimeoutExceededException}).
     * Other {@link java.util.concurrent.TimeoutException}s, Reactor's own {@code timeout}'s
     * among them, are not; test {@code instanceof TimeoutException} to include them.
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link TimeoutExceededException}
     */
    public static boolean isTimeout(Throwable error) {
        return error instanceof TimeoutExceededException;
    }

    /**
     * Tells whether {@code error} is a bulkhead's refusal (full, queue full, or wait timed out).
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link BulkheadFullException}
     */
    public static boolean isBulkheadFull(Throwable error) {
        return error instanceof BulkheadFullException;
    }

    /**
     * Tells whether {@code error} is a rate limiter's refusal.
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link RequestNotPermittedException}
     */
    public static boolean isRateLimited(Throwable error) {
        return error instanceof RequestNotPermittedException;
    }

    /**
     * Tells whether {@code error} says that a call's retries ran out, as a
     * {@link RetryExhaustedException} (signalled when the policy asks for it).
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link RetryExhaustedException}
     */
    public static boolean isRetryExhausted(Throwable error) {
        return error instanceof RetryExhaustedException;
    }

    /**
     * Tells whether {@code error} is a circuit breaker's refusal.
     *
     * @param error any throwable, possibly null
     * @return true if it is a {@link CallNotPermittedException}
     */
    public static boolean isCallNotPermitted(Throwable error) {
        return error instanceof CallNotPermittedException;
    }

    /**
     * Returns a ticker that reads the clock of {@code Schedulers.parallel()} at every call.
     * Under {@code StepVerifier.withVirtualTime} that scheduler is the virtual-time scheduler,
     * so {@code thenAwait(...)} moves every policy built with this ticker: open durations,
     * time-based windows, slow calls. Outside virtual time it follows Reactor's scheduler
     * clock, which is wall-clock time in milliseconds; production code should keep the
     * default {@link Ticker#system()}.
     *
     * @return a ticker on Reactor's scheduler clock
     */
    public static Ticker schedulerTicker() {
        return SchedulerTicker.INSTANCE;
    }
}
