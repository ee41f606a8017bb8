package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Builds the application's {@link NineLivesRegistry} from the {@code ninelives.*} keys of the
 * {@code Environment}, through {@link NineLivesProperties}: the keys, their defaults and the error
 * messages are the loader's (see its javadoc and the docs' table of keys).
 *
 * <ul>
 * <li>{@link NineLivesProperties} (bean {@code nineLivesProperties}): the loader, built with every
 *     {@link NineLivesPropertiesCustomizer} bean, from the keys of every property source (Spring's
 *     relaxed binding: {@code failure-rate-threshold}, {@code failureRateThreshold},
 *     {@code NINELIVES_BREAKER_INVENTORY_FAILURERATETHRESHOLD}); bad keys fail the start with the
 *     loader's {@link dev.ninelives.reactor.registry.PropertiesException}, which lists them all.</li>
 * <li>{@link NineLivesRegistry} (bean {@code nineLivesRegistry}): the loader's registry.</li>
 * <li>One bean per policy the keys name, for injection by qualifier: the breaker
 *     {@code inventory} is the bean {@code inventoryCircuitBreaker}, qualified {@code "inventory"}
 *     (so {@code @Qualifier("inventory") CircuitBreaker}); likewise {@code inventoryRetry},
 *     {@code inventoryBulkhead}, {@code inventoryRateLimiter}, {@code inventoryPipeline}: one
 *     per kind the registry lists. Each is the registry's instance at
 *     start-up. A refresh changes adaptive settings on that very instance; a change that replaces
 *     a policy in the registry (see {@link NineLivesProperties#reload}) does not reach a bean
 *     already injected: code that must follow replacements looks its policy up in the registry
 *     (a lock-free map read), as the Spring Cloud circuit breaker factory does.</li>
 * </ul>
 * A bean of the user's own of either type replaces the auto-configuration's: a user's
 * {@code NineLivesProperties} brings its registry, a user's {@code NineLivesRegistry} is used as
 * it is (no keys are read, and the refresh does nothing).
 */
@AutoConfiguration
@ConditionalOnClass(NineLivesRegistry.class)
public class NineLivesAutoConfiguration {

    /** Made by Spring. */
    public NineLivesAutoConfiguration() {
    }

    /**
     * The loader, from the environment's {@code ninelives.*} keys and the customizer beans.
     *
     * @param environment the environment
     * @param customizers the customizers, applied in order
     * @return the loader
     * @throws dev.ninelives.reactor.registry.PropertiesException listing every bad key
     */
    @Bean
    @ConditionalOnMissingBean
    public NineLivesProperties nineLivesProperties(Environment environment,
                                                   ObjectProvider<NineLivesPropertiesCustomizer> customizers) {
        NineLivesProperties.Builder loader = NineLivesProperties.builder();
        customizers.orderedStream().forEach(c -> c.customize(loader));
        return loader.load(EnvironmentKeys.collect(environment));
    }

    /**
     * The registry of the loader.
     *
     * @param properties the loader
     * @return its registry
     */
    @Bean
    @ConditionalOnMissingBean
    public NineLivesRegistry nineLivesRegistry(NineLivesProperties properties) {
        return properties.registry();
    }

    /**
     * Registers a bean per policy the keys name.
     *
     * @param environment the environment, read for the names
     * @return the registrar
     */
    @Bean
    public static PolicyBeans nineLivesPolicyBeans(Environment environment) {
        return new PolicyBeans(environment);
    }
}
