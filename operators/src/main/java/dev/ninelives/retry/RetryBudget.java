package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/*
 * A token bucket in one long, moved only by CAS.
 *
 * The state word
 *   bits  0..26  tokens   in milli-tokens (thousandths of a retry), 0 .. capacity * 1000
 *                         (at most 100,000,000 < 2^27)
 *   bits 27..63  time     the ticker's reading at the last accrual, in whole milliseconds since
 *                         `base` (the reading taken when the budget was built), modulo 2^37
 * The bucket starts full at time 0.
 *
 * Rounding. A token is 1000 milli-tokens and a time unit is 1 ms, so minRetriesPerSecond r
 * accrues exactly r milli-tokens per millisecond: accrual is an integer product, it never
 * rounds, and no fraction of a unit of time is ever consumed without producing its tokens. The
 * only rounding of time is nanoseconds to milliseconds, and it cannot lose time either: the
 * stored time is floor((reading - base) / 1 ms) of an absolute reading, never a sum of rounded
 * deltas, so the sub-millisecond part of every step is carried to the next reading (a thousand
 * steps of 0.3 ms accrue exactly as one of 300 ms). The deposit per call is the ratio rounded to
 * the nearest milli-token (0.2 is exactly 200), and a positive ratio deposits at least 1.
 *
 * Wrap-around. The time field holds 37 bits of milliseconds (4.36 years). The elapsed time is
 * the difference of two readings modulo 2^37, read as a signed 37-bit number
 * (`(now - time) << 27 >> 27`), so crossing the wrap of the field is seamless. A negative
 * difference (a reading older than the stored one, which a monotonic ticker read after the word
 * cannot give, see below) accrues nothing and leaves the stored time alone. The one case the
 * field cannot tell: a budget nobody touches for more than 2^36 ms (2.18 years) sees that gap
 * as negative, or shortened by a multiple of 2^37 ms, and accrues less than it should (its next
 * calls still deposit, and accrual resumes from there).
 *
 * Who races, who wins. Every operation reads the word, computes its successor and CASes it; the
 * successful CAS is the linearization point, and a loser reads again (every retry loop below
 * only repeats after another thread's CAS succeeded, so the budget is lock-free). An operation
 * that writes nothing (a deposit into a full bucket; a refusal or a read within the millisecond
 * of the last accrual) linearizes at its volatile read of the word.
 *   onCall            tokens := min(capacity, tokens + deposit). A full bucket is left untouched:
 *                     a deposit into it changes nothing (and, in the healthy steady state, calls
 *                     sharing a budget then write nothing shared).
 *   tryAcquireRetry   accrue, then take 1000 milli-tokens if there are that many.
 *   availableTokens   accrue, and report.
 * Accrual is: elapsed := now - time (ms); tokens := min(capacity, tokens + elapsed * r); time :=
 * now. Deposits and accruals commute under the cap (min(c, min(c, x + a) + b) = min(c, x + a + b)
 * for a, b >= 0), so it is enough to accrue lazily, just before a take and when asked.
 *
 * The ticker is read after the word, in every round of the loop, and an operation that sees
 * time move always writes the accrued word: a refusal and a read too, and a full bucket gets its
 * time moved though its tokens cannot grow. That is what makes the bucket linearizable with
 * respect to time. A thread whose reading is older than one another operation has already acted
 * on finds the word changed, fails its CAS, and reads both again. Without the rule, a read could
 * see the new millisecond without writing, and a take with an older reading could then win its
 * CAS and store the older millisecond: where the cap binds between the two readings (a full
 * bucket, the case LincheckRetryBudgetTest builds), the bucket would accrue that time a second
 * time after the read. Below the cap accrual is additive and a stale time would do no harm, but
 * one rule is simpler to check than two. With r = 0 time is irrelevant and never written.
 *
 * The ratio. It is an Adaptive (the user's, or one of the budget's own for a fixed ratio), and
 * the deposit a ratio makes (milli-tokens, rounded once) is a read-only view of it, computed on
 * each change, never per call. A deposit reads the view once, only after it found the bucket not
 * full, so a call into a full bucket reads the word alone, as with a fixed ratio. The ratio is
 * not in the word (there is no room), so a change is not atomic with the deposits racing it: a
 * deposit that read the old value before the change may land after it. Each deposit is still one
 * CAS of an amount one of the two ratios gives; tokens are never lost, never invented beyond it,
 * never negative (AdaptiveRetryBudgetRaceTest), and a deposit that starts after set() returned
 * uses the new ratio.
 *
 * No lock and no allocation on onCall, tryAcquireRetry or availableTokens (the LongAdder of
 * refusals may allocate its cells once, the first time refusals contend). No padding: every
 * operation reads and most write this word itself, so there is no neighbour to keep apart from
 * it; contention on a shared budget is true sharing, and it is only as hot as deposits into a
 * bucket that is not full and retries.
 */

