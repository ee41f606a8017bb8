package dev.ninelives.internal;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations and numbers as people read them, for messages, events and plans. Not API: exported
 * only to the Reactor bridge.
 */
public final class Text {

    private Text() {
    }

    /**
     * A duration in the largest unit that keeps it whole: {@code 2s}, {@code 250ms},
     * {@code 1500us}, {@code 7ns}; minutes and hours when whole ({@code 1m}, {@code 2h}).
     *
     * @param nanos the duration in nanoseconds, zero or positive
     * @return the text
     */
    public static String duration(long nanos) {
        if (nanos != 0 && nanos % 3_600_000_000_000L == 0) {
            return nanos / 3_600_000_000_000L + "h";
        }
        if (nanos != 0 && nanos % 60_000_000_000L == 0) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }

    /**
     * As {@link #duration(long)}.
     *
     * @param d the duration, zero or positive
     * @return the text
     */
    public static String duration(Duration d) {
        return duration(Check.nanos(d));
    }

    /**
     * A percentage without a needless decimal: {@code 50%}, {@code 12.5%}.
     *
     * @param percent the value
     * @return the text
     */
    public static String percent(double percent) {
        return percent == Math.rint(percent) ? (long) percent + "%" : String.format(Locale.ROOT, "%.1f%%", percent);
    }
}
