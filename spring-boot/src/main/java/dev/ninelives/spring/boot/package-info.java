/**
 * Spring Boot auto-configuration for NineLives: the {@code ninelives.*} keys of the
 * {@code Environment} (application.yml, properties, environment variables, with Spring's relaxed
 * binding) build a {@link dev.ninelives.reactor.registry.NineLivesRegistry} through
 * {@link dev.ninelives.reactor.registry.NineLivesProperties}; the registry and every policy the keys
 * name are beans; the policies are bound to Micrometer when it is present; a Spring Cloud refresh
 * reloads the keys in place.
 */
package dev.ninelives.spring.boot;
