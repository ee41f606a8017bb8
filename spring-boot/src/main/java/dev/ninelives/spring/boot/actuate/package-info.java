/**
 * Actuator support: the {@code ninelives} endpoint (every policy with its state and key metrics,
 * and manual breaker transitions) and the {@code ninelives} health contributor (the breakers'
 * states).
 */
package dev.ninelives.spring.boot.actuate;
