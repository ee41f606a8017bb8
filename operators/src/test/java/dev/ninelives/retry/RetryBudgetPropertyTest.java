package dev.ninelives.retry;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the budget against {@link RetryBudgetModel}, which keeps the tokens and the last
 * accrual in plain fields: for any ratio, rate, capacity, starting reading and sequence of
 * deposits, takes, reads and ticker moves (sub-millisecond, whole seconds, and back), the budget
 * answers exactly as the model after every step. Guards against bit-packing errors (a carry from
 * the tokens into the time field, a sign lost in the 37-bit difference), rounding that loses or
 * invents a fraction of a millisecond, and a cap applied at the wrong point.
 */
class RetryBudgetPropertyTest {

    /**
     * Steps: 0 = onCall, 1 = tryAcquireRetry, 2 = availableTokens, 3 = up to 3 ms later,
     * 4 = up to 20 s later, 5 = up to 1 ms back.
     */
    @Property(tries = 500)
    void matchesTheModel(@ForAll @IntRange(min = 0, max = 3000) int ratioMillis,
                         @ForAll @IntRange(min = 0, max = 2000) int perSecond,
                         @ForAll @IntRange(min = 1, max = 40) int capacity,
                         @ForAll @LongRange(min = -1_000_000_000_000L, max = 1_000_000_000_000L) long start,
                         @ForAll @Size(min = 1, max = 120) List<@IntRange(min = 0, max = 5) Integer> steps,
                         @ForAll @Size(value = 120) List<@LongRange(min = 0, max = 3_000_000) Long> amounts) {
        AtomicLong now = new AtomicLong(start);
        double ratio = ratioMillis / 1000.0;
        RetryBudget budget = RetryBudget.builder().ratio(ratio).minRetriesPerSecond(perSecond).capacity(capacity)
                .ticker(now::get).build();
        RetryBudgetModel model = new RetryBudgetModel(ratio, perSecond, capacity, start);
        for (int i = 0; i < steps.size(); i++) {
            long amount = amounts.get(i);
            switch (steps.get(i)) {
                case 0:
                    budget.onCall();
                    model.onCall();
                    break;
                case 1:
                    assertThat(budget.tryAcquireRetry()).as("take at step %d", i).isEqualTo(model.tryAcquireRetry(now.get()));
                    break;
                case 2:
                    break;                                           // every step reads below
                case 3:
                    now.addAndGet(amount);
                    break;
                case 4:
                    now.addAndGet(amount * 6_667L);                  // up to 20 s
                    break;
                case 5:
                    now.addAndGet(-amount / 3);                      // up to 1 ms back
                    break;
                default:
                    throw new IllegalStateException("no step " + steps.get(i));
            }
            if (steps.get(i) == 2 || i % 3 == 0) {
                assertThat(budget.availableTokens()).as("tokens after step %d", i)
                        .isEqualTo(model.availableTokens(now.get()));
            }
        }
        assertThat(budget.availableTokens()).isEqualTo(model.availableTokens(now.get()));
    }
}
