package dev.ninelives.retry;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

/**
 * Builds a {@link RetryBudget}. Every method checks its argument at the call and throws an
 * exception that names the parameter and quotes the value; {@link #build()} copies the values,
 * so reusing the builder never changes a built budget.
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
     * Builds the budget, full. Reads the ticker once: accrual is measured from this reading.
     *
     * @return a new budget
     */
    public RetryBudget build() {
        int tokens = capacity != 0 ? capacity : Math.max(10, 10 * minRetriesPerSecond);
        return new RetryBudget(ratio, minRetriesPerSecond, tokens, ticker);
    }
}
