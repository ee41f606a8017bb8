package dev.ninelives.reactor;

import reactor.core.Scannable;

/** What every NineLives operator (the assembled Mono or Flux) answers beyond its parent's attributes. */
final class OperatorScan {

    private OperatorScan() {
    }

    /**
     * Answers {@code RUN_STYLE} and {@code NAME}; null for every other attribute, which the
     * caller then asks its {@code MonoOperator}/{@code FluxOperator} parent about.
     *
     * @param key    the attribute asked for
     * @param style  how the operator runs: SYNC for the breaker, ASYNC for retry and bulkhead,
     *               which may continue on another thread
     * @param policy the name of the policy
     * @return the answer, or null
     */
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    static Object answer(Scannable.Attr key, Scannable.Attr.RunStyle style, String policy) {
        if (key == Scannable.Attr.RUN_STYLE) {
            return style;
        }
        if (key == Scannable.Attr.NAME) {
            return policy;
        }
        return null;
    }
}
