package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Adaptive;
import dev.ninelives.internal.Bindings;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.RegistryEvent.Type;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The registry, single-threaded: creation from defaults and overrides, one name one policy, removal, replacement, events. */
class NineLivesRegistryTest {

    private final List<RegistryEvent> events = new CopyOnWriteArrayList<>();

    private NineLivesRegistry listened(NineLivesRegistry registry) {
        registry.onEvent(events::add);
        return registry;
    }

    private static void fail(CircuitBreaker b) {
        b.onError(b.tryAcquire(), 0, new IOException("down"));
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(b.tryAcquire(), 0);
    }

    @Test
    void aPolicyIsCreatedOnFirstUseFromTheDefaultsThenItsOverrideAndIsTheSameInstanceAfter() {
        NineLivesRegistry registry = listened(NineLivesRegistry.builder()
                .breakerDefaults(b -> b.slidingWindow(20).failureRateThreshold(30f))
                .breaker("payments", b -> b.failureRateThreshold(10f))
                .retryDefaults(r -> r.maxAttempts(4))
                .retry("payments", r -> r.maxAttempts(2))
                .bulkheadDefaults(b -> b.maxConcurrent(8))
                .bulkhead("payments", b -> b.maxWait(Duration.ofMillis(5)))
                .build());

        CircuitBreaker payments = registry.breaker("payments");
        CircuitBreaker inventory = registry.breaker("inventory");
        assertThat(payments.name()).isEqualTo("payments");
        assertThat(payments.config().windowSize()).isEqualTo(20);
        assertThat(payments.config().failureRateThreshold()).isEqualTo(10f);
        assertThat(inventory.config().failureRateThreshold()).isEqualTo(30f);
        assertThat(registry.breaker("payments")).isSameAs(payments);

        assertThat(registry.retry("payments").maxAttempts()).isEqualTo(2);
        assertThat(registry.retry("inventory").maxAttempts()).isEqualTo(4);
        assertThat(registry.retry("inventory")).isSameAs(registry.retry("inventory"));
        Bulkhead bulkhead = registry.bulkhead("payments");
        assertThat(bulkhead.config().maxConcurrent()).isEqualTo(8);
        assertThat(bulkhead.config().maxWait()).isEqualTo(Duration.ofMillis(5));
        assertThat(registry.bulkhead("payments")).isSameAs(bulkhead);

        assertThat(events).extracting(RegistryEvent::toString).containsExactly(
                "BREAKER 'payments' ADDED", "BREAKER 'inventory' ADDED", "RETRY 'payments' ADDED",
                "RETRY 'inventory' ADDED", "BULKHEAD 'payments' ADDED");
        assertThat(events.get(0).policy()).isSameAs(payments);
    }

    @Test
    void customizersGivenTwiceRunInOrderAndAReusedBuilderNeverChangesABuiltRegistry() {
        NineLivesRegistry.Builder builder = NineLivesRegistry.builder()
                .breaker("a", b -> b.failureRateThreshold(10f))
                .breaker("a", b -> b.failureRateThreshold(20f));
        NineLivesRegistry registry = builder.build();
        builder.breaker("a", b -> b.failureRateThreshold(90f));
        assertThat(registry.breaker("a").config().failureRateThreshold()).isEqualTo(20f);
        assertThat(builder.build().breaker("a").config().failureRateThreshold()).isEqualTo(90f);
    }

    @Test
    void findCreatesNothingAndListingsAreSortedSnapshots() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        assertThat(registry.findBreaker("b")).isEmpty();
        assertThat(registry.findRetry("b")).isEmpty();
        assertThat(registry.findBulkhead("b")).isEmpty();
        assertThat(registry.findPipeline("b")).isEmpty();
        assertThat(registry.breakers()).isEmpty();

        CircuitBreaker b = registry.breaker("b");
        registry.breaker("a");
        registry.retry("r");
        registry.bulkhead("h");
        var snapshot = registry.breakers();
        registry.breaker("c");

        assertThat(registry.findBreaker("b")).containsSame(b);
        assertThat(snapshot.keySet()).containsExactly("a", "b");
        assertThat(registry.breakers().keySet()).containsExactly("a", "b", "c");
        assertThat(registry.retries().keySet()).containsExactly("r");
        assertThat(registry.bulkheads().keySet()).containsExactly("h");
        assertThatThrownBy(() -> registry.breakers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(registry).hasToString("NineLivesRegistry{breakers=[a, b, c], retries=[r], bulkheads=[h], rateLimiters=[], hedges=[], pipelines=[]}");
    }

