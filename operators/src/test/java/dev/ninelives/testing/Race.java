package dev.ninelives.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/** Starts plain threads together, for the race tests: no sleeps, a latch, and failures rethrown. */
public final class Race {

    private Race() {
    }

    /**
     * Runs {@code body(id)} for ids 0 to {@code threads - 1}, each on its own thread, released
     * together by a latch once all are ready; waits for all of them and rethrows the first
     * failure (an assertion inside {@code body} fails the test instead of dying with its thread).
     *
     * @param threads how many threads
     * @param body    what each thread does with its id
     * @throws Exception the first failure of a thread, or a time-out after 60 s
     */
    public static void run(int threads, IntConsumer body) throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<FutureTask<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            FutureTask<Void> task = new FutureTask<>(() -> {
                ready.countDown();
                start.await();
                body.accept(id);
                return null;
            });
            tasks.add(task);
            new Thread(task, "race-" + id).start();
        }
        ready.await();
        start.countDown();
        for (FutureTask<Void> task : tasks) {
            try {
                task.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error) {
                    throw (Error) e.getCause();
                }
                throw e;
            } catch (TimeoutException e) {
                throw new AssertionError("a racing thread did not finish within 60 s", e);
            }
        }
    }
}
