package dev.ninelives.reactor;

import dev.ninelives.internal.Guard;
import reactor.core.scheduler.Scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;

/*
 * The timeouts of one duration on one Scheduler, shared by every call that uses them: one
 * scheduled task at a time, for the oldest live deadline, instead of a task per call.
 *
 * Why. A task per call (what Reactor's timeout(Duration) does, through Mono.delay) costs a lock
 * and a heap insert in the Scheduler's executor, often a wake-up of its worker, a second lock to
 * remove the task when the call ends first, and a few hundred bytes of task objects; nearly every
 * call ends first. Every timeout of one duration expires in the order the calls arrived, so the
 * oldest live entry's deadline is the only one a timer needs to wait for, as the bulkhead's
 * WaitTimer does for waiters.
 *
 * Entries live in chunks. A chunk is an array of CAPACITY slots and a claim counter; the
 * timer's `tail` is the chunk arrivals claim slots in. Arming an entry is one getAndAdd on the
 * tail's counter, plain writes of the entry's deadline and position, and a release store of the
 * entry into its slot. An entry that ends first (the common case) writes DONE over its slot with
 * one plain store: the timer no longer holds the call, only 4 bytes of a chunk (compressed oops),
 * and nothing is allocated per call but that share of a chunk. A linked list of nodes, as
 * WaitTimer keeps, would hold a 32-byte node per call until its deadline.
 *
 * Memory. The task sleeps at most an eighth of the timeout (sweepNanos), so the chunks of calls
 * that ended are let go within that time, behind the oldest call still running: the list is in
 * arrival order, so a call that runs long keeps the chunks after it until it ends or times out
 * (4 bytes per later call). A chunk the task is done with is left pointing to itself, not to the
 * next one: a dead chunk that reached the old generation would otherwise keep every later chunk
 * alive through young collections until the next marking (the nepotism of linked queues). Both
 * were measured with JMH at ten million calls a second: young pauses went from 60-150 ms, copying
 * 30-40 MB of chunks, to 1-6 ms.
 *
 * Protocol. Arrivals are any threads. The consumer is the task and only the task: it owns
 * `head` and `pos` (the next slot to look at) while the timer is armed, and the armed flag
 * hands that ownership from a task to the next one (or to the arrival that arms an idle timer:
 * the Scheduler's hand-off orders what one run wrote before the next run). A run reads the
 * clock, walks the slots from `pos`: DONE is skipped; an entry whose deadline has passed is
 * expired; the first entry still in time ends the walk and the task is scheduled again for its
 * deadline (or the next sweep, if that comes first). A slot that is claimed but still empty is an arrival between its claim and its store
 * (a few instructions, unless its thread is preempted there): its deadline is about now plus the
 * timeout or later, and so is every deadline after it, so the run stops there and looks again
 * a little later (at most a millisecond) rather than spin. With nothing left the task disarms,
 * then looks for arrivals once more: an arrival claims (a full fence) before it reads `armed`, the
 * task writes `armed` (volatile) before it reads the counters, so one of the two sees the other
 * and the entry is never left untimed (the classic lost wake-up).
 *
 * Expiring is the entry's business. The timer calls expired() on every entry it still finds at
 * its deadline; an entry that ended at the same moment decides the race with its own state (one
 * CAS), so an expiry after the end is a no-op. Disarming only lets the call be collected early.
 *
 * Order. The deadlines of one timer come in arrival order only as far as the clock readings and
 * the claims of two racing arrivals agree; the later of two swapped entries, or an entry armed
 * with an explicit deadline a little before its arrival (a deadline fixed at subscribe, armed at
 * onSubscribe), is expired up to that difference late. Virtual time has no such races: it drives
 * every expiry exactly. Reactor's real Schedulers tell time in milliseconds
 * (System.currentTimeMillis), so a timeout there fires within a millisecond of its deadline.
 *
 * Errors. expired() and refused() signal subscribers, and whatever they throw must not stop the
 * timer halfway (it would stay armed with nothing scheduled, and no timeout of this duration
 * would ever fire again): the run expires every entry that is due, schedules itself again or
 * disarms, and only then rethrows the first throwable, for the Scheduler to report. When the
 * Scheduler refuses the task (disposed), every entry left is refused with Reactor's rejection
 * error and the timer is retired; the registry then hands out a new one.
 *
 * Where a timer lives. `of(scheduler, nanos)` finds the timer of that pair in a small
 * copy-on-write array of weak references, so one timer serves every operator of that duration,
 * even operators assembled per call. The array holds timers weakly: an idle timer nobody
 * references is collected with its Scheduler reference (a virtual-time scheduler of a finished
 * test, say), and a new one is made when needed; an armed one is held by its scheduled task.
 */
final class TimeoutTimer implements Runnable {

