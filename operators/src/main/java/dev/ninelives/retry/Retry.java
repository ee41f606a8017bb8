package dev.ninelives.retry;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A retry policy: how many attempts a call gets, how long to wait between them, which errors
 * (and, for a Mono, which values) are worth another attempt, an optional deadline for the whole
 * call and an optional budget shared with other policies. Immutable and thread-safe: one
 * policy serves any number of pipelines, and every call keeps its own attempt count.
 *
 * <pre>{@code
 * Retry retry = Retry.builder()
 *     .maxAttempts(3)
 *     .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
 *     .jitter(Jitter.EQUAL)
 *     .build();
 *
 * // With Reactor (ninelives-reactor):
 * Mono<Quote> quote = client.quote(id).transform(NineLives.retry(retry));
 * }</pre>
 *
 * <p>The methods below the builder describe the policy's decisions for operator authors and for
 * plain-Java loops; a Reactor user needs only {@code NineLives.retry(retry)}.
 */
public final class Retry {

    /** The most earlier errors attached as suppressed to the error a call ends with. */
    public static final int MAX_SUPPRESSED = 8;

    /** {@link #delayNanos} result: do not retry (a custom backoff function returned null). */
    public static final long NO_RETRY = -1L;

    private static final VarHandle RETRY_LISTENERS;
    private static final VarHandle EXHAUSTED_LISTENERS;
    private static final VarHandle REFUSED_LISTENERS;
    private static final VarHandle SUCCEEDED_LISTENERS;
    private static final VarHandle FAILED_LISTENERS;
    private static final Consumer<?>[] NO_LISTENERS = new Consumer<?>[0];

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RETRY_LISTENERS = l.findVarHandle(Retry.class, "retryListeners", Consumer[].class);
            EXHAUSTED_LISTENERS = l.findVarHandle(Retry.class, "exhaustedListeners", Consumer[].class);
            REFUSED_LISTENERS = l.findVarHandle(Retry.class, "refusedListeners", Consumer[].class);
            SUCCEEDED_LISTENERS = l.findVarHandle(Retry.class, "succeededListeners", Consumer[].class);
            FAILED_LISTENERS = l.findVarHandle(Retry.class, "failedListeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final int maxAttempts;
    private final Backoff backoff;
    private final long initialNanos;
    private final long incrementNanos;
    private final double multiplier;
    private final long maxNanos;
    private final BiFunction<Integer, Throwable, Duration> delayFunction;
    private final Jitter jitter;
    private final double jitterFactor;
    private final RandomGenerator random;
    private final Predicate<? super Throwable> retryIf;
    private final boolean retryOnCallNotPermitted;
    private final Predicate<Object> retryOnResult;
    private final long deadlineNanos;
    private final RetryBudget budget;
    private final boolean exhaustedException;
    private final boolean retryAfterElements;
    private final boolean resetOnElement;
    private final Ticker ticker;

    private volatile Consumer<? super RetryEvent>[] retryListeners;
    private volatile Consumer<? super RetryEvent>[] exhaustedListeners;
    private volatile Consumer<? super RetryEvent>[] refusedListeners;
    private volatile Consumer<? super RetryEvent>[] succeededListeners;
    private volatile Consumer<? super RetryEvent>[] failedListeners;

    @SuppressWarnings("unchecked")
    Retry(RetryBuilder b) {
        this.name = b.name;
        this.maxAttempts = b.maxAttempts;
        this.backoff = b.backoff;
        this.initialNanos = b.initialNanos;
        this.incrementNanos = b.incrementNanos;
        this.multiplier = b.multiplier;
        this.maxNanos = b.maxNanos;
        this.delayFunction = b.delayFunction;
        this.jitter = b.jitter;
        this.jitterFactor = b.jitterFactor;
        this.random = b.random;
        this.retryIf = b.retryIf;
        this.retryOnCallNotPermitted = b.retryOnCallNotPermitted;
        this.retryOnResult = b.retryOnResult;
        this.deadlineNanos = b.deadlineNanos;
        this.budget = b.budget;
        this.exhaustedException = b.exhaustedException;
        this.retryAfterElements = b.retryAfterElements;
        this.resetOnElement = b.resetOnElement;
        this.ticker = b.ticker;
        this.retryListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.exhaustedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.refusedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.succeededListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
        this.failedListeners = (Consumer<? super RetryEvent>[]) NO_LISTENERS;
    }

    /**
     * Starts a builder with the defaults listed on {@link RetryBuilder}.
     *
     * @return a new builder
     */
    public static RetryBuilder builder() {
        return new RetryBuilder();
    }

    /**
     * Returns a policy with the defaults listed on {@link RetryBuilder}.
     *
     * @return a new policy
     */
    public static Retry ofDefaults() {
        return builder().build();
    }

    /**
     * Returns the policy's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the number of attempts a call gets, the first one included.
     *
     * @return at least 1
     */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * Tells whether an attempt that ended with {@code error} is worth another one: never for a
     * {@link VirtualMachineError} or {@link LinkageError}, never for a circuit breaker's refusal
     * unless configured, otherwise as the {@code retryIf} predicate says. A predicate that
     * throws counts as "no".
     *
     * @param error the error
     * @return true to retry (attempts, deadline and budget permitting)
     */
    public boolean isRetryable(Throwable error) {
        if (error instanceof VirtualMachineError || error instanceof LinkageError) {
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
        } catch (RuntimeException predicateBug) {
            error.addSuppressed(predicateBug);
            return false;
        }
    }

    /**
     * Tells whether a Mono's value should be retried as if it had failed.
     *
     * @param value the value
     * @return true if a result predicate is set and matches
     */
    public boolean isRetryableResult(Object value) {
        return retryOnResult != null && retryOnResult.test(value);
    }

    /**
     * Tells whether values are tested at all, so an operator can skip the test.
     *
     * @return true if {@link RetryBuilder#retryOnResult} was set
     */
    public boolean testsResults() {
        return retryOnResult != null;
    }

    /**
     * Returns the delay before the attempt that follows failed attempt {@code attempt}, jitter
     * included.
     *
     * @param attempt       the failed attempt, 1 for the first call
     * @param error         its error
     * @param previousNanos the delay before the failed attempt (0 before the first retry), for
     *                      decorrelated jitter
     * @return the delay in nanoseconds, or {@link #NO_RETRY}
     * @throws IllegalStateException if a custom backoff function returns a negative delay
     */
    public long delayNanos(int attempt, Throwable error, long previousNanos) {
        long base;
        long cap = maxNanos;
        switch (backoff) {
            case NONE:
                return 0L;
            case CONSTANT:
                base = initialNanos;
                break;
            case LINEAR:
                base = saturatingAdd(initialNanos, saturatingMultiply(incrementNanos, attempt - 1L));
                break;
            case EXPONENTIAL: {
                double grown = initialNanos * Math.pow(multiplier, attempt - 1.0);
                base = grown >= maxNanos ? maxNanos : (long) grown;
                break;
            }
            case CUSTOM: {
                Duration d = delayFunction.apply(attempt, error);
                if (d == null) {
                    return NO_RETRY;
                }
                if (d.isNegative()) {
                    throw new IllegalStateException("backoff function of retry '" + name
                            + "' returned a negative delay for attempt " + attempt + ": " + d);
                }
                base = Check.nanos(d);
                cap = base;
                break;
            }
            default:
                throw new IllegalStateException("invalid backoff: " + backoff);
        }
        base = Math.min(base, cap);
        switch (jitter) {
            case NONE:
                return base;
            case FULL:
                return (long) (random().nextDouble() * base);
            case EQUAL:
                return base / 2 + (long) (random().nextDouble() * (base - base / 2));
            case DECORRELATED: {
                long floor = backoff == Backoff.CUSTOM ? base : initialNanos;
                long upper = Math.max(floor, saturatingMultiply(Math.max(previousNanos, floor), 3));
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

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    /**
     * Returns the deadline of a whole call, measured with {@link #ticker()} from its first
     * subscription.
     *
     * @return the deadline in nanoseconds, or 0 when there is none
     */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /**
     * Returns the shared budget.
     *
     * @return the budget, or null when there is none
     */
    public RetryBudget budget() {
        return budget;
    }

    /**
     * Tells whether exhaustion signals a {@link RetryExhaustedException}.
     *
     * @return true for the exception, false for the last error
     */
    public boolean exhaustedException() {
        return exhaustedException;
    }

    /**
     * Tells whether a Flux that already emitted elements is retried.
     *
     * @return true by default
     */
    public boolean retryAfterElements() {
        return retryAfterElements;
    }

    /**
     * Tells whether an element after an error starts the attempts and the backoff again.
     *
     * @return false by default
     */
    public boolean resetOnElement() {
        return resetOnElement;
    }

    /**
     * Returns the clock of the deadline.
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Builds the error a call ends with after its last attempt: the last error itself, or a
     * {@link RetryExhaustedException} wrapping it; in both cases with up to
     * {@value #MAX_SUPPRESSED} earlier errors attached as suppressed (an error is never attached
     * to itself, and an error that does not allow suppression is left as it is).
     *
     * @param lastError the last attempt's error
     * @param earlier   the earlier attempts' errors, oldest first; may be null
     * @param count     how many entries of {@code earlier} are filled
     * @param attempts  the number of attempts made
     * @param exhausted true if the attempts or the deadline ran out (not for a budget refusal
     *                  or an error that is not retried)
     * @return the error to signal
     */
    public Throwable finalError(Throwable lastError, Throwable[] earlier, int count, int attempts, boolean exhausted) {
        Throwable result = lastError;
        if (exhausted && exhaustedException) {
            result = new RetryExhaustedException("retry '" + name + "' exhausted after " + attempts + " attempt"
                    + (attempts == 1 ? "" : "s") + ": " + lastError, attempts, lastError);
        }
        if (earlier != null) {
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

    /**
     * Registers a listener called before each retry is scheduled (attempt, delay, error).
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    public void onRetry(Consumer<? super RetryEvent> listener) {
        register(RETRY_LISTENERS, listener);
    }

    /**
     * Registers a listener called when a call runs out of attempts or time.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    public void onExhausted(Consumer<? super RetryEvent> listener) {
        register(EXHAUSTED_LISTENERS, listener);
    }

    /**
     * Registers a listener called when the budget refuses a retry.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    public void onBudgetRefused(Consumer<? super RetryEvent> listener) {
        register(REFUSED_LISTENERS, listener);
    }

    /**
     * Registers a listener called when a call succeeds: a Mono with its value or empty, a Flux
     * when it completes. The event's {@link RetryEvent#attempt() attempt} is the attempt that
     * succeeded (1 when no retry was needed). A call that is cancelled announces nothing.
     *
     * <p>Only when at least one is registered does a success allocate its event: without
     * listeners an operator pays one volatile read and a length check per call.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    public void onSucceeded(Consumer<? super RetryEvent> listener) {
        register(SUCCEEDED_LISTENERS, listener);
    }

    /**
     * Registers a listener called when a call ends with an error the policy does not retry: an
     * error {@link #isRetryable} rejects, a Flux error after elements when
     * {@link #retryAfterElements()} is off, a custom backoff that returned null, or an error of
     * the retry machinery itself (a backoff function that threw, a scheduler that refused the
     * retry). Calls that run out of attempts or time are announced to
     * {@linkplain #onExhausted exhaustion listeners} and budget refusals to
     * {@linkplain #onBudgetRefused budget listeners} instead, never here. The event's
     * {@link RetryEvent#attempt() attempt} is the attempt that failed.
     *
     * @param listener the listener; one that throws is logged and ignored
     * @throws NullPointerException if {@code listener} is null
     */
    public void onFailed(Consumer<? super RetryEvent> listener) {
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

    /**
     * Announces an event to the listeners of its type. Allocates the event only when someone
     * listens: without listeners the cost is one volatile read and a length check.
     *
     * @param type    what happened
     * @param attempt the attempt that failed (for {@link RetryEvent.Type#SUCCEEDED}, the attempt
     *                that succeeded), 1 for the first call
     * @param delay   the delay before the next attempt, in nanoseconds
     * @param error   the failed attempt's error; null for {@link RetryEvent.Type#SUCCEEDED}
     * @throws NullPointerException if {@code type} is null
     */
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
        return "Retry '" + name + "' {maxAttempts=" + maxAttempts + ", backoff=" + backoff + ", jitter=" + jitter
                + (deadlineNanos > 0 ? ", deadline=" + Duration.ofNanos(deadlineNanos) : "")
                + (budget != null ? ", budget=" + budget : "") + "}";
    }
}
