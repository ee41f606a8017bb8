package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.NineLives;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
// end::imports[]

import dev.ninelives.site.GettingStartedSnippets.QuoteClient;

import java.util.Objects;

/**
 * The code of the "Circuit breaker" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code BreakerSnippetsTest} checks
 * what each region does (with a ticker the test moves by hand, or under virtual time), so the
 * page cannot show code that does not compile or does not behave as the page says.
 *
 * <p>The example is the quote service of the "Getting started" page, whose calls to the remote
 * {@link QuoteClient} go through a circuit breaker.
 */
public final class BreakerSnippets {

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final CircuitBreaker breaker;    // one breaker, shared by every call to the client

    // end::fields[]

    /**
     * Creates the quote service.
     *
     * @param client  the remote client
     * @param breaker the breaker shared by every call to the client
     * @throws NullPointerException if an argument is null
     */
    public BreakerSnippets(QuoteClient client, CircuitBreaker breaker) {
        this.client = Objects.requireNonNull(client, "client");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
    }

    /**
     * A breaker that judges the last calls and one that judges the last seconds.
     *
     * @param byCount judges the last 50 calls
     * @param byTime  judges the calls of the last 10 seconds
     */
    public record Windows(CircuitBreaker byCount, CircuitBreaker byTime) {
    }

    /**
     * Builds a breaker with a count-based window and one with a time-based window.
     *
     * @param ticker the clock of the time-based window
     * @return the two breakers
     */
    public static Windows windows(Ticker ticker) {
        // tag::windows[]
        CircuitBreaker byCount = CircuitBreaker.builder("quotes")
                .slidingWindow(50)                               // the last 50 calls,
                .minimumNumberOfCalls(20)                        // judged from the 20th on
                .build();
        CircuitBreaker byTime = CircuitBreaker.builder("quotes")
                .slidingTimeWindow(Duration.ofSeconds(10), 10)   // the calls of the last 10 s, in 1 s buckets,
                .minimumNumberOfCalls(20)                        // judged while there are 20 or more
                .ticker(ticker)                                  // Ticker.system() by default
                .build();
        // end::windows[]
        return new Windows(byCount, byTime);
    }

    /**
     * Builds a breaker that also opens when too many calls are slow.
     *
     * @param ticker the clock that times the calls
     * @return a breaker judging the last 20 calls, from the 10th, slow from 500 ms
     */
    public static CircuitBreaker slowCalls(Ticker ticker) {
        // tag::slow-calls[]
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .slidingWindow(20)
                .minimumNumberOfCalls(10)
                .slowCallDuration(Duration.ofMillis(500))   // a call of 500 ms or more is slow;
                .slowCallRateThreshold(50)                  // open when half of the window was slow
                .ticker(ticker)                             // the clock that times each call
                .build();
        // end::slow-calls[]
        return breaker;
    }

    /**
     * Builds a breaker whose open duration doubles with each opening in a row.
     *
     * @param ticker the clock of the open duration
     * @return a breaker open for 5 s, then 10 s, 20 s, 40 s, then 60 s at most, with 3 trial calls
     */
    public static CircuitBreaker growingOpenDuration(Ticker ticker) {
        // tag::open-duration[]
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .slidingWindow(10)
                .openDuration(Duration.ofSeconds(5))                // OPEN for 5 s the first time;
                .openDurationBackoff(2.0, Duration.ofMinutes(1))    // then 10, 20, 40 and 60 s, never more,
                .permittedCallsInHalfOpen(3)                        // while the 3 trial calls keep failing
                .ticker(ticker)
                .build();
        // end::open-duration[]
        return breaker;
    }

    /**
     * Builds a breaker that does not count an unknown symbol as a failure.
     *
     * @return a breaker that records every Exception but {@link QuoteNotFoundException}
     */
    public static CircuitBreaker ignoringNotFound() {
        // tag::record-failure-if[]
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .slidingWindow(20)
                .minimumNumberOfCalls(10)
                .recordFailureIf(e -> e instanceof Exception               // the default: every Exception,
                        && !(e instanceof QuoteNotFoundException))         // but an unknown symbol is no outage
                .build();
        // end::record-failure-if[]
        return breaker;
    }

