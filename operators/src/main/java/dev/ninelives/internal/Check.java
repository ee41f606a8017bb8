package dev.ninelives.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks shared by the builders. Every message names the parameter and quotes the
 * value. Not API: exported only to the Reactor bridge.
 */
public final class Check {

    private Check() {
    }

    /**
     * Checks that {@code value} is not null.
     *
     * @param value the value
     * @param name  the parameter's name
     * @param <T>   the type
     * @return the value
     * @throws NullPointerException naming the parameter when the value is null
     */
    public static <T> T notNull(T value, String name) {
        return Objects.requireNonNull(value, () -> name + " must not be null");
    }

    /**
     * Checks {@code min <= value <= max}.
     *
     * @param value the value
     * @param min   the smallest allowed value
     * @param max   the largest allowed value
     * @param name  the parameter's name
     * @return the value
     * @throws IllegalArgumentException naming the parameter and the value when out of range
     */
    public static int inRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + " must be between " + min + " and " + max + ", but was " + value);
        }
        return value;
    }

    /**
     * Checks that a percentage lies in (0, 100].
     *
     * @param value the percentage
     * @param name  the parameter's name
     * @return the value
     * @throws IllegalArgumentException naming the parameter and the value when out of range
     */
    public static float percentage(float value, String name) {
        if (!(value > 0f && value <= 100f)) {
            throw new IllegalArgumentException(
                    name + " must be a percentage in (0, 100], but was " + value);
        }
        return value;
    }

    /**
     * Checks that a duration is not null and strictly positive.
     *
     * @param value the duration
     * @param name  the parameter's name
     * @return the value
     * @throws NullPointerException     naming the parameter when null
     * @throws IllegalArgumentException naming the parameter and the value when zero or negative
     */
    public static Duration positive(Duration value, String name) {
        notNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, but was " + value);
        }
        return value;
    }

    /**
     * Converts a positive duration to nanoseconds, saturating at {@link Long#MAX_VALUE}.
     *
     * @param value the duration
     * @return its length in nanoseconds
     */
    public static long nanos(Duration value) {
        try {
            return value.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
