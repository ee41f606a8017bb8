package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;

/**
 * A Mono with a time limit: a timeout ({@link NineLives#timeout(Duration)}) or a deadline in its
 * Context ({@link NineLives#deadline(Duration)}). Its first value ends the limit.
 */
final class MonoTimeout<T> extends MonoOperator<T, T> {

    final TimeoutPlan<T> plan;

    MonoTimeout(Mono<? extends T> source, Duration duration, TimeoutExceededException.Stage stage, Scheduler scheduler) {
        super(source);
        this.plan = new TimeoutPlan<>(source, duration, stage, scheduler, true);
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}. */
    static <T> Mono<T> assemble(Mono<T> source, Duration duration, TimeoutExceededException.Stage stage, Scheduler scheduler) {
        return onAssembly(new MonoTimeout<>(source, duration, stage, scheduler));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        plan.subscribe(actual);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, plan.stage.label());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
