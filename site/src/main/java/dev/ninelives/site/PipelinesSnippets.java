package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.reactor.Deadline;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
// end::imports[]

import dev.ninelives.site.GettingStartedSnippets.QuoteClient;

import java.util.Objects;

/**
 * The code of the "Pipelines" page. The page shows the regions between the {@code tag::name[]}
 * and {@code end::name[]} comments, and {@code PipelinesSnippetsTest} checks what each region
 * does, so the page cannot show code that does not compile or does not behave as the page says.
 * The README's "In ten lines" example is the {@code declare} region, line for line, and a test
 * holds it to that.
 *
 * <p>The example is the quote service of the other pages, whose calls to the remote
 * {@link QuoteClient} go through one pipeline: a bulkhead, a total timeout, a retry, a circuit
 * breaker and an attempt timeout; some calls fall back, and one passes what is left of its time on.
 */
public final class PipelinesSnippets {

    /**
     * What the {@code declare} region builds: the pipeline and two calls through it.
     *
     * @param quotes  the pipeline of the quote service
     * @param quote   a quote through it
     * @param history a history through it
     */
    public record Declared(Pipeline quotes, Mono<String> quote, Flux<String> history) {
    }

    /**
     * Declares the quote service's pipeline and protects two calls with it, as the README shows.
     *
     * @param client the remote client
     * @return the pipeline and the two protected calls, not subscribed
     */
    public static Declared declare(QuoteClient client) {
        // tag::declare[]
        CircuitBreaker breaker = CircuitBreaker.builder("quotes").failureRateThreshold(50).build();
        Retry retry = Retry.builder("quotes").maxAttempts(3)
                .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)).build();
        Bulkhead bulkhead = Bulkhead.builder("quotes").maxConcurrent(20).maxWait(Duration.ofMillis(100)).build();
        Pipeline quotes = Pipeline.builder("quotes")                 // once per dependency, in any order:
                .breaker(breaker).retry(retry).bulkhead(bulkhead)    // a call meets bulkhead, retry, breaker
                .timeout(Duration.ofSeconds(1)).attemptTimeout(Duration.ofMillis(300))   // the call, each attempt
                .build();

        Mono<String> quote = client.quote("ACME").transform(NineLives.pipeline(quotes));      // a Mono stays a Mono
        Flux<String> history = client.history("ACME").transform(NineLives.pipeline(quotes));  // a Flux stays a Flux
        // end::declare[]
        return new Declared(quotes, quote, history);
    }

    /**
     * Logs the plan of the quote service's pipeline at INFO, through {@code System.Logger}
     * {@code "quotes"}: what the page shows as the output of {@code explain()}.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        Pipeline quotes = declare(new QuoteClient() {
            @Override
            public Mono<String> quote(String symbol) {
                return Mono.empty();
            }

            @Override
            public Flux<String> history(String symbol) {
                return Flux.empty();
            }
        }).quotes();
        // tag::explain[]
        System.getLogger("quotes").log(System.Logger.Level.INFO, quotes.explain());   // once, at startup
        // end::explain[]
    }

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final Pipeline quotes;           // built once, applied to every call to the client
    // end::fields[]
    // tag::fields-last[]
    private final Map<String, String> lastQuotes = new ConcurrentHashMap<>();   // the last quote of each symbol
    // end::fields-last[]

    /**
     * Creates the quote service.
     *
     * @param client the remote client
     * @param quotes the pipeline of every call to the client
     * @throws NullPointerException if an argument is null
     */
    public PipelinesSnippets(QuoteClient client, Pipeline quotes) {
        this.client = Objects.requireNonNull(client, "client");
        this.quotes = Objects.requireNonNull(quotes, "quotes");
    }

    /**
     * Fetches a quote through the pipeline.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::calls-mono[]
    public Mono<String> quote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.pipeline(quotes));              // Mono<String>
    }

    // end::calls-mono[]

    /**
     * Streams recent quotes through the same pipeline: the whole stream is one call.
     *
     * @param symbol the symbol
     * @return the quotes, or why there are none
     */
    // tag::calls-flux[]
    public Flux<String> history(String symbol) {
        return client.history(symbol)
                .transform(NineLives.pipeline(quotes));              // Flux<String>
    }

    // end::calls-flux[]

    /**
     * Counts the recent quotes through the same pipeline: the stream and its count are one call,
     * which succeeds with the count.
     *
     * @param symbol the symbol
     * @return how many quotes the history holds, or why there is no count
     */
    // tag::calls-count[]
    public Mono<Long> historySize(String symbol) {
        return client.history(symbol).count()
                .transform(NineLives.pipeline(quotes));              // Mono<Long>
    }
    // end::calls-count[]

    /**
     * Fetches a quote once, through the pipeline's breaker alone: no retry, no bulkhead permit.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::single[]
    public Mono<String> peek(String symbol) {                        // a quick look: one attempt, no waiting
        CircuitBreaker breaker = quotes.breaker().orElseThrow();     // the pipeline's own breaker
        return client.quote(symbol)
                .transform(NineLives.breaker(breaker));
    }
    // end::single[]

    // tag::fallback-constant[]
    private static final Fallback<String> NO_QUOTE = Fallback.toValue("no quote");   // built once, shared
    // end::fallback-constant[]

    /**
     * Fetches a quote through the pipeline, or "no quote" when the call fails after every stage.
     *
     * @param symbol the symbol
     * @return the quote, or "no quote"
     */
    // tag::fallback-value[]
    public Mono<String> quoteOrNone(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.pipeline(quotes, NO_QUOTE));    // any Exception: "no quote"
    }
    // end::fallback-value[]

    /**
     * Fetches a quote through the pipeline; when the dependency is refused or too slow, the last
     * quote fetched for the symbol instead (none: the call completes empty).
     *
     * @param symbol the symbol
     * @return the quote, the last known one, or why there is neither
     */
    // tag::fallback-on[]
    public Mono<String> quoteOrLast(String symbol) {
        Fallback<String> lastKnown = Fallback.<String>with(error -> Mono.justOrEmpty(lastQuotes.get(symbol)))
                .on(CallNotPermittedException.class,                 // the breaker is open
                        BulkheadFullException.class,                 // no permit in time
                        TimeoutException.class);                     // a timeout, total or of the last attempt
        return client.quote(symbol)
                .transform(NineLives.pipeline(quotes, lastKnown))
                .doOnNext(quote -> lastQuotes.put(symbol, quote));   // a fresh quote or the last known one
    }
    // end::fallback-on[]

    /**
     * Streams recent quotes through the pipeline; if the stream still fails once the retry has
     * given up, it ends with a marker after the quotes it delivered, instead of an error.
     *
     * @param symbol the symbol
     * @return the quotes, then the marker if the stream broke off
     */
    // tag::fallback-flux[]
    public Flux<String> historyOrMarker(String symbol) {
        return client.history(symbol)
                .transform(NineLives.pipeline(quotes, Fallback.toValue("(history incomplete)")));
    }
    // end::fallback-flux[]

    /**
     * A client that is told how long it may take: a stand-in for an HTTP client that sends the
     * time left in a header, or a gRPC stub given a deadline.
     */
    // tag::deadline-client[]
    public interface TimedQuoteClient {
        /** Fetches a quote, which the service must answer within {@code timeLeft}. */
        Mono<String> quote(String symbol, Duration timeLeft);       // e.g. sent as a request header
    }
    // end::deadline-client[]

    /**
     * Fetches a quote through the pipeline, passing each attempt's time left to the client.
     *
     * @param timed  the client
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::deadline[]
    public Mono<String> quoteWithin(TimedQuoteClient timed, String symbol) {
        return Mono.deferContextual(ctx -> timed.quote(symbol,      // read at each attempt:
                        Deadline.remaining(ctx).orElse(Duration.ofSeconds(5))))   // what is left of the call's time
                .transform(NineLives.pipeline(quotes));
    }
    // end::deadline[]

    /**
     * As {@link #quoteWithin}, inside a deadline of the whole request that serves the quote.
     *
     * @param timed  the client
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::deadline-outer[]
    public Mono<String> quoteForPage(TimedQuoteClient timed, String symbol) {
        return quoteWithin(timed, symbol)
                .transform(NineLives.deadline(Duration.ofMillis(400)));   // the page must render within 400 ms
    }
    // end::deadline-outer[]
}
