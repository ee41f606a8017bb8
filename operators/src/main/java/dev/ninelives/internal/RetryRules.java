package dev.ninelives.internal;

import dev.ninelives.core.Ticker;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryEvent;

import java.util.function.Function;

/**
 * The decisions of a {@link Retry} policy, as its operator asks for them: which errors and values
 * are retried, the delay before each retry, the error a call ends with, and the announcements to
 * the policy's listeners. Not API: exported only to the Reactor bridge, which obtains a policy's
 * rules once per assembled operator with {@link #of(Retry)}, so each decision is a call on an
 * object the operator already holds.
 *
 * <p>The one implementation lives beside {@code Retry}, which hands it out through the accessor it
 * registers in its static initializer (the JDK's "shared secrets" pattern): the public class keeps
 * only its documented API, and the decisions stay out of it. With one implementation loaded, the
 * JIT binds every call below statically.
 *
 * <p>What a user callback that throws does: {@link #isRetryable} absorbs a non-fatal throwable of
 * the {@code retryIf} predicate (the answer is "no") and lets a JVM-fatal one through;
 * {@link #isRetryableResult} and {@link #delayNanos} let every throwable of the result predicate,
 * the backoff function and the jitter's generator through, for the operator to end the call with;
 * {@link #announce} logs a non-fatal throwable of a listener and rethrows a JVM-fatal one once
 * every listener has run.
 */
public abstract class RetryRules {

    /** {@link #delayNanos} result: do not retry (a custom backoff function returned null). */
    public static final long NO_RETRY = -1L;

    private static volatile Function<Retry, RetryRules> access;

    /** For the implementation beside {@link Retry}. */
    protected RetryRules() {
    }

    /**
     * Registers how to reach a policy's rules. Called once, by {@code Retry}'s static initializer.
     *
     * @param accessor from a policy to its rules
     * @throws IllegalStateException if an accessor is registered already
     */
    public static void register(Function<Retry, RetryRules> accessor) {
        Check.notNull(accessor, "accessor");
        if (access != null) {
            throw new IllegalStateException("the retry rules accessor is registered already");
        }
        access = accessor;
    }

    /**
     * Returns the rules of a policy. Meant for assembly time: the operator keeps the result.
     *
     * @param retry the policy
     * @return its rules
     * @throws NullPointerException if {@code retry} is null
     */
    public static RetryRules of(Retry retry) {
        Check.notNull(retry, "retry");
        Function<Retry, RetryRules> a = access;
        if (a == null) {
            // Only on a racy publication of the policy: initialize Retry here, under the JVM's class-init lock.
            try {
                Class.forName(Retry.class.getName(), true, Retry.class.getClassLoader());
            } catch (ClassNotFoundException impossible) {
                throw new IllegalStateException(impossible);
            }
            a = access;
        }
        return a.apply(retry);
    }

