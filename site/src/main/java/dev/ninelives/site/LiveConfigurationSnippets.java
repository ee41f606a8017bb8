package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Adaptive;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.PropertiesException;
import dev.ninelives.reactor.registry.RegistryEvent;
import dev.ninelives.reactor.registry.ReloadReport;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
// end::imports[]

/**
 * The code of the "Live configuration" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code LiveConfigurationSnippetsTest}
 * checks what each region does, so the page cannot show code that does not compile or does not
 * behave as the page says. The {@code imports} region holds the imports of the page's code.
 *
 * <p>The example is the quote service of the other pages: its bulkhead and breaker follow
 * settings that change while it runs, and then a registry holds the policies of every dependency
 * by name, and at last comes from a properties file that is reloaded while the service runs.
 */
public final class LiveConfigurationSnippets {

    private LiveConfigurationSnippets() {
    }

    /**
     * The quote service's policies, bound to settings that change at runtime.
     *
     * @param limit     the bulkhead's limit
     * @param threshold the breaker's failure-rate threshold
     * @param bulkhead  the bulkhead that follows {@code limit}
     * @param breaker   the breaker that follows {@code threshold}
     */
    // tag::bind[]
    public record Bound(Adaptive<Integer> limit, Adaptive<Float> threshold, Bulkhead bulkhead, CircuitBreaker breaker) {
    }

    /**
     * Builds the quote service's bulkhead and breaker, each bound to an adaptive setting.
     *
     * @return the settings and the policies
     */
    public static Bound bind() {
        Adaptive<Integer> limit = Adaptive.of(20);              // 20 calls at once, for now
        Adaptive<Float> threshold = Adaptive.of(50f);           // open at 50 % failures, for now
        Bulkhead bulkhead = Bulkhead.builder("quotes").maxConcurrent(limit).maxWait(Duration.ofMillis(100)).build();
        CircuitBreaker breaker = CircuitBreaker.builder("quotes").failureRateThreshold(threshold).build();
        return new Bound(limit, threshold, bulkhead, breaker);
    }
    // end::bind[]

    /**
     * Changes the two settings while calls run, as an operator would during an incident.
     *
     * @param limit     the bulkhead's limit
     * @param threshold the breaker's threshold
     */
    // tag::change[]
    public static void change(Adaptive<Integer> limit, Adaptive<Float> threshold) {
        limit.set(40);                  // the waiting callers get the 20 new permits at once
        limit.update(n -> n / 2);       // back to 20: calls in flight finish, no new one until below 20
        threshold.set(25f);             // stricter: judges the window as it stands, now
    }
    // end::change[]

    /**
     * Logs every change of the limit.
     *
     * @param limit the bulkhead's limit
     * @param log   where the lines go
     */
    // tag::listen[]
    public static void listen(Adaptive<Integer> limit, List<String> log) {
        limit.onChange(c -> log.add("quotes limit " + c.oldValue() + " -> " + c.newValue()));
    }
    // end::listen[]

    /**
     * A second bulkhead whose limit is a quarter of the first one's, following it.
     *
     * @param limit the quote service's limit
     * @return the reports bulkhead
     */
    // tag::view[]
    public static Bulkhead reportsShare(Adaptive<Integer> limit) {
        Adaptive<Integer> quarter = limit.map(n -> Math.max(1, n / 4));    // read-only, recomputed on each change
        return Bulkhead.builder("reports").maxConcurrent(quarter).build();
    }
    // end::view[]

    /**
     * Tries a value the bulkhead refuses.
     *
     * @param limit the bulkhead's limit
     * @return the message of the refusal
     */
    // tag::refused[]
    public static String refused(Adaptive<Integer> limit) {
        try {
            limit.set(0);                                       // no bulkhead can take it
            return "accepted";
        } catch (IllegalArgumentException refused) {
            return refused.getMessage();                        // nothing changed: the limit is still 20
        }
    }
    // end::refused[]

