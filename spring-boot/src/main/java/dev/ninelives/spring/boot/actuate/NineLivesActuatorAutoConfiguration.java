package dev.ninelives.spring.boot.actuate;

import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.spring.boot.NineLivesAutoConfiguration;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code ninelives} Actuator endpoint ({@link NineLivesEndpoint}, when available: exposed and
 * not turned off) and health contributor ({@link NineLivesHealthIndicator}, unless
 * {@code management.health.ninelives.enabled=false}; bean {@code ninelivesHealthIndicator}, so
 * {@code /actuator/health/ninelives}), when Spring Boot Actuator is on the class path.
 */
@AutoConfiguration(after = NineLivesAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(NineLivesRegistry.class)
public class NineLivesActuatorAutoConfiguration {

    /** Made by Spring. */
    public NineLivesActuatorAutoConfiguration() {
    }

    /**
     * The endpoint.
     *
     * @param registry the registry it shows
     * @return the endpoint
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    public NineLivesEndpoint nineLivesEndpoint(NineLivesRegistry registry) {
        return new NineLivesEndpoint(registry);
    }

    /** The health contributor, in a class of its own: it needs the health classes. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("ninelives")
    @EnableConfigurationProperties(NineLivesHealthProperties.class)
    static class Health {

        @Bean
        @ConditionalOnMissingBean(name = "ninelivesHealthIndicator")
        NineLivesHealthIndicator ninelivesHealthIndicator(NineLivesRegistry registry, NineLivesHealthProperties properties) {
            return new NineLivesHealthIndicator(registry, new Status(properties.getOpenStatus()));
        }
    }
}
