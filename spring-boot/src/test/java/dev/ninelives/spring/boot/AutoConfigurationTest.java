package dev.ninelives.spring.boot;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.PropertiesException;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.retry.Retry;
import dev.ninelives.spring.boot.actuate.NineLivesActuatorAutoConfiguration;
import dev.ninelives.spring.boot.actuate.NineLivesEndpoint;
import dev.ninelives.spring.boot.build.ConfigurationMetadataGenerator;
import dev.ninelives.spring.cloud.NineLivesCircuitBreakerAutoConfiguration;
import dev.ninelives.spring.cloud.NineLivesReactiveCircuitBreakerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreakerFactory;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The auto-configuration without a server: how keys are collected, what fails the start, which
 * beans exist under which conditions, and what a refresh does. Each context starts in a few
 * milliseconds.
 */
class AutoConfigurationTest {

    static final AutoConfigurations ALL = AutoConfigurations.of(NineLivesAutoConfiguration.class,
            NineLivesMetricsAutoConfiguration.class, NineLivesRefreshAutoConfiguration.class,
            NineLivesActuatorAutoConfiguration.class, NineLivesCircuitBreakerAutoConfiguration.class);

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(ALL);

    /** An environment variable, as Spring reads one: a source named like the system environment. */
    private static SystemEnvironmentPropertySource environmentVariables(Map<String, Object> variables) {
        return new SystemEnvironmentPropertySource("test-systemEnvironment", variables);
    }