    /**
     * Fetches a quote through the breaker.
     *
     * @param symbol the symbol
     * @return the quote, or a CallNotPermittedException while the breaker refuses calls
     */
    // tag::transform[]
    public Mono<String> quote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.breaker(breaker));   // each subscription: one call
    }

    // end::transform[]

    /**
     * Streams recent quotes through the breaker: the whole stream is one call, whatever the
     * number of its elements.
     *
     * @param symbol the symbol
     * @return the quotes, oldest first, or a CallNotPermittedException while the breaker refuses calls
     */
    // tag::transform-flux[]
    public Flux<String> history(String symbol) {
        return client.history(symbol)
                .transform(NineLives.breaker(breaker));   // the whole stream: one call
    }
    // end::transform-flux[]

    // tag::manual[]
    /** The quote service is down for maintenance: refuse every call until told otherwise. */
    public void maintenanceStarts() {
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
    }

    /** The breaker misbehaves: let every call through and record nothing. */
    public void bypass() {
        breaker.transitionTo(CircuitBreaker.State.DISABLED);
    }

    /** A new breaker configuration is on trial: record every call, but never open. */
    public void observeOnly() {
        breaker.transitionTo(CircuitBreaker.State.METRICS_ONLY);
    }

    /** Back to normal: judge the calls again, from an empty window. */
    public void backToNormal() {
        breaker.transitionTo(CircuitBreaker.State.CLOSED);
    }
    // end::manual[]

    /**
     * Sends each state transition of {@code breaker} to {@code log}, and counts its refusals in
     * {@code refused}.
     *
     * @param breaker the breaker to watch
     * @param log     where the transitions go
     * @param refused counts the refused calls
     */
    // tag::listeners[]
    public static void watch(CircuitBreaker breaker, Consumer<String> log, LongAdder refused) {
        breaker.onStateTransition(event -> log.accept(event.toString()));   // after each transition
        breaker.onCallNotPermitted(event -> refused.increment());           // at each refusal
    }
    // end::listeners[]

    /**
     * Returns the breaker's figures by name, for a monitoring system's gauges.
     *
     * @return the state's name, the counts of the window and the rates, in percent
     */
    // tag::metrics[]
    public Map<String, Object> gauges() {
        CircuitBreakerMetrics m = breaker.metrics();          // one snapshot: the figures agree
        Map<String, Object> gauges = new LinkedHashMap<>();
        gauges.put("state", m.state().name());
        gauges.put("calls", m.calls());                       // recorded: successes and failures
        gauges.put("failures", m.failures());
        gauges.put("slow", m.slowCalls());
        gauges.put("failureRate", m.failureRate());           // -1 below the minimum number of calls
        gauges.put("slowCallRate", m.slowCallRate());
        gauges.put("notPermitted", m.notPermitted());         // refused since built or reset
        return gauges;
    }
    // end::metrics[]

    /**
     * Fetches a quote, or answers what an HTTP service would send while the breaker refuses
     * calls: a 503, with the seconds until the next trial call when the breaker knows them.
     *
     * @param symbol the symbol
     * @param now    the breaker's clock (its ticker), to count the seconds until the next trial
     * @return the quote or the 503 line; the client's own errors still come through
     */
    // tag::rejections[]
    public Mono<String> quoteOr503(String symbol, Ticker now) {
        return quote(symbol)
                .onErrorResume(NineLives::isCallNotPermitted, e -> {
                    CallNotPermittedException refused = (CallNotPermittedException) e;
                    if (refused.nextTrialAtNanos() == CallNotPermittedException.UNKNOWN) {
                        return Mono.just("503 " + refused.breakerName() + " " + refused.state());
                    }
                    long wait = refused.nextTrialAtNanos() - now.read();   // OPEN: trial calls begin then
                    long seconds = (wait + 999_999_999) / 1_000_000_000;       // rounded up
                    return Mono.just("503 " + refused.breakerName() + " OPEN, Retry-After: " + seconds);
                });
    }
    // end::rejections[]

    /**
     * Fetches a quote through a blocking client, through the breaker, without Reactor.
     *
     * @param symbol         the symbol
     * @param blockingClient the blocking call
     * @return the quote
     * @throws CallNotPermittedException if the breaker refuses the call
     */
    // tag::without-reactor[]
    public String quoteNow(String symbol, Function<String, String> blockingClient) {
        long permit = breaker.tryAcquire();
        if (permit < 0) {
            throw breaker.rejection(permit);                      // names the breaker and the state that refused
        }
        long start = System.nanoTime();
        try {
            String quote = blockingClient.apply(symbol);
            breaker.onSuccess(permit, System.nanoTime() - start);
            return quote;
        } catch (Throwable t) {
            breaker.onError(permit, System.nanoTime() - start, t);   // a failure, if the predicate says so
            throw t;
        }
    }
    // end::without-reactor[]

    // tag::not-found[]
    /** The quote service knows no such symbol: an answer, not an outage. */
    public static final class QuoteNotFoundException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        /**
         * Creates the error.
         *
         * @param symbol the unknown symbol
         */
        public QuoteNotFoundException(String symbol) {
            super("no such symbol: " + symbol);
        }
    }
    // end::not-found[]
}
