package dev.ninelives.retry;

/**
 * How a base delay is randomized; configured through {@link RetryBuilder}. Randomness comes
 * from the builder's {@link java.util.random.RandomGenerator}, so tests can be exact.
 */
public enum Jitter {
    /** The base delay as it is. */
    NONE,
    /** A uniformly random delay between zero and the base delay. */
    FULL,
    /** Half the base delay, plus a uniformly random delay up to the other half. */
    EQUAL,
    /**
     * AWS's decorrelated jitter: a uniformly random delay between the initial delay and three
     * times the previous delay, capped at the maximum delay. It ignores the backoff's growth and
     * grows by itself.
     */
    DECORRELATED,
    /** The base delay times a uniformly random factor in [1 - f, 1 + f], f set with {@link RetryBuilder#jitter(double)}. */
    PROPORTIONAL
}
