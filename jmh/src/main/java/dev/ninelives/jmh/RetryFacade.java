package dev.ninelives.jmh;

/**
 * What a benchmark needs from a retry operator, whatever its implementation: the retry
 * benchmarks are written once against this interface and the {@link RetryType} {@code @Param}
 * picks the implementation, as {@link BreakerFacade} does for the breakers.
 *
 * <p>The floors ({@link RetryType#BARE}, {@link RetryType#PASS_THROUGH}) do not retry: a
 * failure reaches the subscriber, and {@link #maxAttempts()} is 1.
 */
public interface RetryFacade extends Wrapper {

    /**
     * Returns how many times a call that always fails subscribes its source.
     *
     * @return {@link RetryType#MAX_ATTEMPTS} for a retry, 1 for a floor
     */
    int maxAttempts();
}
