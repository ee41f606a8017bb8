package dev.ninelives.reactor;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.util.context.Context;

/** A later attempt's subscriber, under its TimeoutSubscriber: its signals bypass the first attempt's gate. */
final class LaterAttempt<T> implements CoreSubscriber<T> {
    final TimedAttempts<T> parent;

    LaterAttempt(TimedAttempts<T> parent) {
        this.parent = parent;
    }

    @Override
    public void onSubscribe(Subscription s) {
        parent.ungatedSubscribe(s);
    }

    @Override
    public void onNext(T t) {
        parent.ungatedNext(t);
    }

    @Override
    public void onError(Throwable t) {
        parent.ungatedError(t);
    }

    @Override
    public void onComplete() {
        parent.ungatedComplete();
    }

    @Override
    public Context currentContext() {
        return parent.currentContext();
    }
}
