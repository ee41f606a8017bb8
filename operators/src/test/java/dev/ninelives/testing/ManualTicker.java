package dev.ninelives.testing;

import dev.ninelives.core.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker that moves only when a test says so; shared by the tests of every policy. */
public final class ManualTicker implements Ticker {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
        return now.get();
    }

    /**
     * Moves the clock forward.
     *
     * @param d how far
     */
    public void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }
}
