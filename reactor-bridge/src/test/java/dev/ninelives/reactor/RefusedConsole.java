package dev.ninelives.reactor;

import java.io.File;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Logs what the library logs ({@code System.getLogger("dev.ninelives")}, java.util.logging on
 * the class path) to a {@code ConsoleHandler} whose console is a real file, the null device: the
 * default setup of an application, minus the noise. Every record is written and flushed with a
 * blocking {@code FileOutputStream} write, which BlockHound (installed for this whole test suite)
 * refuses on a non-blocking thread by throwing {@code BlockingOperationError} out of the logging
 * call. The handler counts the writes that were refused, so a test can check that this happened.
 *
 * <p>Reached by reflection: the test sources compile inside the module, which does not read
 * java.logging.
 */
final class RefusedConsole implements AutoCloseable {

    final AtomicInteger refused = new AtomicInteger();
    private final Object logger;
    private final Object handler;
    private final boolean parents;
    private final OutputStream file;
    private final Class<?> loggerType;
    private final Class<?> handlerType;

    RefusedConsole() throws Exception {
        loggerType = Class.forName("java.util.logging.Logger");
        handlerType = Class.forName("java.util.logging.Handler");
        logger = loggerType.getMethod("getLogger", String.class).invoke(null, "dev.ninelives");
        file = new FileOutputStream(nullDevice());
        OutputStream counting = new FilterOutputStream(file) {
            @Override
            public void write(int b) throws IOException {
                try {
                    super.write(b);
                } catch (Error e) {
                    refused.incrementAndGet();
                    throw e;
                }
            }
        };
        PrintStream err = System.err;
        System.setErr(new PrintStream(counting, false));   // a ConsoleHandler writes to System.err as it was when built
        try {
            handler = Class.forName("java.util.logging.ConsoleHandler").getConstructor().newInstance();
        } finally {
            System.setErr(err);
        }
        parents = (boolean) loggerType.getMethod("getUseParentHandlers").invoke(logger);
        loggerType.getMethod("addHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, false);
    }

    @Override
    public void close() throws Exception {
        loggerType.getMethod("removeHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, parents);
        file.close();
    }

    static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
