package dev.ninelives.keyed;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.testing.LogCapture;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A breaker per key, with time moved by a {@link ManualTicker}: identity, bounds, pinning, listeners. */
class KeyedBreakerTest {

    private static final Duration IDLE = Duration.ofMinutes(10);
    private static final Duration OPEN = Duration.ofMinutes(30);

    private final ManualTicker ticker = new ManualTicker();
    private final AtomicInteger built = new AtomicInteger();

    private CircuitBreaker breaker(String key) {
        built.incrementAndGet();
        return CircuitBreaker.builder("inventory-" + key)
                .slidingWindow(2).minimumNumberOfCalls(2).failureRateThreshold(50)
                .openDuration(OPEN)
                .ticker(ticker)
                .build();
    }

    private KeyedBreaker<String> family(int maximumKeys) {
        return KeyedBreaker.<String>builder("inventory")
                .maximumKeys(maximumKeys)
                .expireAfterIdle(IDLE)
                .ticker(ticker)
                .build(this::breaker);
    }

    private static void open(CircuitBreaker breaker) {
        for (int i = 0; i < 2; i++) {
            long permit = breaker.tryAcquire();
            assertThat(permit).isNotNegative();
            breaker.onError(permit, 0, new IllegalStateException("down"));
        }
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void oneBreakerPerKeyBuiltOnce() {
        KeyedBreaker<String> perTenant = family(100);
        CircuitBreaker acme = perTenant.get("acme");
        assertThat(perTenant.get("acme")).isSameAs(acme);
        assertThat(acme.name()).isEqualTo("inventory-acme");
        CircuitBreaker globex = perTenant.get("globex");
        assertThat(globex).isNotSameAs(acme);
        assertThat(built).hasValue(2);
        assertThat(perTenant.keys()).containsExactlyInAnyOrder("acme", "globex");
        assertThat(perTenant.estimatedSize()).isEqualTo(2);
        assertThat(perTenant.name()).isEqualTo("inventory");
        assertThat(perTenant.getIfPresent("acme")).containsSame(acme);
        assertThat(perTenant.getIfPresent("initech")).isEmpty();
        assertThat(built).as("getIfPresent builds nothing").hasValue(2);
        assertThat(perTenant).hasToString("KeyedBreaker{name='inventory', keys=2}");
    }

    /**
     * A call asks the family for its breaker each time, so the lookup of a key in the map must
     * cost no allocation: no capturing lambda per call, no boxing in the expiry, no event while
     * no listener is registered. The threshold allows under a byte per call (a reading of the
     * allocation counter boxes one Long; the rest is the JIT's noise).
     */
    @Test
    void aLookupOfAKeyInTheMapAllocatesNothing() throws Exception {
        KeyedBreaker<String> perTenant = family(1_000);
        String[] tenants = new String[64];
        for (int i = 0; i < tenants.length; i++) {
            tenants[i] = "tenant-" + i;
            perTenant.get(tenants[i]);
        }
        int calls = 20_000;
        int[] n = new int[1];
        long bytes = new dev.ninelives.testing.Allocations().during(calls, () -> {
            CircuitBreaker b = perTenant.get(tenants[n[0]++ & 63]);
            b.onSuccess(b.tryAcquire(), 0);
        });
        assertThat(bytes).as("bytes for %d lookups and calls", calls).isLessThan(calls);
        assertThat(built).hasValue(64);
    }

    @Test
    void aKeyNotAskedForDuringTheIdleDurationLeavesTheMap() {
        KeyedBreaker<String> perTenant = family(100);
        List<KeyEvent<String, CircuitBreaker>> removed = new ArrayList<>();
        perTenant.onKeyRemoved(removed::add);
        perTenant.get("acme");
        perTenant.get("globex");

        ticker.advance(IDLE.minusSeconds(1));
        perTenant.get("acme");                            // a use: acme's idle time starts again
        ticker.advance(Duration.ofSeconds(2));
        perTenant.cleanUp();
        assertThat(perTenant.keys()).containsExactly("acme");
        assertThat(removed).extracting(KeyEvent::key, KeyEvent::kind)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("globex", KeyEvent.Kind.EXPIRED));
        assertThat(removed.get(0).family()).isEqualTo("inventory");
        assertThat(removed.get(0).policy().name()).isEqualTo("inventory-globex");

        ticker.advance(IDLE);
        perTenant.cleanUp();
        assertThat(perTenant.keys()).isEmpty();
        assertThat(perTenant.estimatedSize()).isZero();
    }

