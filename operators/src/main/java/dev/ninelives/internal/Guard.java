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
     * Tells whether {@code error} is one the JVM cannot recover from: a {@link VirtualMachineError}
     * (out of memory, stack overflow, internal error) or a {@link LinkageError} (a class that is
     * missing or does not link). The library never swallows such an error: it makes its own state
     * whole, then lets it propagate. Every other throwable, including an {@link AssertionError}, is
     * an ordinary failure of the code that threw it.
     *
     * @param error any throwable, possibly null
     * @return true if it is JVM-fatal
     */
    public static boolean isFatal(Throwable error) {
        return error instanceof VirtualMachineError || error instanceof LinkageError;
    }

    /**
     * Delivers {@code event} to every listener of {@code listeners}. A listener that throws a
     * non-fatal throwable is logged at WARNING with the policy's name, and the remaining listeners
     * still run. A JVM-fatal error ({@link #isFatal}) is rethrown once every other listener has
     * run; when several listeners throw one, the first is rethrown. (So is whatever the logger
     * itself throws: logging right after a stack overflow may overflow again.) A caller that must
     * leave its state whole treats anything this method throws as fatal.
     *
     * @param policy    the name of the policy, for the log line
     * @param listeners the listeners, never null
     * @param event     the event
     * @param <E>       the event type
     */
    public static <E> void notifyAll(String policy, Consumer<? super E>[] listeners, E event) {
        Throwable fatal = null;
        for (Consumer<? super E> listener : listeners) {
            try {
                listener.accept(event);
            } catch (Throwable t) {
                if (isFatal(t)) {
                    fatal = fatal != null ? fatal : t;
                } else {
                    fatal = log(policy, event, t, fatal);
                }
            }
        }
        if (fatal != null) {
            throw Guard.<RuntimeException>sneaky(fatal);
        }
    }

    /**
     * Logs a listener's non-fatal throwable. Logging from a deep stack can overflow it again: what
     * the logger throws is kept, like a fatal error, to be rethrown once every listener has run.
     */
    private static Throwable log(String policy, Object event, Throwable thrown, Throwable fatal) {
        try {
            LOGGER.log(Level.WARNING, () -> "listener of '" + policy + "' threw on " + event
                    + "; the policy carries on", thrown);
            return fatal;
        } catch (Throwable logFailure) {
            return fatal != null ? fatal : logFailure;
        }
    }

    /** Throws {@code t} as it is, checked or not. */
    @SuppressWarnings("unchecked")
    private static <X extends Throwable> X sneaky(Throwable t) throws X {
        throw (X) t;
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
