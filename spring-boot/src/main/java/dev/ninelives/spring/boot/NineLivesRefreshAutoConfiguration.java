package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.NineLivesProperties;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Applies changed {@code ninelives.*} keys while the application runs, when Spring Cloud's
 * {@code spring-cloud-context} is on the class path: on an {@link EnvironmentChangeEvent} that
 * names a {@code ninelives.*} key, and on a {@code RefreshScopeRefreshedEvent}, the keys are
 * collected again and given to {@link NineLivesProperties#reload}. So adaptive settings change in
 * place (an OPEN breaker stays OPEN with its deadline, a bulkhead keeps its calls in flight),
 * other changes replace their policy, names that appear or disappear add or remove policies.
 * The {@link dev.ninelives.reactor.registry.ReloadReport} is logged at INFO by the logger
 * {@code dev.ninelives.spring.boot.NineLivesRefresh}; keys the loader refuses are logged at ERROR
 * with its message, and nothing changes (the application keeps running on the keys before).
 */
@AutoConfiguration(after = NineLivesAutoConfiguration.class)
@ConditionalOnClass(EnvironmentChangeEvent.class)
@ConditionalOnBean(NineLivesProperties.class)
public class NineLivesRefreshAutoConfiguration {

    /** Made by Spring. */
    public NineLivesRefreshAutoConfiguration() {
    }

    /**
     * The listener of refreshes.
     *
     * @param properties  the loader to reload
     * @param environment the environment the keys are read from
     * @return the listener
     */
    @Bean
    public NineLivesRefresh nineLivesRefresh(NineLivesProperties properties, Environment environment) {
        return new NineLivesRefresh(properties, environment);
    }
}
