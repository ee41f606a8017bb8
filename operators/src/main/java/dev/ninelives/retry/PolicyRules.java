package dev.ninelives.retry;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.Text;
import dev.ninelives.internal.RetryRules;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * The configuration, listeners and decisions of one {@link Retry}: everything the policy is,
 * behind the public facade. Immutable but for the listener arrays, which are copy-on-write
 * (a registration allocates; an announcement reads one volatile array), and for the two settings
 * that follow an {@link Adaptive}: the attempts and the backoff (a fixed value gets an adaptive of
 * its own at build time). The operator asks for each at most once per failed attempt, so a
 * failure reads at most one volatile per setting and a success none. They are read from the
 * adaptive itself, not copied by a listener into a field of ours: a copy could be left behind by
 * concurrent changes announced out of order, the adaptive's own value never is.
 */
final class PolicyRules extends RetryRules {

    private static final VarHandle RETRY_LISTENERS;
    private static final VarHandle EXHAUSTED_LISTENERS;
    private static final VarHandle REFUSED_LISTENERS;
    private static final VarHandle SUCCEEDED_LISTENERS;
    private static final VarHandle FAILED_LISTENERS;
    private static final Consumer<?>[] NO_LISTENERS = new Consumer<?>[0];

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RETRY_LISTENERS = l.findVarHandle(PolicyRules.class, "retryListeners", Consumer[].class);
            EXHAUSTED_LISTENERS = l.findVarHandle(PolicyRules.class, "exhaustedListeners", Consumer[].class);
            REFUSED_LISTENERS = l.findVarHandle(PolicyRules.class, "refusedListeners", Consumer[].class);
            SUCCEEDED_LISTENERS = l.findVarHandle(PolicyRules.class, "succeededListeners", Consumer[].class);
            FAILED_LISTENERS = l.findVarHandle(PolicyRules.class, "failedListeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Consumer<Adaptive.Change<Integer>> FOLLOWS_BY_READING = change -> { };

    final String name;
    final Adaptive<Integer> maxAttempts;
    /** The backoff in force; null when {@link #delayFunction} computes the delays. */
    final Adaptive<Backoff> backoff;
    final BiFunction<Integer, Throwable, Duration> delayFunction;
    final Jitter jitter;
    final double jitterFactor;
    final RandomGenerator random;
    final Predicate<? super Throwable> retryIf;
    final boolean retryOnCallNotPermitted;
    final Class<?> resultType;
    final Predicate<Object> retryOnResult;
    final long deadlineNanos;
    final RetryBudget budget;
    final boolean exhaustedException;
    final boolean retryAfterElements;
    final boolean resetOnElement;
    final Ticker ticker;
    /** Whether the attempts and the backoff follow an adaptive the user gave (true) or one of the policy's own. */
    final boolean maxAttemptsShared;
    final boolean backoffShared;
    /** Its binding to the adaptive attempts, released when a registry lets go of the policy. */
    final Bindings bindings = new Bindings();

    private volatile Consumer<? super RetryEvent>[] retryListeners;
    private volatile Consumer<? super RetryEvent>[] exhaustedListeners;
    private volatile Consumer<? super RetryEvent>[] refusedListeners;
    private volatile Consumer<? super RetryEvent>[] succeededListeners;
    private volatile Consumer<? super RetryEvent>[] failedListeners;

    @SuppressWarnings("unchecked")
    PolicyRules(RetryBuilder b) {
        this.name = b.name;
        // an adaptive of its own per build for a fixed value, so that a reused builder never links two policies
        this.maxAttempts = b.maxAttemptsSetting != null ? b.maxAttemptsSetting : Adaptive.of(b.maxAttempts);
        this.backoff = b.delayFunction != null ? null
                : b.backoffSetting != null ? b.backoffSetting : Adaptive.of(b.backoff);
        this.delayFunction = b.delayFunction;
        this.jitter = b.jitter;
        this.jitterFactor = b.jitterFactor;
        this.random = b.random;
        this.retryIf = b.retryIf;
        this.retryOnCallNotPermitted = b.retryOnCallNotPermitted;
        this.resultType = b.resultType;
        this.retryOnResult = b.retryOnResult;
        this.deadlineNanos = b.deadlineNanos;
        this.budget = b.budget;
        this.exhaustedException = b.exhaustedException;
        this.retryAfterElements = b.retryAfterElements;
        this.resetOnElement = b.resetOnElement;
        this.ticker = b.ticker;
        this.maxAttemptsShared = b.maxAttemptsSetting != null;
        this.backoffShared = b.delayFunction == null && b.backoffSetting != null;
        this.retryListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.exhaustedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.refusedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.succeededListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.failedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        // last: the check runs against every later change; the policy reads the adaptive, so nothing to apply
        AdaptiveBinding.bind(maxAttempts, this::checkMaxAttempts, FOLLOWS_BY_READING, bindings);
    }

    /** Refuses a number of attempts this policy cannot take; run by the adaptive before it publishes a value. */
    private void checkMaxAttempts(Integer attempts) {
        if (attempts < 1 || attempts > RetryBuilder.MAX_ATTEMPTS) {
            throw new IllegalArgumentException("maxAttempts of retry '" + name + "' must be between 1 and "
                    + RetryBuilder.MAX_ATTEMPTS + ", but was " + attempts);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int maxAttempts() {
        return maxAttempts.get();
    }

    /** The backoff in force, or null when a function computes the delays. */
    Backoff backoff() {
        Adaptive<Backoff> b = backoff;
        return b == null ? null : b.get();
    }

    @Override
    public boolean isRetryable(Throwable error) {
        if (isFatal(error)) {
            return false;
        }
        if (error instanceof RetryOnResultException) {
            return true;
        }
        if (!retryOnCallNotPermitted && error instanceof CallNotPermittedException) {
            return false;
        }
        try {
            return retryIf.test(error);
        } catch (Throwable predicateError) {
            if (isFatal(predicateError)) {
                throw predicateError;
            }
            if (predicateError != error) {             // a predicate may rethrow the error it was given
                error.addSuppressed(predicateError);
            }
            return false;
        }
    }

    @Override
    public boolean testsResults() {
        return retryOnResult != null;
    }

    @Override
    public boolean isRetryableResult(Object value) {
        return retryOnResult != null && resultType.isInstance(value) && retryOnResult.test(value);
    }

    @Override
    public long delayNanos(int attempt, Throwable error, long previousNanos) {
        long base;
        long cap;
        long floor;
        BiFunction<Integer, Throwable, Duration> function = delayFunction;
        if (function == null) {
            Backoff b = backoff.get();                 // the one read of the adaptive backoff for this failure
            if (b.kind == Backoff.Kind.NONE) {
                return 0L;
            }
            base = b.baseNanos(attempt);
            cap = b.maxNanos;
            floor = b.initialNanos;
        } else {
            Duration d = function.apply(attempt, error);
            if (d == null) {
                return NO_RETRY;
            }
            if (d.isNegative()) {
                throw new IllegalStateException("backoff function of retry '" + name
                        + "' returned a negative delay for attempt " + attempt + ": " + d);
            }
            base = Check.nanos(d);
            cap = base;
            floor = base;
        }
        switch (jitter) {
            case NONE:
                return base;
            case FULL:
                return (long) (random().nextDouble() * base);
            case EQUAL:
                return base / 2 + (long) (random().nextDouble() * (base - base / 2));
            case DECORRELATED: {
                long upper = Math.max(floor, Backoff.saturatingMultiply(Math.max(previousNanos, floor), 3));
                long drawn = floor + (long) (random().nextDouble() * (upper - floor));
                return Math.min(cap, drawn);
            }
            case PROPORTIONAL:
                return (long) (base * (1.0 + jitterFactor * (2.0 * random().nextDouble() - 1.0)));
            default:
                throw new IllegalStateException("invalid jitter: " + jitter);
        }
    }

    private RandomGenerator random() {
        RandomGenerator r = random;
        return r != null ? r : ThreadLocalRandom.current();
    }

    @Override
    public long deadlineNanos() {
        return deadlineNanos;
    }

    @Override
    public Ticker ticker() {
        return ticker;
    }

    @Override
    public RetryBudget budget() {
        return budget;
    }

    @Override
    public boolean retryAfterElements() {
        return retryAfterElements;
    }

    @Override
    public boolean resetOnElement() {
        return resetOnElement;
    }

    @Override
    public Throwable finalError(Throwable lastError, Throwable[] earlier, int count, int attempts, boolean exhausted) {
        Throwable result = lastError;
        if (exhausted && exhaustedException) {
            result = new RetryExhaustedException("retry '" + name + "' exhausted after " + attempts + " attempt"
                    + (attempts == 1 ? "" : "s") + ": " + lastError, attempts, lastError);
        }
        if (earlier != null && !isFatal(result)) {
            for (int i = 0; i < count && i < earlier.length; i++) {
                Throwable e = earlier[i];
                if (e != null && e != result && e != lastError) {
                    result.addSuppressed(e);
                }
            }
        }
        return result;
    }

    // ---------------------------------------------------------------- listeners

    void onRetry(Consumer<? super RetryEvent> listener) {
        register(RETRY_LISTENERS, listener);
    }

    void onExhausted(Consumer<? super RetryEvent> listener) {
        register(EXHAUSTED_LISTENERS, listener);
    }

    void onBudgetRefused(Consumer<? super RetryEvent> listener) {
        register(REFUSED_LISTENERS, listener);
    }

    void onSucceeded(Consumer<? super RetryEvent> listener) {
        register(SUCCEEDED_LISTENERS, listener);
    }

    void onFailed(Consumer<? super RetryEvent> listener) {
        register(FAILED_LISTENERS, listener);
    }

    @SuppressWarnings("unchecked")
    private void register(VarHandle handle, Consumer<? super RetryEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<Object>[] current = (Consumer<Object>[]) handle.getVolatile(this);
            if (handle.compareAndSet(this, current, Guard.append(current, (Consumer<Object>) (Consumer<?>) listener))) {
                return;
            }
        }
    }

    @Override
    public void announce(RetryEvent.Type type, int attempt, long delay, Throwable error) {
        Consumer<? super RetryEvent>[] listeners = listeners(type);
        if (listeners.length != 0) {
            Guard.notifyAll(name, listeners, new RetryEvent(name, type, attempt, Duration.ofNanos(delay), error));
        }
    }

    /** Identity tests, not a switch: once inlined with a constant type, the JIT folds this to one field read. */
    private Consumer<? super RetryEvent>[] listeners(RetryEvent.Type type) {
        if (type == RetryEvent.Type.SUCCEEDED) {
            return succeededListeners;
        }
        if (type == RetryEvent.Type.RETRY) {
            return retryListeners;
        }
        if (type == RetryEvent.Type.EXHAUSTED) {
            return exhaustedListeners;
        }
        if (type == RetryEvent.Type.BUDGET_REFUSED) {
            return refusedListeners;
        }
        if (type == RetryEvent.Type.FAILED) {
            return failedListeners;
        }
        throw new NullPointerException("type must not be null");
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Retry '").append(name).append("': ");
        int attempts = maxAttempts.get();
        sb.append(attempts == 1 ? "1 attempt" : "up to " + attempts + " attempts").append(", ");
        Backoff b = backoff();
        if (b == null) {
            sb.append("delays from a backoff function");
        } else if (b.kind == Backoff.Kind.CONSTANT) {
            sb.append(b).append(" between them");
        } else if (b.kind == Backoff.Kind.NONE) {
            sb.append("no delay between them");
        } else {
            sb.append(b);
        }
        if (jitter == Jitter.PROPORTIONAL) {
            sb.append(" +/-").append(Text.percent(jitterFactor * 100));
        } else if (jitter != Jitter.NONE) {
            sb.append(", ").append(jitter.name().toLowerCase(java.util.Locale.ROOT)).append(" jitter");
        }
        if (deadlineNanos > 0) {
            sb.append(", no retry past ").append(Text.duration(deadlineNanos));
        }
        if (budget != null) {
            sb.append(", a budget of ").append(Text.percent(budget.ratio() * 100)).append(" of calls (at least ")
                    .append(budget.minRetriesPerSecond()).append(" retries a second)");
        }
        return sb.toString();
    }
}
