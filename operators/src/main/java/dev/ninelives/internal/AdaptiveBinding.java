package dev.ninelives.internal;

import dev.ninelives.core.Adaptive;

import java.util.function.Consumer;
import java.util.function.Function;

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
     * the adaptive's own listeners run. The returned value is the one the policy starts from.
     *
     * <p>An applier must follow the value in force ({@code adaptive.get()}), not the
     * {@link Adaptive.Change} it is told of, and must be idempotent. Concurrent changes are
     * announced in any order, so although their differences add up to the current value once all
     * are announced, a policy that applied them one by one could stand for a value that was never
     * set in between (a bulkhead did: a raise applied before the lowering that preceded it stood
     * for a limit above every limit set). And an applier may be run again, with an unchanged
     * value, by a set that found its value in place while the change that published it was still
     * being announced (see {@code Adaptive}, "Followed").
     * What undoes the binding goes to {@code bindings}: once {@link Bindings#release()} returns,
     * the adaptive no longer runs {@code check}, nor calls {@code applier} for a later change.
     *
     * @param adaptive the adaptive, a source or a view
     * @param check    refuses values the policy cannot take, by throwing {@link IllegalArgumentException}
     * @param applier  makes the policy follow a change; called through {@link Guard} like a listener
     * @param bindings the policy's bindings, which collect the release of this one
     * @param <T>      the type of the value
     * @return the current value, which {@code check} accepted
     * @throws IllegalArgumentException if the current value is refused by {@code check}; nothing is bound then
     */
    public static <T> T bind(Adaptive<T> adaptive, Consumer<? super T> check,
                             Consumer<? super Adaptive.Change<T>> applier, Bindings bindings) {
        Check.notNull(adaptive, "adaptive");
        return binding.bindTo(adaptive, check, applier, bindings::add);
    }

    /**
     * Returns {@code adaptive.map(function)}, a view whose registration on {@code adaptive} goes to
     * {@code bindings}: released, the view stops following {@code adaptive} (and no longer
     * keeps its policy reachable from it).
     *
     * @param adaptive the adaptive
     * @param function the mapping
     * @param bindings the policy's bindings
     * @param <T>      the type of the adaptive's value
     * @param <R>      the type of the view's value
     * @return the view
     */
    public static <T, R> Adaptive<R> map(Adaptive<T> adaptive, Function<? super T, ? extends R> function,
                                         Bindings bindings) {
        Check.notNull(adaptive, "adaptive");
        return binding.mapTo(adaptive, function, bindings::add);
    }

    /**
     * The implementation of {@link #bind}.
     *
     * @param adaptive the adaptive
     * @param check    the check
     * @param applier  the applier
     * @param releases receives what undoes the binding, once it is made
     * @param <T>      the type of the value
     * @return the value the policy starts from
     */
    protected abstract <T> T bindTo(Adaptive<T> adaptive, Consumer<? super T> check,
                                    Consumer<? super Adaptive.Change<T>> applier, Consumer<Runnable> releases);

    /**
     * The implementation of {@link #map}.
     *
     * @param adaptive the adaptive
     * @param function the mapping
     * @param releases receives what undoes the view's registration
     * @param <T>      the type of the adaptive's value
     * @param <R>      the type of the view's value
     * @return the view
     */
    protected abstract <T, R> Adaptive<R> mapTo(Adaptive<T> adaptive, Function<? super T, ? extends R> function,
                                                Consumer<Runnable> releases);
}
