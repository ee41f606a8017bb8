package dev.ninelives.ratelimit;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomized schedules of acquires, cancels of any outstanding reservation and time steps, for
 * any limit, period, burst, maximum wait and starting reading. After every step the limiter
 * answers exactly as a plain GCRA model, and the permits it holds out (granted and not given
 * back) satisfy: consecutive instants at least one interval apart (no permit double-spent, no
 * two callers on one slot), and at most {@code burst + limitForPeriod} of them in any period.
 * A cancel that the model says gives the permit back does (none is lost).
 */
class RateLimiterPropertyTest {

    /** Steps: 0, 1 = acquire; 2 = cancel the outstanding reservation picked by the amount; 3 = time moves by the amount (up to 300 ms). */
    @Property(tries = 300)
    void noPermitLostOrDoubleSpent(@ForAll @IntRange(min = 1, max = 20) int limit,
                                   @ForAll @IntRange(min = 1, max = 2000) int periodMillis,
                                   @ForAll @IntRange(min = 1, max = 25) int burst,
                                   @ForAll @IntRange(min = 0, max = 3000) int maxWaitMillis,
                                   @ForAll @LongRange(min = -1_000_000_000_000L, max = 1_000_000_000_000L) long start,
                                   @ForAll @Size(min = 1, max = 150) List<@IntRange(min = 0, max = 3) Integer> steps,
                                   @ForAll @Size(value = 150) List<@LongRange(min = 0, max = 300_000_000L) Long> amounts) {
        AtomicLong now = new AtomicLong(start);
        GcraRateLimiter rl = (GcraRateLimiter) RateLimiter.builder("p").limitForPeriod(limit)
                .period(Duration.ofMillis(periodMillis)).burst(burst).maxWait(Duration.ofMillis(maxWaitMillis))
                .ticker(now::get).build();
        long interval = rl.rate().intervalNanos;
        long tolerance = rl.rate().toleranceNanos;
        long maxWait = maxWaitMillis * 1_000_000L;
        long modelLast = Long.MIN_VALUE;
        List<RateLimiter.Reservation> open = new ArrayList<>();
        List<Long> openInstants = new ArrayList<>();
        List<Long> held = new ArrayList<>();           // instants of permits granted and not given back
        for (int i = 0; i < steps.size(); i++) {
            long amount = amounts.get(i);
            long t = now.get();
            switch (steps.get(i)) {
                case 0, 1 -> {
                    long earliest = t - tolerance;
                    long next = modelLast == Long.MIN_VALUE ? earliest : Math.max(modelLast + interval, earliest);
                    boolean modelGrants = next - t <= maxWait;
                    RateLimiter.Reservation r = rl.tryAcquire();
                    assertThat(r.granted()).as("acquire at step %d", i).isEqualTo(modelGrants);
                    if (modelGrants) {
                        modelLast = next;
                        assertThat(rl.last()).isEqualTo(next);
                        assertThat(r.waitNanos()).isEqualTo(Math.max(0L, next - t));
                        open.add(r);
                        openInstants.add(next);
                        held.add(next);
                    } else {
                        assertThat(r.rejection().retryAfter()).isEqualTo(Duration.ofNanos(Math.max(0L, next - maxWait - t)));
                    }
                }
                case 2 -> {
                    if (!open.isEmpty()) {
                        int k = (int) (amount % open.size());
                        long instant = openInstants.remove(k);
                        boolean modelGivesBack = modelLast == instant;
                        assertThat(open.remove(k).cancel()).as("cancel at step %d", i).isEqualTo(modelGivesBack);
                        if (modelGivesBack) {
                            modelLast = instant - interval;
                            held.remove(Long.valueOf(instant));
                        }
                    }
                }
                default -> now.addAndGet(amount);
            }
            List<Long> sorted = new ArrayList<>(held);
            sorted.sort(null);
            for (int j = 1; j < sorted.size(); j++) {
                assertThat(sorted.get(j) - sorted.get(j - 1)).as("spacing at step %d", i).isGreaterThanOrEqualTo(interval);
            }
            long period = periodMillis * 1_000_000L;
            for (int a = 0, b = 0; a < sorted.size(); a++) {
                while (b < sorted.size() && sorted.get(b) - sorted.get(a) < period) {
                    b++;
                }
                assertThat(b - a).as("permits in one period from step %d", i).isLessThanOrEqualTo(burst + limit);
            }
        }
    }
}
