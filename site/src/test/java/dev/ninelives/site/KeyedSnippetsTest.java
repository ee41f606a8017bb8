package dev.ninelives.site;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.core.Ticker;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks every region of {@link KeyedSnippets} that the "Per-key policies" page shows, and the
 * figures the page quotes: one tenant's failures open its own breaker only, one tenant's burst
 * fills its own bulkhead only, a quiet tenant leaves after ten minutes while an OPEN one stays,
 * and the family's meters count every tenant together.
 */
class KeyedSnippetsTest {

    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    /** A client whose "acme" calls fail, whose "held" calls never end, and whose other calls answer 7. */
    private static final KeyedSnippets.StockClient CLIENT = (tenant, item) -> switch (tenant) {
        case "acme" -> Mono.error(new IllegalStateException("acme's inventory is down"));
        case "held" -> Sinks.<Integer>one().asMono();
        default -> Mono.just(7);
    };

    private KeyedSnippets service(KeyedBreaker<String> breakers, KeyedBulkhead<String> bulkheads) {
        return new KeyedSnippets(CLIENT, breakers, bulkheads);
    }

    @Test
    void oneTenantsFailuresOpenItsOwnBreakerOnly() {
        KeyedBreaker<String> breakers = KeyedSnippets.breakersPerTenant(ticker);
        KeyedSnippets service = service(breakers, KeyedSnippets.bulkheadsPerTenant(ticker));
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(service.stock("acme", "socks")).expectError(IllegalStateException.class).verify();
        }
        assertThat(breakers.get("acme").state()).isEqualTo(CircuitBreaker.State.OPEN);
        StepVerifier.create(service.stock("acme", "socks")).expectError(CallNotPermittedException.class).verify();
        StepVerifier.create(service.stock("globex", "socks")).expectNext(7).verifyComplete();
        assertThat(breakers.get("globex").state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breakers.keys()).containsExactlyInAnyOrder("acme", "globex");
        assertThat(breakers.get("acme").name()).isEqualTo("inventory-acme");
    }

    @Test
    void oneTenantsBurstFillsItsOwnBulkheadOnly() {
        KeyedBulkhead<String> bulkheads = KeyedSnippets.bulkheadsPerTenant(ticker);
        KeyedSnippets service = service(KeyedSnippets.breakersPerTenant(ticker), bulkheads);
        List<reactor.core.Disposable> held = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            held.add(service.stock("held", "socks").subscribe());
        }
        assertThat(bulkheads.get("held").metrics().inFlight()).isEqualTo(5);
        StepVerifier.create(service.stock("held", "socks")).expectError(BulkheadFullException.class).verify();
        StepVerifier.create(service.stock("globex", "socks")).expectNext(7).verifyComplete();
        held.forEach(reactor.core.Disposable::dispose);
        assertThat(bulkheads.get("held").metrics().inFlight()).isZero();
    }

    @Test
    void aQuietTenantLeavesAfterTenMinutesAndAnOpenOneStaysUntilItsOpenDurationHasPassed() {
        KeyedBreaker<String> breakers = KeyedBreaker.<String>builder("inventory")
                .expireAfterIdle(Duration.ofMinutes(10)).ticker(ticker)
                .build(tenant -> CircuitBreaker.builder("inventory-" + tenant).slidingWindow(2).minimumNumberOfCalls(2)
                        .openDuration(Duration.ofMinutes(30)).ticker(ticker).build());
        List<String> log = new ArrayList<>();
        KeyedSnippets.logTenants(breakers, log::add);
        breakers.get("globex");
        CircuitBreaker acme = breakers.get("acme");
        for (int i = 0; i < 2; i++) {
            acme.onError(acme.tryAcquire(), 0, new IllegalStateException("down"));
        }
        advance(Duration.ofMinutes(10));
        breakers.cleanUp();
        assertThat(breakers.keys()).containsExactly("acme");
        advance(Duration.ofMinutes(20));
        breakers.cleanUp();
        assertThat(breakers.keys()).isEmpty();
        assertThat(log).containsExactly(
                "tenant globex ADDED",
                "tenant acme ADDED",
                "tenant globex left: EXPIRED, its breaker was CLOSED",
                "tenant acme left: EXPIRED, its breaker was OPEN");
    }

    @Test
    void thePagesFamiliesExpireAfterTenQuietMinutes() {
        KeyedBreaker<String> breakers = KeyedSnippets.breakersPerTenant(ticker);
        KeyedBulkhead<String> bulkheads = KeyedSnippets.bulkheadsPerTenant(ticker);
        breakers.get("globex");
        bulkheads.get("globex");
        advance(Duration.ofMinutes(10).minusNanos(1));
        assertThat(breakers.getIfPresent("globex")).isPresent();
        assertThat(bulkheads.getIfPresent("globex")).isPresent();
        advance(Duration.ofNanos(1));
        breakers.cleanUp();
        bulkheads.cleanUp();
        assertThat(breakers.keys()).isEmpty();
        assertThat(bulkheads.keys()).isEmpty();
    }

    /** Guards the page's binder example: tenants' breakers like the template's, and one set of series for them all. */
    @Test
    void theFamilysBinderGivesOneSetOfSeriesForEveryTenant() {
        MeterRegistry registry = new SimpleMeterRegistry();
        CircuitBreaker inventory = CircuitBreaker.builder("inventory").failureRateThreshold(25).build();
        KeyedBreaker<String> perTenant = KeyedSnippets.boundFamily(inventory, registry);
        CircuitBreaker acme = perTenant.get("acme");
        assertThat(acme.name()).isEqualTo("inventory[acme]");
        assertThat(acme.config().failureRateThreshold()).isEqualTo(25f);
        acme.onSuccess(acme.tryAcquire(), 0L);
        int series = registry.getMeters().size();
        for (int i = 0; i < 50; i++) {
            CircuitBreaker b = perTenant.get("tenant-" + i);
            b.onSuccess(b.tryAcquire(), 0L);
        }
        assertThat(registry.getMeters()).as("no meter per tenant").hasSize(series);
        assertThat(registry.get("ninelives.keyed.breaker.calls").tag("outcome", "success").counter().count())
                .isEqualTo(51);
        assertThat(registry.get("ninelives.keyed.keys").gauge().value()).isEqualTo(51);
    }

    @Test
    void theFamilysMetersCountEveryTenantTogether() {
        MeterRegistry registry = new SimpleMeterRegistry();
        KeyedBreaker<String> perTenant = KeyedSnippets.meteredBreakers(registry);
        for (String tenant : new String[] {"acme", "initech"}) {
            CircuitBreaker breaker = perTenant.get(tenant);
            breaker.transitionTo(CircuitBreaker.State.OPEN);
            assertThat(breaker.tryAcquire()).isNegative();
        }
        perTenant.get("globex");
        assertThat(registry.get("inventory.tenant.breaker.opened").counter().count()).isEqualTo(2);
        assertThat(registry.get("inventory.tenant.calls.refused").counter().count()).isEqualTo(2);
        assertThat(registry.get("inventory.tenants").gauge().value()).isEqualTo(3);
        assertThat(registry.getMeters()).as("no meter per tenant").hasSize(3);
    }

    @Test
    void aFewNamedTenantsHaveMetersOfTheirOwnAndTheOthersShareTheFamily() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Map<String, CircuitBreaker> named = KeyedSnippets.namedTenants(registry, "acme", "globex");
        KeyedBreaker<String> perTenant = KeyedSnippets.breakersPerTenant(ticker);
        assertThat(KeyedSnippets.breakerOf("acme", named, perTenant)).isSameAs(named.get("acme"));
        assertThat(KeyedSnippets.breakerOf("initech", named, perTenant)).isSameAs(perTenant.get("initech"));
        assertThat(perTenant.keys()).containsExactly("initech");
        assertThat(registry.find("ninelives.breaker.state").tag("name", "inventory-acme").gauges()).isNotEmpty();
        assertThat(registry.find("ninelives.breaker.state").tag("name", "inventory-globex").gauges()).isNotEmpty();
        assertThat(registry.find("ninelives.breaker.state").tag("name", "inventory-initech").gauges()).isEmpty();
    }
}
