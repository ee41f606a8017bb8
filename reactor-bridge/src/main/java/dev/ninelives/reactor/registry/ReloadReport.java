package dev.ninelives.reactor.registry;

import dev.ninelives.reactor.registry.RegistryEvent.Kind;

import java.util.List;

/**
 * What {@link NineLivesProperties#reload(java.util.Map)} did, per policy: settings changed in
 * place (the policy and its state kept), a policy replaced (and why), added or removed. Policies
 * the reload left as they were are not listed.
 *
 * <pre>
 * NineLives reload: 3 changes
 *   BREAKER 'inventory' CHANGED: failure-rate-threshold 50 -> 25
 *   BULKHEAD 'db' REPLACED: max-queued 10 -> 20 (not adaptive)
 *   RETRY 'quotes' ADDED
 * </pre>
 *
 * @param changes one entry per policy that changed, breakers first, then retries, bulkheads and pipelines
 */
public record ReloadReport(List<PolicyChange> changes) {

    /**
     * Copies the list.
     *
     * @param changes the changes
     * @throws NullPointerException if {@code changes} is null
     */
    public ReloadReport {
        changes = List.copyOf(changes);
    }

    /**
     * Tells whether the reload changed nothing.
     *
     * @return true if no policy changed
     */
    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /**
     * Finds the change of one policy.
     *
     * @param kind the kind of policy
     * @param name its name
     * @return the change, or null if that policy did not change
     */
    public PolicyChange change(Kind kind, String name) {
        for (PolicyChange c : changes) {
            if (c.kind() == kind && c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** One line per change, under a count. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("NineLives reload: ");
        if (changes.isEmpty()) {
            return sb.append("no change").toString();
        }
        sb.append(changes.size()).append(changes.size() == 1 ? " change" : " changes");
        for (PolicyChange c : changes) {
            sb.append("\n  ").append(c);
        }
        return sb.toString();
    }

    /** What happened to a policy. */
    public enum Action {
        /** Adaptive settings changed in place: the same instance, its state kept. */
        CHANGED,
        /** A setting that is not adaptive changed: a new instance replaced it in the registry (state reset). */
        REPLACED,
        /** Its name appeared in the keys: it was created. */
        ADDED,
        /** Its name disappeared from the keys: it was removed from the registry. */
        REMOVED
    }

    /**
     * The change of one policy.
     *
     * @param kind     the kind of policy
     * @param name     its name
     * @param action   what happened to it
     * @param settings for {@link Action#CHANGED} and {@link Action#REPLACED}, the settings that
     *                 changed (those not in place forced the replacement); empty otherwise
     */
    public record PolicyChange(Kind kind, String name, Action action, List<SettingChange> settings) {

        /**
         * Copies the list.
         *
         * @param kind     the kind of policy
         * @param name     its name
         * @param action   what happened
         * @param settings the settings that changed
         * @throws NullPointerException if an argument is null
         */
        public PolicyChange {
            settings = List.copyOf(settings);
        }

        /** Reads as {@code BREAKER 'inventory' CHANGED: failure-rate-threshold 50 -> 25}. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder().append(kind).append(" '").append(name).append("' ").append(action);
            for (int i = 0; i < settings.size(); i++) {
                sb.append(i == 0 ? ": " : ", ").append(settings.get(i));
            }
            return sb.toString();
        }
    }

    /**
     * One setting that changed.
     *
     * @param setting  the setting's key after the policy's name, kebab-case ({@code failure-rate-threshold})
     * @param oldValue the value before, as written in the keys, or {@code default} if no key gave it
     * @param newValue the value after, the same way
     * @param inPlace  true if the running policy follows the change (an adaptive setting), false
     *                 if the change forced a replacement
     */
    public record SettingChange(String setting, String oldValue, String newValue, boolean inPlace) {

        /** Reads as {@code failure-rate-threshold 50 -> 25}, with {@code (not adaptive)} after a change that forced a replacement. */
        @Override
        public String toString() {
            return setting + " " + oldValue + " -> " + newValue + (inPlace ? "" : " (not adaptive)");
        }
    }
}
