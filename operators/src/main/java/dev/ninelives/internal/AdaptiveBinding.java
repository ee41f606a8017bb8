package dev.ninelives.internal;

import dev.ninelives.core.Adaptive;

import java.util.function.Consumer;

/**
 * How a policy binds one of its settings to an {@link Adaptive}, without that hook being public
 * API: {@code Adaptive} installs the one implementation when its class is initialized (which has
 * happened by the time anyone holds an adaptive to bind). Not API: exported only to the Reactor
 * bridge.
 */
public abstract class AdaptiveBinding {

    private static volatile AdaptiveBinding binding;

    /** For the one implementation, in {@code Adaptive}. */
    protected AdaptiveBinding() {
    }

    /**
     * Called once, by {@code Adaptive}'s static initializer.
     *
     * @param implementation the implementation
     * @throws IllegalStateException if one is installed already
     */
    public static void install(AdaptiveBinding implementation) {
        if (binding != null) {
            throw new IllegalStateException("the adaptive binding is installed already");
        }
        binding = implementation;
    }

    /**
     * Binds a policy setting to {@code adaptive}, atomically with respect to its changes: from
     * now on every new value is first passed to {@code check}, which refuses it by throwing an
     * {@link IllegalArgumentException} that names the setting and quotes the value (the change
     * then does not happen); and every change is passed to {@code applier} once published, before
     * the adaptive's own listeners run. The returned value is the one the policy starts from:
     * the changes the applier receives continue from it, so a policy that applies their
     * differences stays equal to the adaptive's value once the changes in progress are announced.
     *
     * @param adaptive the adaptive, a source or a view
     * @param check    refuses values the policy cannot take, by throwing {@link IllegalArgumentException}
     * @param applier  makes the policy follow a change; called through {@link Guard} like a listener
     * @param <T>      the type of the value
     * @return the current value, which {@code check} accepted
     * @throws IllegalArgumentException if the current value is refused by {@code check}; nothing is bound then
     */
    public static <T> T bind(Adaptive<T> adaptive, Consumer<? super T> check,
                             Consumer<? super Adaptive.Change<T>> applier) {
        Check.notNull(adaptive, "adaptive");
        return binding.bindTo(adaptive, check, applier);
    }

    /**
     * The implementation of {@link #bind}.
     *
     * @param adaptive the adaptive
     * @param check    the check
     * @param applier  the applier
     * @param <T>      the type of the value
     * @return the value the policy starts from
     */
    protected abstract <T> T bindTo(Adaptive<T> adaptive, Consumer<? super T> check,
                                    Consumer<? super Adaptive.Change<T>> applier);
}
