package dev.ninelives.core;

/**
 * A source of nanosecond time, injected into every policy so that tests move time instead of
 * sleeping.
 *
 * <p>Readings are only compared with each other (like {@link System#nanoTime()}): they have no
 * relation to wall-clock time and may be negative. A ticker must be monotonic and cheap, and
 * it must be safe to call from any thread.
 *
 * <pre>{@code
 * AtomicLong now = new AtomicLong();
 * CircuitBreaker breaker = CircuitBreaker.builder("quotes").ticker(now::get).build();
 * now.addAndGet(Duration.ofSeconds(30).toNanos());   // thirty seconds pass, instantly
 * }</pre>
 *
 * <p>With Reactor, {@code NineLives.schedulerTicker()} reads the time of
 * {@code Schedulers.parallel()}, which {@code StepVerifier.withVirtualTime} replaces.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * Returns the current reading of this ticker, in nanoseconds.
     *
     * @return a nanosecond reading, comparable only with other readings of this ticker
     */
    long read();

    /**
     * Returns the ticker backed by {@link System#nanoTime()}, the default of every policy.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}
