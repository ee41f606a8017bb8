package dev.ninelives.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Calls user-supplied listeners so that a listener that throws is logged and never corrupts a
 * policy's state or breaks a stream. Not API: exported only to the Reactor bridge.
 */
public final class Guard {

    private static final Logger LOGGER = System.getLogger("dev.ninelives");

    private Guard() {
    }

    /**
     * Delivers {@code event} to every listener of {@code listeners}; a listener that throws is
     * logged at WARNING with the policy's name and the remaining listeners still run. Errors
     * the JVM cannot recover from ({@link VirtualMachineError}, {@link LinkageError}) are
     * rethrown after the others have run.
     *
     * @param policy    the name of the policy, for the log line
     * @param listeners the listeners, never null
     * @param event     the event
     * @param <E>       the event type
     */
    public static <E> void notifyAll(String policy, Consumer<? super E>[] listeners, E event) {
        Error fatal = null;
        for (Consumer<? super E> listener : listeners) {
            try {
                listener.accept(event);
            } catch (VirtualMachineError | LinkageError e) {
                fatal = e;
            } catch (Throwable t) {
                LOGGER.log(Level.WARNING, () -> "listener of '" + policy + "' threw on " + event
                        + "; the policy carries on", t);
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * Returns a copy of {@code array} with {@code element} appended; used for copy-on-write
     * listener registration.
     *
     * @param array   the current array
     * @param element the element to append, not null
     * @param <T>     the element type
     * @return a new array, one longer
     */
    public static <T> T[] append(T[] array, T element) {
        Objects.requireNonNull(element, "element");
        T[] copy = java.util.Arrays.copyOf(array, array.length + 1);
        copy[array.length] = element;
        return copy;
    }
}
