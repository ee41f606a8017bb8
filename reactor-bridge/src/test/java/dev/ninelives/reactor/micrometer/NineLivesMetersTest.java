package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What all three binders share: names and tags, separate series per policy, binding once per registry. */
class NineLivesMetersTest {

    private static final Pattern DOTTED_LOWER_CASE = Pattern.compile("[a-z]+(\\.[a-z]+)*");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static void succeed(CircuitBreaker b) {
        StepVerifier.create(Mono.just(1).transform(NineLives.breaker(b))).expectNext(1).verifyComplete();
    }

    private double successes(MeterRegistry r, String breaker) {
        return r.get("ninelives.breaker.calls").tags("name", breaker, "outcome", "success", "kind", "fast").counter().count();
    }

    private void bindAll(MeterRegistry r) {
        NineLivesMeters.breaker(CircuitBreaker.ofDefaults("b")).bindTo(r);
        NineLivesMeters.retry(Retry.builder("r").build()).bindTo(r);
        NineLivesMeters.bulkhead(Bulkhead.ofDefaults("h")).bindTo(r);
    }

    /** The table in NineLivesMeters' javadoc, name by name. */
    @Test
    void theMeterNamesAreTheDocumentedOnes() {
        bindAll(registry);
        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toCollection(TreeSet::new));
        assertThat(names).containsExactly(
                "ninelives.breaker.call.duration",
                "ninelives.breaker.calls",
                "ninelives.breaker.failure.rate",
                "ninelives.breaker.slow.call.rate",
                "ninelives.breaker.state",
                "ninelives.bulkhead.available.permits",
                "ninelives.bulkhead.in.flight",
                "ninelives.bulkhead.max.concurrent",
                "ninelives.bulkhead.queued",
                "ninelives.bulkhead.rejected",
                "ninelives.bulkhead.wait",
                "ninelives.retry.budget.refusals",
                "ninelives.retry.calls",
                "ninelives.retry.retries");
        assertThat(names).allMatch(n -> DOTTED_LOWER_CASE.matcher(n).matches());
        assertThat(registry.getMeters()).allSatisfy(m -> {
            assertThat(m.getId().getTag("name")).isIn("b", "r", "h");
            assertThat(m.getId().getTags()).allSatisfy(t -> assertThat(t.getValue()).matches("[a-z_]+"));
        });
    }

    /** Every series of one name has the same tag keys, as Prometheus requires. */
    @Test
    void everySeriesOfANameHasTheSameTagKeys() {
        bindAll(registry);
        registry.getMeters().stream().collect(Collectors.groupingBy(m -> m.getId().getName())).forEach((name, meters) -> {
            Set<Set<String>> keys = meters.stream()
                    .map(m -> m.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toSet()))
                    .collect(Collectors.toSet());
            assertThat(keys).as(name).hasSize(1);
        });
    }

    @Test
    void twoPoliciesWithDifferentNamesHaveSeparateSeries() {
        CircuitBreaker quotes = CircuitBreaker.ofDefaults("quotes");
        CircuitBreaker orders = CircuitBreaker.ofDefaults("orders");
        NineLivesMeters.breaker(quotes).bindTo(registry);
        NineLivesMeters.breaker(orders).bindTo(registry);
        succeed(quotes);
        succeed(quotes);
        succeed(orders);
        assertThat(successes(registry, "quotes")).isEqualTo(2);
        assertThat(successes(registry, "orders")).isEqualTo(1);
        assertThat(registry.get("ninelives.breaker.state").tag("name", "quotes").gauges()).hasSize(6);
        assertThat(registry.get("ninelives.breaker.state").tag("name", "orders").gauges()).hasSize(6);
    }

    @Test
    void extraTagsGoOnEveryMeterButCannotReplaceTheOwnTags() {
        Retry retry = Retry.builder("quotes").build();
        NineLivesMeters.retry(retry, Tags.of("region", "eu", "name", "spoofed", "outcome", "spoofed")).bindTo(registry);
        StepVerifier.create(Mono.just(1).transform(NineLives.retry(retry))).expectNext(1).verifyComplete();
        assertThat(registry.getMeters()).hasSize(6).allSatisfy(m -> {
            assertThat(m.getId().getTag("region")).isEqualTo("eu");
            assertThat(m.getId().getTag("name")).isEqualTo("quotes");
        });
        assertThat(registry.get("ninelives.retry.calls").tags("region", "eu", "outcome", "success_without_retry").counter().count())
                .isEqualTo(1);
    }

    @Test
    void bindingTwiceToOneRegistryCountsOnceAndEachRegistryCountsForItself() {
        CircuitBreaker b = CircuitBreaker.ofDefaults("twice");
        MeterBinder binder = NineLivesMeters.breaker(b);
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        binder.bindTo(registry);
        binder.bindTo(registry);
        succeed(b);
        binder.bindTo(other);
        succeed(b);
        assertThat(successes(registry, "twice")).isEqualTo(2);
        assertThat(successes(other, "twice")).as("counted from its binding on").isEqualTo(1);
        assertThat(registry.getMeters()).hasSize(6 + 7 + 2 + 6);
    }

    /** Guards "no cost when no registry is bound": a binder that is built but not bound registers nothing anywhere. */
    @Test
    void aBinderThatIsNotBoundDoesNothing() throws Exception {
        CircuitBreaker b = CircuitBreaker.builder("unbound").recordFailureIf(e -> false).build();
        MeterBinder unbound = NineLivesMeters.breaker(b);
        Retry r = Retry.builder("unbound").maxAttempts(1).build();
        NineLivesMeters.retry(r);
        Bulkhead h = Bulkhead.ofDefaults("unbound");
        NineLivesMeters.bulkhead(h);
        succeed(b);
        StepVerifier.create(Mono.error(new IOException("down")).transform(NineLives.retry(r))).verifyError(IOException.class);
        assertThat(registry.getMeters()).isEmpty();
        unbound.bindTo(registry);
        assertThat(successes(registry, "unbound")).as("nothing was counted before the binding").isZero();
        assertThat(registry.getMeters()).extracting(Meter::getId).allSatisfy(id -> assertThat(id.getName()).startsWith("ninelives.breaker"));
    }

    @Test
    void nullsAreRefusedWithTheParameterName() {
        assertThatThrownBy(() -> NineLivesMeters.breaker(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("breaker");
        assertThatThrownBy(() -> NineLivesMeters.retry(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("retry");
        assertThatThrownBy(() -> NineLivesMeters.bulkhead(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("bulkhead");
        assertThatThrownBy(() -> NineLivesMeters.breaker(CircuitBreaker.ofDefaults("b"), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("tags");
        assertThatThrownBy(() -> NineLivesMeters.retry(Retry.ofDefaults("retry"), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("tags");
        assertThatThrownBy(() -> NineLivesMeters.bulkhead(Bulkhead.ofDefaults("h"), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("tags");
        assertThatThrownBy(() -> NineLivesMeters.breaker(CircuitBreaker.ofDefaults("b")).bindTo(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("registry");
    }
}
