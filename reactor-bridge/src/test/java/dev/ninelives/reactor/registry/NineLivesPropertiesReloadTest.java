package dev.ninelives.reactor.registry;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.reactor.registry.ReloadReport.Action;
import dev.ninelives.reactor.registry.ReloadReport.PolicyChange;
import dev.ninelives.reactor.registry.ReloadReport.SettingChange;
import dev.ninelives.retry.Backoff;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ninelives.reactor.registry.Keys.keys;
import static dev.ninelives.reactor.registry.Keys.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reloading keys into the same registry: in place with state kept, replaced, added, removed, and nothing on a bad map. */
class NineLivesPropertiesReloadTest {

    private final AtomicLong now = new AtomicLong();
    private final Ticker ticker = now::get;

    private NineLivesProperties load(Map<String, String> keys) {
        return NineLivesProperties.builder()
                .breakerDefaults(b -> b.ticker(ticker))
                .bulkheadDefaults(b -> b.ticker(ticker))
                .load(keys);
    }

    private static void fail(CircuitBreaker b) {
        b.onError(b.tryAcquire(), 0, new IOException("down"));
    }

    private static void succeed(CircuitBreaker b) {
        b.onSuccess(b.tryAcquire(), 0);
    }

    private static final Map<String, String> BASE = keys(
            "ninelives.breaker.inventory.sliding-window", "4",
            "ninelives.breaker.inventory.minimum-number-of-calls", "4",
            "ninelives.breaker.inventory.failure-rate-threshold", "50",
            "ninelives.breaker.inventory.open-duration", "10s",
            "ninelives.bulkhead.db.max-concurrent", "2",
            "ninelives.retry.quotes.max-attempts", "3",
            "ninelives.pipeline.inventory.retry", "quotes");