/**
 * A retry budget: a token bucket that several retry policies share, so that their retries
 * together cannot multiply the load on a service that is already failing.
 *
 * <p>Every first attempt of a call deposits {@code ratio} tokens ({@link #onCall()}), and the
 * bucket also fills at {@code minRetriesPerSecond}, so a quiet service can still retry. Every
 * retry must take one whole token first ({@link #tryAcquireRetry()}); when the bucket is empty
 * the retry is refused and the policy asking gives up on the call. With the defaults (ratio
 * 0.2, 10 retries per second, a capacity of 100) retries may add 20 % to the calls plus 10 a
 * second, however many policies, threads or attempts per call there are. The bucket holds at
 * most {@code capacity} tokens and starts full, so a burst of up to {@code capacity} retries
 * is allowed at any time the bucket has had a chance to fill.
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.builder()
 *     .ratio(0.1)                 // retries may add 10 % to the calls
 *     .minRetriesPerSecond(5)     // and 5 a second, however quiet the service
 *     .build();
 * Retry quotes = Retry.builder("quotes").budget(budget).build();
 * Retry orders = Retry.builder("orders").budget(budget).build();
 * // both policies deposit on every first attempt and take from the same budget before every
 * // retry: in an outage, the two of them together retry at most 10 % of their calls plus 5 a
 * // second, after the burst of up to 50 retries the full bucket allows (capacity 10 * 5)
 * }</pre>
 *
 * <p>A budget is thread-safe and lock-free: its whole state is one {@code long} moved by
 * compare-and-set, and {@link #onCall()}, {@link #tryAcquireRetry()} and
 * {@link #availableTokens()} neither lock nor allocate.
 */
public final class RetryBudget {

    /** Milli-tokens per token. */
    static final long MILLI = 1000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private static final int TIME_SHIFT = 27;
    private static final long TOKENS_MASK = (1L << TIME_SHIFT) - 1;

