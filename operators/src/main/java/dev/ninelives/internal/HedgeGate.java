package dev.ninelives.internal;

import dev.ninelives.core.Ticker;

/**
 * The allocation-free side of a hedge policy, for the Reactor bridge. Not API: every
 * {@link dev.ninelives.hedge.Hedge} is one.
 *
 * <p>The protocol of one call: {@link #called()} when it starts; when its delay has passed with no
 * answer, {@link #tryToken()} (a budget token), then the breaker's permit if there is a breaker:
 * refused, {@link #refusedByBudget} / {@link #refusedByBreaker} (and {@link #refundToken()} if the
 * token was taken); granted, {@link #issued} and the hedge is subscribed. When an answer wins,
 * {@link #answered(long)} with the call's latency (adaptive delay only) and {@link #won} if it was
 * a hedge's. Only the methods that announce an event call user code; they throw only a listener's
 * JVM-fatal error, once their count is made.
 */
public abstract class HedgeGate {

    /** For the one implementation, in {@code dev.ninelives.hedge}. */
    protected HedgeGate() {
    }

    /** Counts a call: one atomic add, the budget's income. */
    public abstract void called();

    /**
     * Tells whether the delay follows the recent latency (and {@link #answered(long)} is wanted).
     *
     * @return true for an adaptive delay
     */
    public abstract boolean adaptive();

    /**
     * Returns the delay in force: one volatile read.
     *
     * @return nanoseconds
     */
    public abstract long delayNanos();

    /**
     * Returns the ticker latency is measured with.
     *
     * @return the ticker
     */
    public abstract Ticker ticker();

    /**
     * Records one call's latency, from its subscription to the answer that won; the call that
     * closes a window recomputes the delay. Never allocates, never throws.
     *
     * @param nanos the latency
     */
    public abstract void answered(long nanos);

    /**
     * Returns the most hedges per call.
     *
     * @return 1 or more
     */
    public abstract int maxHedges();

    /**
     * Takes one token from the budget, if there is one. One CAS at most per try; a refusal
     * writes nothing.
     *
     * @return true if a token was taken
     */
    public abstract boolean tryToken();

    /** Gives back a token taken by {@link #tryToken()} for a hedge that was not issued after all. */
    public abstract void refundToken();

    /**
     * Counts an issued hedge and announces it.
     *
     * @param attempt the hedge's number, from 1
     * @throws Error a listener's JVM-fatal error, once counted
     */
    public abstract void issued(int attempt);

    /**
     * Counts a hedge refused for want of a token and announces it.
     *
     * @param attempt the hedge's number, from 1
     * @throws Error a listener's JVM-fatal error, once counted
     */
    public abstract void refusedByBudget(int attempt);

    /**
     * Counts a hedge refused by the breaker and announces it.
     *
     * @param attempt the hedge's number, from 1
     * @throws Error a listener's JVM-fatal error, once counted
     */
    public abstract void refusedByBreaker(int attempt);

    /**
     * Counts a hedge that answered first and announces it.
     *
     * @param attempt the hedge's number, from 1
     * @throws Error a listener's JVM-fatal error, once counted
     */
    public abstract void won(int attempt);

    /**
     * Asks the configured predicate whether {@code error} ends the race at once.
     *
     * @param error an attempt's error
     * @return the predicate's answer
     * @throws RuntimeException what the predicate throws (or any {@link Error} it throws)
     */
    public abstract boolean errorEndsRace(Throwable error);
}
