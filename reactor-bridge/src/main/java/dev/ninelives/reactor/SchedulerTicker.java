package dev.ninelives.reactor;

import dev.ninelives.core.Ticker;
import reactor.core.scheduler.Schedulers;

import java.util.concurrent.TimeUnit;

/** Reads {@code Schedulers.parallel()} at each call, so a virtual-time scheduler installed later is seen. */
enum SchedulerTicker implements Ticker {
    INSTANCE;

    @Override
    public long read() {
        return Schedulers.parallel().now(TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        return "NineLives.schedulerTicker()";
    }
}
