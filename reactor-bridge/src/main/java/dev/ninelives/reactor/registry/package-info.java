/**
 * A registry of named policies: {@link dev.ninelives.reactor.registry.NineLivesRegistry} holds
 * circuit breakers, retry policies, bulkheads and pipelines by name, creates them on first use
 * from defaults plus per-name overrides, and announces every policy it adds, removes or replaces.
 * {@link dev.ninelives.reactor.registry.NineLivesProperties} builds one from flat
 * {@code ninelives.*} keys and reloads it, changing adaptive settings in place and reporting
 * what changed ({@link dev.ninelives.reactor.registry.ReloadReport}); bad keys are refused
 * together ({@link dev.ninelives.reactor.registry.PropertiesException}).
 */
package dev.ninelives.reactor.registry;
