package dev.ninelives.breaker;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Permits kept per Lincheck thread id (0 for the initial part, 1..n for the parallel threads,
 * n+1 for the post part), oldest first; each queue is only touched by the thread of its id.
 * Shared by the Lincheck tests and their sequential specifications.
 *
 * @param <P> what a permit is: the breaker's {@code long}, or a specification's own record
 */
final class HeldPermits<P> {

    /** More than any scenario uses: threads + 2. */
    static final int THREAD_IDS = 8;

    private final ArrayDeque<P>[] held;

    @SuppressWarnings("unchecked")
    HeldPermits() {
        held = new ArrayDeque[THREAD_IDS];
        for (int i = 0; i < held.length; i++) {
            held[i] = new ArrayDeque<>();
        }
    }

    void keep(int thread, P permit) {
        held[thread].addLast(permit);
    }

    /** Takes this thread's oldest permit, or null if it holds none. */
    P takeOldest(int thread) {
        return held[thread].pollFirst();
    }

    /** Ends this thread's oldest permit with {@code end}; false if it holds none. */
    boolean endOldest(int thread, Consumer<P> end) {
        P permit = takeOldest(thread);
        if (permit == null) {
            return false;
        }
        end.accept(permit);
        return true;
    }

    /** Counts the permits held by every thread that {@code filter} accepts. */
    int count(java.util.function.Predicate<P> filter) {
        int n = 0;
        for (ArrayDeque<P> permits : held) {
            for (P permit : permits) {
                if (filter.test(permit)) {
                    n++;
                }
            }
        }
        return n;
    }
}
