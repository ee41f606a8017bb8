/**
 * Reactor operators for the NineLives policies. Start at {@link dev.ninelives.reactor.NineLives}.
 */
package dev.ninelives.reactor;
