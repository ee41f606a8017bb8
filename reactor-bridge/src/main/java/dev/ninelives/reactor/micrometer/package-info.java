/**
 * Micrometer metrics for the NineLives policies: {@link dev.ninelives.reactor.micrometer.NineLivesMeters}
 * turns a breaker, a retry policy or a bulkhead into a Micrometer {@code MeterBinder}.
 *
 * <p>Micrometer ({@code io.micrometer:micrometer-core}) is an optional dependency of
 * {@code ninelives-reactor}: add it to use this package. Nothing outside this package refers to
 * Micrometer, so an application without it loads none of these classes, and a policy that is
 * never bound to a registry carries no metrics code at all.
 */
package dev.ninelives.reactor.micrometer;
