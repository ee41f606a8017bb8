package dev.ninelives.reactor;

import dev.ninelives.internal.Check;
import reactor.core.CorePublisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a timeout or deadline operator fixes at assembly; one instance per assembled operator,
 * shared by its subscriptions.
 */
final class TimeoutPlan<T> {

    final CorePublisher<? extends T> source;
    final Duration duration;
    final long nanos;
    /**
     * {@code TIMEOUT} and {@code ATTEMPT_TIMEOUT} limit a subscription; {@code DEADLINE} and
     * {@code TOTAL_TIMEOUT} also write themselves into the Context as a {@link Deadline}.
     */
    final TimeoutExceededException.Stage stage;
    /** Whether this limit is a deadline in the Context. */
    final boolean deadline;
    /** The Scheduler of the timer, or null for {@code Schedulers.parallel()} looked up at each subscription. */
    final Scheduler scheduler;
    /** A Mono's first value ends the timeout; a Flux's terminal signal does. */
    final boolean mono;
    /**
     * The timer this operator used last. A plain field: a stale read only costs a registry
     * lookup, and TimeoutTimer's final fields make any instance read here safe to use.
     */
    private TimeoutTimer timer;

    TimeoutPlan(CorePublisher<? extends T> source, Duration duration, TimeoutExceededException.Stage stage,
                Scheduler scheduler, boolean mono) {
        this.source = source;
        this.duration = duration;
        this.nanos = Check.nanos(duration);
        this.stage = stage;
        this.deadline = stage == TimeoutExceededException.Stage.DEADLINE
                || stage == TimeoutExceededException.Stage.TOTAL_TIMEOUT;
        this.scheduler = scheduler;
        this.mono = mono;
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    /** The shared timer of this duration on {@code s}: the one used last, or the registry's. */
    TimeoutTimer timer(Scheduler s) {
        TimeoutTimer t = timer;
        if (t == null || t.scheduler != s || t.retired) {
            t = TimeoutTimer.of(s, nanos);
            timer = t;
        }
        return t;
    }

    /** The error of a subscription whose time ran out: a fresh, stackless instance. */
    TimeoutExceededException exceeded() {
        return new TimeoutExceededException(stage, duration);
    }

    /**
     * Runs one subscription. A timeout subscribes the source through a TimeoutSubscriber, whose
     * clock starts when the subscription reaches downstream. A deadline looks at the deadline the
     * Context already carries: none left, the call fails at once and the source is never
     * subscribed; a tighter one, this operator has nothing to add (the operator that set it
     * enforces it) and the source is subscribed as it is; otherwise the call gets a deadline of
     * its own, from now, in its Context.
     */
    void subscribe(CoreSubscriber<? super T> actual) {
        if (!deadline) {
            subscribeSource(new TimeoutSubscriber<>(actual, this, null, 0L));
            return;
        }
        Context context = actual.currentContext();
        Deadline outer = Deadline.in(context);
        if (outer != null) {
            long left = outer.remainingNanos();
            if (left <= 0) {
                Operators.error(actual, outer.exceeded());
                return;
            }
            if (left <= nanos) {
                try {
                    source.subscribe(actual);
                } catch (Throwable e) {
                    Operators.reportThrowInSubscribe(actual, e);
                }
                return;
            }
        }
        Deadline own = start();
        subscribeSource(new TimeoutSubscriber<>(actual, this, own.writeTo(context), own.atNanos));
    }

    /** A deadline of this stage's duration from now, on its Scheduler's clock. */
    Deadline start() {
        Scheduler s = scheduler();
        return new Deadline(s, Deadline.plus(s.now(TimeUnit.NANOSECONDS), nanos), duration, stage);
    }

    /**
     * Whether a call whose Context carries {@code outer} (or none) needs a deadline of this
     * stage's own: not when the outer one is as tight or tighter (its operator enforces it).
     */
    boolean addsTo(Deadline outer) {
        return outer == null || outer.remainingNanos() > nanos;
    }

    /** Subscribes the source; if its subscribe throws, the call still ends exactly once. */
    private void subscribeSource(TimeoutSubscriber<T> inner) {
        try {
            source.subscribe(inner);
        } catch (Throwable e) {
            inner.subscribeFailed(e);
        }
    }
}
