package dev.ninelives.testing;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * Captures what the library logs through {@code System.getLogger("dev.ninelives")}, which on
 * the class path is backed by java.util.logging. The test sources are compiled as part of the
 * {@code dev.ninelives.operators} module, which does not read {@code java.logging}, so the
 * handler is attached by reflection (the tests themselves run on the class path, where it is
 * readable).
 */
public final class LogCapture implements AutoCloseable {

    private final Object logger;
    private final Object handler;
    private final boolean parents;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /**
     * Starts capturing; close to stop.
     *
     * @throws ReflectiveOperationException if java.util.logging cannot be reached
     */
    public LogCapture() throws ReflectiveOperationException {
        Class<?> loggerType = Class.forName("java.util.logging.Logger");
        Class<?> handlerType = Class.forName("java.util.logging.Handler");
        Class<?> formatterType = Class.forName("java.util.logging.Formatter");
        Object formatter = Class.forName("java.util.logging.SimpleFormatter").getConstructor().newInstance();
        logger = loggerType.getMethod("getLogger", String.class).invoke(null, "dev.ninelives");
        handler = Class.forName("java.util.logging.StreamHandler")
                .getConstructor(java.io.OutputStream.class, formatterType).newInstance(out, formatter);
        parents = (boolean) loggerType.getMethod("getUseParentHandlers").invoke(logger);
        loggerType.getMethod("addHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, false);
    }

    /** Everything logged so far, formatted by java.util.logging's SimpleFormatter. */
    public String text() throws ReflectiveOperationException {
        handler.getClass().getMethod("flush").invoke(handler);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws ReflectiveOperationException {
        Method remove = logger.getClass().getMethod("removeHandler", Class.forName("java.util.logging.Handler"));
        remove.invoke(logger, handler);
        logger.getClass().getMethod("setUseParentHandlers", boolean.class).invoke(logger, parents);
    }
}
