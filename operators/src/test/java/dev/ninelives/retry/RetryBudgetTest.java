package dev.ninelives.retry;

import dev.ninelives.testing.Race;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The retry budget's builder, its arithmetic against a manual ticker, and plain-thread races. */
class RetryBudgetTest {

    private static final long MS = 1_000_000L;
    /** An arbitrary start that is not a whole millisecond, and negative: readings are only compared. */
    private static final long START = -7_654_321_123L;

    private final AtomicLong now = new AtomicLong(START);

    private RetryBudgetBuilder manual() {
        return RetryBudget.builder().ticker(now::get);
    }

    private static void drain(RetryBudget budget) {
        while (budget.tryAcquireRetry()) {
            // take every whole token
        }
    }

    // ---------------------------------------------------------------- builder

    @Test
    void defaults() {
        RetryBudget budget = RetryBudget.ofDefaults();
        assertThat(budget.ratio()).isEqualTo(0.2);
        assertThat(budget.minRetriesPerSecond()).isEqualTo(10);
        assertThat(budget.capacity()).isEqualTo(100);
        assertThat(budget.availableTokens()).isEqualTo(100.0);
        assertThat(budget.refused()).isZero();
        assertThat(budget).hasToString("RetryBudget[tokens=100.0/100, ratio=0.2, minRetriesPerSecond=10, refused=0]");
    }