    @Test
    void everySpellingOfAKeyIsOneKeyAndTheSourceWithTheHighestPrecedenceWins() {
        runner.withPropertyValues("ninelives.breaker.inventory.failure-rate-threshold=40",
                        "ninelives.breaker.inventory.minimumNumberOfCalls=7",
                        "ninelives.retry.inventory.backoff.type=constant",
                        "ninelives.pipeline.inventory.retry=true")
                .withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(environmentVariables(
                        Map.of("NINELIVES_BREAKER_INVENTORY_FAILURERATETHRESHOLD", "25",
                                "NINELIVES_RETRY_INVENTORY_MAXATTEMPTS", "5"))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
                    CircuitBreaker breaker = registry.breaker("inventory");
                    assertThat(breaker.config().failureRateThreshold()).as("the variable beats the property").isEqualTo(25f);
                    assertThat(breaker.config().minimumNumberOfCalls()).isEqualTo(7);
                    assertThat(registry.retry("inventory").maxAttempts()).isEqualTo(5);
                    assertThat(registry.pipeline("inventory").retry()).contains(registry.retry("inventory"));
                    assertThat(context.getBean(NineLivesProperties.class).registry()).isSameAs(registry);
                });
    }

    /** The keys the loader was given for the rate limiter x. */
    private static Map<String, String> rateLimiterKeys(NineLivesProperties properties) {
        Map<String, String> keys = new LinkedHashMap<>(properties.keys());
        keys.keySet().removeIf(k -> !k.toLowerCase(java.util.Locale.ROOT).contains(".x."));
        return keys;
    }

    @Test
    void aKindOfTwoWordsIsOneKeyInYamlInAPropertiesFileAndInTheEnvironment() {
        runner.withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(new MapPropertySource("yaml-like",
                        Map.of("ninelives.rate-limiter.x.limit-for-period", 7))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(NineLivesRegistry.class).rateLimiter("x").config().limitForPeriod()).isEqualTo(7);
                });
        runner.withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(new MapPropertySource("properties-like",
                        Map.of("ninelives.rateLimiter.x.limitForPeriod", "8"))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(NineLivesRegistry.class).rateLimiter("x").config().limitForPeriod()).isEqualTo(8);
                });
        runner.withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(environmentVariables(
                        Map.of("NINELIVES_RATELIMITER_X_LIMITFORPERIOD", "9"))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(NineLivesRegistry.class).rateLimiter("x").config().limitForPeriod()).isEqualTo(9);
                    assertThat(context).hasBean("xRateLimiter");
                });
        // all three at once: one key (the loader would refuse two spellings of it), the variable wins
        runner.withInitializer(c -> {
                    c.getEnvironment().getPropertySources().addFirst(new MapPropertySource("yaml-like",
                            Map.of("ninelives.rate-limiter.x.limit-for-period", 7, "ninelives.rate-limiter.x.period", "2s")));
                    c.getEnvironment().getPropertySources().addFirst(new MapPropertySource("properties-like",
                            Map.of("ninelives.rateLimiter.x.limitForPeriod", "8")));
                    c.getEnvironment().getPropertySources().addFirst(environmentVariables(
                            Map.of("NINELIVES_RATELIMITER_X_LIMITFORPERIOD", "9")));
                })
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RateLimiter x = context.getBean(NineLivesRegistry.class).rateLimiter("x");
                    assertThat(x.config().limitForPeriod()).as("the variable beats both files").isEqualTo(9);
                    assertThat(x.config().period()).isEqualTo(java.time.Duration.ofSeconds(2));
                    assertThat(rateLimiterKeys(context.getBean(NineLivesProperties.class))).hasSize(2)
                            .containsValue("9").containsEntry("ninelives.rate-limiter.x.period", "2s");
                });
    }

    @Test
    void yamlValuesThatAreNotTextAndPlaceholdersReachTheLoaderAsText() {
        runner.withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(new MapPropertySource("yaml-like",
                        Map.of("ninelives.breaker.inventory.permitted-calls-in-half-open", 3,
                                "ninelives.breaker.inventory.open-duration", "${inventory.open:2s}"))))
                .run(context -> {
                    CircuitBreaker breaker = context.getBean(NineLivesRegistry.class).breaker("inventory");
                    assertThat(breaker.config().permittedCallsInHalfOpen()).isEqualTo(3);
                    assertThat(breaker.config().openDuration()).isEqualTo(java.time.Duration.ofSeconds(2));
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class Injected {
        @Bean
        String injected(@Qualifier("inventory") CircuitBreaker breaker, @Qualifier("inventory") Pipeline pipeline,
                        @Qualifier("inventory") Retry retry, @Qualifier("inventory") RateLimiter rateLimiter) {
            return breaker.name() + "/" + pipeline.name() + "/" + retry.name() + "/" + rateLimiter.name();
        }
    }

    @Test
    void everyPolicyTheKeysNameIsABeanInjectedByQualifierAndNamedAfterItsType() {
        runner.withPropertyValues("ninelives.pipeline.inventory.retry=true", "ninelives.bulkhead.db.max-concurrent=4",
                        "ninelives.rate-limiter.inventory.limit-for-period=5")
                .withUserConfiguration(Injected.class)
                .run(context -> {
                    NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
                    assertThat(context.getBean("injected")).isEqualTo("inventory/inventory/inventory/inventory");
                    assertThat(context.getBean("inventoryCircuitBreaker")).isSameAs(registry.breaker("inventory"));
                    assertThat(context.getBean("inventoryPipeline")).isSameAs(registry.pipeline("inventory"));
                    assertThat(context.getBean("inventoryRetry")).isSameAs(registry.retry("inventory"));
                    assertThat(context.getBean("dbBulkhead")).isSameAs(registry.bulkhead("db"));
                    assertThat(context.getBean("inventoryRateLimiter")).isSameAs(registry.rateLimiter("inventory"));
                    assertThat(context.getBeanNamesForType(CircuitBreaker.class)).containsExactly("inventoryCircuitBreaker");
                    assertThat(context.getBeanNamesForType(RateLimiter.class)).containsExactly("inventoryRateLimiter");
                });
    }

    /**
     * Keys that name a policy of every kind the registry lists: a pipeline {@code all} with every
     * stage the loader's pipeline keys have, each stage a policy named {@code all}.
     */
    private static String[] everyKind() {
        List<String> keys = new java.util.ArrayList<>();
        for (Kind kind : Kind.values()) {
            String spelled = ConfigurationMetadataGenerator.spelling(kind);
            if (kind != Kind.PIPELINE && NineLivesProperties.settings(Kind.PIPELINE).contains(spelled)) {
                keys.add("ninelives.pipeline.all." + spelled + "=true");
            }
        }
        return keys.toArray(String[]::new);
    }

    @Test
    void theKindsOfBeanAreTheRegistrysListingsSoEveryKindGetsItsBeans() {
        assertThat(PolicyBeans.listings()).extracting(PolicyBeans::valueType)
                .contains(CircuitBreaker.class, Retry.class, Bulkhead.class, RateLimiter.class, Pipeline.class);
        runner.withPropertyValues(everyKind()).run(context -> {
            assertThat(context).hasNotFailed();
            NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
            for (Method listing : PolicyBeans.listings()) {
                Class<?> type = PolicyBeans.valueType(listing);
                Object policy = PolicyBeans.list(registry, listing).get("all");
                assertThat(policy).as("the %s named all", type.getSimpleName()).isNotNull();
                assertThat(context.getBean("all" + type.getSimpleName())).isSameAs(policy);
                assertThat(context.getBeanNamesForType(type)).containsExactly("all" + type.getSimpleName());
            }
        });
    }

    @Test
    void badKeysFailTheStartWithTheLoadersMessageListingEveryOne() {
        Map<String, String> bad = Map.of("ninelives.breaker.inventory.failure-rate-treshold", "50",
                "ninelives.retry.quotes.max-attempts", "three");
        String loaders = assertThatThrownBy(() -> NineLivesProperties.load(bad)).actual().getMessage();
        runner.withPropertyValues("ninelives.breaker.inventory.failure-rate-treshold=50", "ninelives.retry.quotes.max-attempts=three")
                .run(context -> {
                    assertThat(context).hasFailed();
                    Throwable failure = context.getStartupFailure();
                    assertThat(failure).hasRootCauseInstanceOf(PropertiesException.class);
                    Throwable root = failure;
                    while (root.getCause() != null) {
                        root = root.getCause();
                    }
                    assertThat(root.getMessage()).isEqualTo(loaders).contains("did you mean "
                            + "ninelives.breaker.inventory.failure-rate-threshold?", "'three': expected an integer");
                    StandardEnvironment environment = new StandardEnvironment();
                    environment.getPropertySources().addFirst(new MapPropertySource("application-test", Map.copyOf(bad)));
                    FailureAnalysis analysis = new PropertiesFailureAnalyzer(environment).analyze(failure);
                    assertThat(analysis.getDescription()).startsWith(loaders).contains("Where the keys were set:",
                            "ninelives.retry.quotes.max-attempts: \"ninelives.retry.quotes.max-attempts\" from property source \"application-test\"");
                    assertThat(analysis.getAction()).contains("ninelives.*");
                });
    }

    @Test
    void otherNinelivesSwitchesInSystemPropertiesOrTheEnvironmentAreLeftAloneButTheirPolicyKeysAreRead() {
        runner.withSystemProperties("ninelives.soak.calls=5", "ninelives.breaker.inventory.failure-rate-threshold=40")
                .withInitializer(c -> c.getEnvironment().getPropertySources().addFirst(environmentVariables(
                        Map.of("NINELIVES_HOME", "/opt/ninelives", "NINELIVES_BULKHEAD_DB_MAXCONCURRENT", "3"))))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
                    assertThat(registry.breaker("inventory").config().failureRateThreshold()).isEqualTo(40f);
                    assertThat(registry.bulkhead("db").config().maxConcurrent()).isEqualTo(3);
                });
        // a policy key of a known kind is still checked there, and any name from the application's files is
        runner.withSystemProperties("ninelives.breaker.inventory.failure-rate-treshold=40")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("did you mean ninelives.breaker.inventory.failure-rate-threshold?"));
        runner.withPropertyValues("ninelives.breakr.inventory.failure-rate-threshold=40")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("ninelives.breakr.inventory.failure-rate-threshold"));
    }

    @Test
    void theApplicationsOwnRegistryIsUsedAsItIs() {
        NineLivesRegistry own = NineLivesRegistry.ofDefaults();
        runner.withBean(NineLivesRegistry.class, () -> own).run(context -> {
            assertThat(context.getBean(NineLivesRegistry.class)).isSameAs(own);
            assertThat(context.getBean(NineLivesReactiveCircuitBreakerFactory.class).registry()).isSameAs(own);
        });
    }

    @Test
    void theMeterBinderNeedsMicrometerAndAMeterRegistry() {
        runner.run(context -> assertThat(context).doesNotHaveBean(MeterBinder.class));
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .run(context -> assertThat(context).hasBean("nineLivesMeterBinder"));
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("nineLivesMeterBinder"));
    }

    @Test
    void springCloudPartsNeedSpringCloudAndGiveWayToTheApplicationsFactory() {
        runner.run(context -> assertThat(context).hasSingleBean(ReactiveCircuitBreakerFactory.class)
                .hasSingleBean(NineLivesRefresh.class));
        runner.withClassLoader(new FilteredClassLoader(ReactiveCircuitBreakerFactory.class, EnvironmentChangeEvent.class))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(NineLivesRegistry.class)
                        .doesNotHaveBean("reactiveNineLivesCircuitBreakerFactory").doesNotHaveBean(NineLivesRefresh.class));
        runner.withPropertyValues("spring.cloud.circuitbreaker.ninelives.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(ReactiveCircuitBreakerFactory.class));
    }

    @Test
    void theEndpointNeedsExposureAndTheHealthContributorCanBeTurnedOff() {
        runner.run(context -> assertThat(context).doesNotHaveBean(NineLivesEndpoint.class)
                .hasBean("ninelivesHealthIndicator"));
        runner.withPropertyValues("management.endpoints.web.exposure.include=ninelives", "management.health.ninelives.enabled=false")
                .run(context -> assertThat(context).hasSingleBean(NineLivesEndpoint.class)
                        .doesNotHaveBean("ninelivesHealthIndicator"));
    }

    @Test
    void theEndpointListsEveryKindTheRegistryLists() {
        Map<String, Object> all = new NineLivesEndpoint(NineLivesRegistry.ofDefaults()).policies();
        assertThat(all.keySet()).as("a kind of the registry that the endpoint leaves off")
                .containsExactlyInAnyOrderElementsOf(PolicyBeans.listings().stream().map(Method::getName).toList());
        assertThat(all.values()).allSatisfy(byName -> assertThat((Map<?, ?>) byName).isEmpty());
    }

    /** Guards against: a hedge listed without its delay and counts, or a fixed one shown as a percentile. */
    @Test
    @SuppressWarnings("unchecked")
    void theEndpointShowsAHedgesDelayAndCounts() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=ninelives",
                        "ninelives.hedge.search.delay-percentile=95", "ninelives.hedge.search.min-delay=20ms",
                        "ninelives.hedge.search.max-hedges=2", "ninelives.hedge.fixed.delay=50ms")
                .run(context -> {
                    NineLivesEndpoint endpoint = context.getBean(NineLivesEndpoint.class);
                    Map<String, Object> hedges = (Map<String, Object>) endpoint.policies().get("hedges");
                    assertThat(hedges).containsOnlyKeys("search", "fixed");
                    assertThat((Map<String, Object>) hedges.get("search")).containsEntry("delayPercentile", 95.0)
                            .containsEntry("minDelay", "PT0.02S").containsEntry("maxHedges", 2)
                            .containsEntry("calls", 0L).containsEntry("hedgesIssued", 0L).containsKey("budgetTokens");
                    assertThat((Map<String, Object>) hedges.get("fixed")).containsEntry("delay", "PT0.05S")
                            .containsEntry("maxHedges", 1).doesNotContainKeys("delayPercentile", "minDelay");
                    assertThat(endpoint.policy("search")).containsOnlyKeys("hedge");
                });
    }

    @Test
    @SuppressWarnings("unchecked")
    void theEndpointShowsARateLimitersPermitsAnAdaptiveLimitAndEveryStageOfAPipeline() {
        AtomicLong nanos = new AtomicLong();
        runner.withPropertyValues("management.endpoints.web.exposure.include=ninelives",
                        "ninelives.rate-limiter.inventory.limit-for-period=10", "ninelives.rate-limiter.inventory.period=1s",
                        "ninelives.rate-limiter.inventory.max-wait=500ms",
                        "ninelives.bulkhead.inventory.adaptive-limit.algorithm=aimd",
                        "ninelives.bulkhead.inventory.adaptive-limit.min-limit=2",
                        "ninelives.bulkhead.inventory.adaptive-limit.max-limit=50",
                        "ninelives.bulkhead.inventory.adaptive-limit.initial-limit=8",
                        "ninelives.bulkhead.inventory.adaptive-limit.latency-threshold=200ms",
                        "ninelives.bulkhead.plain.max-concurrent=3",
                        "ninelives.pipeline.inventory.rate-limiter=true", "ninelives.pipeline.inventory.bulkhead=true",
                        "ninelives.pipeline.inventory.timeout=2s", "ninelives.pipeline.inventory.attempt-timeout=500ms")
                .withBean(NineLivesPropertiesCustomizer.class, () -> loader -> loader.rateLimiterDefaults(r -> r.ticker(nanos::get)))
                .run(context -> {
                    NineLivesEndpoint endpoint = context.getBean(NineLivesEndpoint.class);
                    RateLimiter limiter = context.getBean(NineLivesRegistry.class).rateLimiter("inventory");
                    for (int i = 0; i < 15; i++) {             // ten now, then one every 100 ms up to the 500 ms wait
                        assertThat(limiter.tryAcquire().granted()).isTrue();
                    }
                    assertThat(limiter.tryAcquire().granted()).isFalse();

                    Map<String, Object> one = endpoint.policy("inventory");
                    assertThat(one).containsOnlyKeys("breaker", "bulkhead", "rateLimiter", "pipeline");
                    assertThat((Map<String, Object>) one.get("rateLimiter")).isEqualTo(Map.of(
                            "limitForPeriod", 10, "period", "PT1S", "burst", 10, "maxWait", "PT0.5S",
                            "availablePermits", 0, "waiting", 5, "refusedCalls", 1L));
                    Map<String, Object> bulkhead = (Map<String, Object>) one.get("bulkhead");
                    assertThat(bulkhead).containsEntry("maxConcurrent", 8).containsEntry("availablePermits", 8);
                    assertThat((Map<String, Object>) bulkhead.get("adaptiveLimit")).containsEntry("algorithm", "aimd")
                            .containsEntry("limit", 8).containsEntry("minLimit", 2).containsEntry("maxLimit", 50)
                            .containsEntry("initialLimit", 8).containsEntry("latencyThreshold", "PT0.2S")
                            .doesNotContainKeys("tolerance", "smoothing");
                    assertThat(new java.util.ArrayList<>(((Map<String, Object>) one.get("pipeline")).entrySet()))
                            .as("the stages in the order a call meets them")
                            .containsExactly(Map.entry("rateLimiter", "inventory"), Map.entry("bulkhead", "inventory"),
                                    Map.entry("timeout", "PT2S"), Map.entry("breaker", "inventory"),
                                    Map.entry("breakerState", "CLOSED"), Map.entry("attemptTimeout", "PT0.5S"));

                    Map<String, Object> all = endpoint.policies();
                    assertThat((Map<String, Object>) all.get("rateLimiters")).containsOnlyKeys("inventory")
                            .containsEntry("inventory", one.get("rateLimiter"));
                    Map<String, Object> bulkheads = (Map<String, Object>) all.get("bulkheads");
                    assertThat(bulkheads).containsOnlyKeys("inventory", "plain");
                    assertThat((Map<String, Object>) bulkheads.get("plain")).containsEntry("maxConcurrent", 3)
                            .doesNotContainKey("adaptiveLimit");

                    nanos.addAndGet(java.time.Duration.ofSeconds(2).toNanos());   // the waits are over, the burst is back
                    assertThat((Map<String, Object>) endpoint.policy("inventory").get("rateLimiter"))
                            .containsEntry("availablePermits", 10).containsEntry("waiting", 0);
                });
    }

    private static void open(CircuitBreaker breaker) {
        for (int i = 0; i < 2; i++) {
            long permit = breaker.tryAcquire();
            breaker.onError(permit, 0, new IllegalStateException("down"));
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    private static final String[] SMALL_WINDOW = {"ninelives.breaker.inventory.sliding-window=2",
            "ninelives.breaker.inventory.minimum-number-of-calls=2", "ninelives.breaker.inventory.open-duration=1h"};

    @Test
    void anOpenBreakerMakesTheHealthDegradedByDefaultOrTheConfiguredStatus() {
        runner.withPropertyValues(SMALL_WINDOW).run(context -> {
            HealthIndicator health = context.getBean("ninelivesHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            open(context.getBean(NineLivesRegistry.class).breaker("inventory"));
            assertThat(health.health().getStatus().getCode()).isEqualTo("DEGRADED");
            assertThat(health.health().getDetails()).isEqualTo(Map.of("breakers", Map.of("inventory", "OPEN")));
        });
        runner.withPropertyValues(SMALL_WINDOW).withPropertyValues("management.health.ninelives.open-status=DOWN").run(context -> {
            open(context.getBean(NineLivesRegistry.class).breaker("inventory"));
            assertThat(context.getBean("ninelivesHealthIndicator", HealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Test
    void aRefreshChangesAThresholdInPlaceAndAnOpenBreakerStaysOpen() {
        runner.withPropertyValues(SMALL_WINDOW).run(context -> {
            NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
            CircuitBreaker breaker = registry.breaker("inventory");
            open(breaker);
            context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("refreshed",
                    Map.of("ninelives.breaker.inventory.failure-rate-threshold", "25")));

            context.publishEvent(new EnvironmentChangeEvent(context, Set.of("ninelives.breaker.inventory.failure-rate-threshold")));

            assertThat(registry.breaker("inventory")).isSameAs(breaker);
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(breaker.config().failureRateThreshold()).isEqualTo(25f);
            assertThat(context.getBean(NineLivesProperties.class).keys())
                    .containsEntry("ninelives.breaker.inventory.failure-rate-threshold", "25");
        });
    }

    @Test
    void aRefreshWithBadKeysChangesNothingAndOneThatTouchesNoKeyOfOursIsIgnored() {
        runner.withPropertyValues(SMALL_WINDOW).run(context -> {
            NineLivesProperties properties = context.getBean(NineLivesProperties.class);
            Map<String, String> before = properties.keys();
            context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("refreshed",
                    Map.of("ninelives.breaker.inventory.failure-rate-threshold", "250")));

            context.publishEvent(new EnvironmentChangeEvent(context, Set.of("server.port")));
            assertThat(properties.keys()).isEqualTo(before);

            assertThat(context.getBean(NineLivesRefresh.class).reload()).isNull();
            assertThat(properties.keys()).isEqualTo(before);
            assertThat(properties.registry().breaker("inventory").config().failureRateThreshold()).isEqualTo(50f);
        });
    }
}
