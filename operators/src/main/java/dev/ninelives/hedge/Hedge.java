package dev.ninelives.hedge;

import java.util.function.Consumer;

/**
 * A hedge policy: when a call has no answer after a delay, a second attempt (a hedge) is made,
 * and the first answer wins; the other attempts are cancelled. It cuts the tail of a dependency
 * whose slow calls are slow by chance (a garbage collection, a cold cache, a busy replica), not
 * because the dependency is overloaded, at the cost of a few extra calls, which a budget bounds.
 *
 * <pre>{@code
 * Hedge hedge = Hedge.builder("search")
 *     .delayPercentile(95)                   // hedge the calls slower than 95 % of recent ones
 *     .minDelay(Duration.ofMillis(20))
 *     .budget(0.05, 10)                      // at most 5 % extra calls
 *     .build();
 *
 * // With Reactor (ninelives-reactor): a Mono resubscribed as a hedge when slow
 * Mono<Hits> hits = search.query(q).transform(NineLives.hedge(hedge));
 * }</pre>
 *
 * <h2>The delay</h2>
 * Fixed, or adaptive: the p-th percentile of the latency of the recent calls through this hedge,
 * from subscription to the answer that won (for a call a hedge won, that is a lower bound of what
 * its first attempt would have taken, which keeps the tail in the estimate). The latencies go
 * into a log-bucket histogram, 8 buckets per doubling, of which the delay is the upper edge of the
 * bucket holding the percentile: never below the percentile of the window, at most 12.5 % above
 * it. Every {@code window} answers the call that records the last one recomputes the delay from
 * those answers and starts a fresh window; until the first window closes, and whenever the
 * percentile is lower, the delay is the minimum delay. Recording is two atomic adds on shared
 * counters; no lock, no thread, no allocation. A sample that races the closing of a window may
 * count in a later window, which moves an estimate by one sample at most per racing thread.
 *
 * <h2>The budget</h2>
 * A token bucket in one word: each call earns {@code ratio} of a token up to {@code burst}
 * tokens, a hedge spends one. It is computed from the call counter when a hedge asks (one CAS
 * then), so a call that needs no hedge pays only its count. When every call is slow (an outage,
 * an overload) hedges stop at the ratio instead of doubling the load; in a pipeline with a circuit
 * breaker each hedge also needs its own permit, so an open breaker refuses them too.
 *
 * <h2 id="listeners">Listeners that throw</h2>
 * Listeners run on the thread of the event (the subscribing thread, the Scheduler's, or the one
 * delivering the answer). A non-fatal throwable is logged at WARNING through
 * {@code System.getLogger("dev.ninelives")} and the call carries on as if the listener had not
 * thrown. A JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) ends the call:
 * every attempt is cancelled (their permits returned), the subscriber gets {@code onError} with
 * that error, then it propagates; the counters are made before the listener runs.
 *
 * <p>All methods are thread-safe and lock-free.
 */
public sealed interface Hedge permits LockFreeHedge {

    /**
     * Starts a builder for a hedge policy with the given name.
     *
     * @param name the policy's name, used in events and metrics
     * @return a new builder with the defaults described on {@link HedgeBuilder}
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    static HedgeBuilder builder(String name) {
        return new HedgeBuilder(name);
    }

    /**
     * Returns the name given to the builder.
     *
     * @return the name
     */
    String name();

    /**
     * Returns the configuration this hedge was built with.
     *
     * @return the configuration
     */
    HedgeConfig config();

    /**
     * Returns a snapshot of the counters, the delay in force and the budget.
     *
     * @return a new snapshot
     */
    HedgeMetrics metrics();

    /**
     * Registers a listener called on every hedge issued, won or refused. Only when at least one
     * listener is registered is an event allocated. See <a href="#listeners">above</a> for a
     * listener that throws.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    void onHedge(Consumer<? super HedgeEvent> listener);
}
