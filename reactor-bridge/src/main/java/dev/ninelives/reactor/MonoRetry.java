package dev.ninelives.reactor;

import dev.ninelives.retry.Retry;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.scheduler.Scheduler;

/** A Mono retried by a {@link Retry} policy; see {@link NineLives#retry(Retry)}. */
final class MonoRetry<T> extends MonoOperator<T, T> {

    final Retry retry;
    final RetryPlan<T> plan;

    MonoRetry(Mono<? extends T> source, Retry retry, Scheduler scheduler) {
        super(source);
        this.retry = retry;
        this.plan = new RetryPlan<>(source, retry, scheduler, true);
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}. */
    static <T> Mono<T> assemble(Mono<T> source, Retry retry, Scheduler scheduler) {
        return onAssembly(new MonoRetry<>(source, retry, scheduler));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        new MonoRetrySubscriber<>(actual, plan).start();
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, retry.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
