package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.PropertiesException;
import dev.ninelives.reactor.registry.ReloadReport;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.cloud.context.scope.refresh.RefreshScopeRefreshedEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Reloads the {@code ninelives.*} keys on a refresh; see {@link NineLivesRefreshAutoConfiguration}.
 * Refreshes arrive one at a time on the thread that refreshes; a reload that finds another one
 * running (refused by the loader) is logged like bad keys, and so is an exception a
 * {@link NineLivesPropertiesCustomizer}'s customizer throws on a replacement's builder.
 */
public final class NineLivesRefresh implements ApplicationListener<ApplicationEvent> {

    private static final Log LOG = LogFactory.getLog(NineLivesRefresh.class);

    private final NineLivesProperties properties;
    private final Environment environment;

    /**
     * Makes the listener.
     *
     * @param properties  the loader to reload
     * @param environment the environment the keys are read from
     */
    public NineLivesRefresh(NineLivesProperties properties, Environment environment) {
        this.properties = properties;
        this.environment = environment;
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof EnvironmentChangeEvent change && EnvironmentKeys.touched(change.getKeys())
                || event instanceof RefreshScopeRefreshedEvent) {
            reload();
        }
    }

    /**
     * Reloads the keys now; what a refresh does.
     *
     * @return the report, or null if the reload was refused (logged at ERROR; nothing changed)
     */
    public ReloadReport reload() {
        try {
            ReloadReport report = properties.reload(EnvironmentKeys.collect(environment));
            if (!report.isEmpty()) {
                LOG.info(report);
            }
            return report;
        } catch (PropertiesException | IllegalStateException refused) {   // bad keys, or a reload running
            LOG.error("The NineLives configuration was not reloaded; the keys in force stay. " + refused.getMessage());
            return null;
        } catch (RuntimeException customizer) {                         // what a customizer threw; nothing changed
            LOG.error("The NineLives configuration was not reloaded; the keys in force stay. A customizer threw:", customizer);
            return null;
        }
    }

    @Override
    public boolean supportsAsyncExecution() {
        return false;
    }
}
