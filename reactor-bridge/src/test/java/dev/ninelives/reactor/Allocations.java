package dev.ninelives.reactor;

import java.lang.reflect.Method;

/**
 * Bytes allocated by the current thread, from HotSpot's {@code com.sun.management.ThreadMXBean}
 * (reached by reflection: the test sources compile inside a module that does not read
 * {@code java.management}). Each reading boxes one {@code Long}; measure many operations per
 * pair of readings.
 */
final class Allocations {

    private final Object bean;
    private final Method allocated;

    Allocations() throws ReflectiveOperationException {
        bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
    }

    long now() throws ReflectiveOperationException {
        return (long) allocated.invoke(bean);
    }

    /**
     * The least of {@code rounds} measurements of {@link #during}: an allocation made once (a
     * deoptimization, a class initialised by another test's leftovers) shows in one round, an
     * allocation per operation shows in all of them.
     */
    long leastDuring(int rounds, int times, Runnable body) throws ReflectiveOperationException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            least = Math.min(least, during(times, body));
        }
        return least;
    }

    /** Runs {@code body} {@code times} times to warm up, then {@code times} times measured; returns the bytes allocated by the measured runs. */
    long during(int times, Runnable body) throws ReflectiveOperationException {
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
