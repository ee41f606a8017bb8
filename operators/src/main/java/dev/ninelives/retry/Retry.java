package dev.ninelives.retry;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.RetryRules;

import java.util.function.Consumer;

/**
 * A retry policy: how many attempts a call gets, how long to wait between them, which errors
 * (and, for a Mono, which values) are worth another attempt, an optional deadline for the whole
 * call and an optional budget shared with other policies. Thread-safe, and immutable but for
 * the settings bound to an {@link dev.ninelives.core.Adaptive} (attempts, backoff), which it
 * follows for the next decision: one policy serves any number of pipelines, and every call keeps
 * its own attempt count.
 *
 * <pre>{@code
 * Retry retry = Retry.builder("quotes")
 *     .maxAttempts(3)
 *     .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
 *     .jitter(Jitter.EQUAL)
 *     .build();
 *
 * // With Reactor (ninelives-reactor):
 * Mono<Quote> quote = client.quote(id).transform(NineLives.retry(retry));
 * }</pre>
 *
 * <p>The name identifies the policy in events, exceptions and metrics: give each policy its own,
 * since two policies of one name are one series of metrics. What the operator does when one of
 * the policy's callbacks throws (a predicate, the backoff function, the jitter's generator, a
 * listener) is listed on {@code NineLives.retry}.
 */
public final class Retry {

    /** The most earlier errors attached as suppressed to the error a call ends with. */
    public static final int MAX_SUPPRESSED = 8;

    static {
        RetryRules.register(retry -> retry.rules);
        Bindings.registerRetry(retry -> ((Retry) retry).rules.bindings);
    }

    final PolicyRules rules;

    Retry(RetryBuilder b) {
        this.rules = new PolicyRules(b);
    }

    /**
     * Starts a builder with the defaults listed on {@link RetryBuilder}.
     *
     * @param name the policy's name, for events, exceptions and metrics; not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static RetryBuilder builder(String name) {
        return new RetryBuilder(name);
    }

    /**
     * Returns a policy with the defaults listed on {@link RetryBuilder}.
     *
     * @param name the policy's name, for events, exceptions and metrics; not blank
     * @return a new policy
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static Retry ofDefaults(String name) {
        return builder(name).build();
    }

    /**
     * Returns a new builder for a policy named {@code name} with every setting of this one:
     * building it right away gives a policy that decides exactly like this one (its listeners are
     * not copied). A setting bound to an {@link dev.ninelives.core.Adaptive} given to this
     * policy's builder (the attempts, the backoff) stays bound to that same adaptive, so a shared
     * setting stays shared; a fixed one is copied as the value in force now, so two policies built
     * from one copy are never linked by accident. The predicates, the backoff function, the
     * random generator, the ticker and the budget are the same objects (a budget is shared by
     * design). Changing the returned builder never changes this policy.
     *
     * <pre>{@code
     * Retry reports = quotes.toBuilder("reports").maxAttempts(5).build();
     * }</pre>
     *
     * @param name the new policy's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public RetryBuilder toBuilder(String name) {
        RetryBuilder b = new RetryBuilder(name);
        PolicyRules r = rules;
        b.maxAttempts = r.maxAttempts.get();
        b.maxAttemptsSetting = r.maxAttemptsShared ? r.maxAttempts : null;
        if (r.backoff != null) {
            b.backoff = r.backoff.get();
            b.backoffSetting = r.backoffShared ? r.backoff : null;
        }
        b.delayFunction = r.delayFunction;
        b.jitter = r.jitter;
        b.jitterFactor = r.jitterFactor;
        b.random = r.random;
        b.retryIf = r.retryIf;
        b.retryOnCallNotPermitted = r.retryOnCallNotPermitted;
        b.resultType = r.resultType;
        b.retryOnResult = r.retryOnResult;
        b.deadlineNanos = r.deadlineNanos;
        b.budget = r.budget;
        b.exhaustedException = r.exhaustedException;
        b.retryAfterElements = r.retryAfterElements;
        b.resetOnElement = r.resetOnElement;
        b.ticker = r.ticker;
        return b;
    }

    /**
     * Returns the policy's name.
     *
     * @return the name
     */
    public String name() {
        return rules.name;
    }

    /**
     * Returns the number of attempts a call gets, the first one included: the value in force now,
     * which a change of the adaptive given to {@link RetryBuilder#maxAttempts(dev.ninelives.core.Adaptive)}
     * changes.
     *
     * @return at least 1
     */
    public int maxAttempts() {
        return rules.maxAttempts.get();
    }

