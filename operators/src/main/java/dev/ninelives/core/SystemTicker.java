package dev.ninelives.core;

/** The {@link System#nanoTime()} ticker; an enum so that it is a serializable singleton. */
enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long read() {
        return System.nanoTime();
    }

    @Override
    public String toString() {
        return "Ticker.system()";
    }
}
