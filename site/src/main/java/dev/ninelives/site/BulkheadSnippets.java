package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
// end::imports[]

import dev.ninelives.core.Ticker;
import dev.ninelives.site.GettingStartedSnippets.QuoteClient;

import java.util.Objects;

/**
 * The code of the "Bulkhead" page. The page shows the regions between the {@code tag::name[]}
 * and {@code end::name[]} comments, and {@code BulkheadSnippetsTest} checks what each region does
 * (under virtual time where there is a wait), so the page cannot show code that does not compile
 * or does not behave as the page says.
 *
 * <p>The example is the quote service of the "Getting started" page, whose calls to the remote
 * {@link QuoteClient} now go through a bulkhead, and, in {@link #protectedQuote(String)}, through
 * a retry and a circuit breaker as well.
 */
public final class BulkheadSnippets {

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final Bulkhead bulkhead;         // one bulkhead, shared by every call to the client
    private final CircuitBreaker breaker;    // one breaker, for protectedQuote
    private final Retry retry;               // the retry policy of protectedQuote
    // end::fields[]

    /**
     * Creates the quote service.
     *
     * @param client   the remote client
     * @param bulkhead the bulkhead shared by every call to the client
     * @param breaker  the breaker shared by every call to the client
     * @param retry    the retry policy of {@link #protectedQuote(String)}
     * @throws NullPointerException if an argument is null
     */
    public BulkheadSnippets(QuoteClient client, Bulkhead bulkhead, CircuitBreaker breaker, Retry retry) {
        this.client = Objects.requireNonNull(client, "client");
        this.bulkhead = Objects.requireNonNull(bulkhead, "bulkhead");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
        this.retry = Objects.requireNonNull(retry, "retry");
    }

    /**
     * Builds the bulkhead of the examples, every option set.
     *
     * @param ticker the clock that times the waits reported to listeners
     * @return a new bulkhead: 10 calls at once, 20 more waiting up to 200 ms each, in FIFO order
     */
    public static Bulkhead quotesBulkhead(Ticker ticker) {
        // tag::build[]
        Bulkhead bulkhead = Bulkhead.builder("quotes")
                .maxConcurrent(10)                      // at most 10 quotes in flight;
                .maxWait(Duration.ofMillis(200))        // the 11th caller waits up to 200 ms for a permit,
                .maxQueued(20)                          // in a queue of at most 20 callers,
                .queueOrder(Bulkhead.QueueOrder.FIFO)   // served longest-waiting first;
                .ticker(ticker)                         // the clock that times waits for listeners
                .rejectionStackTraces(false)            // a refusal: one shared exception, no stack trace
                .build();
        // end::build[]
        return bulkhead;
    }

    /**
     * A bulkhead that refuses at once and one that lets callers wait.
     *
     * @param failFast refuses the 11th caller at once
     * @param waiting  lets the 11th caller wait up to 200 ms
     */
    public record Modes(Bulkhead failFast, Bulkhead waiting) {
    }

    /**
     * Builds a fail-fast bulkhead and a waiting one.
     *
     * @return the two bulkheads
     */
    public static Modes modes() {
        // tag::fail-fast[]
        Bulkhead failFast = Bulkhead.builder("quotes")
                .maxConcurrent(10)                      // no maxWait: the 11th caller is refused at once
                .build();
        Bulkhead waiting = Bulkhead.builder("quotes")
                .maxConcurrent(10)
                .maxWait(Duration.ofMillis(200))        // the 11th caller waits up to 200 ms
                .build();
        // end::fail-fast[]
        return new Modes(failFast, waiting);
    }

