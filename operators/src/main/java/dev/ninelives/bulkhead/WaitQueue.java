package dev.ninelives.bulkhead;

import dev.ninelives.internal.Waiter;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The waiters of one bulkhead: many threads offer, and only the thread that holds the
 * bulkhead's drain (one at a time, handed over through its `wip` counter) polls and purges.
 *
 * A waiter that gave up stays in the structure as a dead node (Waiter.isWaiting() false) until
 * the drain polls it and skips it, or purges it. poll() returns dead and live waiters alike;
 * the drain tells them apart with Waiter.claim().
 */
abstract class WaitQueue {

    /** Adds a waiter; any thread. */
    abstract void offer(Waiter w);

    /**
     * Removes the next waiter in order, or returns null if none is visible yet (an offer still
     * in progress is seen by the drain its offerer runs next). Drain thread only.
     */
    abstract Waiter poll();

    /**
     * Removes dead waiters so that a long overload cannot grow the structure without bound.
     * Drain thread only.
     *
     * @return how many dead waiters it removed
     */
    abstract int purge();

    static WaitQueue of(Bulkhead.QueueOrder order) {
        return order == Bulkhead.QueueOrder.FIFO ? new Fifo() : new Lifo();
    }

    /*
     * FIFO: JCTools' multi-producer, single-consumer chunked array queue. Offers are one
     * getAndIncrement of the producer index plus an ordered store; chunks are pooled, so a
     * steady queue allocates nothing. Relaxed poll and peek never spin on an offer in progress.
     * Dead waiters are purged from the head; in FIFO every waiter reaches the head as permits
     * come back, and waiters time out roughly in the order they arrived.
     */
    static final class Fifo extends WaitQueue {
        private final MpscUnboundedXaddArrayQueue<Waiter> queue = new MpscUnboundedXaddArrayQueue<>(64);

        @Override
        void offer(Waiter w) {
            queue.offer(w);
        }

        @Override
        Waiter poll() {
            return queue.relaxedPoll();
        }

        @Override
        int purge() {
            int removed = 0;
            Waiter w;
            while ((w = queue.relaxedPeek()) != null && !w.isWaiting()) {
                queue.relaxedPoll();
                removed++;
            }
            return removed;
        }
    }

    /*
     * LIFO: a Treiber stack. Offers push with a CAS on `head`; the single consumer pops with a
     * CAS (it races pushes only, and a popped node is never pushed again, so there is no ABA).
     * Under overload the oldest waiters sit at the bottom and time out there, where popping
     * never reaches them, so purge() compacts the whole stack: it detaches it with one
     * getAndSet, drops the dead, and puts the live chain back below whatever was pushed
     * meanwhile (pushers only ever touch the top, so the bottom node's link is the consumer's
     * to set). The order of the live waiters is kept.
     */
    static final class Lifo extends WaitQueue {
        private static final VarHandle HEAD;

        static {
            try {
                HEAD = MethodHandles.lookup().findVarHandle(Lifo.class, "head", Node.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static final class Node {
            final Waiter waiter;
            volatile Node next;

            Node(Waiter waiter) {
                this.waiter = waiter;
            }
        }

        private volatile Node head;

        @Override
        void offer(Waiter w) {
            Node n = new Node(w);
            for (;;) {
                Node h = head;
                n.next = h;
                if (HEAD.compareAndSet(this, h, n)) {
                    return;
                }
            }
        }

        @Override
        Waiter poll() {
            for (;;) {
                Node h = head;
                if (h == null) {
                    return null;
                }
                if (HEAD.compareAndSet(this, h, h.next)) {
                    return h.waiter;
                }
                // a push won: retry from the new top
            }
        }

        @Override
        int purge() {
            Node chain = (Node) HEAD.getAndSet(this, null);
            Node keptHead = null;
            Node keptTail = null;
            int removed = 0;
            for (Node n = chain; n != null; ) {
                Node next = n.next;
                if (n.waiter.isWaiting()) {
                    n.next = null;
                    if (keptTail == null) {
                        keptHead = n;
                    } else {
                        keptTail.next = n;
                    }
                    keptTail = n;
                } else {
                    removed++;
                }
                n = next;
            }
            if (keptHead == null || HEAD.compareAndSet(this, null, keptHead)) {
                return removed;
            }
            // waiters pushed since the detach are newer: the kept ones go below them
            Node bottom = head;
            while (bottom.next != null) {
                bottom = bottom.next;
            }
            bottom.next = keptHead;
            return removed;
        }
    }
}