    @Test
    void getIfPresentIsNotAUse() {
        KeyedBreaker<String> perTenant = family(100);
        perTenant.get("acme");
        ticker.advance(IDLE.minusSeconds(1));
        assertThat(perTenant.getIfPresent("acme")).isPresent();
        ticker.advance(Duration.ofSeconds(2));
        assertThat(perTenant.getIfPresent("acme")).isEmpty();
    }

    @Test
    void theMapKeepsAtMostItsMaximumNumberOfKeys() {
        KeyedBreaker<String> perTenant = family(3);
        List<KeyEvent<String, CircuitBreaker>> removed = new ArrayList<>();
        perTenant.onKeyRemoved(removed::add);
        for (int i = 0; i < 20; i++) {
            perTenant.get("tenant-" + i);
        }
        perTenant.cleanUp();
        assertThat(perTenant.estimatedSize()).isEqualTo(3);
        assertThat(perTenant.keys()).hasSize(3);
        assertThat(removed).hasSize(17).allMatch(e -> e.kind() == KeyEvent.Kind.EVICTED);
    }

    @Test
    void anOpenBreakerOutlivesTheIdleDurationUntilItsOpenDurationHasPassed() {
        KeyedBreaker<String> perTenant = family(100);
        CircuitBreaker acme = perTenant.get("acme");
        open(acme);

        ticker.advance(IDLE.multipliedBy(2));             // idle, but still OPEN for 10 more minutes
        perTenant.cleanUp();
        assertThat(perTenant.getIfPresent("acme")).as("pinned while OPEN").containsSame(acme);

        ticker.advance(OPEN.minus(IDLE.multipliedBy(2)).plusSeconds(1));
        perTenant.cleanUp();
        assertThat(perTenant.getIfPresent("acme")).as("forgotten once the open duration has passed").isEmpty();
    }

    @Test
    void anOpenBreakerIsNotEvictedForSizeAndDoesNotCount() {
        KeyedBreaker<String> perTenant = family(2);
        CircuitBreaker failing = perTenant.get("failing");
        open(failing);
        for (int i = 0; i < 50; i++) {                    // a flood of new keys
            perTenant.get("flood-" + i);
        }
        perTenant.cleanUp();
        assertThat(perTenant.getIfPresent("failing")).containsSame(failing);
        assertThat(perTenant.estimatedSize()).as("two keys of weight 1 and the pinned one").isEqualTo(3);
        assertThat(perTenant.get("failing").state()).isEqualTo(State.OPEN);

        ticker.advance(OPEN.plusSeconds(1));
        long trial = failing.tryAcquire();                // OPEN -> HALF_OPEN: unpinned
        failing.onSuccess(trial, 0);
        assertThat(failing.state()).isIn(State.HALF_OPEN, State.CLOSED);
        for (int i = 50; i < 100; i++) {
            perTenant.get("flood-" + i);
        }
        perTenant.cleanUp();
        assertThat(perTenant.estimatedSize()).isEqualTo(2);
    }

    @Test
    void aForcedOpenBreakerStaysUntilItLeavesThatState() {
        KeyedBreaker<String> perTenant = family(100);
        CircuitBreaker acme = perTenant.get("acme");
        acme.transitionTo(State.FORCED_OPEN);
        ticker.advance(Duration.ofDays(365));
        perTenant.cleanUp();
        assertThat(perTenant.getIfPresent("acme")).containsSame(acme);

        acme.transitionTo(State.CLOSED);
        ticker.advance(IDLE.plusSeconds(1));
        perTenant.cleanUp();
        assertThat(perTenant.getIfPresent("acme")).isEmpty();
    }

