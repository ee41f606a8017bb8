package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.NineLivesProperties;

/**
 * Configures what keys cannot say (failure predicates, result predicates, tickers, schedulers):
 * every bean of this type is given the loader's builder, in {@code @Order}, before the
 * {@code ninelives.*} keys are loaded.
 *
 * <pre>{@code
 * @Bean
 * NineLivesPropertiesCustomizer notFoundIsNotAFailure() {
 *     return loader -> loader.breakerDefaults(b -> b.recordFailureIf(e -> !(e instanceof NotFoundException)));
 * }
 * }</pre>
 *
 * The customizers given to the builder run on every creation of a policy, a refresh's
 * replacements included (see {@link NineLivesProperties.Builder}); one that throws fails the
 * application's start, or the refresh, which then changes nothing.
 */
@FunctionalInterface
public interface NineLivesPropertiesCustomizer {

    /**
     * Adds customizers to the loader's builder.
     *
     * @param loader the builder of the loader the auto-configuration is about to load
     */
    void customize(NineLivesProperties.Builder loader);
}
