package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
// end::imports[]

/**
 * The code of the "Metrics" page. The page shows the regions between the {@code tag::name[]}
 * and {@code end::name[]} comments, and {@code MetricsSnippetsTest} checks what each region does
 * (the exact value of every meter, in a {@code SimpleMeterRegistry} and in Prometheus' text
 * format), so the page cannot show code that does not compile or does not behave as the page
 * says. The {@code imports} region holds the imports of the page's code.
 *
 * <p>The example is the quote service of the "Bulkhead" page: one breaker, one retry policy and
 * one bulkhead for the calls to the quote client, whose meters go to a Micrometer registry.
 */
public final class MetricsSnippets {

    private MetricsSnippets() {
    }

    /**
     * Binds the quote service's policies to a registry.
     *
     * @param registry the registry
     * @param breaker  the breaker
     * @param retry    the retry policy
     * @param bulkhead the bulkhead
     * @throws NullPointerException if an argument is null
     */
    // tag::bind[]
    public static void bind(MeterRegistry registry, CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        NineLivesMeters.breaker(breaker).bindTo(registry);     // ninelives.breaker.*
        NineLivesMeters.retry(retry).bindTo(registry);         // ninelives.retry.*
        NineLivesMeters.bulkhead(bulkhead).bindTo(registry);   // ninelives.bulkhead.*
    }
    // end::bind[]

    /**
     * Binds the quote service's policies to a registry, with two extra tags on every meter.
     *
     * @param registry the registry
     * @param breaker  the breaker
     * @param retry    the retry policy
     * @param bulkhead the bulkhead
     * @throws NullPointerException if an argument is null
     */
    // tag::tags[]
    public static void bindTagged(MeterRegistry registry, CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        Tags tags = Tags.of("service", "checkout", "dependency", "quote-service");
        NineLivesMeters.breaker(breaker, tags).bindTo(registry);
        NineLivesMeters.retry(retry, tags).bindTo(registry);
        NineLivesMeters.bulkhead(bulkhead, tags).bindTo(registry);
    }
    // end::tags[]

    /**
     * Creates a Prometheus registry with the quote service's policies bound to it.
     *
     * @param breaker  the breaker
     * @param retry    the retry policy
     * @param bulkhead the bulkhead
     * @return the registry; its {@code scrape()} returns the meters in Prometheus' text format
     * @throws NullPointerException if an argument is null
     */
    // tag::prometheus[]
    public static PrometheusMeterRegistry prometheus(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        bind(registry, breaker, retry, bulkhead);      // the three binders, as above
        return registry;
    }
    // end::prometheus[]

    /**
     * Returns what Prometheus reads when it scrapes the registry.
     *
     * @param registry the registry
     * @return the meters in Prometheus' text format
     */
    // tag::scrape[]
    public static String scrape(PrometheusMeterRegistry registry) {
        return registry.scrape();                      // serve it as text/plain at /metrics
    }
    // end::scrape[]
}
