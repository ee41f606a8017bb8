package dev.ninelives.reactor;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;

/**
 * A Flux with a time limit: a timeout ({@link NineLives#timeout(Duration)}) or a deadline in its
 * Context ({@link NineLives#deadline(Duration)}). Its terminal signal ends the limit.
 */
final class FluxTimeout<T> extends FluxOperator<T, T> {

    final TimeoutPlan<T> plan;

    FluxTimeout(Flux<? extends T> source, Duration duration, TimeoutExceededException.Stage stage, Scheduler scheduler) {
        super(source);
        this.plan = new TimeoutPlan<>(source, duration, stage, scheduler, false);
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}. */
    static <T> Flux<T> assemble(Flux<T> source, Duration duration, TimeoutExceededException.Stage stage, Scheduler scheduler) {
        return onAssembly(new FluxTimeout<>(source, duration, stage, scheduler));
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
