package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import java.time.Duration;
// end::imports[]

import dev.ninelives.core.Ticker;
import dev.ninelives.site.GettingStartedSnippets.QuoteClient;

import java.util.Objects;

/**
 * The code of the "Composing the operators" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code ComposingSnippetsTest} checks
 * what each region does, the wrong orders included, so the page cannot show code that does not
 * compile or does not behave as the page says.
 *
 * <p>The example is the quote service of the other pages, whose calls to the remote
 * {@link QuoteClient} go through a breaker, a retry and a bulkhead, declared as one pipeline or
 * stacked by hand, and a second dependency, a ratings service, whose retries share one budget
 * with those of the quotes.
 */
public final class ComposingSnippets {

    /**
     * Declares the quote service's three policies as one pipeline: the recommended way, whose
     * order is the library's.
     *
     * @param breaker  the dependency's circuit breaker
     * @param retry    the retry policy of its calls
     * @param bulkhead the dependency's bulkhead
     * @return the pipeline, for every call to the dependency
     */
    // tag::pipeline[]
    public static Pipeline quotesPipeline(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        return Pipeline.builder("quotes")       // whatever the order of these calls,
                .breaker(breaker)               // a call meets the bulkhead first,
                .retry(retry)                   // then the retry, which makes its attempts,
                .bulkhead(bulkhead)             // and each attempt meets the breaker
                .build();
    }
    // end::pipeline[]

    // tag::protection[]
    /**
     * What protects the calls to one dependency: built once, shared by every call to it.
     *
     * @param breaker  the dependency's circuit breaker
     * @param retry    the retry policy of its calls
     * @param bulkhead the dependency's bulkhead
     */
    public record Protection(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {

        /**
         * Protects one call.
         *
         * @param call the call, as the client returns it
         * @param <T>  the element type
         * @return the protected call
         */
        public <T> Mono<T> apply(Mono<T> call) {
            return call
                    .transform(NineLives.breaker(breaker))      // 1. every attempt asks the breaker
                    .transform(NineLives.retry(retry))          // 2. resubscribes through the breaker
                    .transform(NineLives.bulkhead(bulkhead));   // 3. one permit for the whole call
        }

        /**
         * Protects one stream, in the same order.
         *
         * @param call the stream, as the client returns it
         * @param <T>  the element type
         * @return the protected stream
         */
        public <T> Flux<T> apply(Flux<T> call) {
            return call
                    .transform(NineLives.breaker(breaker))
                    .transform(NineLives.retry(retry))
                    .transform(NineLives.bulkhead(bulkhead));
        }
    }
    // end::protection[]

    /**
     * The protections of the two dependencies and the budget their retries share.
     *
     * @param budget  the retry budget of the whole service
     * @param quotes  the protection of the quote service
     * @param ratings the protection of the ratings service
     */
    public record Dependencies(RetryBudget budget, Protection quotes, Protection ratings) {
    }

    /**
     * Builds the protections of the two dependencies.
     *
     * @param ticker the clock of the budget and the breakers
     * @return the protections and their shared budget
     */
    public static Dependencies dependencies(Ticker ticker) {
        // tag::build[]
        RetryBudget budget = RetryBudget.builder()          // one budget for the whole service:
                .ratio(0.1)                                 // retries add at most 10 % to the calls,
                .minRetriesPerSecond(1)                     // plus one a second,
                .capacity(5)                                // and 5 at once after a quiet spell
                .ticker(ticker)
                .build();
        Protection quotes = new Protection(
                CircuitBreaker.builder("quotes").slidingWindow(20).minimumNumberOfCalls(10).ticker(ticker).build(),
                Retry.builder("quotes").maxAttempts(3)
                        .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                        .budget(budget)
                        .build(),
                Bulkhead.builder("quotes").maxConcurrent(10).maxWait(Duration.ofMillis(200)).build());
        Protection ratings = new Protection(
                CircuitBreaker.builder("ratings").slidingWindow(20).minimumNumberOfCalls(10).ticker(ticker).build(),
                Retry.builder("ratings").maxAttempts(2).constantBackoff(Duration.ofMillis(50))
                        .budget(budget)                     // the same budget
                        .build(),
                Bulkhead.builder("ratings").maxConcurrent(4).build());
        // end::build[]
        return new Dependencies(budget, quotes, ratings);
    }

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final Protection quotes;         // built once, shared by every call to the client
    // end::fields[]

    /**
     * Creates the quote service.
     *
     * @param client the remote client
     * @param quotes the protection of every call to the client
     * @throws NullPointerException if an argument is null
     */
    public ComposingSnippets(QuoteClient client, Protection quotes) {
        this.client = Objects.requireNonNull(client, "client");
        this.quotes = Objects.requireNonNull(quotes, "quotes");
    }

    /**
     * Fetches a quote, protected.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::pipelines[]
    public Mono<String> quote(String symbol) {
        return quotes.apply(client.quote(symbol));
    }

    // end::pipelines[]

    /**
     * Streams recent quotes, protected by the same breaker, retry policy and bulkhead as
     * {@link #quote(String)}.
     *
     * @param symbol the symbol
     * @return the quotes, or why there are none
     */
    // tag::pipelines-flux[]
    public Flux<String> history(String symbol) {
        return quotes.apply(client.history(symbol));     // the same breaker, the same bulkhead
    }
    // end::pipelines-flux[]

    /**
     * The wrong order: the retry inside the breaker.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::breaker-outside-retry[]
    public Mono<String> quoteBreakerOutside(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.retry(quotes.retry()))          // wrong: every attempt...
                .transform(NineLives.breaker(quotes.breaker()))      // ...inside one breaker call
                .transform(NineLives.bulkhead(quotes.bulkhead()));
    }
    // end::breaker-outside-retry[]

    /**
     * The wrong order: the bulkhead inside the retry.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::bulkhead-inside-retry[]
    public Mono<String> quoteBulkheadInside(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.breaker(quotes.breaker()))
                .transform(NineLives.bulkhead(quotes.bulkhead()))    // wrong: a permit per attempt
                .transform(NineLives.retry(quotes.retry()));
    }
    // end::bulkhead-inside-retry[]

    /**
     * The wrong scope: new policies for every call.
     *
     * @param symbol the symbol
     * @return the quote, or why there is none
     */
    // tag::per-call[]
    public Mono<String> quoteWithPoliciesOfItsOwn(String symbol) {
        Protection own = new Protection(                             // wrong: built for this call alone
                CircuitBreaker.builder("quotes").slidingWindow(20).minimumNumberOfCalls(10).build(),
                quotes.retry(),
                Bulkhead.builder("quotes").maxConcurrent(10).build());
        return own.apply(client.quote(symbol));
    }
    // end::per-call[]
}
