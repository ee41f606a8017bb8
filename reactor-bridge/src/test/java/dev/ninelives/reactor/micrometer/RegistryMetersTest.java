package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link NineLivesMeters#registry}: every policy of a registry, present and future, bound once; removed ones unbound. */
class RegistryMetersTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private Set<String> names(String meter) {
        return meters.find(meter).meters().stream().map(m -> m.getId().getTag("name"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private double successes(String breaker) {
        return meters.get("ninelives.breaker.calls").tags("name", breaker, "outcome", "success", "kind", "fast")
                .counter().count();
    }

    private static void succeed(CircuitBreaker b) {
        StepVerifier.create(Mono.just(1).transform(NineLives.breaker(b))).expectNext(1).verifyComplete();
    }

    @Test
    void everyPolicyPresentAndFutureIsBound() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.breaker("present");
        registry.retry("present");
        registry.bulkhead("present");

        NineLivesMeters.registry(registry).bindTo(meters);
        assertThat(names("ninelives.breaker.state")).containsExactly("present");
        assertThat(names("ninelives.retry.calls")).containsExactly("present");
        assertThat(names("ninelives.bulkhead.in.flight")).containsExactly("present");

        CircuitBreaker future = registry.breaker("future");
        registry.retry("future");
        registry.register(Bulkhead.ofDefaults("future"));
        registry.pipeline("orders");                              // its breaker is a registry policy: bound as such
        assertThat(names("ninelives.breaker.state")).containsExactly("future", "orders", "present");
        assertThat(names("ninelives.retry.calls")).containsExactly("future", "present");
        assertThat(names("ninelives.bulkhead.in.flight")).containsExactly("future", "present");
        assertThat(meters.getMeters()).noneMatch(m -> m.getId().getName().contains("pipeline"));

        succeed(future);
        assertThat(successes("future")).isEqualTo(1.0);
    }

    @Test
    void bindingTheRegistryTwiceBindsNothingTwice() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        CircuitBreaker present = registry.breaker("present");
        var binder = NineLivesMeters.registry(registry);
        binder.bindTo(meters);
        int count = meters.getMeters().size();
        binder.bindTo(meters);
        NineLivesMeters.registry(registry).bindTo(meters);      // another binder of the same registry
        NineLivesMeters.breaker(present).bindTo(meters);         // and the breaker's own
        assertThat(meters.getMeters()).hasSize(count);

        CircuitBreaker future = registry.breaker("future");
        succeed(present);
        succeed(future);
        assertThat(successes("present")).isEqualTo(1.0);
        assertThat(successes("future")).isEqualTo(1.0);
        assertThat(meters.getMeters()).hasSize(2 * count);
    }

    @Test
    void aRemovedPolicysMetersAreRemovedAndItsNameCanBeBoundAgain() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        NineLivesMeters.registry(registry).bindTo(meters);
        CircuitBreaker old = registry.breaker("inventory");
        registry.retry("inventory");
        registry.bulkhead("inventory");
        succeed(old);

        registry.removeBreaker("inventory");
        registry.removeRetry("inventory");
        registry.removeBulkhead("inventory");
        assertThat(meters.getMeters()).isEmpty();

        CircuitBreaker fresh = registry.breaker("inventory");     // fresh meters, counting from zero
        assertThat(successes("inventory")).isZero();
        succeed(old);                                             // the removed breaker counts nowhere visible
        succeed(fresh);
        assertThat(successes("inventory")).isEqualTo(1.0);
        // and the breaker's own binder may bind the name again in another registry's absence
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        NineLivesMeters.breaker(old).bindTo(other);
        assertThat(other.getMeters()).isNotEmpty();
    }

    @Test
    void aReplacedPolicysMetersGiveWayToTheNewOnes() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        NineLivesMeters.registry(registry, Tags.of("service", "shop")).bindTo(meters);
        registry.breaker("inventory");
        CircuitBreaker forced = CircuitBreaker.ofDefaults("inventory");
        forced.transitionTo(CircuitBreaker.State.FORCED_OPEN);

        registry.replace(forced);

        assertThat(meters.get("ninelives.breaker.state").tags("name", "inventory", "state", "forced_open", "service", "shop")
                .gauge().value()).isEqualTo(1.0);
        assertThat(meters.find("ninelives.breaker.state").meters()).hasSize(CircuitBreaker.State.values().length);
        assertThat(meters.getMeters()).allMatch(m -> "shop".equals(m.getId().getTag("service")));
    }

    @Test
    void aPresentPolicyWhoseSeriesAnOutsiderHoldsIsRefused() {
        NineLivesRegistry registry = NineLivesRegistry.ofDefaults();
        registry.breaker("inventory");
        NineLivesMeters.breaker(CircuitBreaker.ofDefaults("inventory")).bindTo(meters);
        assertThatThrownBy(() -> NineLivesMeters.registry(registry).bindTo(meters))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("circuit breaker named 'inventory'");
        assertThatThrownBy(() -> NineLivesMeters.registry(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("registry");
    }

    @Test
    void anUnbindFreesOnlyThatPolicysSeries() {
        CircuitBreaker a = CircuitBreaker.ofDefaults("a");
        CircuitBreaker b = CircuitBreaker.ofDefaults("b");
        NineLivesMeters.breaker(a).bindTo(meters);
        NineLivesMeters.breaker(a, Tags.of("zone", "eu")).bindTo(meters);
        NineLivesMeters.breaker(b).bindTo(meters);

        PolicyMeters.unbind(meters, a);

        assertThat(PolicyMeters.isBound(meters, a)).isFalse();
        assertThat(PolicyMeters.isBound(meters, b)).isTrue();
        assertThat(meters.getMeters()).extracting(Meter::getId).allMatch(id -> "b".equals(id.getTag("name")));
        PolicyMeters.unbind(meters, a);                           // again: nothing to do
        PolicyMeters.unbind(new SimpleMeterRegistry(), a);
    }
}
