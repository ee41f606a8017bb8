package dev.ninelives.reactor;

import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import org.reactivestreams.Publisher;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.util.StringJoiner;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a failed call delivers instead of its error: a value, another publisher, or a publisher
 * made from the error, for the errors it is restricted to. A {@code Fallback} is an immutable
 * description: build it once, share it between any number of calls and pipelines, and apply it
 * with {@link NineLives#fallback(Fallback)}.
 *
 * <pre>{@code
 * Fallback<Quote> lastKnown = Fallback.with(error -> cache.lastQuote(id))   // a Mono<Quote>
 *     .on(CallNotPermittedException.class, TimeoutException.class);
 *
 * Mono<Quote> quote = client.quote(id)
 *     .transform(NineLives.breaker(breaker))
 *     .transform(NineLives.fallback(lastKnown));
 * }</pre>
 *
 * <p><b>Which errors.</b> Without {@link #on on} or {@link #when when}, a fallback applies to
 * every {@link Exception}: a breaker's refusal ({@code CallNotPermittedException}), a bulkhead's
 * ({@code BulkheadFullException}), an exhausted retry (its last error, or
 * {@code RetryExhaustedException}), a timeout ({@link java.util.concurrent.TimeoutException}), and
 * whatever the source itself failed with. {@code Error}s are left alone by default: an
 * {@link AssertionError} or a library's {@code Error} reports a bug, which a default value would
 * hide. This is the default of this library's retry ({@code retryIf}) and of Resilience4j's
 * {@code recover} decorators; Spring Cloud CircuitBreaker's {@code run(mono, fallback)} uses
 * {@code onErrorResume}, which also takes Errors. {@code on(Throwable.class)} or a predicate takes
 * them too. A JVM-fatal error ({@link VirtualMachineError}, {@link LinkageError}) never falls back,
 * whatever the restriction says: the predicate is not even asked.
 *
 * <p><b>Callbacks that throw.</b> The predicate of {@link #when when} and the function of
 * {@link #with with} are user code. When either throws an exception or a non-fatal
 * {@code Error}, or the function returns null, the call ends with {@code onError(what was
 * thrown)} (a {@link NullPointerException} for a null), the original error attached to it as
 * suppressed, through Reactor's {@code onOperatorError} hook. A JVM-fatal error ends the call
 * with {@code onError(that error)} and is then rethrown, to the thread that signalled the
 * original error, once every operator around the fallback has seen the call end.
 *
 * <p>Copy-on-write: {@link #on on} and {@link #when when} return a new fallback and leave this
 * one as it was.
 *
 * @param <T> the type of the elements the fallback delivers
 */
public final class Fallback<T> {

    /** The longest a value is quoted in {@link #toString()}. */
    private static final int QUOTED = 40;

    /** The publisher subscribed for each call that falls back; null for {@link #with}. */
    private final Publisher<? extends T> publisher;
    /** Makes the publisher from the error; null for {@link #to} and {@link #toValue}. */
    private final Function<? super Throwable, ? extends Publisher<? extends T>> function;
    /** The value of {@link #toValue}, for {@link #toString()}; null otherwise. */
    private final Object value;
    /** The error types it applies to; null when not restricted by type. */
    private final Class<?>[] types;
    /** The predicate an error must pass; null when there is none. */
    private final Predicate<? super Throwable> predicate;

    private Fallback(Publisher<? extends T> publisher, Function<? super Throwable, ? extends Publisher<? extends T>> function,
                     Object value, Class<?>[] types, Predicate<? super Throwable> predicate) {
        this.publisher = publisher;
        this.function = function;
        this.value = value;
        this.types = types;
        this.predicate = predicate;
    }

    /**
     * A fallback to one value: a failed Mono delivers {@code value} and completes; a failed Flux
     * delivers it after the elements it had already delivered, then completes.
     *
     * <pre>{@code
     * Mono<Stock> stock = client.stock(sku)
     *     .transform(NineLives.fallback(Fallback.toValue(Stock.UNKNOWN)));
     * }</pre>
     *
     * @param value the value; Reactive Streams has no null elements
     * @param <T>   the element type
     * @return a fallback for every {@link Exception}, to be restricted with {@link #on on} or {@link #when when}
     * @throws NullPointerException if {@code value} is null
     */
    public static <T> Fallback<T> toValue(T value) {
        Check.notNull(value, "value");
        return new Fallback<>(Mono.just(value), null, value, null, null);
    }

    /**
     * A fallback to another publisher, a Mono or a Flux. It is subscribed anew for each call
     * that falls back, and only then: a cold publisher (an HTTP call, {@code Mono.fromCallable})
     * runs once per failed call, nothing is cached, and a call that succeeds never touches it.
     * The fallback's elements follow whatever the failed call had already delivered; on a Mono
     * only its first element is taken (the rest is cancelled, as {@code Mono.from} does). If it
     * fails, its error ends the call, the original error attached to it as suppressed (once per
     * error class, so that one shared exception instance, signalled call after call, does not
     * collect every call's error).
     *
     * <pre>{@code
     * Flux<Quote> quotes = primary.quotes()
     *     .transform(NineLives.fallback(Fallback.to(secondary.quotes())));
     * }</pre>
     *
     * @param publisher what the failed call switches to
     * @param <T>       the element type
     * @return a fallback for every {@link Exception}, to be restricted with {@link #on on} or {@link #when when}
     * @throws NullPointerException if {@code publisher} is null
     */
    public static <T> Fallback<T> to(Publisher<? extends T> publisher) {
        Check.notNull(publisher, "publisher");
        return new Fallback<>(publisher, null, null, null, null);
    }

    /**
     * A fallback to a publisher made from the error, by {@code function}, called once per call
     * that falls back. The publisher behaves as with {@link #to(Publisher)}. A function that
     * throws, or returns null, ends the call with what it threw (a {@link NullPointerException}
     * for a null), the original error attached as suppressed; a JVM-fatal error is rethrown once
     * the call has ended (see the class description).
     *
     * <pre>{@code
     * Fallback<Price> fallback = Fallback.with(error -> error instanceof CallNotPermittedException
     *         ? cache.price(sku)                   // the breaker is open: last known price
     *         : Mono.just(Price.UNAVAILABLE));
     * }</pre>
     *
     * @param function makes the publisher to switch to from the call's error
     * @param <T>      the element type
     * @return a fallback for every {@link Exception}, to be restricted with {@link #on on} or {@link #when when}
     * @throws NullPointerException if {@code function} is null
     */
    public static <T> Fallback<T> with(Function<? super Throwable, ? extends Publisher<? extends T>> function) {
        Check.notNull(function, "function");
        return new Fallback<>(null, function, null, null, null);
    }

    /**
     * Returns a fallback like this one that applies only to errors of the given types (an
     * instance of any of them, subclasses included), in place of the types given before. With
     * {@link #when when} as well, an error must match both.
     *
     * <pre>{@code
     * Fallback<Quote> onRefusals = Fallback.toValue(Quote.STALE)
     *     .on(CallNotPermittedException.class, BulkheadFullException.class);
     * }</pre>
     *
     * @param type  an error type
     * @param types more error types
     * @return a new fallback; this one is unchanged
     * @throws NullPointerException     if {@code type}, {@code types} or one of its elements is null
     * @throws IllegalArgumentException if a type is JVM-fatal ({@link VirtualMachineError},
     *                                  {@link LinkageError} or a subclass): a fallback never handles those
     */
    @SafeVarargs
    public final Fallback<T> on(Class<? extends Throwable> type, Class<? extends Throwable>... types) {
        Check.notNull(type, "type");
        Check.notNull(types, "types");
        Class<?>[] all = new Class<?>[types.length + 1];
        all[0] = checkType(type, "type");
        for (int i = 0; i < types.length; i++) {
            all[i + 1] = checkType(Check.notNull(types[i], "types[" + i + "]"), "types[" + i + "]");
        }
        return new Fallback<>(publisher, function, value, all, predicate);
    }

    /**
     * Returns a fallback like this one that applies only to errors {@code predicate} accepts, in
     * place of the predicate given before. Without {@link #on on}, the predicate alone decides,
     * for every throwable but a JVM-fatal one (Errors included); with it, an error must match
     * both, the types first.
     *
     * <p>A predicate that throws (an exception or a non-fatal {@code Error}) ends the call with
     * what it threw, the original error attached as suppressed; a JVM-fatal error is rethrown
     * once the call has ended (see the class description).
     *
     * <pre>{@code
     * Fallback<Page> onServerErrors = Fallback.toValue(Page.EMPTY)
     *     .when(e -> e instanceof WebClientResponseException w && w.getStatusCode().is5xxServerError());
     * }</pre>
     *
     * @param predicate true for the errors to fall back on
     * @return a new fallback; this one is unchanged
     * @throws NullPointerException if {@code predicate} is null
     */
    public Fallback<T> when(Predicate<? super Throwable> predicate) {
        Check.notNull(predicate, "predicate");
        return new Fallback<>(publisher, function, value, types, predicate);
    }

    /**
     * Describes the fallback, for logs and a pipeline's plan: what it delivers and which errors
     * it applies to, for instance {@code "fallback to value n/a on IOException, TimeoutException"}.
     *
     * @return the description
     */
    @Override
    public String toString() {
        String on;
        if (types == null) {
            on = predicate == null ? "on any Exception" : "when a predicate accepts the error";
        } else {
            StringJoiner names = new StringJoiner(", ", "on ", "");
            for (Class<?> t : types) {
                names.add(t.getSimpleName());
            }
            on = predicate == null ? names.toString() : names + " when a predicate accepts the error";
        }
        String target = value != null ? "to value " + quote(value)
                : publisher != null ? "to " + quote(publisher)
                : "to a publisher made from the error";
        return "fallback " + target + " " + on;
    }

    /**
     * Decides what a call that failed with {@code error} switches to: the one place that applies
     * a fallback's rules, for the operator and for a fused pipeline's subscriber alike.
     *
     * <ul>
     *   <li>null: the fallback does not apply (a JVM-fatal error, or one the restriction
     *       rejects); the caller passes {@code error} on unchanged.</li>
     *   <li>a publisher: the caller subscribes to it in place of signalling the error, with
     *       what downstream still requested, and passes its signals on (its error through
     *       {@link #withOriginal}). When the predicate or the function threw a non-fatal
     *       throwable, or the function returned null, the publisher signals that failure, the
     *       original attached as suppressed (through {@link Operators#onOperatorError}, so
     *       Reactor's hooks see it): the caller needs no other path for it.</li>
     *   <li>a throw: a JVM-fatal error from the predicate or the function (or an error Reactor
     *       bubbles on purpose). The caller makes its state whole, signals
     *       {@code onError(thrown)} downstream, then rethrows it.</li>
     * </ul>
     * Nothing is allocated unless the fallback applies and its function allocates (a
     * {@link #toValue} fallback returns its one shared {@code Mono.just}).
     *
     * @param error   the call's error
     * @param context the subscriber's context, for Reactor's error hooks
     * @return the publisher to switch to, or null to pass the error on
     */
    Publisher<? extends T> resume(Throwable error, Context context) {
        if (Guard.isFatal(error)) {
            return null;
        }
        Publisher<? extends T> next;
        try {
            if (!applies(error)) {
                return null;
            }
            next = publisher != null ? publisher : function.apply(error);
            if (next == null) {
                throw new NullPointerException("the fallback function returned null for " + error.getClass().getName());
            }
        } catch (Throwable thrown) {
            if (Guard.isFatal(thrown)) {
                throw thrown;                                 // the caller ends the call, then rethrows
            }
            return Mono.error(Operators.onOperatorError(null, thrown, error, context));
        }
        return next;
    }

    /** Whether this fallback applies to {@code error}, which is not JVM-fatal; the predicate may throw. */
    private boolean applies(Throwable error) {
        Class<?>[] t = types;
        Predicate<? super Throwable> p = predicate;
        if (t == null) {
            return p == null ? error instanceof Exception : p.test(error);
        }
        for (Class<?> type : t) {
            if (type.isInstance(error)) {
                return p == null || p.test(error);
            }
        }
        return false;
    }

    /**
     * The error a call ends with when its fallback publisher fails with {@code fallbackError}:
     * that error, with {@code original} attached as suppressed, unless it is the original itself,
     * is JVM-fatal, or already carries a suppressed error of the original's class (a fallback
     * that signals one shared exception instance, call after call, would otherwise collect every
     * call's error on it).
     *
     * @param fallbackError the fallback publisher's error
     * @param original      the error the call fell back from
     * @return the error to signal downstream
     */
    static Throwable withOriginal(Throwable fallbackError, Throwable original) {
        if (fallbackError == original || Guard.isFatal(fallbackError)) {
            return fallbackError;
        }
        for (Throwable s : fallbackError.getSuppressed()) {
            if (s.getClass() == original.getClass()) {
                return fallbackError;
            }
        }
        return Exceptions.addSuppressed(fallbackError, original);
    }

    private static Class<?> checkType(Class<? extends Throwable> type, String name) {
        if (VirtualMachineError.class.isAssignableFrom(type) || LinkageError.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(name + " must not be a JVM-fatal error type (a fallback never handles a"
                    + " VirtualMachineError or a LinkageError), but was " + type.getName());
        }
        return type;
    }

    /**
     * The object's own description, cut at {@value #QUOTED} characters; its class name if its
     * {@code toString} throws anything non-fatal (an AssertionError too). A JVM-fatal error
     * propagates: describing a fallback holds no state to make whole.
     */
    private static String quote(Object value) {
        String s;
        try {
            s = String.valueOf(value);
        } catch (Throwable toStringFailed) {            // a description must not fail the plan that prints it
            if (Guard.isFatal(toStringFailed)) {
                throw toStringFailed;
            }
            return value.getClass().getName();
        }
        return s.length() <= QUOTED ? s : s.substring(0, QUOTED) + "...";
    }
}
