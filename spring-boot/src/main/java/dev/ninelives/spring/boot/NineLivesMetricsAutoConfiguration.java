package dev.ninelives.spring.boot;

import dev.ninelives.reactor.micrometer.NineLivesMeters;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Binds every policy of the {@link NineLivesRegistry} bean, present and future, to Micrometer
 * (the meters {@link NineLivesMeters} lists) when Micrometer is on the class path and the
 * application has a {@link MeterRegistry}: the binder is a {@link MeterBinder} bean, which Spring
 * Boot binds to each of its meter registries. A bean named {@code nineLivesMeterBinder} of the
 * application's replaces it (to add tags, say).
 */
@AutoConfiguration(after = NineLivesAutoConfiguration.class,
        afterName = {"org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass({MeterRegistry.class, NineLivesMeters.class})
@ConditionalOnBean({MeterRegistry.class, NineLivesRegistry.class})
public class NineLivesMetricsAutoConfiguration {

    /** Made by Spring. */
    public NineLivesMetricsAutoConfiguration() {
    }

    /**
     * The binder of every policy of the registry.
     *
     * @param registry the registry
     * @return its binder
     */
    @Bean
    @ConditionalOnMissingBean(name = "nineLivesMeterBinder")
    public MeterBinder nineLivesMeterBinder(NineLivesRegistry registry) {
        return NineLivesMeters.registry(registry);
    }
}
