package dev.ninelives.keyed;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;

import java.time.Duration;

/** The settings the two keyed builders share, checked at the call. */
final class KeyedSettings {

    static final int DEFAULT_MAXIMUM_KEYS = 10_000;
    static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);

    final String name;
    int maximumKeys = DEFAULT_MAXIMUM_KEYS;
    Duration idle = DEFAULT_IDLE;
    Ticker ticker = Ticker.system();

    KeyedSettings(String name) {
        Check.notNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, but was '" + name + "'");
        }
        this.name = name;
    }

    void maximumKeys(int keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("maximumKeys must be at least 1, but was " + keys);
        }
        this.maximumKeys = keys;
    }

    void expireAfterIdle(Duration idle) {
        this.idle = Check.positive(idle, "expireAfterIdle");
    }

    void ticker(Ticker ticker) {
        this.ticker = Check.notNull(ticker, "ticker");
    }

    long idleNanos() {
        return Check.nanos(idle);
    }
}
