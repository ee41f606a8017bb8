/**
 * Policies per key: {@link dev.ninelives.keyed.KeyedBreaker} and
 * {@link dev.ninelives.keyed.KeyedBulkhead} keep one circuit breaker or one bulkhead per tenant,
 * endpoint or host, in a bounded map with an idle expiry.
 *
 * <p>The map is Caffeine's, an <em>optional</em> dependency of {@code ninelives-operators}: only
 * this package uses it, so the other packages load and run without the jar. To build a keyed
 * policy, add {@code com.github.ben-manes.caffeine:caffeine} (3.3.1 or later); without it,
 * {@code build} throws an {@link java.lang.IllegalStateException} that says so. A modular
 * application also {@code requires com.github.benmanes.caffeine}.
 *
 * <p>The package is apart from {@code dev.ninelives.breaker} and {@code dev.ninelives.bulkhead}
 * so that the optional dependency stays in one place: nothing outside this package refers to
 * Caffeine, which a test checks class by class.
 */
package dev.ninelives.keyed;
