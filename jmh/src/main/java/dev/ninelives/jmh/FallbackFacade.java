package dev.ninelives.jmh;

/**
 * What a benchmark needs from a fallback operator, whatever its implementation: the fallback
 * benchmarks are written once against this interface and the {@link FallbackType} {@code @Param}
 * picks the implementation, as {@link BreakerFacade} does for the breakers. Every fallback
 * delivers {@link FallbackType#FALLBACK_VALUE} in place of any {@link Exception}.
 *
 * <p>The floors ({@link FallbackType#BARE}, {@link FallbackType#PASS_THROUGH}) have no fallback:
 * a failure reaches the subscriber as it is.
 */
public interface FallbackFacade extends Wrapper {

    /**
     * Tells whether a failed call delivers {@link FallbackType#FALLBACK_VALUE} instead of its error.
     *
     * @return true for a fallback, false for a floor
     */
    boolean fallsBack();
}
