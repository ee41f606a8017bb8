package dev.ninelives.spring.boot;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.PropertiesException;
import dev.ninelives.retry.Retry;
import dev.ninelives.spring.boot.actuate.NineLivesActuatorAutoConfiguration;
import dev.ninelives.spring.boot.actuate.NineLivesEndpoint;
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

import java.util.Map;
import java.util.Set;

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
                        @Qualifier("inventory") Retry retry) {
            return breaker.name() + "/" + pipeline.name() + "/" + retry.name();
        }
    }

    @Test
    void everyPolicyTheKeysNameIsABeanInjectedByQualifierAndNamedAfterItsType() {
        runner.withPropertyValues("ninelives.pipeline.inventory.retry=true", "ninelives.bulkhead.db.max-concurrent=4")
                .withUserConfiguration(Injected.class)
                .run(context -> {
                    NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
                    assertThat(context.getBean("injected")).isEqualTo("inventory/inventory/inventory");
                    assertThat(context.getBean("inventoryCircuitBreaker")).isSameAs(registry.breaker("inventory"));
                    assertThat(context.getBean("inventoryPipeline")).isSameAs(registry.pipeline("inventory"));
                    assertThat(context.getBean("inventoryRetry")).isSameAs(registry.retry("inventory"));
                    assertThat(context.getBean("dbBulkhead")).isSameAs(registry.bulkhead("db"));
                    assertThat(context.getBeanNamesForType(CircuitBreaker.class)).containsExactly("inventoryCircuitBreaker");
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
