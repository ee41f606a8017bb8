package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Ticker;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.micrometer.NineLivesMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
// end::imports[]

import java.util.Objects;

/**
 * The code of the "Per-key policies" page. The page shows the regions between the
 * {@code tag::name[]} and {@code end::name[]} comments, and {@code KeyedSnippetsTest} checks what
 * each region does (with a ticker the test moves), so the page cannot show code that does not
 * compile or does not behave as the page says.
 *
 * <p>The example is a stock service that calls an inventory dependency on behalf of many tenants:
 * each tenant gets a breaker and a bulkhead of its own, so one tenant's failures or bursts do not
 * refuse or queue the others' calls.
 */
public final class KeyedSnippets {

    /** The remote inventory, called on behalf of a tenant. */
    // tag::client[]
    public interface StockClient {
        /**
         * Asks for the stock of an item.
         *
         * @param tenant the tenant the call is made for
         * @param item   the item
         * @return the number of items in stock
         */
        Mono<Integer> stock(String tenant, String item);
    }
    // end::client[]

    // tag::fields[]
    private final StockClient client;                 // the remote inventory
    private final KeyedBreaker<String> breakers;      // a breaker per tenant
    private final KeyedBulkhead<String> bulkheads;    // a bulkhead per tenant
    // end::fields[]

    /**
     * Creates the stock service.
     *
     * @param client    the remote client
     * @param breakers  the breakers, one per tenant
     * @param bulkheads the bulkheads, one per tenant
     * @throws NullPointerException if an argument is null
     */
    public KeyedSnippets(StockClient client, KeyedBreaker<String> breakers, KeyedBulkhead<String> bulkheads) {
        this.client = Objects.requireNonNull(client, "client");
        this.breakers = Objects.requireNonNull(breakers, "breakers");
        this.bulkheads = Objects.requireNonNull(bulkheads, "bulkheads");
    }

    /**
     * Builds the tenants' breakers.
     *
     * @param ticker the clock of the breakers and of their idle expiry ({@code Ticker.system()} in production)
     * @return the family, with no tenant yet
     */
    // tag::breakers[]
    public static KeyedBreaker<String> breakersPerTenant(Ticker ticker) {
        return KeyedBreaker.<String>builder("inventory")
                .maximumKeys(10_000)                          // at most 10,000 tenants in memory
                .expireAfterIdle(Duration.ofMinutes(10))      // forget a tenant after 10 quiet minutes
                .ticker(ticker)
                .build(tenant -> CircuitBreaker.builder("inventory-" + tenant)
                        .slidingWindow(20)                    // the tenant's last 20 calls
                        .minimumNumberOfCalls(10)
                        .failureRateThreshold(50)
                        .openDuration(Duration.ofSeconds(30))
                        .ticker(ticker)
                        .build());
    }
    // end::breakers[]

    /**
     * Builds the tenants' bulkheads.
     *
     * @param ticker the clock of the idle expiry ({@code Ticker.system()} in production)
     * @return the family, with no tenant yet
     */
    // tag::bulkheads[]
    public static KeyedBulkhead<String> bulkheadsPerTenant(Ticker ticker) {
        return KeyedBulkhead.<String>builder("inventory")
                .maximumKeys(10_000)
                .expireAfterIdle(Duration.ofMinutes(10))
                .ticker(ticker)
                .build(tenant -> Bulkhead.builder("inventory-" + tenant)
                        .maxConcurrent(5)                     // 5 calls in flight per tenant
                        .build());
    }
    // end::bulkheads[]

    /**
     * Asks for the stock of an item on behalf of a tenant, through the tenant's bulkhead and
     * breaker.
     *
     * @param tenant the tenant
     * @param item   the item
     * @return the stock
     */
    // tag::call[]
    public Mono<Integer> stock(String tenant, String item) {
        return client.stock(tenant, item)
                .transform(NineLives.breaker(breakers.get(tenant)))     // the tenant's breaker
                .transform(NineLives.bulkhead(bulkheads.get(tenant)));  // the tenant's bulkhead
    }
    // end::call[]