    @Test
    void aSecondPolicyUnderATakenNameIsRefusedAndTheRegistryIsUnchanged() {
        NineLivesRegistry registry = listened(NineLivesRegistry.ofDefaults());
        CircuitBreaker created = registry.breaker("inventory");
        Retry registered = registry.register(Retry.builder("inventory").build());
        events.clear();

        assertThatThrownBy(() -> registry.register(CircuitBreaker.ofDefaults("inventory")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("circuit breaker 'inventory'").hasMessageContaining("another circuit breaker");
        assertThatThrownBy(() -> registry.register(Retry.builder("inventory").build()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("retry policy 'inventory'");
        Bulkhead bulkhead = registry.register(Bulkhead.ofDefaults("inventory"));   // another kind: its own names
        events.clear();
        assertThatThrownBy(() -> registry.register(Bulkhead.ofDefaults("inventory")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bulkhead 'inventory'");

        assertThat(registry.breaker("inventory")).isSameAs(created);
        assertThat(registry.retry("inventory")).isSameAs(registered);
        assertThat(registry.bulkhead("inventory")).isSameAs(bulkhead);
        assertThat(registry.register(created)).isSameAs(created);          // the very instance: nothing to do
        assertThat(events).isEmpty();
    }

    @Test
    void aRefusedRegistrationLeavesTheRefusedPolicysBindingsAlone() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.breaker("x");
        CircuitBreaker refused = CircuitBreaker.builder("x").failureRateThreshold(threshold).build();
        assertThatThrownBy(() -> registry.register(refused)).isInstanceOf(IllegalStateException.class);
        assertThat(Bindings.of(refused).released()).isFalse();            // the caller's, still usable
    }

    @Test
    void aBadNameIsAnIllegalArgument() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        for (String bad : new String[] {null, "", "  "}) {
            assertThatThrownBy(() -> registry.breaker(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("name must not be null or blank, but was " + (bad == null ? "null" : "'" + bad + "'"));
            assertThatThrownBy(() -> registry.retry(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> registry.bulkhead(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> registry.pipeline(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> registry.findBreaker(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> registry.removeRetry(bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NineLivesRegistry.builder().breaker(bad, b -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new PipelineSpec("p").bulkhead(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> NineLivesRegistry.builder().breakerDefaults(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("customizer");
        assertThat(registry.breakers()).isEmpty();
    }

    @Test
    void aCustomizerThatThrowsMakesTheLookupThrowAndRegistersNothing() {
        NineLivesRegistry registry = listened(NineLivesRegistry.builder()
                .breaker("bad", b -> b.failureRateThreshold(150f)).build());
        assertThatThrownBy(() -> registry.breaker("bad")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("failureRateThreshold").hasMessageContaining("150");
        assertThat(registry.findBreaker("bad")).isEmpty();
        assertThat(events).isEmpty();
    }

    @Test
    void aPipelineIsItsBreakerAloneByDefault() {
        NineLivesRegistry registry = listened(NineLivesRegistry.ofDefaults());
        Pipeline quotes = registry.pipeline("quotes");
        assertThat(quotes.name()).isEqualTo("quotes");
        assertThat(quotes.breaker()).containsSame(registry.breaker("quotes"));
        assertThat(quotes.retry()).isEmpty();
        assertThat(quotes.bulkhead()).isEmpty();
        assertThat(registry.pipeline("quotes")).isSameAs(quotes);
        // the breaker is created while the pipeline is, before it: a recursive lookup that takes no lock
        assertThat(events).extracting(RegistryEvent::toString)
                .containsExactly("BREAKER 'quotes' ADDED", "PIPELINE 'quotes' ADDED");
    }

    @Test
    void aPipelineTakesItsStagesFromTheDefaultsThenItsOverrideAndUsesTheRegistrysPolicies() {
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .retryDefaults(r -> r.maxAttempts(2).noBackoff())
                .pipelineDefaults(p -> p.retry().timeout(Duration.ofSeconds(3)))
                .pipeline("reports", p -> p.breaker("shared").bulkhead("pool").attemptTimeout(Duration.ofSeconds(1)))
                .pipeline("bare", p -> p.clear().retry())
                .build();
        Pipeline reports = registry.pipeline("reports");
        assertThat(reports.breaker()).containsSame(registry.breaker("shared"));
        assertThat(reports.retry()).containsSame(registry.retry("reports"));
        assertThat(reports.bulkhead()).containsSame(registry.bulkhead("pool"));
        assertThat(reports.timeout()).contains(Duration.ofSeconds(3));
        assertThat(reports.attemptTimeout()).contains(Duration.ofSeconds(1));
        assertThat(registry.findBreaker("reports")).isEmpty();

        Pipeline bare = registry.pipeline("bare");
        assertThat(bare.breaker()).isEmpty();
        assertThat(bare.timeout()).isEmpty();
        assertThat(bare.retry()).containsSame(registry.retry("bare"));

        Pipeline orders = registry.pipeline("orders");
        assertThat(orders.breaker()).containsSame(registry.breaker("orders"));
        assertThat(orders.retry()).containsSame(registry.retry("orders"));
        StepVerifier.create(Mono.just("ok").transform(NineLives.pipeline(orders))).expectNext("ok").verifyComplete();
    }

    @Test
    void removalReturnsThePolicyAndAPipelineThatHoldsItKeepsUsingIt() {
        NineLivesRegistry registry = listened(NineLivesRegistry.ofDefaults());
        Pipeline quotes = registry.pipeline("quotes");
        CircuitBreaker breaker = registry.breaker("quotes");
        events.clear();

        assertThat(registry.removeBreaker("quotes")).containsSame(breaker);
        assertThat(registry.removeBreaker("quotes")).isEmpty();
        assertThat(registry.findBreaker("quotes")).isEmpty();
        assertThat(events).extracting(RegistryEvent::toString).containsExactly("BREAKER 'quotes' REMOVED");
        assertThat(events.get(0).policy()).isSameAs(breaker);

        StepVerifier.create(Mono.just(1).transform(NineLives.pipeline(quotes))).expectNext(1).verifyComplete();
        assertThat(quotes.breaker()).containsSame(breaker);
        assertThat(breaker.metrics().successes()).isEqualTo(1);
        assertThat(registry.pipeline("quotes")).isSameAs(quotes);
        assertThat(registry.breaker("quotes")).isNotSameAs(breaker);        // the next lookup creates a new one

        assertThat(registry.removePipeline("quotes")).containsSame(quotes);
        assertThat(registry.removeRetry("none")).isEmpty();
        assertThat(registry.removeBulkhead("none")).isEmpty();
    }

    @Test
    void aRemovedPolicyIsReleasedFromItsSharedAdaptives() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        Adaptive<Integer> attempts = Adaptive.of(3);
        Adaptive<Integer> limit = Adaptive.of(4);
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .breakerDefaults(b -> b.slidingWindow(4).minimumNumberOfCalls(4).failureRateThreshold(threshold))
                .retry("only", r -> r.maxAttempts(attempts))
                .bulkhead("only", b -> b.maxConcurrent(limit))
                .build();
        CircuitBreaker kept = registry.breaker("kept");
        CircuitBreaker removed = registry.breaker("removed");
        for (CircuitBreaker b : List.of(kept, removed)) {                   // a quarter of each window failed
            fail(b);
            succeed(b);
            succeed(b);
            succeed(b);
        }
        Bulkhead bulkhead = registry.bulkhead("only");
        registry.retry("only");

        registry.removeBreaker("removed");
        threshold.set(25f);                                                 // applied to the breakers still bound
        assertThat(kept.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(removed.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        assertThatThrownBy(() -> attempts.set(0)).hasMessageContaining("retry 'only'");
        registry.removeRetry("only");
        attempts.set(0);                                                    // no policy checks it any more

        registry.removeBulkhead("only");
        limit.set(0);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(4);        // keeps the limit it had
    }

    @Test
    void replaceSwapsAPolicyAtomicallyAnnouncesItAndReleasesTheOldOne() {
        Adaptive<Integer> attempts = Adaptive.of(3);
        NineLivesRegistry registry = listened(NineLivesRegistry.builder()
                .retry("quotes", r -> r.maxAttempts(attempts)).build());
        Retry old = registry.retry("quotes");
        Retry fresh = Retry.builder("quotes").maxAttempts(5).build();
        events.clear();

        assertThat(registry.replace(fresh)).isSameAs(old);
        assertThat(registry.retry("quotes")).isSameAs(fresh);
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(Type.REPLACED);
            assertThat(e.kind()).isEqualTo(Kind.RETRY);
            assertThat(e.policy()).isSameAs(fresh);
            assertThat(e.previous()).isSameAs(old);
        });
        attempts.set(0);                                                    // the old one no longer checks it
        assertThat(registry.replace(fresh)).isSameAs(fresh);                // the very one: nothing to do
        assertThat(events).hasSize(1);

        assertThatThrownBy(() -> registry.replace(CircuitBreaker.ofDefaults("quotes")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("circuit breaker 'quotes'")
                .hasMessageContaining("register it instead");
        assertThat(registry.findBreaker("quotes")).isEmpty();
        Bulkhead b = registry.bulkhead("b");
        Bulkhead b2 = Bulkhead.ofDefaults("b");
        assertThat(registry.replace(b2)).isSameAs(b);
        CircuitBreaker c = registry.breaker("c");
        assertThat(registry.replace(CircuitBreaker.ofDefaults("c"))).isSameAs(c);
        Pipeline p = registry.pipeline("p");
        assertThat(registry.replace(Pipeline.builder("p").build())).isSameAs(p);
    }

    @Test
    void eventsOfOneNameArriveInOrderEvenWhenAListenerChangesTheRegistry() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        List<String> seen = new ArrayList<>();
        registry.onEvent(e -> {
            seen.add("first heard " + e);
            if (e.type() == Type.ADDED && e.name().equals("short-lived")) {
                registry.removeBreaker("short-lived");                     // delivered after this event, not inside it
            }
        });
        registry.onEvent(e -> seen.add("second heard " + e));

        registry.breaker("short-lived");

        assertThat(seen).containsExactly(
                "first heard BREAKER 'short-lived' ADDED", "second heard BREAKER 'short-lived' ADDED",
                "first heard BREAKER 'short-lived' REMOVED", "second heard BREAKER 'short-lived' REMOVED");
        assertThat(registry.findBreaker("short-lived")).isEmpty();
    }

    @Test
    void aListenerThatThrowsIsLoggedAndTheOthersStillHearTheEvent() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.onEvent(e -> {
            throw new IllegalStateException("listener bug");
        });
        registry.onEvent(e -> {
            throw new AssertionError("not fatal either");
        });
        registry.onEvent(events::add);

        CircuitBreaker b = registry.breaker("a");
        assertThat(registry.removeBreaker("a")).containsSame(b);
        assertThat(events).extracting(RegistryEvent::toString).containsExactly("BREAKER 'a' ADDED", "BREAKER 'a' REMOVED");
    }

    @Test
    void aFatalErrorOfAListenerIsRethrownOnceTheChangeIsCompleteAndEveryListenerHeardIt() {
        Adaptive<Float> threshold = Adaptive.of(50f);
        NineLivesRegistry registry = NineLivesRegistry.builder()
                .breakerDefaults(b -> b.failureRateThreshold(threshold)).build();
        CircuitBreaker b = registry.breaker("a");
        registry.onEvent(e -> {
            throw new OutOfMemoryError("fatal in a listener");
        });
        registry.onEvent(events::add);

        assertThatThrownBy(() -> registry.removeBreaker("a")).isInstanceOf(OutOfMemoryError.class);

        assertThat(registry.findBreaker("a")).isEmpty();                     // removed
        assertThat(Bindings.of(b).released()).isTrue();                      // and released
        assertThat(events).extracting(RegistryEvent::toString).containsExactly("BREAKER 'a' REMOVED");
        assertThatThrownBy(() -> registry.breaker("c")).isInstanceOf(OutOfMemoryError.class);
        assertThat(registry.findBreaker("c")).isPresent();                   // the delivery loop was left whole
        assertThat(events).hasSize(2);
    }

    @Test
    void anEventNamesItsParts() {
        CircuitBreaker b = CircuitBreaker.ofDefaults("b");
        assertThatThrownBy(() -> new RegistryEvent(Kind.BREAKER, Type.ADDED, "b", b, b))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("previous");
        assertThatThrownBy(() -> new RegistryEvent(Kind.BREAKER, Type.REPLACED, "b", b, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("previous");
        assertThatThrownBy(() -> new RegistryEvent(Kind.BREAKER, null, "b", b, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("type");
    }
}
