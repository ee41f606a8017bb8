package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;

import java.time.Duration;

/**
 * The configuration of a bulkhead, frozen by {@link BulkheadBuilder#build()}. Each accessor
 * names the builder method that sets it. Every setting is fixed except the limit of concurrent
 * calls and the wait, which are always adaptive settings: the ones given to
 * {@link BulkheadBuilder#maxConcurrent(Adaptive)} and {@link BulkheadBuilder#maxWait(Adaptive)},
 * or the bulkhead's own, made from a fixed value at build time; {@link #maxConcurrent()} and
 * {@link #maxWait()} report their current values ({@link Bulkhead#changeMaxConcurrent(int)}
 * changes the limit too).
 *
 * <p>{@link #toBuilder(String)} starts a builder from this configuration. A copy stays bound to
 * the adaptives that were given to the builder (a shared limit stays shared) and takes the
 * bulkhead's own ones as fixed values (their current values), so two bulkheads built from one
 * copy are never linked by accident.
 */
public final class BulkheadConfig {

    private final String name;
    private final Adaptive<Integer> maxConcurrent;
    private final Adaptive<Duration> maxWait;
    private final int maxQueued;
    private final Bulkhead.QueueOrder queueOrder;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;
    /** The adaptive limit's specification, or null for a limit that moves only when set. */
    private final Adaptive<AdaptiveLimit> adaptiveLimit;
    private final Adaptive<AdaptiveLimit> givenAdaptiveLimit;
    /** The adaptives the user gave the builder; null where the value was fixed. */
    private final Adaptive<Integer> givenMaxConcurrent;
    private final Adaptive<Duration> givenMaxWait;
    private final boolean maxQueuedSet;

    BulkheadConfig(BulkheadBuilder b) {
        this.name = b.name;
        // an adaptive of its own per build, so that a reused builder never links two bulkheads
        this.maxConcurrent = b.maxConcurrentSetting != null ? b.maxConcurrentSetting : Adaptive.of(b.maxConcurrent);
        this.maxWait = b.maxWaitSetting != null ? b.maxWaitSetting : Adaptive.of(b.maxWait);
        this.maxQueued = b.maxQueued;
        this.queueOrder = b.queueOrder;
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
        this.adaptiveLimit = b.adaptiveLimitSetting != null ? b.adaptiveLimitSetting
                : b.adaptiveLimit != null ? Adaptive.of(b.adaptiveLimit) : null;
        this.givenAdaptiveLimit = b.adaptiveLimitSetting;
        this.givenMaxConcurrent = b.maxConcurrentSetting;
        this.givenMaxWait = b.maxWaitSetting;
        this.maxQueuedSet = b.maxQueuedSet;
    }

    /**
     * Returns a new builder for a bulkhead named {@code name} with every setting of this one:
     * building it right away gives a bulkhead configured exactly like this one, with every permit
     * free (no state is copied). A setting bound to an {@link Adaptive} given to this config's
     * builder stays bound to that same adaptive; a fixed one is copied as the value in force now
     * (after {@link Bulkhead#changeMaxConcurrent(int)}, the changed limit). Changing the returned
     * builder never changes this config.
     *
     * <pre>{@code
     * Bulkhead reports = payments.config().toBuilder("reports").maxConcurrent(5).build();
     * }</pre>
     *
     * @param name the new bulkhead's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public BulkheadBuilder toBuilder(String name) {
        BulkheadBuilder b = new BulkheadBuilder(name);
        b.maxConcurrent = maxConcurrent.get();
        b.maxConcurrentSetting = givenMaxConcurrent;
        b.maxWait = maxWait.get();
        b.maxWaitSetting = givenMaxWait;
        b.maxQueued = maxQueued;
        b.maxQueuedSet = maxQueuedSet;
        b.queueOrder = queueOrder;
        b.ticker = ticker;
        b.rejectionStackTraces = rejectionStackTraces;
        b.adaptiveLimit = givenAdaptiveLimit == null && adaptiveLimit != null ? adaptiveLimit.get() : null;
        b.adaptiveLimitSetting = givenAdaptiveLimit;
        return b;
    }

    /**
     * Returns a new builder for a bulkhead of this config's name with every setting of this one;
     * see {@link #toBuilder(String)}.
     *
     * @return a new builder
     */
    public BulkheadBuilder toBuilder() {
        return toBuilder(name);
    }

    /**
     * Returns the bulkhead's name ({@link Bulkhead#builder(String)}).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the limit of concurrent calls in force ({@link BulkheadBuilder#maxConcurrent(int)}
     * or {@link BulkheadBuilder#maxConcurrent(Adaptive)}): the current value of the adaptive
     * setting, changed by {@link Adaptive#set} or {@link Bulkhead#changeMaxConcurrent(int)}.
     * While a change is being applied, this already reports the new limit, and
     * {@link Bulkhead#metrics()} the permits of the old one for a moment.
     *
     * @return the current limit
     */
    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    /**
     * Returns the specification of the adaptive limit that moves {@link #maxConcurrent()} now
     * ({@link BulkheadBuilder#adaptiveLimit(AdaptiveLimit)}, or the current value of the one given
     * to {@link BulkheadBuilder#adaptiveLimit(Adaptive)}), or null for a limit that moves only
     * when it is set.
     *
     * @return the adaptive limit in force, or null
     */
    public AdaptiveLimit adaptiveLimit() {
        return adaptiveLimit == null ? null : adaptiveLimit.get();
    }

    /** The adaptive specification, or null. */
    Adaptive<AdaptiveLimit> adaptiveLimitSetting() {
        return adaptiveLimit;
    }

    /** The adaptive setting the limit follows. */
    Adaptive<Integer> maxConcurrentSetting() {
        return maxConcurrent;
    }

    /**
     * Returns how long a caller that starts waiting now waits for a permit
     * ({@link BulkheadBuilder#maxWait(Duration)} or {@link BulkheadBuilder#maxWait(Adaptive)}):
     * the current value of the adaptive setting. Callers already waiting keep the wait they
     * started with.
     *
     * @return the maximum wait, zero when waiting is off
     */
    public Duration maxWait() {
        return maxWait.get();
    }

    /** The adaptive setting the wait follows. */
    Adaptive<Duration> maxWaitSetting() {
        return maxWait;
    }

    /**
     * Returns how many callers may wait ({@link BulkheadBuilder#maxQueued(int)}).
     *
     * @return the queue limit
     */
    public int maxQueued() {
        return maxQueued;
    }

    /**
     * Returns which waiter a released permit goes to ({@link BulkheadBuilder#queueOrder}).
     *
     * @return FIFO or LIFO
     */
    public Bulkhead.QueueOrder queueOrder() {
        return queueOrder;
    }

    /**
     * Returns the clock that measures waits ({@link BulkheadBuilder#ticker(Ticker)}).
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Returns whether each refusal gets a fresh exception with a stack trace
     * ({@link BulkheadBuilder#rejectionStackTraces(boolean)}).
     *
     * @return true for fresh exceptions
     */
    public boolean rejectionStackTraces() {
        return rejectionStackTraces;
    }

    @Override
    public String toString() {
        return "BulkheadConfig{" + name + ", maxConcurrent=" + maxConcurrent.get() + ", maxWait=" + maxWait.get()
                + ", maxQueued=" + maxQueued + ", " + queueOrder + '}';
    }
}
