package dev.ninelives.retry;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import dev.ninelives.testing.Race;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A budget whose ratio one thread switches between 1.0 and 0.001 while two threads deposit
 * ({@value #DEPOSITS} times) and take. The ticker never moves and the capacity is out of reach, so
 * nothing accrues and the cap never binds (90,010 tokens at most). The depositor starts once the
 * other two run, and goes on past {@value #DEPOSITS} deposits until the taker has taken
 * {@value #FEWEST_TAKES} times, so the three overlap however the threads are scheduled.: every milli-token is accounted for. Each deposit is
 * 1000 or 1 milli-tokens (the ratio before or after a change it raced), so at the end
 * {@code tokens - start + 1000 * takes} must be {@code 1000 a + b} with {@code a + b} the deposits:
 * {@code (x - deposits)} divisible by 999 and {@code a} between 0 and the deposits. Every read of
 * the tokens along the way must lie between 0 and the capacity.
 *
 * <p>Guards against a deposit lost to a racing take or change (its CAS retried with a stale word,
 * or skipped), a deposit made twice or of an amount no ratio gives (a change applied to the
 * tokens, or a deposit computed from a half-published ratio), and tokens driven negative by a
 * take racing a change (a negative count would read as a huge one through the mask, far above
 * the capacity). The ratio is not in the state word, so the test does not ask which of the two
 * ratios a racing deposit used, only that it used one of them.
 */
class AdaptiveRetryBudgetRaceTest {

    private static final int DEPOSITS = 50_000;
    /** The most deposits, should the taker lag: 90,010 tokens at most, below the capacity. */
    private static final int MOST_DEPOSITS = 90_000;
    private static final int FEWEST_TAKES = 100;
    private static final int CAPACITY = 100_000;

    @Test
    void tokensAreNeverLostNeverInventedNeverNegativeWhileTheRatioChanges() throws Exception {
        Adaptive<Double> ratio = Adaptive.of(1.0);
        RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(0).capacity(CAPACITY)
                .ticker(new ManualTicker()).build();
        for (int i = 0; i < CAPACITY - 10; i++) {
            budget.tryAcquireRetry();                  // leave 10 tokens, far from the cap
        }
        long start = Math.round(budget.availableTokens() * 1000);
        AtomicLong takes = new AtomicLong();
        AtomicLong badReads = new AtomicLong();
        AtomicBoolean depositsDone = new AtomicBoolean();
        AtomicLong deposits = new AtomicLong();
        AtomicLong changes = new AtomicLong();
        AtomicBoolean takerRuns = new AtomicBoolean();
        Race.run(3, id -> {
            if (id == 0) {
                for (int i = 0; !depositsDone.get(); i++) {
                    ratio.set(i % 2 == 0 ? 0.001 : 1.0);
                    changes.incrementAndGet();
                }
            } else if (id == 1) {
                while (!takerRuns.get() || changes.get() == 0) {
                    Thread.onSpinWait();               // start once the other two run
                }
                int i = 0;
                while (i < MOST_DEPOSITS && (i < DEPOSITS || takes.get() < FEWEST_TAKES)) {
                    budget.onCall();
                    i++;
                }
                deposits.set(i);
                depositsDone.set(true);
            } else {
                takerRuns.set(true);
                while (!depositsDone.get()) {
                    if (budget.tryAcquireRetry()) {
                        takes.incrementAndGet();
                    }
                    double t = budget.availableTokens();
                    if (t < 0 || t > CAPACITY) {
                        badReads.incrementAndGet();
                    }
                }
            }
        });
        long end = Math.round(budget.availableTokens() * 1000);
        long deposited = end - start + 1000 * takes.get();
        long calls = deposits.get();
        assertThat(badReads.get()).as("reads of the tokens outside [0, capacity]").isZero();
        assertThat(end).isBetween(0L, CAPACITY * 1000L);
        assertThat((deposited - calls) % 999).as("milli-tokens deposited %d by %d deposits of 1000 or 1", deposited, calls)
                .isZero();
        long large = (deposited - calls) / 999;
        assertThat(large).isBetween(0L, calls);
        assertThat(takes.get()).as("the taker raced the deposits").isPositive();
    }
}
