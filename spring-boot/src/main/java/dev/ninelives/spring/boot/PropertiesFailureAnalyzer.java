package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.PropertiesException;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

/**
 * Turns a start refused for bad {@code ninelives.*} keys into Spring Boot's failure report: the
 * loader's message (every bad key, its value and why), each key followed by where it was set
 * (file and line, or environment variable) when Spring knows.
 */
final class PropertiesFailureAnalyzer extends AbstractFailureAnalyzer<PropertiesException> {

    private final Environment environment;

    /** Spring Boot gives a failure analyzer the application's environment through its constructor. */
    PropertiesFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PropertiesException cause) {
        StringBuilder description = new StringBuilder(cause.getMessage());
        if (environment != null) {
            description.append("\n\nWhere the keys were set:");
            for (PropertiesException.Problem p : cause.problems()) {
                description.append("\n  ").append(p.key()).append(": ").append(origin(p.key()));
            }
        }
        return new FailureAnalysis(description.toString(),
                "Correct the ninelives.* keys listed above (the table of keys is in the NineLives guide, "
                        + "page Live configuration; an IDE completes them from the starter's configuration metadata).",
                cause);
    }

    private String origin(String key) {
        ConfigurationPropertyName name = ConfigurationPropertyName.adapt(key, '.');
        if (name.isEmpty()) {
            return "unknown";
        }
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property.getOrigin() != null ? property.getOrigin().toString() : "unknown";
            }
        }
        return "unknown";
    }
}
