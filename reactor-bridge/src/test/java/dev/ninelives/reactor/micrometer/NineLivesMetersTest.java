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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
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

    /**
     * Guards against two policies silently merged into one set of series: a second breaker named
     * like a bound one, OPEN while the first is CLOSED, used to be bound without a word, its
     * events added to the first one's counters and the state gauge still reading the first
     * (closed). Binding it is refused, naming the type and the name, and changes nothing.
     */
    @Test
    void aSecondBreakerOfTheSameNameIsRefusedAndTheFirstKeepsItsSeries() {
        CircuitBreaker closed = CircuitBreaker.ofDefaults("quotes");
        CircuitBreaker open = CircuitBreaker.ofDefaults("quotes");
        open.transitionTo(CircuitBreaker.State.OPEN);
        NineLivesMeters.breaker(closed).bindTo(registry);
        int meters = registry.getMeters().size();

        assertThatThrownBy(() -> NineLivesMeters.breaker(open).bindTo(registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("circuit breaker")
                .hasMessageContaining("'quotes'")
                .hasMessageContaining("already bound to this registry");

        assertThat(registry.getMeters()).hasSize(meters);
        assertThat(registry.get("ninelives.breaker.state").tags("name", "quotes", "state", "closed").gauge().value()).isEqualTo(1.0);
        StepVerifier.create(Mono.just(1).transform(NineLives.breaker(open))).expectError().verify();   // refused: OPEN
        succeed(closed);
        assertThat(registry.get("ninelives.breaker.calls").tags("name", "quotes", "outcome", "not_permitted").counter().count())
                .as("the refused binder registered no listener").isZero();
        assertThat(successes(registry, "quotes")).isEqualTo(1);
    }

    @Test
    void aSecondRetryOrBulkheadOfTheSameNameIsRefusedToo() {
        NineLivesMeters.retry(Retry.builder("quotes").build()).bindTo(registry);
        NineLivesMeters.bulkhead(Bulkhead.ofDefaults("quotes")).bindTo(registry);
        assertThatThrownBy(() -> NineLivesMeters.retry(Retry.builder("quotes").build()).bindTo(registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("retry policy").hasMessageContaining("'quotes'").hasMessageContaining("already bound to this registry");
        assertThatCode(() -> NineLivesMeters.bulkhead(Bulkhead.ofDefaults("quotes"), Tags.of("region", "eu")).bindTo(registry))
                .as("other extra tags make other series: allowed").doesNotThrowAnyException();
        assertThatThrownBy(() -> NineLivesMeters.bulkhead(Bulkhead.ofDefaults("quotes")).bindTo(registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bulkhead").hasMessageContaining("'quotes'").hasMessageContaining("already bound to this registry");
        assertThatCode(() -> NineLivesMeters.retry(Retry.ofDefaults("retry")).bindTo(registry)).as("another name").doesNotThrowAnyException();
        assertThatThrownBy(() -> NineLivesMeters.retry(Retry.ofDefaults("retry")).bindTo(registry))
                .as("two retries given one name").isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'retry'");
        assertThat(registry.get("ninelives.bulkhead.max.concurrent").tags("name", "quotes").gauges()).hasSize(2);
    }

    @Test
    void policiesOfDifferentTypesMayShareAName() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("quotes");
        NineLivesMeters.breaker(breaker).bindTo(registry);
        NineLivesMeters.retry(Retry.builder("quotes").build()).bindTo(registry);
        NineLivesMeters.bulkhead(Bulkhead.ofDefaults("quotes")).bindTo(registry);
        assertThat(registry.getMeters()).hasSize(21 + 6 + 8);
    }

    /** A second binder of a policy already bound here does nothing: the events are counted once. */
    @Test
    void theSamePolicyThroughASecondBinderIsBoundOnce() {
        CircuitBreaker b = CircuitBreaker.ofDefaults("again");
        NineLivesMeters.breaker(b).bindTo(registry);
        NineLivesMeters.breaker(b).bindTo(registry);
        NineLivesMeters.breaker(b, Tags.empty()).bindTo(registry);
        succeed(b);
        assertThat(successes(registry, "again")).isEqualTo(1);
        assertThat(registry.getMeters()).hasSize(6 + 7 + 2 + 6);
    }

    /**
     * A policy that is no longer used anywhere, binder included, frees its name: its meters
     * (whose gauges could only read NaN) make way for those of a new policy of that name. Needs
     * the garbage collector to collect it; skipped in the rare run where it does not.
     */
    @Test
    void aCollectedPolicyFreesItsNameForANewOne() {
        WeakReference<CircuitBreaker> gone = bindAndDrop("reborn");
        for (int i = 0; i < 50 && gone.get() != null; i++) {
            System.gc();
        }
        Assumptions.assumeTrue(gone.get() == null, "the first breaker was not collected");
        assertThat(registry.get("ninelives.breaker.state").tags("name", "reborn", "state", "closed").gauge().value()).isNaN();

        CircuitBreaker reborn = CircuitBreaker.ofDefaults("reborn");
        reborn.transitionTo(CircuitBreaker.State.OPEN);
        NineLivesMeters.breaker(reborn).bindTo(registry);
        assertThat(registry.get("ninelives.breaker.state").tags("name", "reborn", "state", "open").gauge().value())
                .as("the new breaker's gauge, not the old one's").isEqualTo(1.0);
        assertThat(successes(registry, "reborn")).as("fresh counters").isZero();
        assertThat(registry.getMeters()).hasSize(6 + 7 + 2 + 6);
    }

    private WeakReference<CircuitBreaker> bindAndDrop(String name) {
        CircuitBreaker first = CircuitBreaker.ofDefaults(name);
        NineLivesMeters.breaker(first).bindTo(registry);
        succeed(first);
        assertThat(successes(registry, name)).isEqualTo(1);
        return new WeakReference<>(first);
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
