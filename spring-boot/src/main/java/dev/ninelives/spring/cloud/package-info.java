/**
 * Spring Cloud CircuitBreaker backed by NineLives pipelines: code written against
 * {@code ReactiveCircuitBreakerFactory} (or the blocking {@code CircuitBreakerFactory}) switches
 * from Resilience4j by replacing {@code spring-cloud-starter-circuitbreaker-reactor-resilience4j}
 * with the NineLives starter.
 */
package dev.ninelives.spring.cloud;
