package dev.ninelives.ratelimit;

import java.util.function.Consumer;

/**
 * A rate limiter: at most {@code limitForPeriod} permits per {@code period} at the steady rate,
 * and at most {@code burst} at once after an idle spell, so a dependency (or a paid API) is
 * never called faster than it allows. A caller that finds no permit free is refused at once or,
 * with a {@code maxWait}, reserves the next free instant and waits for it; with Reactor the wait
 * holds no thread.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.builder("geocoder")
 *     .limitForPeriod(10).period(Duration.ofSeconds(1))
 *     .maxWait(Duration.ofMillis(500))
 *     .build();
 *
 * // With Reactor (ninelives-reactor): at most 10 lookups a second, a caller waits up to 500 ms
 * Mono<Place> place = geocoder.lookup(address).transform(NineLives.rateLimiter(limiter));
 * }</pre>
 *
 * <h2>How it counts</h2>
 * The generic cell rate algorithm (GCRA) on one word: {@code last}, the instant of the newest
 * reservation's permit. At the steady rate permits come one per
 * {@code interval = ceil(period / limitForPeriod)}; a reservation's instant is
 * {@code max(last + interval, now - (burst - 1) * interval)}, taken with one CAS: now or earlier
 * means the permit is free at once, later means a wait. A change of the limit or the period
 * applies from the newest permit on, to the reservations made after it. No thread refreshes anything, nothing
 * locks, and a refusal writes nothing. In any stretch of time of length {@code d}, at most
 * {@code burst + d / interval} permits are granted, so at most {@code burst + limitForPeriod}
 * in any period.
 *
 * <h2>Fair order</h2>
 * Each reservation takes the next instant with its CAS, so callers that wait are served in the
 * order they reserved, and a newcomer can never overtake a waiter.
 *
 * <h2>Cancelling a reservation</h2>
 * {@link Reservation#cancel()} (and, with Reactor, a cancel during the wait) gives the permit back
 * by moving {@code last} back one interval, with one CAS that succeeds only if no reservation was
 * made after it: the next caller then gets that very instant. If later callers have reserved
 * since, they keep their instants and the cancelled permit is not given back (forfeit): moving
 * {@code last} back then would hand the last waiter's instant to a second caller, and two permits
 * would share one slot, exceeding the rate. A cancel never moves another caller's instant and
 * never lets more permits through than the rate; it may lose the permit of a caller that waited
 * in the middle of a queue.
 *
 * <h2 id="listeners">Listeners that throw</h2>
 * Listeners run on the caller's thread, inside the call. A non-fatal throwable (any
 * {@link RuntimeException}, and any {@link Error} that is not JVM-fatal, such as an
 * {@link AssertionError}) is logged at WARNING through {@code System.getLogger("dev.ninelives")}
 * and the call carries on as if the listener had not thrown. A JVM-fatal error
 * ({@link VirtualMachineError}, {@link LinkageError}) propagates once the limiter's state is
 * whole; each registration method says what that means.
 *
 * <p>All methods are thread-safe and lock-free; the Reactor operator's path never allocates
 * (the plain-Java {@link #tryAcquire()} allocates its {@link Reservation}).
 */
public sealed interface RateLimiter permits GcraRateLimiter {

    /**
     * Starts a builder for a rate limiter with the given name.
     *
     * @param name the limiter's name, used in exceptions, events and metrics
     * @return a new builder with the defaults described on {@link RateLimiterBuilder}
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static RateLimiterBuilder builder(String name) {
        return new RateLimiterBuilder(name);
    }

    /**
     * Returns the name given to the builder.
     *
     * @return the limiter's name
     */
    String name();

    /**
     * Returns the configuration this limiter was built with; the limit and the period are the
     * ones in force.
     *
     * @return the configuration
     */
    RateLimiterConfig config();

