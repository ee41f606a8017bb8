package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The meters of a keyed family: a fixed set of series for the family as a whole, whatever the
 * number of keys; every key's calls counted once, whether its breaker was in the map before the
 * binder was bound or came after, and however many times the binder is bound to one registry.
 */
class KeyedMetersTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static KeyedBreaker<String> breakers() {
        return KeyedBreaker.<String>builder("inventory")
                .build(tenant -> CircuitBreaker.builder("inventory-" + tenant).build());
    }

    private double counter(String name, String tag, String value) {
        return meters.get(name).tag("name", "inventory").tag(tag, value).counter().count();
    }

    private double gauge(String name) {
        return meters.get(name).tag("name", "inventory").gauge().value();
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(b.tryAcquire(), 0L);
    }

    private static void fail(CircuitBreaker b) {
        b.onError(b.tryAcquire(), 0L, new IOException("down"));
    }

    /** Guards against a meter per key: a hundred keys give the same series as one, and the counts add up over every key. */
    @Test
    void theFamilyIsAFixedSetOfSeriesWhateverTheNumberOfKeys() {
        KeyedBreaker<String> family = breakers();
        NineLivesMeters.keyedBreaker(family).bindTo(meters);
        succeed(family.get("t0"));
        int series = meters.getMeters().size();
        for (int i = 1; i < 100; i++) {
            succeed(family.get("t" + i));
        }
        fail(family.get("t7"));
        assertThat(meters.getMeters()).hasSize(series);
        assertThat(gauge(KeyedMeters.KEYS)).isEqualTo(100.0);
        assertThat(counter(KeyedMeters.KEY_EVENTS, "event", "added")).isEqualTo(100.0);
        assertThat(counter(KeyedMeters.BREAKER_CALLS, "outcome", "success")).isEqualTo(100.0);
        assertThat(counter(KeyedMeters.BREAKER_CALLS, "outcome", "failure")).isEqualTo(1.0);
        assertThat(meters.get(KeyedMeters.KEYS).tag("kind", "breaker").gauge()).isNotNull();
    }

    /**
     * Guards the two ways a breaker is watched: one in the map before the binder was bound, and
     * one added after, each counted once; a second bind to the same registry counts nothing twice.
     */
    @Test
    void everyKeyIsCountedOnceWhenItCameAndHoweverOftenTheBinderIsBound() {
        KeyedBreaker<String> family = breakers();
        CircuitBreaker before = family.get("before");
        var binder = NineLivesMeters.keyedBreaker(family);
        binder.bindTo(meters);
        binder.bindTo(meters);
        NineLivesMeters.keyedBreaker(family).bindTo(new SimpleMeterRegistry());   // another registry counts apart
        succeed(before);
        succeed(family.get("after"));
        assertThat(counter(KeyedMeters.BREAKER_CALLS, "outcome", "success")).isEqualTo(2.0);
    }

    /** Guards the refusing gauge and the refused calls: an OPEN key's breaker is counted, and its refusals too. */
    @Test
    void openKeysAndTheirRefusalsAreCounted() {
        KeyedBreaker<String> family = breakers();
        NineLivesMeters.keyedBreaker(family).bindTo(meters);
        CircuitBreaker acme = family.get("acme");
        family.get("globex");
        acme.transitionTo(CircuitBreaker.State.OPEN);
        assertThat(acme.tryAcquire()).isNegative();
        assertThat(gauge(KeyedMeters.BREAKER_REFUSING)).isEqualTo(1.0);
        assertThat(counter(KeyedMeters.BREAKER_CALLS, "outcome", "not_permitted")).isEqualTo(1.0);
        family.invalidate("globex");
        assertThat(counter(KeyedMeters.KEY_EVENTS, "event", "invalidated")).isEqualTo(1.0);
    }

    @Test
    void aKeyedBulkheadCountsPermitsRefusalsAndCallsInFlight() {
        KeyedBulkhead<String> family = KeyedBulkhead.<String>builder("inventory")
                .build(tenant -> Bulkhead.builder("inventory-" + tenant).maxConcurrent(1).build());
        NineLivesMeters.keyedBulkhead(family).bindTo(meters);
        Bulkhead acme = family.get("acme");
        Bulkhead globex = family.get("globex");
        assertThat(acme.tryAcquire()).isTrue();
        assertThat(acme.tryAcquire()).isFalse();
        assertThat(globex.tryAcquire()).isTrue();
        assertThat(counter(KeyedMeters.BULKHEAD_CALLS, "outcome", "permitted")).isEqualTo(2.0);
        assertThat(counter(KeyedMeters.BULKHEAD_CALLS, "outcome", "rejected")).isEqualTo(1.0);
        assertThat(gauge(KeyedMeters.BULKHEAD_IN_FLIGHT)).isEqualTo(2.0);
        acme.release();
        assertThat(gauge(KeyedMeters.BULKHEAD_IN_FLIGHT)).isEqualTo(1.0);
        assertThat(meters.get(KeyedMeters.KEYS).tag("kind", "bulkhead").gauge().value()).isEqualTo(2.0);
    }
}
