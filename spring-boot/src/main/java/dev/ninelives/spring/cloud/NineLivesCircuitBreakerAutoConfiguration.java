package dev.ninelives.spring.cloud;

import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.spring.boot.NineLivesAutoConfiguration;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cloud.client.circuitbreaker.CircuitBreakerFactory;
import org.springframework.cloud.client.circuitbreaker.Customizer;
import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreakerFactory;
import org.springframework.context.annotation.Bean;

/**
 * Spring Cloud CircuitBreaker's factories backed by the registry's pipelines, when
 * {@code spring-cloud-commons} is on the class path, no other factory is defined, and
 * {@code spring.cloud.circuitbreaker.ninelives.enabled} is not {@code false}: a
 * {@link NineLivesReactiveCircuitBreakerFactory} (Reactor is always there) and a blocking
 * {@link NineLivesCircuitBreakerFactory}. Every bean of type
 * {@code Customizer<NineLivesReactiveCircuitBreakerFactory>} (or of the blocking factory) is
 * applied to the factory made.
 */
@AutoConfiguration(after = NineLivesAutoConfiguration.class,
        beforeName = {"org.springframework.cloud.circuitbreaker.resilience4j.ReactiveResilience4JAutoConfiguration",
                "org.springframework.cloud.circuitbreaker.resilience4j.Resilience4JAutoConfiguration"})
@ConditionalOnClass(ReactiveCircuitBreakerFactory.class)
@ConditionalOnBean(NineLivesRegistry.class)
@ConditionalOnProperty(name = "spring.cloud.circuitbreaker.ninelives.enabled", matchIfMissing = true)
public class NineLivesCircuitBreakerAutoConfiguration {

    /** Made by Spring. */
    public NineLivesCircuitBreakerAutoConfiguration() {
    }

    /**
     * The reactive factory.
     *
     * @param registry    the registry
     * @param customizers the customizer beans, applied in order
     * @return the factory
     */
    @Bean
    @ConditionalOnMissingBean(ReactiveCircuitBreakerFactory.class)
    public NineLivesReactiveCircuitBreakerFactory reactiveNineLivesCircuitBreakerFactory(NineLivesRegistry registry,
            ObjectProvider<Customizer<NineLivesReactiveCircuitBreakerFactory>> customizers) {
        NineLivesReactiveCircuitBreakerFactory factory = new NineLivesReactiveCircuitBreakerFactory(registry);
        customizers.orderedStream().forEach(c -> c.customize(factory));
        return factory;
    }

    /**
     * The blocking factory.
     *
     * @param registry    the registry
     * @param customizers the customizer beans, applied in order
     * @return the factory
     */
    @Bean
    @ConditionalOnMissingBean(CircuitBreakerFactory.class)
    public NineLivesCircuitBreakerFactory nineLivesCircuitBreakerFactory(NineLivesRegistry registry,
            ObjectProvider<Customizer<NineLivesCircuitBreakerFactory>> customizers) {
        NineLivesCircuitBreakerFactory factory = new NineLivesCircuitBreakerFactory(registry);
        customizers.orderedStream().forEach(c -> c.customize(factory));
        return factory;
    }
}