    private static final VarHandle WORD;
    /** The binding's applier: the budget reads the ratio's view, so a change has nothing to apply. */
    private static final Consumer<Adaptive.Change<Double>> FOLLOWS_BY_READING = change -> { };

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(RetryBudget.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Ticker ticker;
    private final long base;
    private final long capacityMilli;
    private final Adaptive<Double> ratio;
    /** The deposit of the ratio in force, in milli-tokens: a view of {@link #ratio}. */
    private final Adaptive<Long> depositMilli;
    private final long accrualPerMilli;
    private final int minRetriesPerSecond;
    private final int capacity;
    private final LongAdder refused = new LongAdder();

    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word;

    RetryBudget(Adaptive<Double> ratio, int minRetriesPerSecond, int capacity, Ticker ticker) {
        this.minRetriesPerSecond = minRetriesPerSecond;
        this.capacity = capacity;
        this.ticker = ticker;
        this.capacityMilli = capacity * MILLI;
        this.accrualPerMilli = minRetriesPerSecond;           // r tokens a second = r milli-tokens a millisecond
        this.base = ticker.read();
        WORD.setRelease(this, capacityMilli);                 // full, at time 0
        // the check first: from here on the adaptive refuses a ratio the builder would refuse
        // a budget is the user's, shared by policies and never in a registry: its bindings are never released
        AdaptiveBinding.bind(ratio, RetryBudget::checkRatio, FOLLOWS_BY_READING, new Bindings());
        this.ratio = ratio;
        this.depositMilli = ratio.map(RetryBudget::deposit);
    }

    /** Refuses a ratio a budget cannot take, with the builder's message; run before the adaptive publishes a value. */
    private static void checkRatio(Double ratio) {
        if (!(ratio >= 0.0 && ratio <= RetryBudgetBuilder.MAX_RATIO)) {    // also false for NaN
            throw new IllegalArgumentException("ratio of retry budget must be a finite number between 0 and "
                    + RetryBudgetBuilder.MAX_RATIO + ", but was " + ratio);
        }
    }

    /** The milli-tokens a ratio deposits: rounded to the nearest, at least 1 for a positive ratio. */
    static long deposit(double ratio) {
        return ratio > 0.0 ? Math.max(1L, Math.round(ratio * MILLI)) : 0L;
    }

    /**
     * Returns a builder of a budget, with the defaults described on {@link RetryBudgetBuilder}.
     *
     * @return a new builder
     */
    public static RetryBudgetBuilder builder() {
        return new RetryBudgetBuilder();
    }

    /**
     * Returns a budget with the defaults: ratio 0.2, 10 retries a second, a capacity of 100
     * tokens, the system ticker.
     *
     * @return a new budget, full
     */
    public static RetryBudget ofDefaults() {
        return builder().build();
    }

    // ---------------------------------------------------------------- word accessors

    private long wordVolatile() {
        return (long) WORD.getVolatile(this);
    }

    private boolean casWord(long expect, long next) {
        return WORD.compareAndSet(this, expect, next);
    }

    static long tokens(long w) {
        return w & TOKENS_MASK;
    }

    static long time(long w) {
        return w >>> TIME_SHIFT;
    }

    /** The ticker's reading in whole milliseconds since {@code base}; only its low 37 bits are kept in the word. */
    private long nowMillis() {
        return Math.floorDiv(ticker.read() - base, NANOS_PER_MILLI);
    }

    /** The word {@code w} with the tokens accrued up to {@code now}; {@code w} itself if nothing changes. */
    private long accrued(long w, long now) {
        if (accrualPerMilli == 0) {
            return w;                                         // nothing accrues: time does not matter
        }
        long elapsed = (now - time(w)) << TIME_SHIFT >> TIME_SHIFT;   // signed 37-bit difference: see the header
        if (elapsed <= 0) {
            return w;                                         // same millisecond, or an older reading
        }
        long t = tokens(w);
        long filled = Math.min(capacityMilli, t + elapsed * accrualPerMilli);  // elapsed < 2^36, r <= 10^4: no overflow
        return now << TIME_SHIFT | filled;
    }

    // ---------------------------------------------------------------- operations

    /**
     * Reports the first attempt of a call: deposits {@code ratio} tokens (the ratio in force),
     * up to the capacity. Retries must not be reported. Does not read the ticker, and reads
     * nothing but the state word, and writes nothing, when the bucket is full.
     */
    public void onCall() {
        long w = wordVolatile();
        if (tokens(w) == capacityMilli) {
            return;                                           // full: the deposit changes nothing
        }
        long deposit = depositMilli.get();                    // the ratio's one read, only for a bucket not full
        if (deposit == 0) {
            return;
        }
        for (;;) {
            long t = tokens(w);
            if (t == capacityMilli) {
                return;
            }
            if (casWord(w, w - t + Math.min(capacityMilli, t + deposit))) {
                return;
            }
            w = wordVolatile();                               // lost to another deposit, take or accrual: read again
        }
    }

    /**
     * Asks for one retry: first adds the tokens accrued at {@code minRetriesPerSecond} since the
     * last accrual, then takes one whole token if there is one.
     *
     * @return true if a token was taken and the retry may go ahead, false if the budget refuses it
     */
    public boolean tryAcquireRetry() {
        for (;;) {
            long w = wordVolatile();
            long a = accrued(w, nowMillis());
            if (tokens(a) >= MILLI) {
                if (casWord(w, a - MILLI)) {
                    return true;
                }
            } else if (a == w || casWord(w, a)) {             // refused; time moved: record the accrual too
                refused.increment();
                return false;
            }
            // lost to another operation: read the word and the ticker again
        }
    }

    /**
     * Returns the tokens in the bucket now, after accruing the time since the last accrual, in
     * thousandths of a token. Meant for metrics and tests: by the time the caller looks at the
     * result, other threads may have changed the bucket.
     *
     * @return the tokens available, from 0 to the capacity
     */
    public double availableTokens() {
        for (;;) {
            long w = wordVolatile();
            long a = accrued(w, nowMillis());
            if (a == w || casWord(w, a)) {                    // time moved: record the accrual, see the header
                return tokens(a) / (double) MILLI;
            }
        }
    }

    /**
     * Returns how many retries this budget has refused since it was built.
     *
     * @return the number of refusals
     */
    public long refused() {
        return refused.sum();
    }

    /**
     * Returns the tokens one first attempt deposits: the ratio in force (set on the builder, or
     * the current value of the adaptive given to {@link RetryBudgetBuilder#ratio(Adaptive)}),
     * rounded to the nearest thousandth (a positive ratio deposits at least 0.001).
     *
     * @return the deposit per call
     */
    public double ratio() {
        return deposit(ratio.get()) / (double) MILLI;
    }

    /**
     * Returns the rate at which tokens accrue with time alone.
     *
     * @return tokens per second
     */
    public int minRetriesPerSecond() {
        return minRetriesPerSecond;
    }

    /**
     * Returns the most tokens the bucket holds.
     *
     * @return the capacity, in tokens
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Describes the budget and its current tokens; reading it never changes the budget.
     *
     * @return a description
     */
    @Override
    public String toString() {
        long tokens = tokens(accrued(wordVolatile(), nowMillis()));
        return "RetryBudget[tokens=" + tokens / (double) MILLI + "/" + capacity
                + ", ratio=" + ratio() + ", minRetriesPerSecond=" + minRetriesPerSecond
                + ", refused=" + refused.sum() + "]";
    }
}
