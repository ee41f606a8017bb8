/**
 * A registry of named policies: {@link dev.ninelives.reactor.registry.NineLivesRegistry} holds
 * circuit breakers, retry policies, bulkheads and pipelines by name, creates them on first use
 * from defaults plus per-name overrides, and announces every policy it adds, removes or replaces.
 */
package dev.ninelives.reactor.registry;