    /**
     * The registry of the service's policies.
     *
     * @param threshold a failure-rate threshold every breaker shares
     * @return the registry, empty: its policies are created on first use
     */
    // tag::registry[]
    public static NineLivesRegistry registry(Adaptive<Float> threshold) {
        return NineLivesRegistry.builder()
                .breakerDefaults(b -> b.slidingWindow(50).failureRateThreshold(threshold))   // every breaker
                .breaker("payments", b -> b.openDuration(Duration.ofSeconds(5)))            // then this one's own
                .retryDefaults(r -> r.maxAttempts(3).exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)))
                .bulkhead("quotes", b -> b.maxConcurrent(20).maxWait(Duration.ofMillis(100)))
                .pipelineDefaults(p -> p.breaker().retry())                                  // a breaker and a retry each
                .pipeline("quotes", p -> p.bulkhead().timeout(Duration.ofSeconds(2)))        // quotes: a bulkhead too
                .build();
    }
    // end::registry[]

    /**
     * Protects a quote call with the registry's pipeline of that name.
     *
     * @param registry the registry
     * @param quote    the call
     * @return the protected call
     */
    // tag::use[]
    public static Mono<String> protect(NineLivesRegistry registry, Mono<String> quote) {
        return quote.transform(NineLives.pipeline(registry.pipeline("quotes")));   // created once, then the same
    }
    // end::use[]

    /**
     * Builds the breaker of a new dependency like the quotes one, and registers it.
     *
     * @param registry the registry
     * @return the new breaker
     */
    // tag::to-builder[]
    public static CircuitBreaker likeQuotes(NineLivesRegistry registry) {
        CircuitBreaker search = registry.breaker("quotes").config().toBuilder("search")   // every setting of quotes'
                .permittedCallsInHalfOpen(2)                                            // but this one
                .build();
        return registry.register(search);
    }
    // end::to-builder[]

    /**
     * Tries to register a second breaker named like one the registry holds.
     *
     * @param registry the registry
     * @return the message of the refusal
     */
    // tag::one-name[]
    public static String secondQuotesBreaker(NineLivesRegistry registry) {
        try {
            registry.register(CircuitBreaker.ofDefaults("quotes"));
            return "registered";
        } catch (IllegalStateException taken) {
            return taken.getMessage();                          // the registry holds the first one still
        }
    }
    // end::one-name[]

    /**
     * Logs the registry's changes, then retires the search dependency.
     *
     * @param registry the registry
     * @param log      where the lines go
     */
    // tag::remove[]
    public static void retireSearch(NineLivesRegistry registry, List<String> log) {
        registry.onEvent((RegistryEvent e) -> log.add(e.kind() + " " + e.name() + " " + e.type()));
        registry.removeBreaker("search")                        // returns what it removed
                .ifPresent(b -> log.add("search ended " + b.state()));
    }
    // end::remove[]

    /**
     * Publishes every policy of the registry, present and future, to a meter registry.
     *
     * @param registry the registry of policies
     * @param meters   the meter registry
     */
    // tag::meters[]
    public static void publish(NineLivesRegistry registry, MeterRegistry meters) {
        NineLivesMeters.registry(registry).bindTo(meters);      // each policy once; removed ones leave
    }
    // end::meters[]

    /**
     * Builds the registry of the quote service from a properties file, with the one setting that
     * keys cannot give (which errors count as failures) from code.
     *
     * @param file the {@code .properties} file
     * @return the loader, which holds the registry
     */
    // tag::properties-load[]
    public static NineLivesProperties loadQuotes(Path file) {
        return NineLivesProperties.builder()
                .breakerDefaults(b -> b.recordFailureIf(e -> !(e instanceof IllegalArgumentException)))   // after the keys
                .load(file);
    }
    // end::properties-load[]

    /**
     * Reloads the quote service's keys with a laxer breaker and a wider bulkhead, as an
     * operator would during an overload, and logs what changed.
     *
     * @param properties the loader
     * @param keys       the keys in force
     * @param log        where the report goes
     * @return the report
     */
    // tag::properties-reload[]
    public static ReloadReport widen(NineLivesProperties properties, Map<String, String> keys, List<String> log) {
        Map<String, String> next = new HashMap<>(keys);
        next.put("ninelives.breaker.quotes.failure-rate-threshold", "40");   // adaptive: in place, state kept
        next.put("ninelives.bulkhead.quotes.max-concurrent", "40");          // adaptive too
        next.put("ninelives.bulkhead.quotes.max-queued", "400");             // not adaptive: a new bulkhead
        ReloadReport report = properties.reload(next);
        log.add(report.toString());
        return report;
    }
    // end::properties-reload[]

    /**
     * Reloads the load-shaping keys with a faster geocoder rate and wider bounds for the
     * inventory's adaptive limit: both in place.
     *
     * @param properties the loader of {@code load-shaping.properties}
     * @return the report
     */
    // tag::load-shaping-reload[]
    public static ReloadReport speedUp(NineLivesProperties properties) {
        Map<String, String> next = new HashMap<>(properties.keys());
        next.put("ninelives.rate-limiter.geocoder.limit-for-period", "50");        // in place: permits spent stay spent
        next.put("ninelives.rate-limiter.geocoder.burst", "10");                    // in place
        next.put("ninelives.bulkhead.inventory.adaptive-limit.max-limit", "200");   // in place: the limit reached stays
        next.put("ninelives.bulkhead.inventory.adaptive-limit.algorithm", "gradient");   // in place too
        next.remove("ninelives.bulkhead.inventory.adaptive-limit.latency-threshold");     // an aimd key: goes with aimd
        return properties.reload(next);
    }
    // end::load-shaping-reload[]

    /**
     * Tries to reload keys with three mistakes.
     *
     * @param properties the loader
     * @param keys       the keys in force
     * @return the message of the refusal
     */
    // tag::properties-errors[]
    public static String reloadWithMistakes(NineLivesProperties properties, Map<String, String> keys) {
        Map<String, String> next = new HashMap<>(keys);
        next.put("ninelives.breaker.quotes.failure-rate-treshold", "40");   // a typo
        next.put("ninelives.bulkhead.quotes.max-concurrent", "0");          // out of range
        next.put("ninelives.retry.quotes.backoff.initial", "soon");         // not a duration
        try {
            properties.reload(next);
            return "reloaded";
        } catch (PropertiesException e) {
            return e.getMessage();                               // every bad key, one a line; nothing applied
        }
    }
    // end::properties-errors[]
}
