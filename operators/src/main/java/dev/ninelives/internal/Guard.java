package dev.ninelives.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Calls user-supplied listeners so that a listener that throws is logged and never corrupts a
 * policy's state or breaks a stream. Not API: exported only to the Reactor bridge.
 *
 * <p>The logging call can throw too, and nothing non-fatal may get out of here because of it:
 * policies call listeners from the middle of a permit's bookkeeping and of a stream's signals,
 * where an unexpected throwable skips the rest (a permit not returned, a terminal signal not
 * passed on, an operator's subscribe throwing after it signalled onSubscribe). A logger throws,
 * for instance, when BlockHound refuses a console or file handler's blocking write on a
 * non-blocking thread ({@code BlockingOperationError}), when a logging backend fails, or with a
 * {@link StackOverflowError} when the listener failed deep in a stack and formatting the record
 * needs more. A non-fatal failure of the logger loses that log record and nothing else: it
 * cannot be reported anywhere else, and it must not break the call. A fatal one
 * ({@link VirtualMachineError}, {@link LinkageError}) is treated like a listener's fatal error.
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
     * Delivers {@code event} to every listener of {@code listeners}; a listener that throws is
     * logged at WARNING with the policy's name and the remaining listeners still run. Errors
     * the JVM cannot recover from ({@link VirtualMachineError}, {@link LinkageError}), thrown by
     * a listener or by the logging of another listener's failure, are rethrown after the others
     * have run (the first of them, when several are thrown); nothing else is ever thrown, even when
     * the logging fails. A caller that must leave its state whole treats anything this method
     * throws as fatal.
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
                fatal = fatal != null ? fatal : e;
            } catch (Throwable t) {
                Error e = log(() -> "listener of '" + policy + "' threw on " + event + "; the policy carries on", t);
                fatal = fatal != null ? fatal : e;
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * Logs {@code failure} at WARNING, as {@link #notifyAll} does for a listener: a logger that
     * throws anything but a JVM-fatal error loses this record and nothing else.
     *
     * @param message the message, built only if the record is logged
     * @param failure the throwable to log with it
     * @throws VirtualMachineError if the logger throws one (a {@link StackOverflowError} deep in a stack)
     * @throws LinkageError        if the logger throws one
     */
    public static void warn(Supplier<String> message, Throwable failure) {
        Error fatal = log(message, failure);
        if (fatal != null) {
            throw fatal;
        }
    }

    /** Logs at WARNING; returns the logger's JVM-fatal error instead of throwing it, and drops any other. */
    private static Error log(Supplier<String> message, Throwable failure) {
        try {
            LOGGER.log(Level.WARNING, message, failure);
            return null;
        } catch (VirtualMachineError | LinkageError fatal) {
            return fatal;
        } catch (Throwable loggerFailed) {
            // Nowhere is left to report it, and the call must go on: the record is lost.
            return null;
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