    @Test
    void ratioMustBeFiniteAndWithinRange() {
        for (double bad : new double[] {-0.001, -1, 1000.001, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> RetryBudget.builder().ratio(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("ratio must be a finite number between 0 and 1000.0, but was " + bad);
        }
        assertThat(manual().ratio(0).build().ratio()).isZero();
        assertThat(manual().ratio(1000).build().ratio()).isEqualTo(1000.0);
    }

    @Test
    void ratioIsKeptToTheNearestThousandthAndAPositiveOneDepositsSomething() {
        assertThat(manual().ratio(0.1234).build().ratio()).isEqualTo(0.123);
        assertThat(manual().ratio(0.1236).build().ratio()).isEqualTo(0.124);
        assertThat(manual().ratio(1e-9).build().ratio()).isEqualTo(0.001);
    }

    @Test
    void minRetriesPerSecondMustBeWithinRange() {
        assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("minRetriesPerSecond must be between 0 and 10000, but was -1");
        assertThatThrownBy(() -> RetryBudget.builder().minRetriesPerSecond(RetryBudgetBuilder.MAX_MIN_RETRIES_PER_SECOND + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("minRetriesPerSecond must be between 0 and 10000, but was 10001");
        assertThat(manual().minRetriesPerSecond(0).build().minRetriesPerSecond()).isZero();
    }

    @Test
    void capacityMustBeWithinRange() {
        for (int bad : new int[] {0, -5, Integer.MIN_VALUE, RetryBudgetBuilder.MAX_CAPACITY + 1}) {
            assertThatThrownBy(() -> RetryBudget.builder().capacity(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("capacity must be between 1 and 100000, but was " + bad);
        }
        assertThat(manual().capacity(1).build().capacity()).isEqualTo(1);
        assertThat(manual().capacity(RetryBudgetBuilder.MAX_CAPACITY).build().availableTokens()).isEqualTo(100_000.0);
    }

    @Test
    void tickerMustNotBeNull() {
        assertThatThrownBy(() -> RetryBudget.builder().ticker(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("ticker must not be null");
    }

    @Test
    void theDefaultCapacityFollowsTheRateAtBuildTime() {
        assertThat(manual().minRetriesPerSecond(0).build().capacity()).isEqualTo(10);
        assertThat(manual().minRetriesPerSecond(1).build().capacity()).isEqualTo(10);
        assertThat(manual().minRetriesPerSecond(50).build().capacity()).isEqualTo(500);
        assertThat(manual().capacity(3).minRetriesPerSecond(50).build().capacity()).as("an explicit capacity wins")
                .isEqualTo(3);
        assertThat(manual().minRetriesPerSecond(RetryBudgetBuilder.MAX_MIN_RETRIES_PER_SECOND).build().capacity())
                .isEqualTo(RetryBudgetBuilder.MAX_CAPACITY);
    }

    @Test
    void reusingTheBuilderNeverChangesABuiltBudget() {
        RetryBudgetBuilder builder = manual().ratio(0.5).capacity(4);
        RetryBudget first = builder.build();
        builder.ratio(2).capacity(8).minRetriesPerSecond(0);
        assertThat(first.ratio()).isEqualTo(0.5);
        assertThat(first.capacity()).isEqualTo(4);
        assertThat(first.minRetriesPerSecond()).isEqualTo(10);
        assertThat(builder.build().capacity()).isEqualTo(8);
    }

    // ---------------------------------------------------------------- tokens

    @Test
    void startsFullAndRefusesWhenEmpty() {
        RetryBudget budget = manual().capacity(3).minRetriesPerSecond(0).build();
        assertThat(budget.availableTokens()).isEqualTo(3.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isFalse();
        assertThat(budget.tryAcquireRetry()).isFalse();
        assertThat(budget.availableTokens()).isZero();
        assertThat(budget.refused()).isEqualTo(2);
        assertThat(budget.toString()).contains("tokens=0.0/3", "refused=2");
    }

    @Test
    void eachCallDepositsTheRatioAndOnlyWholeTokensAreTaken() {
        RetryBudget budget = manual().ratio(0.2).capacity(5).minRetriesPerSecond(0).build();
        drain(budget);
        for (int i = 1; i <= 4; i++) {
            budget.onCall();
            assertThat(budget.availableTokens()).isEqualTo(i * 0.2, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(budget.tryAcquireRetry()).as("%d calls deposit less than a token", i).isFalse();
        }
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(1.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.availableTokens()).isZero();
    }

    @Test
    void fractionalDepositsAddUpExactly() {
        RetryBudget budget = manual().ratio(0.001).capacity(2).minRetriesPerSecond(0).build();
        drain(budget);
        for (int i = 0; i < 999; i++) {
            budget.onCall();
        }
        assertThat(budget.tryAcquireRetry()).isFalse();
        budget.onCall();
        assertThat(budget.tryAcquireRetry()).isTrue();
    }

    @Test
    void aRatioOfZeroDepositsNothing() {
        RetryBudget budget = manual().ratio(0).capacity(1).minRetriesPerSecond(0).build();
        drain(budget);
        for (int i = 0; i < 10_000; i++) {
            budget.onCall();
        }
        assertThat(budget.availableTokens()).isZero();
    }

    @Test
    void depositsAreCappedAtTheCapacity() {
        RetryBudget budget = manual().ratio(0.7).capacity(2).minRetriesPerSecond(0).build();
        budget.tryAcquireRetry();
        budget.onCall();
        budget.onCall();                                     // 1 + 1.4 > 2
        assertThat(budget.availableTokens()).isEqualTo(2.0);
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(2.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).as("the excess was not kept").isFalse();
    }

    @Test
    void aLargeRatioFillsTheBucketInOneCall() {
        RetryBudget budget = manual().ratio(1000).capacity(RetryBudgetBuilder.MAX_CAPACITY).minRetriesPerSecond(0).build();
        drain(budget);
        for (int i = 0; i < 100; i++) {
            budget.onCall();
        }
        assertThat(budget.availableTokens()).isEqualTo(100_000.0);
    }

    // ---------------------------------------------------------------- time

    @Test
    void tokensAccrueWithTimeExactly() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(10).capacity(10).build();
        drain(budget);
        now.addAndGet(99 * MS);
        assertThat(budget.availableTokens()).isEqualTo(0.99);
        assertThat(budget.tryAcquireRetry()).isFalse();
        now.addAndGet(MS);
        assertThat(budget.tryAcquireRetry()).as("100 ms at 10 a second is one token").isTrue();
        assertThat(budget.availableTokens()).isZero();
        now.addAndGet(350 * MS);
        assertThat(budget.availableTokens()).isEqualTo(3.5);
    }

    @Test
    void manySmallStepsAddUpWithoutLoss() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(1).capacity(5).build();
        drain(budget);
        for (int i = 0; i < 3000; i++) {                     // 3000 steps of 0.333333 ms: 999.999 ms
            now.addAndGet(333_333L);
            assertThat(budget.tryAcquireRetry()).isFalse();  // each step reads, so each step accrues
        }
        assertThat(budget.availableTokens()).isEqualTo(0.999);
        now.addAndGet(1_000L);                               // the sub-millisecond parts were carried
        assertThat(budget.tryAcquireRetry()).as("a whole second has passed").isTrue();
        for (int i = 0; i < 1_000_000; i++) {                // a million steps of 1 us, read every 1000th
            now.addAndGet(1_000L);
            if (i % 1000 == 999) {
                budget.availableTokens();
            }
        }
        assertThat(budget.availableTokens()).isEqualTo(1.0);
    }

    @Test
    void manySmallStepsAtARateThatDividesNoMillisecondAddUp() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(7).capacity(100).build();
        drain(budget);
        for (int i = 0; i < 10_000; i++) {                   // 10,000 steps of 0.7 ms: 7 s
            now.addAndGet(700_000L);
            budget.availableTokens();
        }
        assertThat(budget.availableTokens()).isEqualTo(49.0);
    }

    @Test
    void accrualStopsAtTheCapacityAndThenTimeStartsAgainFromTheLastTake() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(10).capacity(2).build();
        drain(budget);
        now.addAndGet(60_000 * MS);                          // a quiet minute: capped at 2, not 600
        assertThat(budget.availableTokens()).isEqualTo(2.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.tryAcquireRetry()).isFalse();
        now.addAndGet(50 * MS);
        assertThat(budget.availableTokens()).as("the minute is not owed again").isEqualTo(0.5);
    }

    @Test
    void timeSpentFullIsNotOwedLater() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(10).capacity(2).build();
        now.addAndGet(10_000 * MS);
        assertThat(budget.availableTokens()).isEqualTo(2.0); // a read of a full bucket moves its time
        assertThat(budget.tryAcquireRetry()).isTrue();
        assertThat(budget.availableTokens()).isEqualTo(1.0);
    }

    @Test
    void depositsAndAccrualAddUp() {
        RetryBudget budget = manual().ratio(0.25).minRetriesPerSecond(4).capacity(10).build();
        drain(budget);
        budget.onCall();
        now.addAndGet(125 * MS);                             // 0.5
        budget.onCall();
        assertThat(budget.availableTokens()).isEqualTo(1.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
    }

    @Test
    void aQuietYearRefillsTheBucket() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(1).capacity(50).build();
        drain(budget);
        now.addAndGet(365L * 24 * 3600 * 1000 * MS);
        assertThat(budget.availableTokens()).isEqualTo(50.0);
    }

    @Test
    void theTimeFieldWrapsSeamlessly() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(10).capacity(10).build();
        long quarter = (1L << 35) * MS;                      // the time field holds 2^37 ms
        for (int i = 0; i < 4; i++) {                        // touched every 2^35 ms (a year and a bit)
            now.addAndGet(i < 3 ? quarter : quarter - 500 * MS);
            assertThat(budget.availableTokens()).isEqualTo(10.0);
        }
        drain(budget);                                       // half a second before the field wraps
        now.addAndGet(700 * MS);                             // across the wrap
        assertThat(budget.availableTokens()).isEqualTo(7.0);
        now.addAndGet(100 * MS);
        assertThat(budget.availableTokens()).isEqualTo(8.0);
    }

    @Test
    void aTickerThatGoesBackAccruesNothingAndLosesNoTime() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(10).capacity(10).build();
        drain(budget);
        now.addAndGet(300 * MS);
        assertThat(budget.availableTokens()).isEqualTo(3.0);
        now.addAndGet(-200 * MS);
        assertThat(budget.availableTokens()).isEqualTo(3.0);
        assertThat(budget.tryAcquireRetry()).isTrue();
        now.addAndGet(250 * MS);                             // 50 ms past the latest reading
        assertThat(budget.availableTokens()).as("accrual resumes from the latest reading").isEqualTo(2.5);
    }

    @Test
    void noRateMeansNoAccrual() {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(0).capacity(5).build();
        drain(budget);
        now.addAndGet(3_600_000 * MS);
        assertThat(budget.availableTokens()).isZero();
        assertThat(budget.tryAcquireRetry()).isFalse();
    }

    /**
     * Without a ticker of its own, a budget accrues by the system clock. Checked by what it
     * holds, not by waiting for real time to pass: the accrual itself is tested above with a
     * manual ticker.
     */
    @Test
    void theDefaultTickerIsTheSystemClock() throws ReflectiveOperationException {
        java.lang.reflect.Field ticker = RetryBudget.class.getDeclaredField("ticker");
        ticker.setAccessible(true);
        assertThat(ticker.get(RetryBudget.builder().build())).isSameAs(dev.ninelives.core.Ticker.system());
        assertThat(ticker.get(RetryBudget.ofDefaults())).isSameAs(dev.ninelives.core.Ticker.system());
    }

    // ---------------------------------------------------------------- races

    /**
     * Guards against lost or doubled takes: racing acquirers of a full bucket with no deposits and
     * no time get exactly its capacity between them, and every other attempt is counted refused.
     */
    @RepeatedTest(10)
    void racingAcquirersTakeExactlyTheCapacity() throws Exception {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(0).capacity(1000).build();
        AtomicLong granted = new AtomicLong();
        Race.run(4, id -> {
            for (int i = 0; i < 2000; i++) {
                if (budget.tryAcquireRetry()) {
                    granted.incrementAndGet();
                }
            }
        });
        assertThat(granted).hasValue(1000);
        assertThat(budget.refused()).isEqualTo(8000 - 1000);
        assertThat(budget.availableTokens()).isZero();
    }

    /**
     * Guards against a deposit lost to a racing take or deposit (a CAS retried with a stale word,
     * or a plain read-modify-write): each thread deposits a whole token in four quarters and then
     * takes one, so every take must succeed, and the bucket must end empty. A single lost quarter
     * shows up as a refusal or a leftover.
     */
    @RepeatedTest(10)
    void racingDepositsAndTakesConserveTokens() throws Exception {
        RetryBudget budget = manual().ratio(0.25).minRetriesPerSecond(0).capacity(100).build();
        drain(budget);
        long drainRefusal = budget.refused();
        AtomicLong granted = new AtomicLong();
        Race.run(4, id -> {
            for (int i = 0; i < 5000; i++) {
                budget.onCall();
                budget.onCall();
                budget.onCall();
                budget.onCall();
                if (budget.tryAcquireRetry()) {
                    granted.incrementAndGet();
                }
            }
        });
        assertThat(budget.refused()).isEqualTo(drainRefusal);
        assertThat(granted).hasValue(20_000);
        assertThat(budget.availableTokens()).isZero();
    }

    /**
     * Guards against time accrued twice (two racing accruals that both add the same interval) or
     * lost (an accrual whose time is overwritten by a stale one): while one thread moves the
     * ticker in steps of 0.7 ms, three take and read; the tokens taken plus those left must equal
     * exactly what the elapsed whole milliseconds accrue, since the bucket never reaches its cap.
     */
    @RepeatedTest(10)
    void racingAccrualsCountEveryMillisecondOnce() throws Exception {
        RetryBudget budget = manual().ratio(0).minRetriesPerSecond(1000).capacity(RetryBudgetBuilder.MAX_CAPACITY).build();
        drain(budget);
        long before = now.get();
        AtomicLong granted = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        int steps = 20_000;
        Race.run(4, id -> {
            if (id == 0) {
                for (int i = 0; i < steps; i++) {
                    now.addAndGet(700_000L);
                }
                done.set(true);
                return;
            }
            while (!done.get()) {
                if (budget.tryAcquireRetry()) {
                    granted.incrementAndGet();
                }
                if (id == 1) {
                    budget.availableTokens();
                }
            }
        });
        long elapsedMillis = Math.floorDiv(now.get() - START, MS) - Math.floorDiv(before - START, MS);
        assertThat(elapsedMillis).isEqualTo(14_000);
        assertThat(granted.get() + budget.availableTokens()).as("1 token a millisecond, each counted once")
                .isEqualTo(14_000.0);
    }

    /**
     * Guards against a budget that, under contention, grants more than it holds: several policies
     * deposit, retry and read while time moves, and the retries granted never exceed the initial
     * capacity plus the deposits plus the accrual.
     */
    @RepeatedTest(10)
    void grantedRetriesNeverExceedWhatWasPutIn() throws Exception {
        RetryBudget budget = manual().ratio(0.2).minRetriesPerSecond(10).capacity(20).build();
        AtomicLong calls = new AtomicLong();
        AtomicLong granted = new AtomicLong();
        long before = now.get();
        Race.run(4, id -> {
            for (int i = 0; i < 10_000; i++) {
                if (id == 0 && i % 10 == 0) {
                    now.addAndGet(300_000L);                 // 0.3 ms every 10th round: 300 ms in all
                }
                budget.onCall();
                calls.incrementAndGet();
                for (int retry = 0; retry < 3 && budget.tryAcquireRetry(); retry++) {
                    granted.incrementAndGet();
                }
            }
        });
        double accrual = Math.floorDiv(now.get() - before, MS) * 10 / 1000.0;
        double putIn = 20 + calls.get() * 0.2 + accrual;
        assertThat(granted.get() + budget.availableTokens()).isLessThanOrEqualTo(putIn + 1e-9);
        assertThat(granted.get()).as("most deposits were taken").isGreaterThan(calls.get() / 10);
    }
}
