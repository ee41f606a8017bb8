package dev.ninelives.site;

// tag::imports[]
// tag::imports-glance[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import java.time.Duration;
// end::imports-glance[]
import dev.ninelives.breaker.CircuitBreakerMetrics;
import java.util.Locale;
import java.util.function.Consumer;
// end::imports[]

/**
 * The code of the "Getting started" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code GettingStartedSnippetsTest}
 * checks what each region does, so the page cannot show code that does not compile or does not
 * behave as the page says. The {@code imports} region holds the imports of the page's code, and
 * {@code imports-glance}, nested in it, those of the home page's part of it.
 *
 * <p>The example is a quote service that calls a remote {@link QuoteClient} through a circuit
 * breaker.
 */
public final class GettingStartedSnippets {

    // tag::client[]
    /** The remote quote service that the examples call: your own client, in a real service. */
    public interface QuoteClient {

        /**
         * Fetches the latest quote of a symbol.
         *
         * @param symbol the symbol
         * @return the quote
         */
        Mono<String> quote(String symbol);

        /**
         * Streams the recent quotes of a symbol.
         *
         * @param symbol the symbol
         * @return the quotes, oldest first
         */
        Flux<String> history(String symbol);
    }

    // end::client[]

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final CircuitBreaker breaker;    // one breaker, shared by every call to the client

    // end::fields[]

    /**
     * Creates the quote service.
     *
     * @param client  the remote client
     * @param breaker the breaker shared by every call to the client
     */
    public GettingStartedSnippets(QuoteClient client, CircuitBreaker breaker) {
        this.client = client;
        this.breaker = breaker;
    }

    /**
     * Builds the breaker of the examples.
     *
     * @return a new breaker, CLOSED
     */
    public static CircuitBreaker quotesBreaker() {
        // tag::build[]
        CircuitBreaker breaker = CircuitBreaker.builder("quotes")
                .slidingWindow(20)                     // judge the last 20 calls,
                .minimumNumberOfCalls(10)              // once there are at least 10 of them;
                .failureRateThreshold(50)              // open when half of them failed,
                .openDuration(Duration.ofSeconds(30))  // refuse every call for 30 s,
                .permittedCallsInHalfOpen(3)           // then let 3 trial calls decide
                .build();
        // end::build[]
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
                .transform(NineLives.breaker(breaker));   // a Mono stays a Mono
    }

    // end::transform[]

    /**
     * Streams recent quotes through the breaker: the whole stream is one call.
     *
     * @param symbol the symbol
     * @return the quotes, or a CallNotPermittedException while the breaker refuses calls
     */
    // tag::transform-flux[]
    public Flux<String> history(String symbol) {
        return client.history(symbol)
                .transform(NineLives.breaker(breaker));   // a Flux stays a Flux
    }
    // end::transform-flux[]

    /**
     * Fetches a quote, or answers {@code cached} when the breaker refuses the call.
     *
     * @param symbol the symbol
     * @param cached the answer while the breaker refuses calls
     * @return the quote; the client's own errors still come through
     */
    // tag::fallback[]
    public Mono<String> quoteOrCached(String symbol, String cached) {
        return quote(symbol)
                .onErrorResume(NineLives::isCallNotPermitted, refused -> Mono.just(cached));
    }
    // end::fallback[]

    /**
     * Describes the breaker's health in one line, for a status page.
     *
     * @return for example {@code "CLOSED: 1 of 12 recent calls failed, 0 refused"}
     */
    // tag::metrics[]
    public String health() {
        CircuitBreakerMetrics m = breaker.metrics();   // one snapshot of state and counts
        return String.format(Locale.ROOT, "%s: %d of %d recent calls failed, %d refused",
                m.state(), m.failures(), m.calls(), m.notPermitted());
    }
    // end::metrics[]

    /**
     * Sends a line to {@code alerts} at each state transition of {@code breaker}.
     *
     * @param breaker the breaker to watch
     * @param alerts  where the lines go (a logger, a pager...)
     */
    // tag::listen[]
    public static void alertOnTransitions(CircuitBreaker breaker, Consumer<String> alerts) {
        breaker.onStateTransition(event -> alerts.accept(
                event.breakerName() + ": " + event.from() + " -> " + event.to()
                        + " (" + event.reason() + ": " + event.detail() + ")"));
    }
    // end::listen[]
}
