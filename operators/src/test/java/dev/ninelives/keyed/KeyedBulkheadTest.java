package dev.ninelives.keyed;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A bulkhead per key, with time moved by a {@link ManualTicker}: the limit of a key holds whatever leaves the map. */
class KeyedBulkheadTest {

    private static final Duration IDLE = Duration.ofMinutes(10);

    private final ManualTicker ticker = new ManualTicker();
    private final AtomicInteger built = new AtomicInteger();

    private KeyedBulkhead<String> family(int maximumKeys) {
        return KeyedBulkhead.<String>builder("payments")
                .maximumKeys(maximumKeys)
                .expireAfterIdle(IDLE)
                .ticker(ticker)
                .build(key -> {
                    built.incrementAndGet();
                    return Bulkhead.builder("payments-" + key).maxConcurrent(1).ticker(ticker).build();
                });
    }

    @Test
    void oneBulkheadPerKeyBuiltOnce() {
        KeyedBulkhead<String> perTenant = family(100);
        Bulkhead acme = perTenant.get("acme");
        assertThat(perTenant.get("acme")).isSameAs(acme);
        assertThat(acme.name()).isEqualTo("payments-acme");
        assertThat(perTenant.get("globex")).isNotSameAs(acme);
        assertThat(built).hasValue(2);
        assertThat(perTenant.keys()).containsExactlyInAnyOrder("acme", "globex");
        assertThat(perTenant.getIfPresent("acme")).containsSame(acme);
        assertThat(perTenant.name()).isEqualTo("payments");
        assertThat(perTenant).hasToString("KeyedBulkhead{name='payments', keys=2}");
    }

    @Test
    void aBusyBulkheadThatExpiresStaysTheBulkheadOfItsKey() {
        KeyedBulkhead<String> perTenant = family(100);
        List<KeyEvent<String, Bulkhead>> events = new ArrayList<>();
        perTenant.onKeyAdded(events::add);
        perTenant.onKeyRemoved(events::add);
        Bulkhead acme = perTenant.get("acme");
        assertThat(acme.tryAcquire()).isTrue();           // a long call: its permit outlives the idle duration

        ticker.advance(IDLE.plusSeconds(1));
        perTenant.cleanUp();
        assertThat(perTenant.keys()).as("the key left the map").isEmpty();

        Bulkhead again = perTenant.get("acme");
        assertThat(again).as("the bulkhead whose permit is taken").isSameAs(acme);
        assertThat(again.tryAcquire()).as("the limit of 1 holds").isFalse();
        assertThat(built).hasValue(1);
        acme.release();
        assertThat(again.tryAcquire()).isTrue();
        again.release();
        assertThat(events).extracting(KeyEvent::kind)
                .containsExactly(KeyEvent.Kind.ADDED, KeyEvent.Kind.EXPIRED, KeyEvent.Kind.RESTORED);
    }

    @Test
    void aBulkheadKeptByACallerAcrossAnEvictionForSizeIsTheOneTheKeyGets() {
        KeyedBulkhead<String> perTenant = family(1);
        Bulkhead kept = perTenant.get("acme");            // fetched, not used yet
        for (int i = 0; i < 20; i++) {
            perTenant.get("flood-" + i);
        }
        perTenant.cleanUp();
        assertThat(perTenant.keys()).hasSize(1).doesNotContain("acme");

        Bulkhead now = perTenant.get("acme");
        assertThat(now).isSameAs(kept);
        assertThat(kept.tryAcquire()).isTrue();
        assertThat(now.tryAcquire()).as("one permit for acme, whichever reference takes it").isFalse();
        kept.release();
    }

    @Test
    void whenEveryKeyIsBusyTheMapStillHoldsItsBoundAndEveryLimitHolds() {
        KeyedBulkhead<String> perTenant = family(3);
        List<Bulkhead> busy = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Bulkhead b = perTenant.get("tenant-" + i);
            assertThat(b.tryAcquire()).isTrue();
            busy.add(b);
        }
        perTenant.cleanUp();
        assertThat(perTenant.estimatedSize()).isEqualTo(3);
        for (int i = 0; i < 10; i++) {
            Bulkhead b = perTenant.get("tenant-" + i);
            assertThat(b).isSameAs(busy.get(i));
            assertThat(b.tryAcquire()).as("tenant-%d is full", i).isFalse();
        }
        assertThat(built).hasValue(10);
        busy.forEach(Bulkhead::release);
    }

    @Test
    void anIdleBulkheadNothingReferencesIsForgotten() {
        KeyedBulkhead<String> perTenant = family(100);
        WeakReference<Bulkhead> old = new WeakReference<>(perTenant.get("acme"));
        ticker.advance(IDLE.plusSeconds(1));
        perTenant.cleanUp();
        KeyedBreakerTest.awaitCollected(old);
        perTenant.get("acme");
        assertThat(built).hasValue(2);
    }

    @Test
    void badInputIsRefusedNamingTheParameterAndTheValue() {
        KeyedBulkheadBuilder<String> builder = KeyedBulkhead.builder("payments");
        assertThatThrownBy(() -> builder.maximumKeys(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumKeys must be at least 1, but was 0");
        assertThatThrownBy(() -> builder.expireAfterIdle(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("expireAfterIdle must be positive, but was PT-0.001S");
        assertThatThrownBy(() -> builder.build((java.util.function.Function<String, Bulkhead>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("factory must not be null");
        assertThatThrownBy(() -> KeyedBulkhead.builder(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be blank, but was ''");
        KeyedBulkhead<String> perTenant = builder.build(key -> null);
        assertThatThrownBy(() -> perTenant.get(null))
                .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
        assertThatThrownBy(() -> perTenant.get("acme"))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("the factory of KeyedBulkhead 'payments' returned null for key acme; it must return a Bulkhead");
    }

    /** Guards the family built from a config: each key's bulkhead has the template's limit and a name of the family and the key. */
    @Test
    void aFamilyBuiltFromAConfigGivesEveryKeyItsSettings() {
        Bulkhead template = Bulkhead.builder("inventory").maxConcurrent(3).maxWait(Duration.ofMillis(50)).build();
        KeyedBulkhead<String> family = KeyedBulkhead.<String>builder("inventory").build(template.config());
        Bulkhead acme = family.get("acme");
        assertThat(acme.name()).isEqualTo("inventory[acme]");
        assertThat(acme.config().maxConcurrent()).isEqualTo(3);
        assertThat(acme.config().maxWait()).isEqualTo(Duration.ofMillis(50));
        assertThat(family.get("globex")).isNotSameAs(acme);
    }
}