    /**
     * Tells whether a throwable is one the JVM cannot recover from: a {@link VirtualMachineError}
     * or a {@link LinkageError}. Such an error is never retried and never absorbed: once the call
     * has ended (or its retry is scheduled), it propagates.
     *
     * @param t any throwable
     * @return true for a JVM-fatal error
     */
    public static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError || t instanceof LinkageError;
    }

    /**
     * Returns the policy's name.
     *
     * @return the name
     */
    public abstract String name();

    /**
     * Returns the number of attempts a call gets, the first one included: the value in force now
     * (the setting may be adaptive; one volatile read). Ask once per failed attempt, so that a
     * call already retrying follows a change at its next failure.
     *
     * @return at least 1
     */
    public abstract int maxAttempts();

    /**
     * Tells whether an attempt that ended with {@code error} is worth another one: never for a
     * JVM-fatal error, never for a circuit breaker's refusal unless configured, always for a
     * retried value's {@code RetryOnResultException}, otherwise as the {@code retryIf} predicate
     * says. A predicate that throws a non-fatal throwable counts as "no", and its throwable is
     * attached to {@code error} as suppressed.
     *
     * @param error the attempt's error
     * @return true to retry (attempts, deadline and budget permitting)
     * @throws VirtualMachineError a JVM-fatal error thrown by the predicate, as it is
     * @throws LinkageError        likewise
     */
    public abstract boolean isRetryable(Throwable error);

    /**
     * Tells whether values are tested at all, so an operator can skip the test.
     *
     * @return true if a result predicate is set
     */
    public abstract boolean testsResults();

    /**
     * Tells whether a Mono's value should be retried as if it had failed: it is an instance of the
     * result type and the result predicate matches it.
     *
     * @param value the value
     * @return true to retry
     * @throws RuntimeException whatever the predicate throws, as it is (any throwable, fatal or not)
     */
    public abstract boolean isRetryableResult(Object value);

    /**
     * Returns the delay before the attempt that follows failed attempt {@code attempt}, jitter
     * included, from the backoff in force now (the setting may be adaptive; one volatile read).
     *
     * @param attempt       the failed attempt, 1 for the first call
     * @param error         its error
     * @param previousNanos the delay before the failed attempt (0 before the first retry), for
     *                      decorrelated jitter
     * @return the delay in nanoseconds, or {@link #NO_RETRY}
     * @throws IllegalStateException if a custom backoff function returns a negative delay; and
     *                               whatever the backoff function or the jitter's generator
     *                               throws, as it is
     */
    public abstract long delayNanos(int attempt, Throwable error, long previousNanos);

    /**
     * Returns the deadline of a whole call, measured with {@link #ticker()} from its first
     * subscription.
     *
     * @return the deadline in nanoseconds, or 0 when there is none
     */
    public abstract long deadlineNanos();

    /**
     * Returns the clock of the deadline.
     *
     * @return the ticker
     */
    public abstract Ticker ticker();

    /**
     * Returns the shared budget.
     *
     * @return the budget, or null when there is none
     */
    public abstract RetryBudget budget();

    /**
     * Tells whether a Flux that already emitted elements is retried.
     *
     * @return true by default
     */
    public abstract boolean retryAfterElements();

    /**
     * Tells whether an element after an error starts the attempts and the backoff again.
     *
     * @return false by default
     */
    public abstract boolean resetOnElement();

    /**
     * Builds the error a call ends with after its last attempt: the last error itself, or a
     * {@code RetryExhaustedException} wrapping it; in both cases with up to
     * {@value Retry#MAX_SUPPRESSED} earlier errors attached as suppressed (an error is never
     * attached to itself, an error that does not allow suppression is left as it is, and a
     * JVM-fatal error is signalled as it is).
     *
     * @param lastError the last attempt's error
     * @param earlier   the earlier attempts' errors, oldest first; may be null
     * @param count     how many entries of {@code earlier} are filled
     * @param attempts  the number of attempts made
     * @param exhausted true if the attempts or the deadline ran out (not for a budget refusal
     *                  or an error that is not retried)
     * @return the error to signal
     */
    public abstract Throwable finalError(Throwable lastError, Throwable[] earlier, int count, int attempts, boolean exhausted);

    /**
     * Announces an event to the listeners of its type. Allocates the event only when someone
     * listens: without listeners the cost is one volatile read and a length check. A listener
     * that throws a non-fatal throwable is logged; a JVM-fatal error is rethrown once every
     * listener has run, so the caller must do what the event announces whatever this throws.
     *
     * @param type    what happened
     * @param attempt the attempt that failed (for {@link RetryEvent.Type#SUCCEEDED}, the attempt
     *                that succeeded), 1 for the first call
     * @param delay   the delay before the next attempt, in nanoseconds
     * @param error   the failed attempt's error; null for {@link RetryEvent.Type#SUCCEEDED}
     * @throws NullPointerException if {@code type} is null
     */
    public abstract void announce(RetryEvent.Type type, int attempt, long delay, Throwable error);
}
