package dev.ninelives.breaker;

/**
 * A circuit breaker refused a call.
 *
 * @param breakerName the breaker's name
 * @param state       the state that refused it (OPEN, HALF_OPEN with every trial taken, or FORCED_OPEN)
 */
public record CallNotPermittedEvent(String breakerName, CircuitBreaker.State state) {
}
