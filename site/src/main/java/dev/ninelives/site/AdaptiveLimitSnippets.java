package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.NineLives;
import reactor.core.publisher.Mono;
import java.time.Duration;
// end::imports[]

import java.util.Objects;

/**
 * The code of the "Adaptive concurrency limit" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code AdaptiveLimitSnippetsTest}
 * checks what each region does on virtual time, so the page cannot show code that does not
 * compile or does not behave as the page says.
 *
 * <p>The example is a search service that calls a catalog whose capacity nobody knows for sure:
 * its bulkhead finds the limit from the latency it observes.
 */
public final class AdaptiveLimitSnippets {

    /** The remote catalog. */
    // tag::client[]
    public interface CatalogClient {
        /**
         * Searches the catalog.
         *
         * @param query the query
         * @return the number of hits
         */
        Mono<Integer> search(String query);
    }
    // end::client[]

    // tag::fields[]
    private final CatalogClient client;     // the remote catalog
    private final Bulkhead bulkhead;        // its bulkhead, with an adaptive limit
    // end::fields[]

    /**
     * Creates the search service.
     *
     * @param client   the remote catalog
     * @param bulkhead its bulkhead
     * @throws NullPointerException if an argument is null
     */
    public AdaptiveLimitSnippets(CatalogClient client, Bulkhead bulkhead) {
        this.client = Objects.requireNonNull(client, "client");
        this.bulkhead = Objects.requireNonNull(bulkhead, "bulkhead");
    }

    /**
     * The catalog's bulkhead with an AIMD limit: a window of calls that failed, or whose mean
     * latency is over 200 ms, cuts the limit by 10 %; a busy window without either adds one call.
     *
     * @param ticker the clock that times the calls
     * @return the bulkhead
     */
    // tag::aimd[]
    public static Bulkhead aimd(Ticker ticker) {
        Bulkhead catalog = Bulkhead.builder("catalog")
                .adaptiveLimit(AdaptiveLimit.aimd()
                        .minLimit(2)                                  // never below 2 calls at once
                        .maxLimit(200)                                // never above 200
                        .initialLimit(20)                             // where it starts
                        .windowSize(20)                               // recomputed every 20 calls...
                        .windowDuration(Duration.ofSeconds(1))        // ...or every second
                        .latencyThreshold(Duration.ofMillis(200)))    // a mean over 200 ms is overload
                .maxWait(Duration.ofMillis(50))
                .ticker(ticker)
                .build();
        return catalog;
    }
    // end::aimd[]

    /**
     * The catalog's bulkhead with the gradient limit: no threshold to choose, the limit follows
     * the ratio of the lowest latency seen to the current one.
     *
     * @param ticker the clock that times the calls
     * @return the bulkhead
     */
    // tag::gradient[]
    public static Bulkhead gradient(Ticker ticker) {
        Bulkhead catalog = Bulkhead.builder("catalog")
                .adaptiveLimit(AdaptiveLimit.named("gradient")        // as a properties file names it
                        .minLimit(2)
                        .maxLimit(200)
                        .tolerance(1.5)                               // up to 1.5 x the lowest latency is fine
                        .smoothing(0.2))                              // each window moves the limit by a fifth
                .ticker(ticker)
                .build();
        return catalog;
    }
    // end::gradient[]

    /**
     * Searches through the bulkhead.
     *
     * @param query the query
     * @return the hits
     */
    // tag::call[]
    public Mono<Integer> search(String query) {
        return client.search(query).transform(NineLives.bulkhead(bulkhead));
    }
    // end::call[]

    /**
     * Reads the limit in force.
     *
     * @return the limit the algorithm set last
     */
    // tag::read[]
    public int limitNow() {
        return bulkhead.config().maxConcurrent();              // the limit in force, moved by the algorithm
    }
    // end::read[]
}
