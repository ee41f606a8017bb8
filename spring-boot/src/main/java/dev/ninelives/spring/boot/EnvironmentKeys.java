package dev.ninelives.spring.boot;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code ninelives.*} keys of a Spring {@code Environment}, as the flat map
 * {@code NineLivesProperties} reads.
 *
 * <p>Spring's names are relaxed: {@code failure-rate-threshold} in application.yml,
 * {@code failureRateThreshold} in a properties file and the environment variable
 * {@code NINELIVES_BREAKER_INVENTORY_FAILURERATETHRESHOLD} are one property, and the source with the
 * highest precedence wins. So the names are collected once each, as Spring compares them
 * ({@link ConfigurationPropertyName} equality), from the sources in precedence order, each spelled
 * as the source with the highest precedence spells it (the loader reads every spelling); handing
 * the loader two spellings of one key would be refused as a conflict. Each value is bound by
 * Spring's {@link Binder}, so placeholders ({@code ${...}}) are resolved.
 *
 * <p>The JVM's system properties and the process's environment variables are shared with
 * everything else the process runs (a launcher, a test harness, the library's own test
 * switches such as {@code -Dninelives.soak.calls}), so from those two sources only the keys of a
 * kind the loader reads ({@code ninelives.breaker.*}, {@code ninelives.rate-limiter.*}, ...) are
 * taken; any other {@code ninelives.*} name there is not ours and is left alone. From every other
 * source (application.yml, properties files, a config server) every {@code ninelives.*} key is
 * taken, so that a misspelt kind fails the start with the loader's suggestion.
 */
final class EnvironmentKeys {

    static final String PREFIX = "ninelives";
    private static final ConfigurationPropertyName ROOT = ConfigurationPropertyName.of(PREFIX);
    /** The kinds the loader reads, as Spring compares a name's elements: rate-limiter, rateLimiter and RATELIMITER are one. */
    private static final Set<String> KINDS = Arrays.stream(Kind.values())
            .map(k -> k.name().replace("_", "").toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());

    private EnvironmentKeys() {
    }

    /**
     * Collects the keys.
     *
     * @param environment the environment
     * @return the keys, {@code ninelives.} included, and their values as text
     */
    static Map<String, String> collect(Environment environment) {
        Set<ConfigurationPropertyName> names = new LinkedHashSet<>();
        Map<ConfigurationPropertyName, String> spelled = new LinkedHashMap<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (source instanceof IterableConfigurationPropertySource iterable) {
                boolean shared = shared(source);
                iterable.filter(ROOT::isAncestorOf).forEach(name -> {
                    if (shared && !ofAKind(name)) {
                        return;                                // not a policy key: somebody else's switch
                    }
                    if (names.add(name)) {                     // the first source has the highest precedence
                        spelled.put(name, original(name));
                    }
                });
            }
        }
        Binder binder = Binder.get(environment);
        Map<String, String> keys = new LinkedHashMap<>();
        for (ConfigurationPropertyName name : names) {
            String value = binder.bind(name, Bindable.of(String.class)).orElse(null);
            keys.put(spelled.get(name), value);
        }
        return keys;
    }

    /** Tells whether the source is the JVM's system properties or the environment variables. */
    private static boolean shared(ConfigurationPropertySource source) {
        return source.getUnderlyingSource() instanceof PropertySource<?> ps
                && (ps instanceof SystemEnvironmentPropertySource
                        || StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME.equals(ps.getName()));
    }

    /** Tells whether {@code ninelives.<kind>...} names a kind the loader reads. */
    private static boolean ofAKind(ConfigurationPropertyName name) {
        return name.getNumberOfElements() > 1 && KINDS.contains(name.getElement(1, Form.UNIFORM));
    }

    /** The name as its source spells it, {@code ninelives.breaker.inventory.failureRateThreshold}. */
    private static String original(ConfigurationPropertyName name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.getNumberOfElements(); i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(name.getElement(i, Form.ORIGINAL));
        }
        return sb.toString();
    }

    /** Tells whether a change of the environment's keys touches a {@code ninelives.*} key. */
    static boolean touched(Iterable<String> changedKeys) {
        for (String k : changedKeys) {
            if (k != null && k.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                return true;
            }
        }
        return false;
    }
}
