package dev.ninelives.spring.cloud;

import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.spring.cloud.NineLivesConfigBuilder.Configuration;

import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreakerFactory;
import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreaker;

import java.util.Objects;
import java.util.function.Function;

/**
 * Spring Cloud's reactive {@code ReactiveCircuitBreakerFactory} backed by the pipelines of a {@link NineLivesRegistry}.
 * {@code create(id)} returns a circuit breaker whose calls go through:
 * <ol>
 * <li>the pipeline {@code configure(b -> ..., id)} chose for the id;</li>
 * <li>else, with {@code create(id, group)}: the group's configuration, or, if the keys name no
 *     pipeline {@code id} but name the pipeline {@code group}, the registry's pipeline
 *     {@code group} (shared by every id of the group, one breaker state for all);</li>
 * <li>else the default configuration ({@link #configureDefault}), which by default is the
 *     registry's pipeline named {@code id}: its keys under {@code ninelives.pipeline.<id>.*} and
 *     {@code ninelives.breaker.<id>.*}..., or the {@code default} keys (a breaker only, unless
 *     {@code ninelives.pipeline.default.*} says otherwise).</li>
 * </ol>
 * A registry's pipeline is looked up at each call, so one a refresh replaced is followed. The
 * fallback given to {@code run} receives every error the call ends with, refusals included.
 * Customizers given as beans of type {@code Customizer<NineLivesReactiveCircuitBreakerFactory>} are applied when the
 * auto-configuration makes the factory, as Spring Cloud's own factories do.
 */
public class NineLivesReactiveCircuitBreakerFactory extends ReactiveCircuitBreakerFactory<Configuration, NineLivesConfigBuilder> {

    private final NineLivesRegistry registry;
    private volatile Function<String, Configuration> defaults = id -> new NineLivesConfigBuilder(id).build();

    /**
     * Makes a factory over a registry.
     *
     * @param registry the registry whose pipelines the circuit breakers use
     * @throws NullPointerException if {@code registry} is null
     */
    public NineLivesReactiveCircuitBreakerFactory(NineLivesRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Returns the circuit breaker of {@code id}; see the class comment for its pipeline.
     *
     * @param id the id
     * @return the circuit breaker
     * @throws IllegalArgumentException if {@code id} is null or blank
     */
    @Override
    public ReactiveCircuitBreaker create(String id) {
        return Resolution.create(registry, getConfigurations(), defaults, id, null);
    }

    /**
     * Returns the circuit breaker of {@code id} in {@code groupName}; see the class comment for its pipeline.
     *
     * @param id        the id
     * @param groupName the group
     * @return the circuit breaker
     * @throws IllegalArgumentException if {@code id} or {@code groupName} is null or blank
     */
    @Override
    public ReactiveCircuitBreaker create(String id, String groupName) {
        return Resolution.create(registry, getConfigurations(), defaults, id, groupName);
    }

    /**
     * Sets the configuration of the ids that have none of their own.
     *
     * @param defaultConfiguration makes an id's configuration
     * @throws NullPointerException if {@code defaultConfiguration} is null
     */
    @Override
    public void configureDefault(Function<String, Configuration> defaultConfiguration) {
        this.defaults = Objects.requireNonNull(defaultConfiguration, "defaultConfiguration");
    }

    @Override
    protected NineLivesConfigBuilder configBuilder(String id) {
        return new NineLivesConfigBuilder(id);
    }

    /**
     * The registry whose pipelines the circuit breakers use.
     *
     * @return the registry
     */
    public NineLivesRegistry registry() {
        return registry;
    }
}
