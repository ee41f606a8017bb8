package dev.ninelives.retry;

import dev.ninelives.internal.Check;
import dev.ninelives.internal.Text;

import java.time.Duration;
import java.util.Objects;

/**
 * How the delay before a retry grows with the attempts: none, constant, linear or exponential,
 * with its durations. An immutable value, checked when it is made, so that a backoff can be
 * changed at run time as one piece through an {@link dev.ninelives.core.Adaptive}: the initial
 * delay, the growth and the cap change together, and a value that could not be made (a cap
 * below the initial delay, say) never reaches a policy.
 *
 * <pre>{@code
 * Adaptive<Backoff> backoff = Adaptive.of(Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(2)));
 * Retry retry = Retry.builder("quotes").backoff(backoff).build();
 *
 * // the service asks clients to back off harder: the next retry of every call waits longer
 * backoff.set(Backoff.exponential(Duration.ofMillis(500), 3.0, Duration.ofSeconds(30)));
 * }</pre>
 *
 * <p>Jitter is set on the builder and applies to whatever backoff is in force. Values are equal
 * when their kind and durations are.
 */
public final class Backoff {

    /** How the base delay grows; the policy switches on it. */
    enum Kind {
        NONE,
        CONSTANT,
        LINEAR,
        EXPONENTIAL
    }

    private static final Backoff NONE = new Backoff(Kind.NONE, 0L, 0L, 1.0, 0L);

    /** The builder's default: 100 ms doubling up to 10 s. */
    static final Backoff DEFAULT = new Backoff(Kind.EXPONENTIAL, Duration.ofMillis(100).toNanos(), 0L, 2.0,
            Duration.ofSeconds(10).toNanos());

    final Kind kind;
    final long initialNanos;
    final long incrementNanos;
    final double multiplier;
    final long maxNanos;

    private Backoff(Kind kind, long initialNanos, long incrementNanos, double multiplier, long maxNanos) {
        this.kind = kind;
        this.initialNanos = initialNanos;
        this.incrementNanos = incrementNanos;
        this.multiplier = multiplier;
        this.maxNanos = maxNanos;
    }

    /**
     * No delay: retries follow at once (in a loop, never deeper on the stack).
     *
     * @return the backoff without delay
     */
    public static Backoff none() {
        return NONE;
    }

    /**
     * The same delay before every retry.
     *
     * @param delay the delay, zero or positive
     * @return a constant backoff
     * @throws NullPointerException     if {@code delay} is null
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public static Backoff constant(Duration delay) {
        return constant(delay, "constant delay");
    }

    static Backoff constant(Duration delay, String name) {
        long d = nonNegative(delay, name);
        return new Backoff(Kind.CONSTANT, d, 0L, 1.0, d);
    }

    /**
     * {@code initial}, then {@code initial + increment}, {@code initial + 2 * increment} and so
     * on, at most {@code max}.
     *
     * @param initial   the delay before the first retry, zero or positive
     * @param increment added for each further retry, zero or positive
     * @param max       the cap, at least {@code initial}
     * @return a linear backoff
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if an argument is negative or {@code max < initial}
     */
    public static Backoff linear(Duration initial, Duration increment, Duration max) {
        return linear(initial, increment, max, "linear");
    }

    static Backoff linear(Duration initial, Duration increment, Duration max, String prefix) {
        long i = nonNegative(initial, prefix + " initial");
        long inc = nonNegative(increment, prefix + " increment");
        long m = nonNegative(max, prefix + " max");
        atLeast(m, i, max, initial, prefix + " max");
        return new Backoff(Kind.LINEAR, i, inc, 1.0, m);
    }

    /**
     * {@code initial}, then the delay multiplied by {@code multiplier} for each further retry, at
     * most {@code max}.
     *
     * @param initial    the delay before the first retry, positive
     * @param multiplier the growth factor, from 1 to 100
     * @param max        the cap, at least {@code initial}
     * @return an exponential backoff
     * @throws NullPointerException     if a duration is null
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static Backoff exponential(Duration initial, double multiplier, Duration max) {
        return exponential(initial, multiplier, max, "exponential");
    }

    static Backoff exponential(Duration initial, double multiplier, Duration max, String prefix) {
        long i = Check.nanos(Check.positive(initial, prefix + " initial"));
        if (!(multiplier >= 1.0 && multiplier <= 100.0)) {          // also false for NaN
            throw new IllegalArgumentException(prefix + " multiplier must be between 1 and 100, but was " + multiplier);
        }
        long m = nonNegative(max, prefix + " max");
        atLeast(m, i, max, initial, prefix + " max");
        return new Backoff(Kind.EXPONENTIAL, i, 0L, multiplier, m);
    }

    /**
     * Returns the delay before the first retry (zero for {@link #none()}).
     *
     * @return the initial delay
     */
    public Duration initialDelay() {
        return Duration.ofNanos(initialNanos);
    }

    /**
     * Returns the most a delay grows to before jitter (zero for {@link #none()}; the delay itself
     * for a constant backoff).
     *
     * @return the cap
     */
    public Duration maxDelay() {
        return Duration.ofNanos(maxNanos);
    }

    /**
     * Returns the growth per retry of a linear backoff.
     *
     * @return the increment, zero for the other kinds
     */
    public Duration increment() {
        return Duration.ofNanos(incrementNanos);
    }

    /**
     * Returns the growth factor of an exponential backoff.
     *
     * @return the multiplier, 1 for the other kinds
     */
    public double multiplier() {
        return multiplier;
    }

    /**
     * The base delay before the retry that follows failed attempt {@code attempt} (1 for the
     * first call), before jitter and without the cap of a custom function.
     */
    long baseNanos(int attempt) {
        switch (kind) {
            case NONE:
                return 0L;
            case CONSTANT:
                return initialNanos;
            case LINEAR:
                return Math.min(maxNanos, saturatingAdd(initialNanos, saturatingMultiply(incrementNanos, attempt - 1L)));
            case EXPONENTIAL: {
                double grown = initialNanos * Math.pow(multiplier, attempt - 1.0);
                return grown >= maxNanos ? maxNanos : (long) grown;
            }
            default:
                throw new IllegalStateException("invalid backoff: " + kind);
        }
    }

    static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    private static long nonNegative(Duration d, String name) {
        Check.notNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, but was " + d);
        }
        return Check.nanos(d);
    }

    private static void atLeast(long value, long floor, Duration max, Duration initial, String name) {
        if (value < floor) {
            throw new IllegalArgumentException(name + " must be at least the initial delay (" + initial
                    + "), but was " + Objects.toString(max));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Backoff b && kind == b.kind && initialNanos == b.initialNanos
                && incrementNanos == b.incrementNanos && Double.compare(multiplier, b.multiplier) == 0
                && maxNanos == b.maxNanos;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, initialNanos, incrementNanos, multiplier, maxNanos);
    }

    /**
     * Describes the backoff, as {@link Retry#toString()} does: "no delay", "250ms", "delays of
     * 100ms x2.0 up to 10s"...
     *
     * @return a description
     */
    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "no delay";
            case CONSTANT -> Text.duration(initialNanos);
            case LINEAR -> "delays of " + Text.duration(initialNanos) + " growing by " + Text.duration(incrementNanos)
                    + " up to " + Text.duration(maxNanos);
            case EXPONENTIAL -> "delays of " + Text.duration(initialNanos) + " x" + multiplier + " up to "
                    + Text.duration(maxNanos);
        };
    }
}
