package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;

/**
 * Builds a {@link Bulkhead}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} freezes an
 * immutable {@link BulkheadConfig}, so reusing the builder never changes a built bulkhead.
 *
 * <p>Defaults: 25 concurrent calls, no waiting (a call that finds every permit taken is refused
 * at once), a queue of at most 1,000 waiting callers once waiting is on, FIFO order, the system
 * ticker, no rejection stack traces. {@code maxQueued} goes with a positive {@code maxWait}:
 * {@link #build()} refuses a queue limit without a wait. The limit and the wait may follow an
 * {@link Adaptive} at run time ({@link #maxConcurrent(Adaptive)}, {@link #maxWait(Adaptive)}).
 *
 * <pre>{@code
 * Bulkhead bulkhead = Bulkhead.builder("inventory")
 *     .maxConcurrent(10)                    // at most 10 calls in flight
 *     .maxWait(Duration.ofMillis(200))      // a caller waits up to 200 ms for a permit
 *     .maxQueued(100)                       // and at most 100 callers wait
 *     .queueOrder(Bulkhead.QueueOrder.LIFO) // under overload, serve the newest first
 *     .build();
 * }</pre>
 */
public final class BulkheadBuilder {

    /** The largest limit of concurrent calls (permits are counted in half of a 64-bit word). */
    public static final int MAX_CONCURRENT = 1 << 30;

    final String name;
    int maxConcurrent = 25;
    Adaptive<Integer> maxConcurrentSetting;
    Duration maxWait = Duration.ZERO;
    Adaptive<Duration> maxWaitSetting;
    int maxQueued = 1_000;
    boolean maxQueuedSet;
    Bulkhead.QueueOrder queueOrder = Bulkhead.QueueOrder.FIFO;
    Ticker ticker = Ticker.system();
    boolean rejectionStackTraces;
    AdaptiveLimit adaptiveLimit;
    Adaptive<AdaptiveLimit> adaptiveLimitSetting;