    /**
     * Returns the backoff in force now: the one set on the builder, or the current value of the
     * adaptive given to {@link RetryBuilder#backoff(dev.ninelives.core.Adaptive)}.
     *
     * @return the backoff, or null when a {@linkplain RetryBuilder#backoff(java.util.function.BiFunction)
     *     backoff function} computes the delays
     */
    public Backoff backoff() {
        return rules.backoff();
    }

    /**
     * Returns the deadline of a whole call, measured with {@link #ticker()} from its first
     * subscription.
     *
     * @return the deadline in nanoseconds, or 0 when there is none
     */
    public long deadlineNanos() {
        return rules.deadlineNanos;
    }

    /**
     * Returns the shared budget.
     *
     * @return the budget, or null when there is none
     */
    public RetryBudget budget() {
        return rules.budget;
    }

    /**
     * Tells whether exhaustion signals a {@link RetryExhaustedException}.
     *
     * @return true for the exception, false for the last error
     */
    public boolean exhaustedException() {
        return rules.exhaustedException;
    }

    /**
     * Tells whether a Flux that already emitted elements is retried.
     *
     * @return true by default
     */
    public boolean retryAfterElements() {
        return rules.retryAfterElements;
    }

    /**
     * Tells whether an element after an error starts the attempts and the backoff again.
     *
     * @return false by default
     */
    public boolean resetOnElement() {
        return rules.resetOnElement;
    }

    /**
     * Returns the clock of the deadline.
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return rules.ticker;
    }

    // ---------------------------------------------------------------- listeners

    /**
     * Registers a listener called before each retry is scheduled (attempt, delay, error).
     *
     * @param listener the listener; one that throws is logged and ignored, except for a JVM-fatal
     *                 error, which propagates once the retry is scheduled
     * @throws NullPointerException if {@code listener} is null
     */
    public void onRetry(Consumer<? super RetryEvent> listener) {
        rules.onRetry(listener);
    }

    /**
     * Registers a listener called when a call runs out of attempts or time.
     *
     * @param listener the listener; one that throws is logged and ignored, except for a JVM-fatal
     *                 error, which propagates once the call has ended
     * @throws NullPointerException if {@code listener} is null
     */
    public void onExhausted(Consumer<? super RetryEvent> listener) {
        rules.onExhausted(listener);
    }

    /**
     * Registers a listener called when the budget refuses a retry.
     *
     * @param listener the listener; one that throws is logged and ignored, except for a JVM-fatal
     *                 error, which propagates once the call has ended
     * @throws NullPointerException if {@code listener} is null
     */
    public void onBudgetRefused(Consumer<? super RetryEvent> listener) {
        rules.onBudgetRefused(listener);
    }

    /**
     * Registers a listener called when a call succeeds: a Mono with its value or empty, a Flux
     * when it completes. The event's {@link RetryEvent#attempt() attempt} is the attempt that
     * succeeded (1 when no retry was needed). A call that is cancelled announces nothing.
     *
     * <p>Only when at least one is registered does a success allocate its event: without
     * listeners an operator pays one volatile read and a length check per call.
     *
     * @param listener the listener; one that throws is logged and ignored, except for a JVM-fatal
     *                 error, which propagates once the subscriber has the value and the completion
     * @throws NullPointerException if {@code listener} is null
     */
    public void onSucceeded(Consumer<? super RetryEvent> listener) {
        rules.onSucceeded(listener);
    }

    /**
     * Registers a listener called when a call ends with an error the policy does not retry: an
     * error the {@linkplain RetryBuilder#retryIf retryIf} predicate turns down (or that is never
     * retried: a JVM-fatal error, a circuit breaker's refusal by default), a Flux error after
     * elements when {@link #retryAfterElements()} is off, a custom backoff that returned null, or
     * an error of a callback or of the retry machinery itself (a result predicate, backoff
     * function or jitter generator that threw, a scheduler that refused the retry). Calls that
     * run out of attempts or time are announced to {@linkplain #onExhausted exhaustion listeners}
     * and budget refusals to {@linkplain #onBudgetRefused budget listeners} instead, never here.
     * The event's {@link RetryEvent#attempt() attempt} is the attempt that failed.
     *
     * @param listener the listener; one that throws is logged and ignored, except for a JVM-fatal
     *                 error, which propagates once the call has ended
     * @throws NullPointerException if {@code listener} is null
     */
    public void onFailed(Consumer<? super RetryEvent> listener) {
        rules.onFailed(listener);
    }

    /**
     * Describes the policy with the settings in force now.
     *
     * @return a description
     */
    @Override
    public String toString() {
        return rules.toString();
    }
}
