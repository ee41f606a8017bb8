package dev.ninelives.testing;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Makes the library's logger ({@code System.getLogger("dev.ninelives")}, java.util.logging on
 * the class path) fail: its records go to a {@code ConsoleHandler}, whose console throws what
 * {@code failure} supplies at the first byte written. java.util.logging's handlers catch the
 * {@code Exception}s of their stream, not {@code Error}s, so the error gets out of
 * {@code Logger.log}: what BlockHound's {@code BlockingOperationError} does to a console or
 * file handler on a non-blocking thread, or a {@link StackOverflowError} deep in a stack.
 * Reached by reflection, as {@link LogCapture}.
 */
public final class FailingLog implements AutoCloseable {

    private final Object logger;
    private final Object handler;
    private final boolean parents;
    private final Class<?> loggerType;
    private final Class<?> handlerType;
    private final AtomicInteger failures = new AtomicInteger();

    /**
     * Starts failing; close to stop.
     *
     * @param failure what the console throws at each record
     * @throws ReflectiveOperationException if java.util.logging cannot be reached
     */
    public FailingLog(Supplier<? extends Error> failure) throws ReflectiveOperationException {
        loggerType = Class.forName("java.util.logging.Logger");
        handlerType = Class.forName("java.util.logging.Handler");
        logger = loggerType.getMethod("getLogger", String.class).invoke(null, "dev.ninelives");
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) {
                failures.incrementAndGet();
                throw failure.get();
            }
        };
        PrintStream err = System.err;
        System.setErr(new PrintStream(failing, false));   // a ConsoleHandler keeps System.err as it was when built
        try {
            handler = Class.forName("java.util.logging.ConsoleHandler").getConstructor().newInstance();
        } finally {
            System.setErr(err);
        }
        parents = (boolean) loggerType.getMethod("getUseParentHandlers").invoke(logger);
        loggerType.getMethod("addHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, false);
    }

    /** How many times the console threw. */
    public int failures() {
        return failures.get();
    }

    @Override
    public void close() throws ReflectiveOperationException {
        loggerType.getMethod("removeHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, parents);
    }
}
