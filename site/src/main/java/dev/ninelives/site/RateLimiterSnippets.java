package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.core.Ticker;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.ratelimit.RequestNotPermittedException;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import reactor.core.publisher.Mono;
import java.time.Duration;
// end::imports[]

import java.util.Objects;

/**
 * The code of the "Rate limiter" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code RateLimiterSnippetsTest} checks
 * what each region does on virtual time, so the page cannot show code that does not compile or
 * does not behave as the page says.
 *
 * <p>The example is a service that geocodes addresses through a paid API that allows ten calls a
 * second.
 */
public final class RateLimiterSnippets {

    /** The remote geocoder. */
    // tag::client[]
    public interface GeocoderClient {
        /**
         * Looks an address up.
         *
         * @param address the address
         * @return its coordinates, as text
         */
        Mono<String> lookup(String address);
    }
    // end::client[]

    // tag::fields[]
    private final GeocoderClient client;   // the paid API
    private final RateLimiter limiter;     // its rate limiter, shared by every call to it
    // end::fields[]

    /**
     * Creates the service.
     *
     * @param client  the remote client
     * @param limiter the rate limiter of the paid API
     */
    public RateLimiterSnippets(GeocoderClient client, RateLimiter limiter) {
        this.client = Objects.requireNonNull(client, "client");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    /**
     * Builds the limiter of the page.
     *
     * @param ticker the clock, {@code NineLives.schedulerTicker()} in tests
     * @return the limiter
     */
    // tag::build[]
    public static RateLimiter build(Ticker ticker) {   // Ticker.system(), or NineLives.schedulerTicker() in tests
        RateLimiter limiter = RateLimiter.builder("geocoder")
                .limitForPeriod(10)                   // ten calls
                .period(Duration.ofSeconds(1))        // a second: one every 100 ms at the steady rate
                .burst(5)                             // at most five at once after a quiet spell
                .maxWait(Duration.ofMillis(500))      // a caller waits up to 500 ms for its turn
                .ticker(ticker)
                .build();
        return limiter;
    }
    // end::build[]

    /**
     * Looks an address up within the API's rate.
     *
     * @param address the address
     * @return its coordinates
     */
    public Mono<String> lookup(String address) {
        // tag::call[]
        return client.lookup(address)
                .transform(NineLives.rateLimiter(limiter));   // waits without a thread, or refuses
        // end::call[]
    }

    /**
     * Looks an address up, answering "busy" with the time to retry after when refused.
     *
     * @param address the address
     * @return its coordinates, or a busy answer
     */
    public Mono<String> lookupOrBusy(String address) {
        // tag::refused[]
        return client.lookup(address)
                .transform(NineLives.rateLimiter(limiter))
                .onErrorResume(NineLives::isRateLimited, e -> Mono.just(
                        "busy, retry after " + ((RequestNotPermittedException) e).retryAfter().toMillis() + " ms"));
        // end::refused[]
    }

    /**
     * The pipeline of the page: the rate limiter in front of the other stages.
     *
     * @param limiter the limiter
     * @return the pipeline
     */
    public static Pipeline pipeline(RateLimiter limiter) {
        // tag::pipeline[]
        Pipeline geocoder = Pipeline.builder("geocoder")
                .rateLimiter(limiter)                 // a call refused for rate takes no other permit
                .timeout(Duration.ofSeconds(2))
                .build();
        // end::pipeline[]
        return geocoder;
    }
}