    /** Slots per chunk: 4 KB of references with compressed oops. */
    static final int CAPACITY = 1024;
    /** What an entry that ended writes over its slot. */
    static final Object DONE = new Object() {
        @Override
        public String toString() {
            return "DONE";
        }
    };
    /** The longest the task sleeps in one go: a far deadline is approached in steps, so no clock overflows. */
    static final long MAX_DELAY_NANOS = 1L << 50;
    /** How soon the task looks again at a slot that was claimed and not yet filled. */
    static final long IN_FLIGHT_DELAY_NANOS = 1_000_000L;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle CLAIMED;
    private static final VarHandle NEXT;
    private static final VarHandle TAIL;
    private static final VarHandle ARMED;
    private static final VarHandle TIMERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CLAIMED = l.findVarHandle(Chunk.class, "claimed", int.class);
            NEXT = l.findVarHandle(Chunk.class, "next", Chunk.class);
            TAIL = l.findVarHandle(TimeoutTimer.class, "tail", Chunk.class);
            ARMED = l.findVarHandle(TimeoutTimer.class, "armed", int.class);
            TIMERS = l.findStaticVarHandle(TimeoutTimer.class, "timers", TimerRef[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Something a timer times: a call, or one stage of a call. The timer calls {@link #expired()}
     * at its deadline unless the entry was disarmed ({@link TimeoutTimer#disarm}) before the timer
     * got there; an entry that ends at the same moment as its deadline sees both, so it must decide
     * between them itself (a CAS on its own state) and make {@code expired()} a no-op once it
     * ended. An entry is armed at most once.
     *
     * <p>An interface, not a class with the three fields, so that a subscriber which already
     * extends another class (a fused pipeline's, which is the timer entry of its first attempt)
     * can be an entry without an object of its own; each implementation keeps the slots, the
     * index and the deadline that {@link #armed} hands it.
     */
    interface Entry {
        /**
         * The timer holds this entry in {@code slots[index]} until {@code deadline}. Called once,
         * by {@link #arm}, on the arming thread, before the entry is published to the timer's task.
         *
         * @param slots    the slots of the chunk that holds the entry
         * @param index    its slot in them
         * @param deadline its deadline on the timer's Scheduler clock, in nanoseconds
         */
        void armed(Object[] slots, int index, long deadline);

        /**
         * The deadline given to {@link #armed}.
         *
         * @return the deadline on the timer's Scheduler clock, in nanoseconds
         */
        long deadline();

        /**
         * The deadline passed. Runs on the timer's task (a Scheduler thread), at most once.
         * Whatever it throws is rethrown to the Scheduler once the timer is whole again.
         */
        void expired();

        /**
         * The Scheduler refused to run the timer (it is disposed), so this entry cannot be timed;
         * instead of {@link #expired()}, at most once, on the thread that found out.
         *
         * @param rejected what the Scheduler threw
         */
        void refused(Throwable rejected);
    }

    /**
     * Lets the timer forget the entry armed in {@code slots[index]}: one plain store. Harmless
     * before the entry is armed ({@code slots} null: nothing to forget) and after the timer passed
     * it. The timer may still call {@link Entry#expired()} if it had already read the slot.
     *
     * @param slots the slots the entry was armed in, or null if it was not armed
     * @param index its slot
     */
    static void disarm(Object[] slots, int index) {
        if (slots != null) {
            slots[index] = DONE;
        }
    }

    /** A run of slots, and the claim counter that hands them out. */
    static final class Chunk {
        final Object[] slots = new Object[CAPACITY];
        volatile int claimed;
        volatile Chunk next;
    }

    final Scheduler scheduler;
    final long timeoutNanos;
    /** The longest the task sleeps, so that it drops the chunks of calls that ended: an eighth of the timeout. */
    final long sweepNanos;
    private volatile Chunk tail;
    private volatile int armed;
    /** Set once the Scheduler refused the task: the registry replaces this timer. */
    volatile boolean retired;
    // the consumer's position: only the armed task touches these
    private Chunk head;
    private int pos;

    TimeoutTimer(Scheduler scheduler, long timeoutNanos) {
        this.scheduler = scheduler;
        this.timeoutNanos = timeoutNanos;
        this.sweepNanos = Math.min(MAX_DELAY_NANOS, Math.max(timeoutNanos / 8, Math.min(timeoutNanos, 1_000_000L)));
        Chunk first = new Chunk();
        this.head = first;
        this.tail = first;
    }

    // ------------------------------------------------------------------ registry

    /**
     * A registry entry: the timer, weakly, with its duration to compare before dereferencing.
     * The Scheduler is compared through the timer, so the registry never holds it strongly.
     */
    private static final class TimerRef extends WeakReference<TimeoutTimer> {
        final long nanos;

        TimerRef(TimeoutTimer t) {
            super(t);
            this.nanos = t.timeoutNanos;
        }
    }

    private static volatile TimerRef[] timers = new TimerRef[0];

    /**
     * Returns the shared timer for timeouts of {@code timeoutNanos} on {@code scheduler}, making
     * it if there is none (or only a retired one).
     *
     * @param scheduler    the Scheduler whose clock and threads time the entries
     * @param timeoutNanos the duration every entry of the timer waits, in nanoseconds, positive
     * @return the timer
     */
    static TimeoutTimer of(Scheduler scheduler, long timeoutNanos) {
        TimeoutTimer made = null;
        for (;;) {
            TimerRef[] current = timers;
            for (TimerRef r : current) {
                if (r.nanos == timeoutNanos) {
                    TimeoutTimer t = r.get();
                    if (t != null && t.scheduler == scheduler && !t.retired) {
                        return t;
                    }
                }
            }
            if (made == null) {
                made = new TimeoutTimer(scheduler, timeoutNanos);
            }
            if (TIMERS.compareAndSet(current, withLive(current, made))) {
                return made;
            }
        }
    }

    /** A copy of {@code refs} without collected or retired timers, with {@code added} at the end. */
    private static TimerRef[] withLive(TimerRef[] refs, TimeoutTimer added) {
        int live = 0;
        TimerRef[] copy = new TimerRef[refs.length + 1];
        for (TimerRef r : refs) {
            TimeoutTimer t = r.get();
            if (t != null && !t.retired) {
                copy[live++] = r;
            }
        }
        copy[live++] = new TimerRef(added);
        return live == copy.length ? copy : java.util.Arrays.copyOf(copy, live);
    }

    /** How many timers the registry holds, collected ones included; for tests. */
    static int registered() {
        return timers.length;
    }

    // ------------------------------------------------------------------ arrivals

    /**
     * Times {@code e}: {@link Entry#expired()} runs once {@code deadline} has passed on the
     * Scheduler's clock, unless {@code e} is disarmed first. The deadline should be about
     * {@code now + timeoutNanos} (see the class comment on order). If the Scheduler refuses to run
     * the timer, {@code e} (and every other entry waiting on this timer) is refused at once, on
     * this thread, through {@link Entry#refused(Throwable)}.
     *
     * @param e        the entry, never armed before
     * @param deadline its deadline on {@code scheduler.now(NANOSECONDS)}
     */
    void arm(Entry e, long deadline) {
        for (;;) {
            Chunk c = tail;
            int i = (int) CLAIMED.getAndAdd(c, 1);
            if (i < CAPACITY) {
                e.armed(c.slots, i, deadline);
                SLOT.setRelease(c.slots, i, e);          // publishes the entry's fields to the task
                break;
            }
            advance(c);
        }
        if (armed == 0 && ARMED.compareAndSet(this, 0, 1)) {
            long delay;
            try {
                delay = Math.max(0L, deadline - scheduler.now(TimeUnit.NANOSECONDS));
                scheduler.schedule(this, Math.min(delay, sweepNanos), TimeUnit.NANOSECONDS);
            } catch (Throwable rejected) {
                // armed, so this thread is the consumer now, and no task runs: refuse them all
                Throwable failure = first(fatalOrNull(rejected), refuseAll(rejected));
                if (failure != null) {
                    throw TimeoutTimer.<RuntimeException>rethrow(failure);
                }
            }
        }
    }

    /** The chunk {@code c} is full: link the next one (whoever gets there first) and move the tail on. */
    private void advance(Chunk c) {
        Chunk n = c.next;
        if (n == c) {
            return;                                         // unlinked by the task, which moved the tail on first
        }
        if (n == null) {
            Chunk fresh = new Chunk();
            n = (Chunk) NEXT.compareAndExchange(c, (Chunk) null, fresh);
            if (n == null) {
                n = fresh;
            }
        }
        TAIL.compareAndSet(this, c, n);
    }

    // ------------------------------------------------------------------ the task

    @Override
    public void run() {
        Throwable failure = null;
        for (;;) {
            long now = scheduler.now(TimeUnit.NANOSECONDS);
            long wait = -1L;                                // -1: nothing left to time
            Chunk c = head;
            int i = pos;
            for (;;) {
                if (i == CAPACITY) {
                    Chunk n = c.next;
                    if (n == null) {
                        if (c.claimed > CAPACITY) {
                            wait = Math.min(timeoutNanos, IN_FLIGHT_DELAY_NANOS);  // the next chunk is being linked
                        }
                        break;
                    }
                    c = unlink(c, n);
                    i = 0;
                    continue;
                }
                Object o = SLOT.getAcquire(c.slots, i);
                if (o == null) {
                    if (i < c.claimed) {
                        wait = Math.min(timeoutNanos, IN_FLIGHT_DELAY_NANOS);      // claimed, not yet stored
                    }
                    break;
                }
                if (o != DONE) {
                    Entry e = (Entry) o;
                    long due = e.deadline();
                    if (due > now) {
                        wait = due - now;            // the oldest live entry: time the next run by it
                        break;
                    }
                    try {
                        e.expired();
                    } catch (Throwable t) {
                        failure = first(failure, t);        // that entry is signalled; time the others first
                    }
                }
                i++;
            }
            head = c;
            pos = i;
            if (wait >= 0) {
                try {
                    scheduler.schedule(this, Math.min(wait, sweepNanos), TimeUnit.NANOSECONDS);
                } catch (Throwable rejected) {
                    failure = first(first(failure, fatalOrNull(rejected)), refuseAll(rejected));
                }
                break;
            }
            armed = 0;
            if (!pending() || !ARMED.compareAndSet(this, 0, 1)) {
                break;                                      // nothing new, or a newcomer armed the timer itself
            }
        }
        if (failure != null) {
            throw TimeoutTimer.<RuntimeException>rethrow(failure);   // the timer is whole: re-armed or idle
        }
    }

    /**
     * The task is done with the full chunk {@code c} and moves on to {@code n}. {@code c} is
     * left pointing to itself: a chunk that was promoted to the old generation and died there
     * would otherwise keep every chunk after it alive through young collections until the next
     * marking (the "nepotism" of linked queues), and at a few million calls a second that is
     * tens of megabytes copied per young collection. The tail is moved off {@code c} first, so
     * an arrival that still holds {@code c} finds the tail moved on when it re-reads it.
     */
    private Chunk unlink(Chunk c, Chunk n) {
        TAIL.compareAndSet(this, c, n);
        NEXT.setRelease(c, c);
        return n;
    }

    /** Whether a slot was claimed past the consumer's position. */
    private boolean pending() {
        Chunk c = head;
        int i = pos;
        return i < CAPACITY ? c.claimed > i : c.next != null || c.claimed > CAPACITY;
    }

    /**
     * The Scheduler refused the task: no entry left here can be timed, so each is refused now.
     * Called by the consumer, with the timer armed; retires the timer and returns it disarmed,
     * with the first throwable an entry threw (after refusing all of them), or null. An entry
     * between its claim and its store is waited for, in a plain loop: it is a few instructions
     * away (no Thread.onSpinWait or yield, which BlockHound counts as blocking), and only a
     * refusal, when the Scheduler is gone, ever waits.
     */
    private Throwable refuseAll(Throwable rejected) {
        retired = true;
        Throwable failure = null;
        for (;;) {
            Chunk c = head;
            int i = pos;
            for (;;) {
                if (i == CAPACITY) {
                    Chunk n = c.next;
                    if (n == null) {
                        if (c.claimed > CAPACITY) {
                            continue;                      // the next chunk is being linked: a few instructions away
                        }
                        break;
                    }
                    c = unlink(c, n);
                    i = 0;
                    continue;
                }
                Object o = SLOT.getAcquire(c.slots, i);
                if (o == null) {
                    if (i < c.claimed) {
                        continue;                          // claimed, not yet stored: a few instructions away
                    }
                    break;
                }
                if (o != DONE) {
                    try {
                        ((Entry) o).refused(rejected);
                    } catch (Throwable t) {
                        failure = first(failure, t);
                    }
                }
                i++;
            }
            head = c;
            pos = i;
            armed = 0;
            if (!pending() || !ARMED.compareAndSet(this, 0, 1)) {
                return failure;
            }
        }
    }

    /** A Scheduler's refusal is signalled to the entries; only a JVM-fatal one propagates too. */
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

    /**
     * Counts the entries the timer still holds (slots past its position that hold an entry, not
     * DONE). For tests, on a quiet timer: it reads the consumer's position without owning it.
     */
    int heldEntries() {
        int held = 0;
        Chunk c = head;
        int i = pos;
        for (;;) {
            if (i == CAPACITY) {
                c = c.next;
                if (c == null) {
                    return held;
                }
                i = 0;
                continue;
            }
            Object o = SLOT.getAcquire(c.slots, i);
            if (o == null) {
                return held;
            }
            if (o != DONE) {
                held++;
            }
            i++;
        }
    }

    /** The chunk the task looks at; for tests. */
    Chunk head() {
        return head;
    }

    /** Whether a task is scheduled or running; for tests. */
    boolean isArmed() {
        return armed != 0;
    }

    @Override
    public String toString() {
        return "TimeoutTimer[" + TimeoutExceededException.format(java.time.Duration.ofNanos(timeoutNanos)) + " on " + scheduler + "]";
    }
}
