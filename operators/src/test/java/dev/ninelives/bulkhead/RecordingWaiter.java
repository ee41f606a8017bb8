package dev.ninelives.bulkhead;

import dev.ninelives.internal.Waiter;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link Waiter} for the tests: the same one-CAS protocol as the Reactor bridge's waiting
 * subscriber (WAITING leaves by exactly one CAS: the bulkhead's {@link #claim()} or the caller's
 * {@link #giveUp()}), and it records what the bulkhead did to it. A protocol breach the bulkhead
 * commits (granted without a successful claim, granted twice) is recorded in
 * {@link #violation()} rather than thrown, so that it is reported by the test and not lost in a
 * drain loop.
 */
final class RecordingWaiter implements Waiter {

    static final int WAITING = 0;
    /** Claimed by the bulkhead, granted() not yet called. */
    static final int CLAIMED = 1;
    /** Holds a permit. */
    static final int GRANTED = 2;
    /** Gave up (cancel or timeout) before it was claimed. */
    static final int GONE = 3;
    /** Held a permit and gave it back. */
    static final int RELEASED = 4;
    /** Claimed, then withdrawn by the bulkhead before granted(): its call never started. */
    static final int WITHDRAWN = 5;

    private final AtomicInteger state = new AtomicInteger(WAITING);
    private final AtomicInteger claims = new AtomicInteger();
    private final AtomicInteger grants = new AtomicInteger();
    private final AtomicInteger waitingChecks = new AtomicInteger();
    private volatile String violation;
    private volatile Throwable failedWith;
    private final long queuedAt;
    private final int id;
    private final Consumer<RecordingWaiter> onGranted;
    private final Runnable onWaitingCheck;

    RecordingWaiter(int id, long queuedAt) {
        this(id, queuedAt, w -> { }, () -> { });
    }

    RecordingWaiter(int id, long queuedAt, Consumer<RecordingWaiter> onGranted, Runnable onWaitingCheck) {
        this.id = id;
        this.queuedAt = queuedAt;
        this.onGranted = onGranted;
        this.onWaitingCheck = onWaitingCheck;
    }

    @Override
    public boolean claim() {
        claims.incrementAndGet();
        return state.compareAndSet(WAITING, CLAIMED);
    }

    @Override
    public void granted() {
        if (grants.incrementAndGet() != 1) {
            violation = "waiter " + id + " granted twice";
        } else if (!state.compareAndSet(CLAIMED, GRANTED)) {
            violation = "waiter " + id + " granted in state " + state.get() + " without a successful claim";
        }
        onGranted.accept(this);
    }

    @Override
    public boolean withdraw() {
        if (!state.compareAndSet(CLAIMED, WITHDRAWN)) {
            violation = "waiter " + id + " withdrawn in state " + state.get() + " without a successful claim";
            return false;
        }
        return true;
    }

    @Override
    public void failed(Throwable error) {
        if (state.get() != WITHDRAWN || failedWith != null) {
            violation = "waiter " + id + " failed in state " + state.get() + (failedWith != null ? ", twice" : "");
        }
        failedWith = error;
    }

    @Override
    public boolean isWaiting() {
        waitingChecks.incrementAndGet();
        onWaitingCheck.run();
        return state.get() == WAITING;
    }

    @Override
    public long queuedAtNanos() {
        return queuedAt;
    }

    /** The caller gives up (cancel or timeout): true if it won the race against a claim. */
    boolean giveUp() {
        return state.compareAndSet(WAITING, GONE);
    }

    /** Marks the permit this waiter holds as returned: true if it held one. The caller then releases it. */
    boolean returnPermit() {
        return state.compareAndSet(GRANTED, RELEASED);
    }

    int id() {
        return id;
    }

    int state() {
        return state.get();
    }

    boolean wasGranted() {
        return grants.get() > 0;
    }

    int claims() {
        return claims.get();
    }

    int grants() {
        return grants.get();
    }

    int waitingChecks() {
        return waitingChecks.get();
    }

    /** The error the bulkhead ended this waiter's call with after withdrawing its permit, or null. */
    Throwable failedWith() {
        return failedWith;
    }

    String violation() {
        return violation;
    }

    @Override
    public String toString() {
        return "waiter " + id + " (state " + state.get() + ", claims " + claims.get() + ", grants " + grants.get() + ')';
    }
}
