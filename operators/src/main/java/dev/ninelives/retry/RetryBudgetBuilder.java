package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

/**
 * Builds a {@link RetryBudget}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} copies the values,
 * so reusing the builder never changes a built budget. The ratio may instead follow an
 * {@link Adaptive} at run time ({@link #ratio(Adaptive)}).
 *
 * <p>Defaults: a ratio of 0.2 (retries may add 20 % to the calls), 10 retries a second, a
 * capacity of {@code max(10, 10 * minRetriesPerSecond)} tokens (100 with the defaults), the
 * system ticker.
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.builder()
 *     .ratio(0.1)                 // each call deposits a tenth of a retry
 *     .minRetriesPerSecond(2)     // plus 2 retries a second
 *     .capacity(20)               // at most 20 retries in a burst
 *     .build();
 * }</pre>
 */
public final class RetryBudgetBuilder {

    /** The largest ratio: a call may deposit at most this many tokens. */
    public static final double MAX_RATIO = 1000.0;
    /** The largest rate of accrual, in tokens a second (the default capacity is ten times it). */
    public static final int MAX_MIN_RETRIES_PER_SECOND = 10_000;
    /** The largest capacity, in tokens (the tokens are counted in thousandths inside the state word). */
    public static final int MAX_CAPACITY = 100_000;

    private double ratio = 0.2;
    private Adaptive<Double> ratioSetting;
    private int minRetriesPerSecond = 10;
    private int capacity;                                     // 0: not set, derived from minRetriesPerSecond
    private Ticker ticker = Ticker.system();

    RetryBudgetBuilder() {
    }

    /**
     * Sets the tokens each first attempt of a call deposits: with a ratio of 0.2, retries may
     * add 20 % to the calls. Kept to the nearest thousandth; a positive ratio deposits at least
     * 0.001. Zero leaves only the time-based accrual.
     *
     * @param ratio the tokens per call, finite, 0 to {@value #MAX_RATIO}
     * @return this builder
     * @throws IllegalArgumentException if {@code ratio} is negative, above the maximum, NaN or
     *                                  infinite
     */
    public RetryBudgetBuilder ratio(double ratio) {
        if (!(ratio >= 0.0 && ratio <= MAX_RATIO)) {                    // also false for NaN
            throw new IllegalArgumentException(
                    "ratio must be a finite number between 0 and " + MAX_RATIO + ", but was " + ratio);
        }
        this.ratio = ratio;
        this.ratioSetting = null;
        return this;
    }

    /**
     * Binds the ratio to an adaptive setting: the budget starts from its value at {@link #build()}
     * and deposits what the value in force says on every later first attempt, keeping its tokens
     * (a change neither fills nor empties the bucket). A deposit that runs while the value
     * changes may still use the one it read just before. From then on the adaptive refuses a
     * value that {@link #ratio(double)} would refuse (negative, above {@value #MAX_RATIO}, NaN or
     * infinite) with an {@link IllegalArgumentException}, and nothing changes. Every budget built
     * from this builder follows the same adaptive. A deposit reads it (one volatile load) only
     * when the bucket is not full: a call into a full bucket costs what it did with a fixed ratio.
     *
     * <pre>{@code
     * Adaptive<Double> ratio = Adaptive.of(0.2);
     * RetryBudget budget = RetryBudget.builder().ratio(ratio).build();
     * ratio.set(0.05);   // an incident: retries may add only 5 % to the calls from now on
     * }</pre>
     *
     * <p>The adaptive holds on to the budget (to check its changes) for as long as the adaptive
     * itself is reachable; a binding is never removed.
     *
     * @param ratio the adaptive ratio; a read-only view made by {@link Adaptive#map} works too
     * @return this builder
     * @throws NullPointerException if {@code ratio} is null
     */
    public RetryBudgetBuilder ratio(Adaptive<Double> ratio) {
        this.ratioSetting = Check.notNull(ratio, "ratio");
        return this;
    }

    /**
     * Sets the rate at which tokens accrue with time alone, so that a quiet service, with few
     * calls to deposit, can still retry. Zero leaves only the deposits of calls.
     *
     * @param perSecond tokens a second, 0 to {@value #MAX_MIN_RETRIES_PER_SECOND}
     * @return this builder
     * @throws IllegalArgumentException if {@code perSecond} is out of range
     */
    public RetryBudgetBuilder minRetriesPerSecond(int perSecond) {
        this.minRetriesPerSecond = Check.inRange(perSecond, 0, MAX_MIN_RETRIES_PER_SECOND, "minRetriesPerSecond");
        return this;
    }

    /**
     * Sets the most tokens the bucket holds, which is also the largest burst of retries. If not
     * set, it is {@code max(10, 10 * minRetriesPerSecond)}, computed when the budget is built.
     *
     * @param tokens the capacity, 1 to {@value #MAX_CAPACITY}
     * @return this builder
     * @throws IllegalArgumentException if {@code tokens} is out of range
     */
    public RetryBudgetBuilder capacity(int tokens) {
        this.capacity = Check.inRange(tokens, 1, MAX_CAPACITY, "capacity");
        return this;
    }

    /**
     * Sets the source of time for the accrual.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws NullPointerException if {@code ticker} is null
     */
    public RetryBudgetBuilder ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
        return this;
    }

    /**
     * Builds the budget, full. Reads the ticker once: accrual is measured from this reading. A
     * fixed ratio gets an adaptive of the budget's own, so a reused builder never links two budgets.
     *
     * @return a new budget
     * @throws IllegalArgumentException if the adaptive given to {@link #ratio(Adaptive)} holds a
     *     value out of range (nothing is bound then)
     */
    public RetryBudget build() {
        int tokens = capacity != 0 ? capacity : Math.max(10, 10 * minRetriesPerSecond);
        Adaptive<Double> r = ratioSetting != null ? ratioSetting : Adaptive.of(ratio);
        return new RetryBudget(r, minRetriesPerSecond, tokens, ticker);
    }
}
