package dev.ninelives.spring.cloud;

import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.springframework.cloud.client.circuitbreaker.ConfigBuilder;

import java.util.Objects;
import java.util.function.Function;

/**
 * The configuration of one circuit breaker id of the NineLives factories, given to
 * {@code configure(builder -> ..., ids)}: which pipeline the id's calls go through. Without
 * configuration, an id uses the registry's pipeline of the same name (its keys under
 * {@code ninelives.pipeline.<id>.*}, else the defaults).
 *
 * <pre>{@code
 * factory.configure(b -> b.pipeline("inventory"), "stock", "prices");       // two ids, one pipeline of the registry
 * factory.configure(b -> b.pipeline(Pipeline.builder("reports").breaker(breaker).build()), "reports");
 * }</pre>
 */
public final class NineLivesConfigBuilder implements ConfigBuilder<NineLivesConfigBuilder.Configuration> {

    private final String id;
    private Function<NineLivesRegistry, Pipeline> pipeline;

    /**
     * Starts the configuration of {@code id}: the registry's pipeline of that name.
     *
     * @param id the circuit breaker's id
     * @throws IllegalArgumentException if {@code id} is null or blank
     */
    public NineLivesConfigBuilder(String id) {
        this.id = checkId(id, "id");
        pipeline(this.id);
    }

    static String checkId(String id, String what) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(what + " must not be null or blank, but was " + (id == null ? "null" : "'" + id + "'"));
        }
        return id;
    }

    /**
     * Uses the registry's pipeline named {@code name}, looked up at each call (a refresh that
     * replaces it is followed).
     *
     * @param name the pipeline's name in the registry
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public NineLivesConfigBuilder pipeline(String name) {
        String n = checkId(name, "name");
        this.pipeline = registry -> registry.pipeline(n);
        return this;
    }

    /**
     * Uses a pipeline built in code, the same instance at every call.
     *
     * @param pipeline the pipeline
     * @return this builder
     * @throws NullPointerException if {@code pipeline} is null
     */
    public NineLivesConfigBuilder pipeline(Pipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        this.pipeline = registry -> pipeline;
        return this;
    }

    /**
     * Freezes the configuration.
     *
     * @return the configuration
     */
    @Override
    public Configuration build() {
        return new Configuration(id, pipeline);
    }

    /**
     * The configuration of one id.
     *
     * @param id       the circuit breaker's id
     * @param pipeline finds the pipeline of a call in the registry (or returns one built in code)
     */
    public record Configuration(String id, Function<NineLivesRegistry, Pipeline> pipeline) {

        /**
         * Checks the fields.
         *
         * @param id       the id
         * @param pipeline the pipeline's lookup
         * @throws NullPointerException if an argument is null
         */
        public Configuration {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(pipeline, "pipeline");
        }
    }
}
