package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.core.Ticker;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.retry.Retry;
import reactor.core.publisher.Mono;
import java.time.Duration;
// end::imports[]

import java.util.Objects;

/**
 * The code of the "Hedging" page. The page shows the regions between the {@code tag::name[]}
 * and {@code end::name[]} comments, and {@code HedgingSnippetsTest} checks what each region does
 * on virtual time, so the page cannot show code that does not compile or does not behave as the
 * page says.
 *
 * <p>The example is a search service whose replicas answer in 20 ms, except now and then.
 */
public final class HedgingSnippets {

    /** The remote search service. */
    // tag::client[]
    public interface SearchClient {
        /**
         * Runs a query; safe to repeat.
         *
         * @param query the query
         * @return the hits, as text
         */
        Mono<String> search(String query);
    }
    // end::client[]

    // tag::fields[]
    private final SearchClient client;   // the search replicas
    private final Hedge hedge;           // its hedge policy, shared by every call to it
    // end::fields[]

    /**
     * Creates the service.
     *
     * @param client the remote client
     * @param hedge  the hedge policy of the search service
     */
    public HedgingSnippets(SearchClient client, Hedge hedge) {
        this.client = Objects.requireNonNull(client, "client");
        this.hedge = Objects.requireNonNull(hedge, "hedge");
    }

    /**
     * Builds the hedge of the page.
     *
     * @param ticker the clock latency is measured with, {@code NineLives.schedulerTicker()} in tests
     * @return the hedge
     */
    // tag::build[]
    public static Hedge build(Ticker ticker) {   // Ticker.system(), or NineLives.schedulerTicker() in tests
        Hedge hedge = Hedge.builder("search")
                .delayPercentile(90)                  // a call slower than 90 % of recent calls gets a hedge
                .minDelay(Duration.ofMillis(10))      // never sooner, and 10 ms until 200 answers are measured
                .maxHedges(1)                         // one hedge per call at most
                .budget(0.1, 10)                      // at most 10 % extra calls, bursts of 10
                .ticker(ticker)
                .build();
        return hedge;
    }
    // end::build[]

    /**
     * Builds a hedge with a fixed delay.
     *
     * @return the hedge
     */
    public static Hedge fixed() {
        // tag::fixed[]
        Hedge hedge = Hedge.builder("search")
                .delay(Duration.ofMillis(50))         // a call with no answer after 50 ms gets a hedge
                .build();
        // end::fixed[]
        return hedge;
    }

    /**
     * Searches, hedged when slow.
     *
     * @param query the query
     * @return the hits
     */
    public Mono<String> search(String query) {
        // tag::call[]
        return client.search(query)
                .transform(NineLives.hedge(hedge));   // the first answer wins, the other attempt is cancelled
        // end::call[]
    }

    /**
     * The pipeline of the page: the hedge inside the retry, outside the breaker.
     *
     * @param hedge   the hedge
     * @param breaker the breaker
     * @return the pipeline
     */
    public static Pipeline pipeline(Hedge hedge, CircuitBreaker breaker) {
        // tag::pipeline[]
        Pipeline search = Pipeline.builder("search")
                .retry(Retry.builder("search").maxAttempts(2).build())
                .hedge(hedge)                         // each hedge asks the breaker for its own permit
                .breaker(breaker)
                .attemptTimeout(Duration.ofMillis(500))
                .build();
        // end::pipeline[]
        return search;
    }
}