    /**
     * Reports the tenants that enter and leave the family.
     *
     * @param breakers the family
     * @param log      where the lines go
     */
    // tag::listeners[]
    public static void logTenants(KeyedBreaker<String> breakers, Consumer<String> log) {
        breakers.onKeyAdded(event -> log.accept("tenant " + event.key() + " " + event.kind()));
        breakers.onKeyRemoved(event -> log.accept("tenant " + event.key() + " left: " + event.kind()
                + ", its breaker was " + event.policy().state()));
    }
    // end::listeners[]

    /**
     * Builds the tenants' breakers with meters for the family as a whole.
     *
     * @param registry the registry of the meters
     * @return the family, with no tenant yet
     */
    /**
     * Builds a family of breakers, one per tenant like the inventory's, and binds the family's
     * meters: a fixed set of series however many tenants there are.
     *
     * @param inventory the breaker whose settings every tenant's breaker takes
     * @param registry  the registry of the meters
     * @return the family
     */
    // tag::family-binder[]
    public static KeyedBreaker<String> boundFamily(CircuitBreaker inventory, MeterRegistry registry) {
        KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory")
                .build(inventory.config());                     // each tenant's: "inventory[acme]", ...
        NineLivesMeters.keyedBreaker(perTenant).bindTo(registry);
        return perTenant;
    }
    // end::family-binder[]

    // tag::family-meters[]
    public static KeyedBreaker<String> meteredBreakers(MeterRegistry registry) {
        Counter refused = Counter.builder("inventory.tenant.calls.refused")
                .description("calls refused by a tenant's breaker, all tenants together")
                .register(registry);
        Counter opened = Counter.builder("inventory.tenant.breaker.opened")
                .description("times a tenant's breaker opened, all tenants together")
                .register(registry);
        KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory")
                .build(tenant -> {
                    CircuitBreaker breaker = CircuitBreaker.ofDefaults("inventory-" + tenant);
                    breaker.onCallNotPermitted(event -> refused.increment());
                    breaker.onStateTransition(event -> {
                        if (event.to() == CircuitBreaker.State.OPEN) {
                            opened.increment();
                        }
                    });
                    return breaker;
                });
        Gauge.builder("inventory.tenants", perTenant, KeyedBreaker::estimatedSize)
                .description("tenants with a breaker in memory")
                .register(registry);
        return perTenant;
    }
    // end::family-meters[]

    /**
     * Builds the breakers of a fixed set of tenants, each bound to meters of its own.
     *
     * @param registry the registry of the meters
     * @param tenants  the tenants watched one by one
     * @return their breakers, by tenant
     */
    // tag::named-meters[]
    public static Map<String, CircuitBreaker> namedTenants(MeterRegistry registry, String... tenants) {
        Map<String, CircuitBreaker> named = new HashMap<>();
        for (String tenant : tenants) {
            CircuitBreaker breaker = CircuitBreaker.ofDefaults("inventory-" + tenant);
            NineLivesMeters.breaker(breaker).bindTo(registry);   // series tagged name=inventory-<tenant>
            named.put(tenant, breaker);
        }
        return Map.copyOf(named);
    }
    // end::named-meters[]

    /**
     * Returns the breaker of a tenant: one of a fixed set, built and bound to meters once, or the
     * family's.
     *
     * @param tenant   the tenant
     * @param named    the breakers of the tenants watched one by one
     * @param perTenant the family, for every other tenant
     * @return the tenant's breaker
     */
    // tag::named-tenants[]
    public static CircuitBreaker breakerOf(String tenant, Map<String, CircuitBreaker> named,
                                           KeyedBreaker<String> perTenant) {
        CircuitBreaker own = named.get(tenant);       // a few large tenants, each with its meters
        return own != null ? own : perTenant.get(tenant);
    }
    // end::named-tenants[]
}
