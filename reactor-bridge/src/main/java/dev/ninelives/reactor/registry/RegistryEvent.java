package dev.ninelives.reactor.registry;

import dev.ninelives.internal.Check;

/**
 * A change of a {@link NineLivesRegistry}: a policy added, removed or replaced under a name.
 * Listeners registered with {@link NineLivesRegistry#onEvent} receive one per change.
 *
 * @param kind     what kind of policy changed
 * @param type     what happened to it
 * @param name     the name it is registered under
 * @param policy   the policy added, removed, or (for {@link Type#REPLACED}) the one now registered:
 *                 a {@code CircuitBreaker}, {@code Retry}, {@code Bulkhead}, {@code RateLimiter}, {@code Hedge} or {@code Pipeline}
 *                 as {@link Kind} says
 * @param previous for {@link Type#REPLACED}, the policy it replaced; null otherwise
 */
public record RegistryEvent(Kind kind, Type type, String name, Object policy, Object previous) {

    /** The kinds of policy a registry holds. */
    public enum Kind {
        /** A {@code CircuitBreaker}. */
        BREAKER,
        /** A {@code Retry}. */
        RETRY,
        /** A {@code Bulkhead}. */
        BULKHEAD,
        /** A {@code RateLimiter}. */
        RATE_LIMITER,
        /** A {@code Pipeline}. */
        PIPELINE,
        /** A {@code Hedge}. */
        HEDGE
    }

    /** What happened to the policy. */
    public enum Type {
        /** Created on first use, or registered. */
        ADDED,
        /** Removed: {@link #policy()} is the policy that was removed. */
        REMOVED,
        /** Replaced: {@link #policy()} is the new policy, {@link #previous()} the old one. */
        REPLACED
    }

    /**
     * Checks the event's parts.
     *
     * @param kind     what kind of policy changed
     * @param type     what happened to it
     * @param name     the name it is registered under
     * @param policy   the policy
     * @param previous the policy it replaced, for {@link Type#REPLACED} only
     * @throws NullPointerException     if {@code kind}, {@code type}, {@code name} or {@code policy} is null
     * @throws IllegalArgumentException if {@code previous} is given for an event that is not
     *                                  {@link Type#REPLACED}, or missing for one that is
     */
    public RegistryEvent {
        Check.notNull(kind, "kind");
        Check.notNull(type, "type");
        Check.notNull(name, "name");
        Check.notNull(policy, "policy");
        if ((type == Type.REPLACED) != (previous != null)) {
            throw new IllegalArgumentException("previous must be given for a REPLACED event only, but was "
                    + previous + " for " + type);
        }
    }

    /** Reads as {@code BREAKER 'inventory' ADDED}. */
    @Override
    public String toString() {
        return kind + " '" + name + "' " + type;
    }
}
