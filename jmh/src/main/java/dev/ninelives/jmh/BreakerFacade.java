package dev.ninelives.jmh;

/**
 * What a benchmark needs from a circuit breaker, whatever its implementation (Caffeine's
 * benchmark style): the benchmarks are written once against this interface and the
 * {@link BreakerType} {@code @Param} picks the implementation, so every figure of one run is
 * measured side by side with the same harness, subscriber and sources.
 *
 * <p>The floors ({@link BreakerType#BARE}, {@link BreakerType#PASS_THROUGH}) have no breaker:
 * they ignore {@link #open(boolean)} and keep delivering values.
 */
public interface BreakerFacade extends Wrapper {

    /**
     * Opens the breaker by hand for a long time (one hour), so that every call is rejected.
     *
     * @param forced FORCED_OPEN rather than OPEN
     */
    void open(boolean forced);

    /**
     * Returns the breaker's state name, for sanity checks at tear-down.
     *
     * @return CLOSED, OPEN, FORCED_OPEN ..., or "NONE" for a floor
     */
    String state();

    /**
     * Returns the type of the error a rejected call signals.
     *
     * @return the exception type, or null for a floor, which never rejects
     */
    Class<? extends Throwable> rejectionType();
}