    @Test
    void anAdaptiveChangeKeepsAnOpenBreakerOpenWithItsDeadline() {
        NineLivesProperties p = load(BASE);
        CircuitBreaker inventory = p.registry().breaker("inventory");
        for (int i = 0; i < 4; i++) {
            fail(inventory);
        }
        assertThat(inventory.state()).isEqualTo(CircuitBreaker.State.OPEN);

        ReloadReport report = p.reload(with(BASE,
                "ninelives.breaker.inventory.failure-rate-threshold", "25",
                "ninelives.breaker.inventory.open-duration", "1s"));

        assertThat(report.changes()).containsExactly(new PolicyChange(Kind.BREAKER, "inventory", Action.CHANGED, List.of(
                new SettingChange("failure-rate-threshold", "50", "25", true),
                new SettingChange("open-duration", "10s", "1s", true))));
        assertThat(p.registry().breaker("inventory")).isSameAs(inventory);
        assertThat(inventory.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(inventory.config().failureRateThreshold()).isEqualTo(25f);
        assertThat(inventory.config().openDuration()).isEqualTo(Duration.ofSeconds(1));
        now.set(Duration.ofSeconds(5).toNanos());               // past the new duration, before the deadline it opened with
        assertThat(inventory.tryAcquire()).isNegative();
        now.set(Duration.ofSeconds(10).toNanos());
        assertThat(inventory.tryAcquire()).isNotNegative();
        assertThat(inventory.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    }

    @Test
    void anAdaptiveChangeKeepsTheOutcomesOfAHalfFullWindow() {
        NineLivesProperties p = load(with(BASE, "ninelives.breaker.inventory.sliding-window", "10",
                "ninelives.breaker.inventory.minimum-number-of-calls", "4"));
        CircuitBreaker inventory = p.registry().breaker("inventory");
        fail(inventory);
        succeed(inventory);
        succeed(inventory);
        succeed(inventory);
        assertThat(inventory.metrics().calls()).isEqualTo(4);
        assertThat(inventory.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        p.reload(with(BASE, "ninelives.breaker.inventory.sliding-window", "10",
                "ninelives.breaker.inventory.minimum-number-of-calls", "4",
                "ninelives.breaker.inventory.failure-rate-threshold", "25"));   // 1 in 4 failed: opens at once

        assertThat(p.registry().breaker("inventory")).isSameAs(inventory);
        assertThat(inventory.metrics().calls()).isEqualTo(4);
        assertThat(inventory.metrics().failures()).isEqualTo(1);
        assertThat(inventory.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void anAdaptiveChangeKeepsABulkheadsPermitsInFlight() {
        NineLivesProperties p = load(BASE);
        Bulkhead db = p.registry().bulkhead("db");
        assertThat(db.tryAcquire()).isTrue();
        assertThat(db.tryAcquire()).isTrue();
        assertThat(db.tryAcquire()).isFalse();

        ReloadReport report = p.reload(with(BASE, "ninelives.bulkhead.db.max-concurrent", "3"));

        assertThat(report.change(Kind.BULKHEAD, "db").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(db.metrics().inFlight()).isEqualTo(2);
        assertThat(db.tryAcquire()).isTrue();                   // one more, not three more
        assertThat(db.tryAcquire()).isFalse();
        db.release();
        db.release();
        db.release();
        assertThat(db.metrics().availablePermits()).isEqualTo(3);
    }

    @Test
    void retryAttemptsAndBackoffChangeInPlace() {
        NineLivesProperties p = load(BASE);
        Retry quotes = p.registry().retry("quotes");
        Pipeline pipeline = p.registry().pipeline("inventory");

        ReloadReport report = p.reload(with(BASE, "ninelives.retry.quotes.max-attempts", "5",
                "ninelives.retry.quotes.backoff.type", "constant", "ninelives.retry.quotes.backoff.initial", "20ms"));

        assertThat(report.change(Kind.RETRY, "quotes").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().retry("quotes")).isSameAs(quotes);
        assertThat(quotes.maxAttempts()).isEqualTo(5);
        assertThat(quotes.backoff()).isEqualTo(Backoff.constant(Duration.ofMillis(20)));
        assertThat(p.registry().pipeline("inventory")).isSameAs(pipeline);   // its policies are the same instances
    }

    @Test
    void aBudgetsRatioChangesInPlaceAndItsTokensStay() {
        Map<String, String> slow = with(BASE, "ninelives.retry.quotes.budget.min-retries-per-second", "0",   // no accrual
                "ninelives.retry.quotes.budget.capacity", "10");
        NineLivesProperties p = load(with(slow, "ninelives.retry.quotes.budget.ratio", "0.5"));
        Retry quotes = p.registry().retry("quotes");
        RetryBudget budget = quotes.budget();
        for (int i = 0; i < 5; i++) {                           // 5 of its 10 tokens spent: a new budget would be full
            assertThat(budget.tryAcquireRetry()).isTrue();
        }
        double tokens = budget.availableTokens();

        ReloadReport report = p.reload(with(slow, "ninelives.retry.quotes.budget.ratio", "0.25"));

        assertThat(report.change(Kind.RETRY, "quotes")).isEqualTo(new PolicyChange(Kind.RETRY, "quotes", Action.CHANGED,
                List.of(new SettingChange("budget.ratio", "0.5", "0.25", true))));
        assertThat(p.registry().retry("quotes")).isSameAs(quotes);
        assertThat(quotes.budget()).isSameAs(budget);
        assertThat(budget.ratio()).isEqualTo(0.25);
        assertThat(budget.availableTokens()).isEqualTo(tokens);

        report = p.reload(BASE);                                // no budget any more: a new policy
        assertThat(report.change(Kind.RETRY, "quotes").action()).isEqualTo(Action.REPLACED);
        assertThat(p.registry().retry("quotes").budget()).isNull();
    }

    @Test
    void aChangeThatIsNotAdaptiveReplacesThePolicyAndThePipelinesThatUseIt() {
        NineLivesProperties p = load(BASE);
        CircuitBreaker old = p.registry().breaker("inventory");
        Pipeline oldPipeline = p.registry().pipeline("inventory");
        List<RegistryEvent> events = new CopyOnWriteArrayList<>();
        p.registry().onEvent(events::add);

        ReloadReport report = p.reload(with(BASE,
                "ninelives.breaker.inventory.minimum-number-of-calls", "2",
                "ninelives.breaker.inventory.failure-rate-threshold", "30"));

        CircuitBreaker replaced = p.registry().breaker("inventory");
        assertThat(replaced).isNotSameAs(old);
        assertThat(replaced.config().minimumNumberOfCalls()).isEqualTo(2);
        assertThat(replaced.config().failureRateThreshold()).isEqualTo(30f);
        assertThat(report.change(Kind.BREAKER, "inventory")).isEqualTo(new PolicyChange(Kind.BREAKER, "inventory",
                Action.REPLACED, List.of(new SettingChange("minimum-number-of-calls", "4", "2", false),
                new SettingChange("failure-rate-threshold", "50", "30", true))));
        Pipeline pipeline = p.registry().pipeline("inventory");
        assertThat(pipeline).isNotSameAs(oldPipeline);
        assertThat(pipeline.breaker()).contains(replaced);
        assertThat(report.change(Kind.PIPELINE, "inventory").settings())
                .containsExactly(new SettingChange("breaker", "inventory", "inventory (replaced)", false));
        assertThat(events).extracting(RegistryEvent::toString)
                .containsExactly("BREAKER 'inventory' REPLACED", "PIPELINE 'inventory' REPLACED");
        assertThat(report.toString()).isEqualTo("""
                NineLives reload: 2 changes
                  BREAKER 'inventory' REPLACED: minimum-number-of-calls 4 -> 2 (not adaptive), failure-rate-threshold 50 -> 30
                  PIPELINE 'inventory' REPLACED: breaker inventory -> inventory (replaced) (not adaptive)""");
    }

    @Test
    void theReplacementFollowsLaterReloadsInPlace() {
        NineLivesProperties p = load(BASE);
        p.reload(with(BASE, "ninelives.breaker.inventory.minimum-number-of-calls", "2"));
        CircuitBreaker replaced = p.registry().breaker("inventory");

        ReloadReport report = p.reload(with(BASE, "ninelives.breaker.inventory.minimum-number-of-calls", "2",
                "ninelives.breaker.inventory.failure-rate-threshold", "10"));

        assertThat(report.change(Kind.BREAKER, "inventory").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().breaker("inventory")).isSameAs(replaced);
        assertThat(replaced.config().failureRateThreshold()).isEqualTo(10f);
    }

    @Test
    void namesThatAppearAreAddedAndNamesThatDisappearAreRemoved() {
        NineLivesProperties p = load(BASE);
        Map<String, String> next = new HashMap<>(BASE);
        next.remove("ninelives.bulkhead.db.max-concurrent");
        next.put("ninelives.bulkhead.files.max-concurrent", "7");

        ReloadReport report = p.reload(next);

        assertThat(report.changes()).containsExactly(
                new PolicyChange(Kind.BULKHEAD, "db", Action.REMOVED, List.of()),
                new PolicyChange(Kind.BULKHEAD, "files", Action.ADDED, List.of()));
        assertThat(p.registry().findBulkhead("db")).isEmpty();
        assertThat(p.registry().findBulkhead("files").orElseThrow().config().maxConcurrent()).isEqualTo(7);
        assertThat(p.keys()).containsKey("ninelives.bulkhead.files.max-concurrent").doesNotContainKey("ninelives.bulkhead.db.max-concurrent");
    }

    @Test
    void aPolicyAPipelineStillNamesIsKeptWhenItsOwnKeysDisappear() {
        NineLivesProperties p = load(BASE);
        Map<String, String> next = new HashMap<>(BASE);
        next.remove("ninelives.retry.quotes.max-attempts");     // the pipeline 'inventory' still uses retry 'quotes'

        ReloadReport report = p.reload(next);

        assertThat(p.registry().findRetry("quotes")).isPresent();
        assertThat(report.change(Kind.RETRY, "quotes")).isEqualTo(new PolicyChange(Kind.RETRY, "quotes", Action.CHANGED,
                List.of(new SettingChange("max-attempts", "3", "default", true))));
    }

    @Test
    void aDefaultChangeReachesEveryPolicyWithoutAnOverrideCreatedOnFirstUseIncluded() {
        NineLivesProperties p = load(with(BASE, "ninelives.breaker.default.failure-rate-threshold", "40"));
        CircuitBreaker adHoc = p.registry().breaker("adhoc");   // first use: from the defaults
        assertThat(adHoc.config().failureRateThreshold()).isEqualTo(40f);

        ReloadReport report = p.reload(with(BASE, "ninelives.breaker.default.failure-rate-threshold", "20"));

        assertThat(p.registry().breaker("adhoc")).isSameAs(adHoc);
        assertThat(adHoc.config().failureRateThreshold()).isEqualTo(20f);
        assertThat(report.change(Kind.BREAKER, "adhoc").action()).isEqualTo(Action.CHANGED);
        assertThat(p.registry().breaker("inventory").config().failureRateThreshold()).isEqualTo(50f);   // its own key wins
        assertThat(report.change(Kind.BREAKER, "inventory")).isNull();
        assertThat(p.registry().breaker("later").config().failureRateThreshold()).isEqualTo(20f);
    }

    @Test
    void aPolicyTheUserRegisteredIsLeftAlone() {
        NineLivesProperties p = load(BASE);
        CircuitBreaker own = p.registry().register(CircuitBreaker.builder("own").failureRateThreshold(70f).build());

        ReloadReport report = p.reload(with(BASE, "ninelives.breaker.default.failure-rate-threshold", "20"));

        assertThat(report.change(Kind.BREAKER, "own")).isNull();
        assertThat(p.registry().breaker("own")).isSameAs(own);
        assertThat(own.config().failureRateThreshold()).isEqualTo(70f);
    }

    @Test
    void aPolicyTheUserReplacedIsNoLongerTheLoadersToChange() {
        NineLivesProperties p = load(BASE);
        CircuitBreaker own = CircuitBreaker.builder("inventory").failureRateThreshold(70f).build();
        p.registry().replace(own);

        ReloadReport report = p.reload(with(BASE, "ninelives.breaker.inventory.failure-rate-threshold", "20"));

        assertThat(report.change(Kind.BREAKER, "inventory")).isNull();
        assertThat(p.registry().breaker("inventory")).isSameAs(own);
        assertThat(own.config().failureRateThreshold()).isEqualTo(70f);
    }

    @Test
    void anInvalidReloadChangesNothing() {
        NineLivesProperties p = load(with(BASE, "ninelives.breaker.default.failure-rate-threshold", "40"));
        NineLivesRegistry r = p.registry();
        r.breaker("adhoc");
        Map<String, CircuitBreaker> breakers = r.breakers();
        Map<String, Retry> retries = r.retries();
        Map<String, Bulkhead> bulkheads = r.bulkheads();
        Map<String, Pipeline> pipelines = r.pipelines();
        Map<String, String> keys = p.keys();
        String configs = configs(r);
        List<RegistryEvent> events = new CopyOnWriteArrayList<>();
        r.onEvent(events::add);

        Map<String, String> bad = new HashMap<>(BASE);
        bad.put("ninelives.breaker.default.failure-rate-threshold", "10");   // valid, in place: must not be applied
        bad.put("ninelives.breaker.inventory.minimum-number-of-calls", "1");   // valid, a replacement: must not be applied
        bad.remove("ninelives.bulkhead.db.max-concurrent");                    // a removal: must not be applied
        bad.put("ninelives.bulkhead.new.max-concurrent", "3");                 // an addition: must not be applied
        bad.put("ninelives.retry.quotes.max-attempts", "-1");                  // out of range
        assertThatThrownBy(() -> p.reload(bad)).isInstanceOf(PropertiesException.class)
                .hasMessageContaining("ninelives.retry.quotes.max-attempts = '-1'");

        assertThat(r.breakers()).isEqualTo(breakers);
        r.breakers().forEach((n, b) -> assertThat(b).isSameAs(breakers.get(n)));
        r.retries().forEach((n, b) -> assertThat(b).isSameAs(retries.get(n)));
        r.bulkheads().forEach((n, b) -> assertThat(b).isSameAs(bulkheads.get(n)));
        r.pipelines().forEach((n, b) -> assertThat(b).isSameAs(pipelines.get(n)));
        assertThat(r.retries()).isEqualTo(retries);
        assertThat(r.bulkheads()).isEqualTo(bulkheads);
        assertThat(r.pipelines()).isEqualTo(pipelines);
        assertThat(configs(r)).isEqualTo(configs);
        assertThat(p.keys()).isEqualTo(keys);
        assertThat(events).isEmpty();
        assertThat(r.breaker("later").config().failureRateThreshold()).isEqualTo(40f);   // first use still reads the old keys
    }

    @Test
    void aReloadWhoseCustomizerThrowsOnAReplacementChangesNothing() {
        AtomicBoolean failing = new AtomicBoolean();
        NineLivesProperties p = NineLivesProperties.builder()
                .breaker("inventory", b -> {
                    if (failing.get()) {
                        throw new IllegalStateException("refused");
                    }
                })
                .load(BASE);
        CircuitBreaker inventory = p.registry().breaker("inventory");
        failing.set(true);
        String configs = configs(p.registry());

        assertThatThrownBy(() -> p.reload(with(BASE, "ninelives.breaker.inventory.minimum-number-of-calls", "2",
                "ninelives.bulkhead.db.max-concurrent", "9")))
                .isInstanceOf(PropertiesException.class).hasMessageContaining("refused");

        assertThat(p.registry().breaker("inventory")).isSameAs(inventory);
        assertThat(configs(p.registry())).isEqualTo(configs);
    }

    @Test
    void aReloadWithTheSameKeysChangesNothing() {
        NineLivesProperties p = load(BASE);
        ReloadReport report = p.reload(new HashMap<>(BASE));
        assertThat(report.isEmpty()).isTrue();
        assertThat(report.toString()).isEqualTo("NineLives reload: no change");
    }

    @Test
    void turningSlowCallsOnOrChangingTheWindowTypeReplacesTheBreaker() {
        NineLivesProperties p = load(BASE);
        CircuitBreaker old = p.registry().breaker("inventory");

        ReloadReport report = p.reload(with(BASE, "ninelives.breaker.inventory.slow-call-duration", "2s"));
        assertThat(report.change(Kind.BREAKER, "inventory").action()).isEqualTo(Action.REPLACED);
        CircuitBreaker slow = p.registry().breaker("inventory");
        assertThat(slow).isNotSameAs(old);
        assertThat(slow.config().slowCallDuration()).isEqualTo(Duration.ofSeconds(2));

        report = p.reload(with(BASE, "ninelives.breaker.inventory.slow-call-duration", "3s"));
        assertThat(report.change(Kind.BREAKER, "inventory").action()).isEqualTo(Action.CHANGED);
        assertThat(slow.config().slowCallDuration()).isEqualTo(Duration.ofSeconds(3));

        Map<String, String> timed = new HashMap<>(BASE);
        timed.remove("ninelives.breaker.inventory.sliding-window");
        timed.put("ninelives.breaker.inventory.sliding-time-window", "10s");
        report = p.reload(timed);
        assertThat(report.change(Kind.BREAKER, "inventory").action()).isEqualTo(Action.REPLACED);
        assertThat(p.registry().breaker("inventory").config().windowType()).isEqualTo(CircuitBreakerConfig.WindowType.TIME_BASED);
    }

    @Test
    void aReloadReplacesOnlyWhatChangedAndKeepsTheOthersIdentical() {
        NineLivesProperties p = load(BASE);
        Bulkhead db = p.registry().bulkhead("db");
        Retry quotes = p.registry().retry("quotes");

        p.reload(with(BASE, "ninelives.breaker.inventory.rejection-stack-traces", "true"));

        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(p.registry().retry("quotes")).isSameAs(quotes);
        assertThat(p.registry().breaker("inventory").config().rejectionStackTraces()).isTrue();
    }

    @Test
    void aPipelineWhoseKeysChangeIsReplacedAndPipelinesAppearAndDisappear() {
        Map<String, String> base = with(BASE, "ninelives.pipeline.old.bulkhead", "db");
        NineLivesProperties p = load(base);
        Pipeline inventory = p.registry().pipeline("inventory");
        assertThat(p.registry().findPipeline("old")).isPresent();
        Map<String, String> next = with(BASE, "ninelives.pipeline.inventory.timeout", "2s",
                "ninelives.pipeline.fresh.retry", "true");

        ReloadReport report = p.reload(next);

        assertThat(report.change(Kind.PIPELINE, "inventory")).isEqualTo(new PolicyChange(Kind.PIPELINE, "inventory",
                Action.REPLACED, List.of(new SettingChange("timeout", "default", "2s", false))));
        Pipeline replaced = p.registry().pipeline("inventory");
        assertThat(replaced).isNotSameAs(inventory);
        assertThat(replaced.timeout()).contains(Duration.ofSeconds(2));
        assertThat(replaced.breaker()).contains(inventory.breaker().orElseThrow());   // its policies did not change
        assertThat(report.change(Kind.PIPELINE, "old").action()).isEqualTo(Action.REMOVED);
        assertThat(p.registry().findPipeline("old")).isEmpty();
        assertThat(p.registry().findBulkhead("db")).isPresent();               // its own keys still name it
        assertThat(report.change(Kind.PIPELINE, "fresh").action()).isEqualTo(Action.ADDED);
        assertThat(report.change(Kind.RETRY, "fresh").action()).isEqualTo(Action.ADDED);   // a stage it names
        assertThat(p.registry().findPipeline("fresh").orElseThrow().retry()).contains(p.registry().retry("fresh"));
    }

    @Test
    void aPipelineCreatedOnFirstUseWhoseStageIsRemovedIsRebuiltWithANewOne() {
        NineLivesProperties p = load(keys("ninelives.bulkhead.db.max-concurrent", "2", "ninelives.pipeline.default.bulkhead", "db"));
        Pipeline adHoc = p.registry().pipeline("adhoc");
        Bulkhead db = adHoc.bulkhead().orElseThrow();

        ReloadReport report = p.reload(keys("ninelives.pipeline.default.bulkhead", "db"));

        assertThat(report.change(Kind.BULKHEAD, "db").action()).isEqualTo(Action.REMOVED);
        assertThat(report.change(Kind.PIPELINE, "adhoc").settings())
                .containsExactly(new SettingChange("bulkhead", "db", "db (removed)", false));
        Bulkhead fresh = p.registry().pipeline("adhoc").bulkhead().orElseThrow();
        assertThat(fresh).isNotSameAs(db).isSameAs(p.registry().bulkhead("db"));
        assertThat(fresh.config().maxConcurrent()).isEqualTo(25);   // the builder's default
    }

    /**
     * Guards against a reload left half-applied by a JVM-fatal error from a registry listener:
     * every step is applied (the later replacement included) before the error propagates.
     */
    @Test
    void aFatalErrorFromARegistryListenerPropagatesOnceEveryChangeIsApplied() {
        NineLivesProperties p = load(BASE);
        Bulkhead db = p.registry().bulkhead("db");
        Pipeline pipeline = p.registry().pipeline("inventory");
        OutOfMemoryError oom = new OutOfMemoryError("listener");
        p.registry().onEvent(e -> {
            if (e.kind() == Kind.BREAKER) {
                throw oom;
            }
        });

        assertThatThrownBy(() -> p.reload(with(BASE, "ninelives.breaker.inventory.minimum-number-of-calls", "2",
                "ninelives.bulkhead.db.max-concurrent", "5")))
                .isSameAs(oom);

        assertThat(p.registry().breaker("inventory").config().minimumNumberOfCalls()).isEqualTo(2);
        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(db.config().maxConcurrent()).isEqualTo(5);
        assertThat(p.registry().pipeline("inventory")).isNotSameAs(pipeline);
        assertThat(p.registry().pipeline("inventory").breaker()).contains(p.registry().breaker("inventory"));
        assertThat(p.keys()).containsEntry("ninelives.breaker.inventory.minimum-number-of-calls", "2");
    }

    @Test
    void aFatalErrorFromACustomizerPropagatesAsItIsAndChangesNothing() {
        AtomicBoolean failing = new AtomicBoolean();
        StackOverflowError overflow = new StackOverflowError("customizer");
        NineLivesProperties p = NineLivesProperties.builder()
                .bulkheadDefaults(b -> {
                    if (failing.get()) {
                        throw overflow;
                    }
                })
                .load(BASE);
        Bulkhead db = p.registry().bulkhead("db");
        failing.set(true);

        assertThatThrownBy(() -> p.reload(with(BASE, "ninelives.bulkhead.db.max-concurrent", "5"))).isSameAs(overflow);

        assertThat(p.registry().bulkhead("db")).isSameAs(db);
        assertThat(db.config().maxConcurrent()).isEqualTo(2);
    }

    @Test
    void aSecondReloadWhileOneRunsIsRefused() {
        NineLivesProperties[] loader = new NineLivesProperties[1];
        String[] refusal = new String[1];
        loader[0] = NineLivesProperties.builder()
                .breaker("inventory", b -> {
                    if (loader[0] != null && refusal[0] == null) {
                        refusal[0] = "none";
                        try {
                            loader[0].reload(BASE);
                        } catch (IllegalStateException e) {
                            refusal[0] = e.getMessage();
                        }
                    }
                })
                .load(BASE);

        loader[0].reload(with(BASE, "ninelives.breaker.inventory.minimum-number-of-calls", "2"));

        assertThat(refusal[0]).isEqualTo("Cannot reload the NineLives configuration: another reload is running");
        assertThat(loader[0].registry().breaker("inventory").config().minimumNumberOfCalls()).isEqualTo(2);
    }

    private static String configs(NineLivesRegistry r) {
        StringBuilder sb = new StringBuilder();
        r.breakers().values().forEach(b -> sb.append(b.config()).append('\n'));
        r.retries().values().forEach(b -> sb.append(b).append(' ').append(b.maxAttempts()).append(b.backoff()).append('\n'));
        r.bulkheads().values().forEach(b -> sb.append(b.config()).append('\n'));
        r.pipelines().values().forEach(b -> sb.append(b.explain()).append('\n'));
        return sb.toString();
    }
}
