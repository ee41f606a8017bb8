package dev.ninelives.jmh;

/**
 * What a benchmark needs from a bulkhead, whatever its implementation: the bulkhead benchmarks
 * are written once against this interface and the {@link BulkheadType} {@code @Param} picks the
 * implementation, as {@link BreakerFacade} does for the breakers.
 *
 * <p>The floors ({@link BulkheadType#BARE}, {@link BulkheadType#PASS_THROUGH}) limit nothing:
 * {@link #inFlight()} is always 0 and no call is refused.
 */
public interface BulkheadFacade extends Wrapper {

    /**
     * Returns the calls holding a permit now, for the tear-down checks (nothing may leak).
     *
     * @return the calls in flight; 0 for a floor
     */
    int inFlight();
}
