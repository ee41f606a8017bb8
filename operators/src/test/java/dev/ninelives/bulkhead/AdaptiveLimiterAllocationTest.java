package dev.ninelives.bulkhead;

import dev.ninelives.testing.Allocations;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive limit's record path allocates nothing per sample: only a window close allocates
 * (the next window). Counted with the thread's allocated-bytes counter, no timing; the bound is
 * below one byte per sample, as in the other allocation checks (a per-sample object would be 16
 * bytes or more each).
 */
class AdaptiveLimiterAllocationTest {

    @Test
    void recordingASampleAllocatesNothingAndAWindowCloseOneWindow() throws ReflectiveOperationException {
        ManualTicker ticker = new ManualTicker();
        Allocations allocations = new Allocations();
        LockFreeBulkhead open = (LockFreeBulkhead) Bulkhead.builder("open").ticker(ticker)
                .adaptiveLimit(AdaptiveLimit.aimd().windowSize(AdaptiveLimit.MAX_WINDOW_SIZE).windowDuration(Duration.ofDays(1)))
                .build();
        AdaptiveLimiter limiter = open.limiter();
        long bytes = allocations.during(4_000, () -> limiter.record(ticker.read() - 1_000L, false));
        assertThat(bytes).as("bytes for 4000 samples in one open window (below one per sample: the counter's and the JIT's noise)")
                .isLessThan(4_000);

        LockFreeBulkhead closing = (LockFreeBulkhead) Bulkhead.builder("closing").ticker(ticker)
                .adaptiveLimit(AdaptiveLimit.aimd().windowSize(100)).build();
        AdaptiveLimiter closer = closing.limiter();
        long closing100 = allocations.during(10_000, () -> closer.record(ticker.read() - 1_000L, false));
        assertThat(closing100).as("bytes for 10000 samples in windows of 100: one next window per close, not per sample")
                .isLessThan(10_000);
    }
}