    /**
     * Fetches a quote within the bulkhead.
     *
     * @param symbol the symbol
     * @return the quote, or a BulkheadFullException if no permit was to be had
     */
    // tag::transform[]
    public Mono<String> quote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.bulkhead(bulkhead));   // a Mono stays a Mono
    }

    // end::transform[]

    /**
     * Streams recent quotes within the bulkhead: the stream holds one permit until it ends.
     *
     * @param symbol the symbol
     * @return the quotes, or a BulkheadFullException if no permit was to be had
     */
    // tag::transform-flux[]
    public Flux<String> history(String symbol) {
        return client.history(symbol)
                .transform(NineLives.bulkhead(bulkhead));   // a Flux stays a Flux
    }
    // end::transform-flux[]

    /**
     * Fetches a quote, or answers {@code stale} if the quote, wait included, takes longer than
     * {@code limit}.
     *
     * @param symbol the symbol
     * @param limit  how long this caller waits for the quote, in the queue and in the call together
     * @param stale  the answer once the limit has passed
     * @return the quote or {@code stale}; refusals and the client's errors still come through
     */
    // tag::give-up[]
    public Mono<String> quoteWithin(String symbol, Duration limit, String stale) {
        return quote(symbol)
                .timeout(limit, Mono.just(stale));   // cancels the call, or its place in the queue
    }
    // end::give-up[]

    /**
     * Fetches a quote, or explains why the bulkhead had none to give.
     *
     * @param symbol the symbol
     * @return the quote, or a line that says how the bulkhead refused the call; the client's own
     *         errors still come through
     */
    // tag::refusals[]
    public Mono<String> quoteOrBusy(String symbol) {
        return quote(symbol)
                .onErrorResume(NineLives::isBulkheadFull, e -> Mono.just(
                        switch (((BulkheadFullException) e).reason()) {
                            case FULL -> "busy: every permit taken, no waiting";
                            case QUEUE_FULL -> "busy: too many callers already waiting";
                            case WAIT_TIMED_OUT -> "busy: no permit came within 200 ms";
                        }));
    }
    // end::refusals[]

    /**
     * Fetches a quote within the bulkhead, with the client subscribed on {@code scheduler}
     * whether or not the call had to wait.
     *
     * @param symbol    the symbol
     * @param scheduler where the client is called
     * @return the quote, or a BulkheadFullException if no permit was to be had
     */
    // tag::subscribe-on[]
    public Mono<String> quoteOn(String symbol, Scheduler scheduler) {
        return client.quote(symbol)
                .subscribeOn(scheduler)                      // before the bulkhead: the client is
                .transform(NineLives.bulkhead(bulkhead));    // called on scheduler, waited or not
    }
    // end::subscribe-on[]

    /**
     * Fetches a quote within the bulkhead, with the wait timeouts on {@code scheduler}.
     *
     * @param symbol    the symbol
     * @param scheduler where the wait timeouts run
     * @return the quote, or a BulkheadFullException if no permit was to be had
     */
    // tag::scheduler[]
    public Mono<String> quoteTimedOn(String symbol, Scheduler scheduler) {
        return client.quote(symbol)
                .transform(NineLives.bulkhead(bulkhead, scheduler));   // wait timeouts on scheduler
    }
    // end::scheduler[]

    /**
     * Builds a bulkhead that gives a released permit to the caller that arrived last.
     *
     * @return a new bulkhead: 10 calls at once, callers waiting up to 200 ms, newest first
     */
    public static Bulkhead newestFirst() {
        // tag::lifo[]
        Bulkhead bulkhead = Bulkhead.builder("quotes")
                .maxConcurrent(10)
                .maxWait(Duration.ofMillis(200))
                .queueOrder(Bulkhead.QueueOrder.LIFO)   // a released permit goes to the newest caller
                .build();
        // end::lifo[]
        return bulkhead;
    }

    /**
     * Sizes the bulkhead to the number of replicas of the quote service: 10 calls each.
     *
     * @param replicas the number of replicas, 1 or more
     * @throws IllegalArgumentException if {@code replicas} is below 1
     */
    // tag::resize[]
    public void replicasChanged(int replicas) {
        bulkhead.changeMaxConcurrent(10 * replicas);   // grow: waiting callers start at once;
    }                                                  // shrink: calls in flight finish first
    // end::resize[]

    /**
     * Describes the bulkhead in one line, for a status page.
     *
     * @return for example {@code "quotes: 3 of 10 permits in use, 0 waiting, 2 refused"}
     */
    // tag::metrics[]
    public String health() {
        BulkheadMetrics m = bulkhead.metrics();        // one snapshot of permits and queue
        return String.format(Locale.ROOT, "%s: %d of %d permits in use, %d waiting, %d refused",
                bulkhead.name(), m.inFlight(), m.maxConcurrent(), m.queued(), m.rejectedCalls());
    }
    // end::metrics[]

    /**
     * Sends a line to {@code log} for each caller of {@code bulkhead} that waited for its permit
     * and each caller it refused, and counts in {@code finished} the calls that returned their
     * permit.
     *
     * @param bulkhead the bulkhead to watch
     * @param log      where the lines go
     * @param finished counts the permits that came back
     */
    // tag::listen[]
    public static void watch(Bulkhead bulkhead, Consumer<String> log, LongAdder finished) {
        bulkhead.onPermitted(event -> {                // every permit, at once or after a wait
            if (event.waitNanos() > 0) {
                log.accept(event.bulkheadName() + ": permit after a wait of "
                        + Duration.ofNanos(event.waitNanos()).toMillis() + " ms");
            }
        });
        bulkhead.onRejected(event -> log.accept(       // FULL, QUEUE_FULL or WAIT_TIMED_OUT
                event.bulkheadName() + ": refused, " + event.reason()));
        bulkhead.onFinished(event -> finished.increment());   // a permit came back
    }
    // end::listen[]

    /**
     * Fetches a quote within the bulkhead, through the breaker, retried: one permit for the
     * whole call, every attempt through the breaker.
     *
     * @param symbol the symbol
     * @return the quote; the last error once the attempts have run out; a
     *         CallNotPermittedException as soon as the breaker refuses an attempt; or a
     *         BulkheadFullException, before any attempt, if no permit was to be had
     */
    // tag::compose[]
    public Mono<String> protectedQuote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.breaker(breaker))     // inside: each attempt asks the breaker
                .transform(NineLives.retry(retry))         // resubscribes through the breaker
                .transform(NineLives.bulkhead(bulkhead));  // outside: one permit for the whole call
    }
    // end::compose[]

    /**
     * Fetches a quote through a blocking client, within the bulkhead, without Reactor.
     *
     * @param symbol         the symbol
     * @param blockingClient the blocking call
     * @return the quote
     * @throws BulkheadFullException if every permit is taken, or a caller is waiting for one
     */
    // tag::without-reactor[]
    public String quoteNow(String symbol, Function<String, String> blockingClient) {
        if (!bulkhead.tryAcquire()) {            // a permit now or never: no waiting here
            throw bulkhead.rejection();          // reason FULL
        }
        try {
            return blockingClient.apply(symbol);
        } finally {
            bulkhead.release();                  // exactly once for each permit taken
        }
    }
    // end::without-reactor[]
}
