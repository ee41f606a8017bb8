package dev.ninelives.testing;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, from HotSpot's {@code com.sun.management.ThreadMXBean}.
 * The test sources are compiled inside a module that does not read {@code java.management}, so
 * the bean is reached by reflection (the tests run on the class path, where it is readable).
 * Each reading boxes one {@code Long}; measure many operations per pair of readings.
 */
public final class Allocations {

    private final Object bean;
    private final Method allocated;

    /**
     * Looks the bean up.
     *
     * @throws ReflectiveOperationException if the JVM has no such bean
     */
    public Allocations() throws ReflectiveOperationException {
        bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
    }

    /**
     * Returns the bytes the current thread has allocated so far.
     *
     * @return a running total
     * @throws ReflectiveOperationException if the bean cannot be called
     */
    public long now() throws ReflectiveOperationException {
        return (long) allocated.invoke(bean);
    }

    /**
     * Runs {@code body} {@code times} times after as many warm-up runs, and returns the bytes
     * the current thread allocated during the measured runs.
     *
     * @param times how many runs to measure
     * @param body  the operation
     * @return bytes allocated by the measured runs (a few bytes are the measurement's own)
     * @throws ReflectiveOperationException if the bean cannot be called
     */
    public long during(int times, Runnable body) throws ReflectiveOperationException {
        for (int i = 0; i < times; i++) {
            body.run();
        }
        long before = now();
        for (int i = 0; i < times; i++) {
            body.run();
        }
        return now() - before;
    }
}