    @Test
    void aBreakerStillInUseComesBackWithItsKey() {
        KeyedBreaker<String> perTenant = family(100);
        List<KeyEvent<String, CircuitBreaker>> events = new ArrayList<>();
        perTenant.onKeyAdded(events::add);
        perTenant.onKeyRemoved(events::add);
        CircuitBreaker acme = perTenant.get("acme");
        long permit = acme.tryAcquire();                  // a call in flight holds the breaker

        perTenant.invalidate("acme");
        assertThat(perTenant.keys()).isEmpty();
        assertThat(perTenant.get("acme")).as("the breaker the call will report to").isSameAs(acme);
        acme.onSuccess(permit, 0);
        assertThat(acme.metrics().calls()).isEqualTo(1);
        assertThat(built).as("the factory did not run again").hasValue(1);
        assertThat(events).extracting(KeyEvent::kind)
                .containsExactly(KeyEvent.Kind.ADDED, KeyEvent.Kind.INVALIDATED, KeyEvent.Kind.RESTORED);
    }

    @Test
    void aBreakerNothingReferencesIsForgotten() {
        KeyedBreaker<String> perTenant = family(100);
        WeakReference<CircuitBreaker> old = new WeakReference<>(perTenant.get("acme"));
        perTenant.invalidate("acme");
        perTenant.cleanUp();
        awaitCollected(old);
        CircuitBreaker fresh = perTenant.get("acme");
        assertThat(built).hasValue(2);
        assertThat(fresh.state()).isEqualTo(State.CLOSED);
    }

