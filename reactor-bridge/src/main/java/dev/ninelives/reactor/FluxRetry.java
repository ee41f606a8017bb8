package dev.ninelives.reactor;

import dev.ninelives.retry.Retry;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.scheduler.Scheduler;

/** A Flux retried by a {@link Retry} policy; see {@link NineLives#retry(Retry)}. */
final class FluxRetry<T> extends FluxOperator<T, T> {

    final Retry retry;
    final RetryPlan<T> plan;

    FluxRetry(Flux<? extends T> source, Retry retry, Scheduler scheduler) {
        super(source);
        this.retry = retry;
        this.plan = new RetryPlan<>(source, retry, scheduler, false);
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}. */
    static <T> Flux<T> assemble(Flux<T> source, Retry retry, Scheduler scheduler) {
        return onAssembly(new FluxRetry<>(source, retry, scheduler));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        new FluxRetrySubscriber<>(actual, plan).start();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, retry.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
