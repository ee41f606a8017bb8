package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import reactor.core.scheduler.Scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/*
 * The wait timeouts of one bulkhead on one Scheduler, shared by every operator on it: one
 * scheduled task at a time, for the oldest waiter's deadline, instead of one task per waiting
 * call.
 *
 * Why. Scheduling a task per waiter costs a lock and a heap insert in the Scheduler's executor,
 * and often a wake-up of its worker thread (the new task is the only one, so it is the first to
 * run), then a second lock to remove it when the permit comes; in a saturated bulkhead that was
 * most of the cost of waiting. Every waiter of one timer waits the same maxWait (a change of the
 * bulkhead's adaptive maxWait gets a new timer, BulkheadPlan.timer()), so deadlines come in the
 * order the waiters arrive, and the oldest live waiter's deadline is the only one a timer needs.
 *
 * Protocol. A waiter pushes a Node (its deadline, a reference to it) on `arrivals`, a Treiber
 * stack any thread pushes to; the first waiter that finds the timer idle arms it (CAS on
 * `armed`) and schedules it at its own deadline. The task is the only consumer: it takes all
 * arrivals with one getAndSet, appends them in arrival order to its own list, drops the nodes
 * whose waiter was granted or cancelled (they cleared their reference), times out every waiter
 * whose deadline has passed, and schedules itself again at the next live deadline. With nothing
 * left it disarms, then looks at `arrivals` once more: a waiter that pushed while the task was
 * still armed relied on it (the classic lost wake-up), so the task re-arms itself for it.
 * The timeout itself is the waiter's run(): the CAS from WAITING decides between it, a grant
 * and a cancel, exactly as before.
 *
 * Errors. A timeout announces a refusal to the bulkhead's listeners and may run its drain, and a
 * JVM-fatal error can come out of either (the waiter has been signalled by then). The task must
 * not stop halfway: it would stay armed with nothing scheduled, and no wait on this bulkhead
 * would ever time out again. So it times out every waiter that is due, schedules itself again
 * (or disarms), and only then rethrows the first error, for the Scheduler to report. When the
 * Scheduler refuses to schedule the timer (disposed), every waiter it holds is refused, and so
 * are the ones that arrived meanwhile relying on it; the same holds when the first schedule,
 * from add(), is refused.
 *
 * What it trades. A waiter that was granted or cancelled leaves only its node (32 bytes) behind,
 * not itself, and the node goes when the task next runs past its deadline: at most maxWait's
 * worth of nodes. Deadlines are read from the Scheduler's clock: virtual time drives them
 * exactly, but Reactor's real Schedulers tell time by System.currentTimeMillis, so a timeout
 * comes within a millisecond of maxWait, and a wall clock set back delays the timeouts due by
 * at most maxWait (each run is scheduled at most maxWait ahead). Two waiters arriving at once may
 * push in the opposite order of their deadlines; the later of the two is then timed out up to
 * that difference late.
 *
 * Measured (jmh BulkheadSaturatedBenchmark, two callers on one permit, waiting on): 963 k
 * completed calls per second against 523 k with a task per waiter, and 88 B per call against
 * 159 B; failing fast completes 952 k.
 */
final class WaitTimer implements Runnable {