    /** Asks for full collections until {@code ref} is cleared; System.gc() is a full GC on HotSpot. */
    static void awaitCollected(WeakReference<?> ref) {
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
        }
        assertThat(ref.get()).as("collected").isNull();
    }

    @Test
    void aFactoryThatThrowsPropagatesAndKeepsNothing() {
        AtomicInteger calls = new AtomicInteger();
        KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory").build(key -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("no configuration for " + key);
            }
            return CircuitBreaker.ofDefaults("inventory-" + key);
        });
        assertThatThrownBy(() -> perTenant.get("acme"))
                .isInstanceOf(IllegalStateException.class).hasMessage("no configuration for acme");
        assertThat(perTenant.keys()).isEmpty();
        assertThat(perTenant.get("acme").name()).isEqualTo("inventory-acme");
        assertThat(calls).hasValue(2);
    }

    @Test
    void aFactoryThatThrowsAnErrorPropagatesItAsIs() {
        StackOverflowError fatal = new StackOverflowError("deep");
        KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory").build(key -> {
            throw fatal;
        });
        assertThatThrownBy(() -> perTenant.get("acme")).isSameAs(fatal);
        assertThat(perTenant.keys()).isEmpty();
    }

    @Test
    void aFactoryThatReturnsNullIsAClearError() {
        KeyedBreaker<String> perTenant = KeyedBreaker.<String>builder("inventory").build(key -> null);
        assertThatThrownBy(() -> perTenant.get("acme"))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("the factory of KeyedBreaker 'inventory' returned null for key acme; it must return a CircuitBreaker");
        assertThat(perTenant.keys()).isEmpty();
    }

    @Test
    void badInputIsRefusedNamingTheParameterAndTheValue() {
        KeyedBreakerBuilder<String> builder = KeyedBreaker.builder("inventory");
        assertThatThrownBy(() -> builder.maximumKeys(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumKeys must be at least 1, but was 0");
        assertThatThrownBy(() -> builder.maximumKeys(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maximumKeys must be at least 1, but was -5");
        assertThatThrownBy(() -> builder.expireAfterIdle(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("expireAfterIdle must be positive, but was PT0S");
        assertThatThrownBy(() -> builder.expireAfterIdle(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("expireAfterIdle must be positive, but was PT-1S");
        assertThatThrownBy(() -> builder.expireAfterIdle(null))
                .isInstanceOf(NullPointerException.class).hasMessage("expireAfterIdle must not be null");
        assertThatThrownBy(() -> builder.ticker(null))
                .isInstanceOf(NullPointerException.class).hasMessage("ticker must not be null");
        assertThatThrownBy(() -> builder.build((java.util.function.Function<String, CircuitBreaker>) null))
                .isInstanceOf(NullPointerException.class).hasMessage("factory must not be null");
        assertThatThrownBy(() -> KeyedBreaker.builder(null))
                .isInstanceOf(NullPointerException.class).hasMessage("name must not be null");
        assertThatThrownBy(() -> KeyedBreaker.builder(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be blank, but was ' '");

        KeyedBreaker<String> perTenant = builder.build(this::breaker);
        assertThatThrownBy(() -> perTenant.get(null))
                .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
        assertThatThrownBy(() -> perTenant.getIfPresent(null))
                .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
        assertThatThrownBy(() -> perTenant.invalidate(null))
                .isInstanceOf(NullPointerException.class).hasMessage("key must not be null");
        assertThatThrownBy(() -> perTenant.onKeyAdded(null))
                .isInstanceOf(NullPointerException.class).hasMessage("listener must not be null");
        assertThatThrownBy(() -> perTenant.onKeyRemoved(null))
                .isInstanceOf(NullPointerException.class).hasMessage("listener must not be null");
    }

    @Test
    void aListenerThatThrowsIsLoggedAndTheOthersStillRun() throws Exception {
        KeyedBreaker<String> perTenant = family(100);
        List<String> heard = new ArrayList<>();
        perTenant.onKeyAdded(e -> {
            throw new IllegalStateException("listener bug");
        });
        perTenant.onKeyAdded(e -> heard.add(e.key()));
        try (LogCapture log = new LogCapture()) {
            CircuitBreaker acme = perTenant.get("acme");
            assertThat(acme).isNotNull();
            assertThat(log.text()).contains("listener of 'inventory' threw").contains("listener bug");
        }
        assertThat(heard).containsExactly("acme");
    }

    @Test
    void aFatalErrorOfAListenerPropagatesOnceTheMapIsWholeAndEveryListenerRan() {
        KeyedBreaker<String> perTenant = family(100);
        StackOverflowError fatal = new StackOverflowError("listener");
        List<String> heard = new ArrayList<>();
        perTenant.onKeyAdded(e -> {
            throw fatal;
        });
        perTenant.onKeyAdded(e -> heard.add(e.key()));
        assertThatThrownBy(() -> perTenant.get("acme")).isSameAs(fatal);
        assertThat(heard).containsExactly("acme");
        assertThat(perTenant.getIfPresent("acme")).as("the key's breaker is in the map").isPresent();
        assertThat(perTenant.get("acme")).isSameAs(perTenant.getIfPresent("acme").orElseThrow());
        assertThat(built).hasValue(1);
    }

    /**
     * Guards the family built from a config: each key's breaker has the template's settings and a
     * name of the family and the key, and a setting bound to the user's Adaptive stays shared, so
     * one change reaches every key.
     */
    @Test
    void aFamilyBuiltFromAConfigGivesEveryKeyItsSettingsAndSharesItsAdaptives() {
        dev.ninelives.core.Adaptive<Float> threshold = dev.ninelives.core.Adaptive.of(30f);
        CircuitBreaker template = CircuitBreaker.builder("inventory").slidingWindow(20).minimumNumberOfCalls(5)
                .failureRateThreshold(threshold).openDuration(Duration.ofSeconds(7)).build();
        KeyedBreaker<String> family = KeyedBreaker.<String>builder("inventory").build(template.config());
        CircuitBreaker acme = family.get("acme");
        CircuitBreaker globex = family.get("globex");
        assertThat(acme.name()).isEqualTo("inventory[acme]");
        assertThat(globex.name()).isEqualTo("inventory[globex]");
        for (CircuitBreaker b : List.of(acme, globex)) {
            assertThat(b.config().windowSize()).isEqualTo(20);
            assertThat(b.config().minimumNumberOfCalls()).isEqualTo(5);
            assertThat(b.config().openDuration()).isEqualTo(Duration.ofSeconds(7));
            assertThat(b.config().failureRateThreshold()).isEqualTo(30f);
        }
        threshold.set(60f);
        assertThat(acme.config().failureRateThreshold()).isEqualTo(60f);
        assertThat(globex.config().failureRateThreshold()).isEqualTo(60f);
        assertThatThrownBy(() -> KeyedBreaker.<String>builder("x").build((dev.ninelives.breaker.CircuitBreakerConfig) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("template");
    }
}