    BulkheadBuilder(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    /**
     * Sets how many calls may be in flight at once.
     *
     * @param calls the limit, 1 to {@value #MAX_CONCURRENT}
     * @return this builder
     * @throws IllegalArgumentException if {@code calls} is out of range
     */
    public BulkheadBuilder maxConcurrent(int calls) {
        this.maxConcurrent = Check.inRange(calls, 1, MAX_CONCURRENT, "maxConcurrent");
        this.maxConcurrentSetting = null;
        this.adaptiveLimit = null;
        this.adaptiveLimitSetting = null;
        return this;
    }

    /**
     * Binds the limit of calls in flight to an adaptive setting: the bulkhead starts from its
     * value at {@link #build()} and follows every later change for the next call, keeping its
     * state (calls in flight, waiting callers). Raising the limit hands the new permits to
     * waiting callers at once; lowering it lets the calls in flight finish and admits no new
     * call until fewer than the new limit are in flight. From then on the adaptive refuses a
     * value out of 1 to {@value #MAX_CONCURRENT} with an {@link IllegalArgumentException} that
     * names this bulkhead, and nothing changes. Every bulkhead built from this builder follows
     * the same adaptive; {@link Bulkhead#changeMaxConcurrent(int)} sets it.
     *
     * <pre>{@code
     * Adaptive<Integer> limit = Adaptive.of(10);
     * Bulkhead bulkhead = Bulkhead.builder("inventory").maxConcurrent(limit).build();
     * limit.set(20);   // ten more calls may start now
     * }</pre>
     *
     * <p>The adaptive holds on to the bulkhead (to tell it about changes) for as long as the
     * adaptive itself is reachable, or until a {@code NineLivesRegistry} removes or replaces the
     * bulkhead, which releases the binding (the bulkhead keeps the value in force).
     *
     * @param calls the adaptive limit; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code calls} is null
     */
    public BulkheadBuilder maxConcurrent(Adaptive<Integer> calls) {
        this.maxConcurrentSetting = Check.notNull(calls, "maxConcurrent");
        this.adaptiveLimit = null;
        this.adaptiveLimitSetting = null;
        return this;
    }

    /**
     * Lets the bulkhead move its limit of concurrent calls by itself, from the latency and the
     * failures of the calls it admits (see {@link AdaptiveLimit}). The limit starts at
     * {@link AdaptiveLimit#initialLimit()} and stays within its min and max; it is the
     * bulkhead's limit like any other: waiting, queue order, metrics and
     * {@link Bulkhead#changeMaxConcurrent(int)} work as with a fixed one (a limit set by hand is
     * where the algorithm continues from). Replaces a {@code maxConcurrent} given before, and a
     * later {@code maxConcurrent} replaces it.
     *
     * <p>Calls are measured by the Reactor operators and pipelines (ninelives-reactor), from the
     * permit to the outcome; {@link Bulkhead#tryAcquire()} and {@link Bulkhead#release()} used
     * directly give no samples.
     *
     * @param limit the algorithm and its settings
     * @return this builder
     * @throws NullPointerException if {@code limit} is null
     */
    public BulkheadBuilder adaptiveLimit(AdaptiveLimit limit) {
        this.adaptiveLimit = Check.notNull(limit, "adaptiveLimit");
        this.adaptiveLimitSetting = null;
        this.maxConcurrentSetting = null;
        return this;
    }

    /**
     * Lets the bulkhead move its limit by itself, as {@link #adaptiveLimit(AdaptiveLimit)} does,
     * with a specification that can change while it runs. The bulkhead starts at the initial
     * limit of the specification in force at {@link #build()}; a later change applies from the
     * next sample and keeps the bulkhead's state: calls in flight, waiting callers, and the
     * limit reached so far, which is only moved into the new {@code [minLimit, maxLimit]} when
     * it lies outside (a change of the initial limit does not move it: it is where a new
     * bulkhead starts). A change of the algorithm is applied in place too: the next window is
     * judged by the new algorithm, from the limit in force (the gradient's lowest latency seen is
     * kept). A window closing while the change is made may set one limit from the old
     * specification; the change (or that window's closer) moves it back into range right after.
     * From then on the adaptive refuses a specification whose {@code minLimit} exceeds its
     * {@code maxLimit} with an {@link IllegalArgumentException} that names this bulkhead, and
     * nothing changes.
     *
     * <pre>{@code
     * Adaptive<AdaptiveLimit> spec = Adaptive.of(AdaptiveLimit.aimd().maxLimit(100));
     * Bulkhead bulkhead = Bulkhead.builder("payments").adaptiveLimit(spec).build();
     * spec.update(s -> s.maxLimit(200));   // the limit may now grow further; it is not reset
     * }</pre>
     *
     * @param limit the adaptive specification
     * @return this builder
     * @throws NullPointerException if {@code limit} is null
     */
    public BulkheadBuilder adaptiveLimit(Adaptive<AdaptiveLimit> limit) {
        this.adaptiveLimitSetting = Check.notNull(limit, "adaptiveLimit");
        this.adaptiveLimit = null;
        this.maxConcurrentSetting = null;
        return this;
    }

    /**
     * Sets how long a caller that finds every permit taken waits in the queue for one. Zero
     * turns waiting off: such a caller is refused at once ({@link BulkheadFullException.Reason#FULL}).
     * With Reactor, the wait never blocks a thread: the subscriber is parked in the queue and
     * the timeout runs on a Scheduler.
     *
     * @param maxWait the maximum wait, zero or positive
     * @return this builder
     * @throws NullPointerException     if {@code maxWait} is null
     * @throws IllegalArgumentException if {@code maxWait} is negative
     */
    public BulkheadBuilder maxWait(Duration maxWait) {
        Check.notNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be zero or positive, but was " + maxWait);
        }
        this.maxWait = maxWait;
        this.maxWaitSetting = null;
        return this;
    }