    private static final VarHandle ARRIVALS;
    private static final VarHandle ARMED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ARRIVALS = l.findVarHandle(WaitTimer.class, "arrivals", Node.class);
            ARMED = l.findVarHandle(WaitTimer.class, "armed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One waiter's deadline; the waiter clears {@code waiter} once it no longer waits. */
    static final class Node {
        volatile WaitingBulkheadSubscriber<?> waiter;
        final long deadline;
        Node next;

        Node(WaitingBulkheadSubscriber<?> waiter, long deadline) {
            this.waiter = waiter;
            this.deadline = deadline;
        }
    }

    final Scheduler scheduler;
    /** The wait every waiter of this timer has: a change of the bulkhead's maxWait makes a new timer. */
    final long maxWaitNanos;
    private volatile Node arrivals;
    private volatile int armed;
    // the task's own list, in arrival order: only the armed task touches these
    private Node first;
    private Node last;

    WaitTimer(Scheduler scheduler, long maxWaitNanos) {
        this.scheduler = scheduler;
        this.maxWaitNanos = maxWaitNanos;
    }

    /**
     * Starts timing a waiter. If the Scheduler refuses to run the timer, the waiter is refused
     * at once (onError with Reactor's rejection error), and so is every other waiter that
     * arrived relying on this timer.
     *
     * @return its node, which the waiter clears once it no longer waits
     */
    Node add(WaitingBulkheadSubscriber<?> waiter) {
        long now = scheduler.now(TimeUnit.NANOSECONDS);
        long deadline = now + maxWaitNanos < now ? Long.MAX_VALUE : now + maxWaitNanos;
        Node n = new Node(waiter, deadline);
        for (;;) {
            Node h = arrivals;
            n.next = h;
            if (ARRIVALS.compareAndSet(this, h, n)) {
                break;
            }
        }
        if (armed == 0 && ARMED.compareAndSet(this, 0, 1)) {
            try {
                scheduler.schedule(this, maxWaitNanos, TimeUnit.NANOSECONDS);
            } catch (Throwable rejected) {
                // armed, so this thread is the consumer, and its list is empty: no task runs.
                // Waiters that pushed after this one found the timer armed and rely on it.
                Throwable failure = first(fatalOrNull(rejected), failAll(rejected));
                if (failure != null) {
                    throw WaitTimer.<RuntimeException>rethrow(failure);
                }
            }
        }
        return n;
    }

    @Override
    public void run() {
        Throwable failure = null;
        for (;;) {
            Node taken = (Node) ARRIVALS.getAndSet(this, null);
            if (taken != null) {
                appendInArrivalOrder(taken);
            }
            long now = scheduler.now(TimeUnit.NANOSECONDS);
            Node n;
            while ((n = first) != null) {
                WaitingBulkheadSubscriber<?> w = n.waiter;
                if (w != null && w.isWaiting()) {
                    if (n.deadline > now) {
                        break;                         // the oldest live waiter: time the next task by it
                    }
                    try {
                        w.run();                       // timed out, unless a grant or a cancel wins its CAS
                    } catch (Throwable t) {
                        failure = first(failure, t);   // the waiter is signalled; time the others first
                    }
                }
                first = n.next;
                if (first == null) {
                    last = null;
                }
            }
            if (n != null) {
                try {
                    // never more than maxWait: a live waiter arrived before now, so only a clock
                    // set back could make it longer, and then this caps how late it times out
                    scheduler.schedule(this, Math.min(n.deadline - now, maxWaitNanos), TimeUnit.NANOSECONDS);
                } catch (Throwable rejected) {
                    failure = first(first(failure, fatalOrNull(rejected)), failAll(rejected));
                }
                break;
            }
            armed = 0;
            if (arrivals == null || !ARMED.compareAndSet(this, 0, 1)) {
                break;                                 // nothing new, or a newcomer armed the timer itself
            }
        }
        if (failure != null) {
            throw WaitTimer.<RuntimeException>rethrow(failure);   // the timer is whole: re-armed or idle
        }
    }

    private void appendInArrivalOrder(Node newestFirst) {
        Node reversed = null;
        Node tail = newestFirst;
        for (Node n = newestFirst; n != null; ) {
            Node next = n.next;
            n.next = reversed;
            reversed = n;
            n = next;
        }
        if (last == null) {
            first = reversed;
        } else {
            last.next = reversed;
        }
        last = tail;
    }

    /**
     * The Scheduler refused the next run: no waiter left here can be timed, so each ends now.
     * Called by the consumer, with the timer armed; returns disarmed, with the first error a
     * refused waiter threw (after refusing all of them), or null.
     */
    private Throwable failAll(Throwable rejected) {
        Throwable failure = null;
        for (;;) {
            for (Node n = first; n != null; n = n.next) {
                WaitingBulkheadSubscriber<?> w = n.waiter;
                if (w != null) {
                    try {
                        w.refused(rejected);
                    } catch (Throwable t) {
                        failure = first(failure, t);
                    }
                }
            }
            first = null;
            last = null;
            armed = 0;
            Node taken = (Node) ARRIVALS.getAndSet(this, null);
            if (taken == null || !ARMED.compareAndSet(this, 0, 1)) {
                return failure;
            }
            appendInArrivalOrder(taken);
        }
    }

    /** A Scheduler's refusal is signalled to the waiters; only a JVM-fatal one propagates too. */
    private static Throwable fatalOrNull(Throwable rejected) {
        return Guard.isFatal(rejected) ? rejected : null;
    }

    private static Throwable first(Throwable failure, Throwable t) {
        if (failure == null) {
            return t;
        }
        if (t != null && t != failure) {
            failure.addSuppressed(t);
        }
        return failure;
    }

    /** Rethrows {@code t} as it is, checked or not. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E rethrow(Throwable t) throws E {
        throw (E) t;
    }
}
