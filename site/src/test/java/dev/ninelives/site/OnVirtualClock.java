package dev.ninelives.site;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The tests of a page whose snippets wait (retry delays, bulkhead waits, open durations): each
 * test runs with a {@link VirtualTimeScheduler} in place of {@code Schedulers.parallel()}, so
 * every wait takes exactly the virtual time the test gives it, and none takes real time.
 */
abstract class OnVirtualClock {

    /** The virtual clock of the running test. */
    VirtualTimeScheduler clock;

    @BeforeEach
    void installVirtualClock() {
        clock = VirtualTimeScheduler.getOrSet();         // Schedulers.parallel() is now virtual
    }

    @AfterEach
    void removeVirtualClock() {
        VirtualTimeScheduler.reset();
    }
}
