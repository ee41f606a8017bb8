package dev.ninelives.reactor;

import dev.ninelives.ratelimit.RateLimiter;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.scheduler.Scheduler;

/**
 * A Flux limited by a rate limiter: one permit per subscription. See {@link NineLives#rateLimiter(RateLimiter)}.
 */
final class FluxRateLimiter<T> extends FluxOperator<T, T> {

    final RateLimiterPlan<T> plan;

    FluxRateLimiter(Flux<? extends T> source, RateLimiter limiter, Scheduler scheduler) {
        super(source);
        this.plan = new RateLimiterPlan<>(source, limiter, scheduler, false);
    }

    /** Wraps {@code source} and passes the operator through {@code Flux.onAssembly}. */
    static <T> Flux<T> assemble(Flux<T> source, RateLimiter limiter, Scheduler scheduler) {
        return onAssembly(new FluxRateLimiter<>(source, limiter, scheduler));
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        plan.subscribe(actual);
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the raw type
    public Object scanUnsafe(Attr key) {
        Object answer = OperatorScan.answer(key, Attr.RunStyle.ASYNC, plan.limiter.name());
        return answer != null ? answer : super.scanUnsafe(key);
    }
}
