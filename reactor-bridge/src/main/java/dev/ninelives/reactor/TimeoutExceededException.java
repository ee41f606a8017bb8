package dev.ninelives.reactor;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * A call ran out of time: a timeout or a deadline of NineLives passed before the call ended. It
 * names the {@linkplain #stage() stage} whose time ran out and that stage's
 * {@linkplain #timeout() duration}, for instance {@code "attempt timeout of 250 ms exceeded"}.
 *
 * <p>It is a {@link TimeoutException}, so code that already handles timeouts by that type keeps
 * working; {@link NineLives#isTimeout(Throwable)} tells a NineLives timeout from others.
 *
 * <p>It has no stack trace: it is signalled from the timer's thread, where a stack trace would
 * show the timer, not the call, and it would cost a stack walk per timeout. Each timeout gets its
 * own instance (a {@code TimeoutException} cannot turn off suppressed exceptions, and an operator
 * outside, a retry say, may attach the earlier errors of a call to it).
 */
public final class TimeoutExceededException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    /** Which time limit ran out. */
    public enum Stage {
        /** {@link NineLives#timeout(Duration)}: the whole subscription, standing alone. */
        TIMEOUT("timeout"),
        /** A pipeline's total timeout: the whole call, across attempts and backoffs. */
        TOTAL_TIMEOUT("total timeout"),
        /** A pipeline's attempt timeout: one attempt. */
        ATTEMPT_TIMEOUT("attempt timeout"),
        /** {@link NineLives#deadline(Duration)}: the deadline the call carries in its Context. */
        DEADLINE("deadline");

        private final String label;

        Stage(String label) {
            this.label = label;
        }

        /**
         * Returns the stage's name as the message shows it, e.g. {@code "attempt timeout"}.
         *
         * @return the label
         */
        public String label() {
            return label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    private final Stage stage;
    private final Duration timeout;

    /**
     * Creates the error of one timeout.
     *
     * @param stage   the stage whose time ran out
     * @param timeout its duration
     */
    TimeoutExceededException(Stage stage, Duration timeout) {
        super(stage.label() + " of " + format(Objects.requireNonNull(timeout, "timeout")) + " exceeded");
        this.stage = stage;
        this.timeout = timeout;
    }

    /**
     * Returns the stage whose time ran out.
     *
     * @return the stage
     */
    public Stage stage() {
        return stage;
    }

    /**
     * Returns the duration of that stage: the timeout, or for {@link Stage#DEADLINE} the duration
     * given to the {@code deadline} operator that set the deadline.
     *
     * @return the duration
     */
    public Duration timeout() {
        return timeout;
    }

    /** No stack trace: see the class comment. Not synchronized, unlike Throwable's: nothing is shared. */
    @Override
    public Throwable fillInStackTrace() {
        return this;
    }

    /** A duration as a person reads it: "1 s", "250 ms", "1.5 s", "20 µs". */
    static String format(Duration d) {
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.getSeconds() + " s";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + " s";
        }
        if (nanos >= 1_000_000_000L) {
            return java.math.BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString() + " s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + " ms";
        }
        if (nanos % 1_000L == 0) {
            return nanos / 1_000L + " µs";
        }
        return nanos + " ns";
    }
}
