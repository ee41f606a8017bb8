package dev.ninelives.reactor;

import dev.ninelives.ratelimit.RateLimiter;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.core.scheduler.Scheduler;

/**
 * A Mono limited by a rate limiter: one permit per subscription. See {@link NineLives#rateLimiter(RateLimiter)}.
 */
final class MonoRateLimiter<T> extends MonoOperator<T, T> {

    final RateLimiterPlan<T> plan;

    MonoRateLimiter(Mono<? extends T> source, RateLimiter limiter, Scheduler scheduler) {
        super(source);
        this.plan = new RateLimiterPlan<>(source, limiter, scheduler, true);
    }

    /** Wraps {@code source} and passes the operator through {@code Mono.onAssembly}. */
    static <T> Mono<T> assemble(Mono<T> source, RateLimiter limiter, Scheduler scheduler) {
        return onAssembly(new MonoRateLimiter<>(source, limiter, scheduler));
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
