package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadEvent;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadMetrics;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared pieces of the bulkhead tests: a hand-driven source, an event recorder, a scheduler that counts its timeouts. */
final class BulkheadTestSupport {

    private BulkheadTestSupport() {
    }

    /** Asserts that every permit came back and nobody waits: nothing leaked, nothing returned twice. */
    static void assertAllPermitsBack(Bulkhead b) {
        BulkheadMetrics m = b.metrics();
        assertThat(m.inFlight()).as("in flight: %s", m).isZero();
        assertThat(m.queued()).as("queued: %s", m).isZero();
        assertThat(m.availablePermits()).as("free permits: %s", m).isEqualTo(m.maxConcurrent());
    }

    static BulkheadFullException.Reason reason(Throwable e) {
        assertThat(e).isInstanceOf(BulkheadFullException.class);
        return ((BulkheadFullException) e).reason();
    }

    /**
     * A source driven by hand that keeps Mono semantics: unlike {@code TestPublisher.mono()},
     * its value and its completion are two separate steps, so a test can look between them.
     * It records how often and on which thread it was subscribed, what was requested, and a cancel.
     */
    static final class ManualSource<T> {
        final AtomicInteger subscriptions = new AtomicInteger();
        final List<Long> requests = new CopyOnWriteArrayList<>();
        volatile boolean cancelled;
        volatile String subscribedOn;
        volatile CoreSubscriber<? super T> subscriber;

        private void accept(CoreSubscriber<? super T> actual) {
            subscriptions.incrementAndGet();
            subscribedOn = Thread.currentThread().getName();
            subscriber = actual;
            actual.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requests.add(n);
                }

                @Override
                public void cancel() {
                    cancelled = true;
                }
            });
        }

        Mono<T> mono() {
            return new Mono<>() {
                @Override
                public void subscribe(CoreSubscriber<? super T> actual) {
                    accept(actual);
                }
            };
        }

        Flux<T> flux() {
            return new Flux<>() {
                @Override
                public void subscribe(CoreSubscriber<? super T> actual) {
                    accept(actual);
                }
            };
        }

        long requested() {
            return requests.stream().mapToLong(Long::longValue).reduce(0L, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
        }

        void next(T t) {
            subscriber.onNext(t);
        }

        void complete() {
            subscriber.onComplete();
        }

        void error(Throwable e) {
            subscriber.onError(e);
        }
    }

    /** Records a bulkhead's events. */
    static final class Events {
        final List<BulkheadEvent> permitted = new CopyOnWriteArrayList<>();
        final List<BulkheadEvent> rejected = new CopyOnWriteArrayList<>();
        final AtomicInteger finished = new AtomicInteger();

        Events(Bulkhead b) {
            b.onPermitted(permitted::add);
            b.onRejected(rejected::add);
            b.onFinished(e -> finished.incrementAndGet());
        }

        List<BulkheadFullException.Reason> rejections() {
            return rejected.stream().map(BulkheadEvent::reason).toList();
        }
    }

    /**
     * A scheduler that delegates to another and counts the delayed tasks (the bulkhead's wait
     * timeouts) it armed and how many of them were disposed.
     */
    static final class CountingScheduler implements Scheduler {
        final Scheduler delegate;
        final AtomicInteger armed = new AtomicInteger();
        final AtomicInteger disposed = new AtomicInteger();

        CountingScheduler(Scheduler delegate) {
            this.delegate = delegate;
        }

        @Override
        public Disposable schedule(Runnable task) {
            return delegate.schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            Disposable d = delegate.schedule(task, delay, unit);
            armed.incrementAndGet();
            return () -> {
                disposed.incrementAndGet();
                d.dispose();
            };
        }

        @Override
        public long now(TimeUnit unit) {
            return delegate.now(unit);
        }

        @Override
        public Worker createWorker() {
            return delegate.createWorker();
        }
    }

    /**
     * A scheduler that runs delayed tasks on a virtual clock and, like Reactor's own Schedulers
     * (which hand a task's throwable to {@code Schedulers.handleError}), keeps what a task throws
     * instead of letting it out. A {@link reactor.test.scheduler.VirtualTimeScheduler} does let
     * it out of {@code advanceTimeBy}, and then never runs a task again; this one keeps the
     * virtual clock usable after a timer task rethrew a listener's fatal error.
     */
    static final class ReportingScheduler implements Scheduler {
        final Scheduler delegate;
        final List<Throwable> taskErrors = new CopyOnWriteArrayList<>();

        ReportingScheduler(Scheduler delegate) {
            this.delegate = delegate;
        }

        private Runnable reporting(Runnable task) {
            return () -> {
                try {
                    task.run();
                } catch (Throwable t) {
                    taskErrors.add(t);
                }
            };
        }

        @Override
        public Disposable schedule(Runnable task) {
            return delegate.schedule(reporting(task));
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return delegate.schedule(reporting(task), delay, unit);
        }

        @Override
        public long now(TimeUnit unit) {
            return delegate.now(unit);
        }

        @Override
        public Worker createWorker() {
            return delegate.createWorker();
        }
    }

    /** Runs {@code action} and returns what it threw, or null. */
    static Throwable thrownBy(Runnable action) {
        try {
            action.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** A downstream subscriber that keeps its Subscription (for Scannable and cancel), requests {@code initialRequest} at first, and records what it gets. */
    static class Capturing<T> extends BaseSubscriber<T> {
        final List<T> values = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicInteger completions = new AtomicInteger();
        volatile Subscription subscription;
        final long initialRequest;

        Capturing(long initialRequest) {
            this.initialRequest = initialRequest;
        }

        @Override
        protected void hookOnSubscribe(Subscription s) {
            subscription = s;
            if (initialRequest > 0) {
                request(initialRequest);
            }
        }

        @Override
        protected void hookOnNext(T value) {
            values.add(value);
        }

        @Override
        protected void hookOnComplete() {
            completions.incrementAndGet();
        }

        @Override
        protected void hookOnError(Throwable t) {
            error.set(t);
        }

        Scannable scannable() {
            return Scannable.from(subscription);
        }
    }
}
