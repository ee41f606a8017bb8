/**
 * The circuit breaker: {@link dev.ninelives.breaker.CircuitBreaker}, built by
 * {@link dev.ninelives.breaker.CircuitBreaker#builder(String)}.
 *
 * <p>The breaker is a lock-free state machine on one {@code long}: a transition is one CAS,
 * acquiring a permit in CLOSED is one volatile read, and recording an outcome neither locks nor
 * allocates. It has no Reactor dependency; {@code dev.ninelives.reactor.NineLives.breaker}
 * turns it into a Mono and Flux operator.
 */
package dev.ninelives.breaker;