    /**
     * Reserves the next permit if it is free now or within the configured {@code maxWait}.
     * Granted, the reservation says how long to wait before using it; refused, it carries the
     * exception (counted and announced to the {@linkplain #onRejected rejection listeners}).
     * Never blocks.
     *
     * <pre>{@code
     * RateLimiter.Reservation r = limiter.tryAcquire();
     * if (!r.granted()) throw r.rejection();
     * TimeUnit.NANOSECONDS.sleep(r.waitNanos());   // a plain-Java caller waits as it likes
     * call();
     * }</pre>
     *
     * @return the reservation
     * @throws Error a {@linkplain #onPermitted permitted} or {@linkplain #onRejected rejected}
     *               listener's JVM-fatal error (see there)
     */
    Reservation tryAcquire();

    /**
     * Returns a snapshot of the permits.
     *
     * @return a new snapshot
     */
    RateLimiterMetrics metrics();

    /**
     * Registers a listener called when a call gets a permit (free now or reserved for later), on
     * the caller's thread. Only when at least one listener is registered is an event allocated.
     *
     * <p>If it throws a JVM-fatal error, the call does not get its permit: it is given back (if
     * no later reservation was made meanwhile, see <a href="#listeners">above</a>), and the error
     * propagates from {@link #tryAcquire()}; with Reactor the subscriber first gets
     * {@code onError} with that error.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onPermitted(Consumer<? super RateLimiterEvent> listener);

    /**
     * Registers a listener called when a call is refused, on the caller's thread.
     *
     * <p>If it throws a JVM-fatal error, the refusal is counted already; with Reactor the
     * subscriber still gets {@code onError(RequestNotPermittedException)} and then the error is
     * rethrown from {@code subscribe}; {@link #tryAcquire()} throws it instead of returning.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onRejected(Consumer<? super RateLimiterEvent> listener);

    /**
     * The answer of {@link #tryAcquire()}: a permit free now or at a reserved instant, or a refusal.
     */
    final class Reservation {

        private final GcraRateLimiter limiter;
        private final dev.ninelives.internal.RateGate.Rate rate;
        private final long instant;
        private final long waitNanos;
        private final RequestNotPermittedException rejection;
        /** 1 once {@link #cancel()} ran: a reservation gives its permit back at most once. */
        @SuppressWarnings("unused") // through CANCELLED
        private volatile int cancelled;

        private static final java.lang.invoke.VarHandle CANCELLED;

        static {
            try {
                CANCELLED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Reservation.class, "cancelled", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        Reservation(GcraRateLimiter limiter, dev.ninelives.internal.RateGate.Rate rate, long instant, long waitNanos,
                    RequestNotPermittedException rejection) {
            this.limiter = limiter;
            this.rate = rate;
            this.instant = instant;
            this.waitNanos = waitNanos;
            this.rejection = rejection;
        }

        /**
         * Tells whether a permit was reserved.
         *
         * @return true if granted, now or after {@link #waitNanos()}
         */
        public boolean granted() {
            return rejection == null;
        }

        /**
         * Returns how long after the reservation the permit becomes usable.
         *
         * @return nanoseconds by the limiter's ticker, zero when free at once or refused
         */
        public long waitNanos() {
            return waitNanos;
        }

        /**
         * Returns the refusal.
         *
         * @return the exception, or null when granted
         */
        public RequestNotPermittedException rejection() {
            return rejection;
        }

        /**
         * Gives the permit back, for a caller that will not use it (before its instant). It goes
         * back only if no reservation was made after this one (see {@link RateLimiter}'s
         * "Cancelling a reservation"); otherwise it is forfeit and later callers keep their
         * instants. Does nothing for a refusal; a second call returns false.
         *
         * @return true if the permit is back
         */
        public boolean cancel() {
            // once only: after a give-back the next caller may reserve this very instant again
            return rejection == null && CANCELLED.compareAndSet(this, 0, 1) && limiter.giveBack(rate, instant);
        }

        @Override
        public String toString() {
            return rejection != null ? "Reservation{refused}" : "Reservation{wait " + waitNanos + " ns}";
        }
    }
}