    /**
     * Binds the wait to an adaptive setting: the bulkhead starts from its value at
     * {@link #build()} and follows every later change for the waits that start after it. A
     * caller already waiting keeps the deadline it started with (lowered or raised, the change
     * never moves a deadline), and a caller that times out is told the wait it had
     * ({@link BulkheadFullException.Reason#WAIT_TIMED_OUT}, quoting that wait). Zero turns
     * waiting off for the callers that come next (refused at once, as
     * {@link BulkheadFullException.Reason#FULL}); the callers already queued still wait out
     * their deadlines and are served in turn. {@link #maxQueued(int)} bounds the queue whenever
     * waiting is on. From then on the adaptive refuses a negative value with an
     * {@link IllegalArgumentException} that names this bulkhead, and nothing changes. A call
     * that finds a permit free never reads the setting; one that would wait reads it once.
     *
     * <pre>{@code
     * Adaptive<Duration> wait = Adaptive.of(Duration.ofMillis(200));
     * Bulkhead bulkhead = Bulkhead.builder("inventory").maxWait(wait).build();
     * wait.set(Duration.ofMillis(50));   // overload: fail the next waiters sooner
     * }</pre>
     *
     * <p>The adaptive holds on to the bulkhead (to tell it about changes) for as long as the
     * adaptive itself is reachable, or until a {@code NineLivesRegistry} removes or replaces the
     * bulkhead, which releases the binding (the bulkhead keeps the value in force).
     *
     * @param maxWait the adaptive wait; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code maxWait} is null
     */
    public BulkheadBuilder maxWait(Adaptive<Duration> maxWait) {
        this.maxWaitSetting = Check.notNull(maxWait, "maxWait");
        return this;
    }

    /**
     * Sets how many callers may wait at once; a caller beyond it is refused at once
     * ({@link BulkheadFullException.Reason#QUEUE_FULL}). A queue needs a wait: set a positive
     * {@link #maxWait(Duration)} too (or an adaptive {@link #maxWait(Adaptive)}, which may turn
     * waiting on and off), or {@link #build()} refuses the configuration (without a wait no
     * caller is ever queued, so the limit would silently mean nothing). Without this
     * call, up to 1,000 callers wait once waiting is on.
     *
     * @param callers the limit, 1 to {@link Integer#MAX_VALUE}
     * @return this builder
     * @throws IllegalArgumentException if {@code callers} is below 1
     */
    public BulkheadBuilder maxQueued(int callers) {
        this.maxQueued = Check.inRange(callers, 1, Integer.MAX_VALUE, "maxQueued");
        this.maxQueuedSet = true;
        return this;
    }

    /**
     * Sets which waiting caller a released permit goes to.
     *
     * @param order {@link Bulkhead.QueueOrder#FIFO} (the default: the longest waiting) or
     *              {@link Bulkhead.QueueOrder#LIFO} (the newest: under overload the newest are
     *              served while the oldest time out)
     * @return this builder
     * @throws NullPointerException if {@code order} is null
     */
    public BulkheadBuilder queueOrder(Bulkhead.QueueOrder order) {
        this.queueOrder = Check.notNull(order, "queueOrder");
        return this;
    }

    /**
     * Sets the clock used to measure waits for events. Tests pass a manual ticker.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public BulkheadBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Sets whether each refusal gets a fresh {@link BulkheadFullException} with a stack trace.
     * Off by default: one shared instance per reason, without a stack trace, costs nothing.
     *
     * @param enabled true for a fresh exception with a stack trace per refusal
     * @return this builder
     */
    public BulkheadBuilder rejectionStackTraces(boolean enabled) {
        this.rejectionStackTraces = enabled;
        return this;
    }

    /**
     * Builds a bulkhead with this builder's current settings.
     *
     * @return a new bulkhead with every permit free
     * @throws IllegalArgumentException if {@link #maxQueued(int)} was set while a fixed
     *     {@link #maxWait(Duration)} is zero (waiting off): a queue limit without a wait means
     *     nothing (an adaptive wait may turn waiting on later, so it is not refused); or if an
     *     adaptive given to {@link #maxConcurrent(Adaptive)} or {@link #maxWait(Adaptive)} holds a
     *     value out of range (nothing is bound then)
     */
    public Bulkhead build() {
        if (maxQueuedSet && maxWaitSetting == null && maxWait.isZero()) {
            throw new IllegalArgumentException("maxQueued(" + maxQueued + ") needs a positive maxWait, but maxWait was "
                    + maxWait + " (waiting off: no caller is ever queued); set maxWait(...) to let callers wait, or drop maxQueued");
        }
        AdaptiveLimit spec = adaptiveLimitSetting != null ? adaptiveLimitSetting.get() : adaptiveLimit;
        if (spec != null) {
            spec.validate();
            maxConcurrent = spec.initialLimit();
        }
        return new LockFreeBulkhead(new BulkheadConfig(this));
    }
}
