package dev.ninelives.breaker;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The configuration of a circuit breaker, frozen by {@link CircuitBreakerBuilder#build()}.
 * Reusing or changing the builder afterwards never changes a built breaker. Each accessor
 * documents the builder method that sets it.
 *
 * <p>Six settings are adaptive: the failure-rate threshold, the slow-call rate threshold, the
 * slow-call duration, the open duration, the number of trial calls in HALF_OPEN and the size of
 * a count-based window. Each is
 * always an {@link Adaptive}: the one given to the builder's overload that takes one, or one of
 * the breaker's own, made from the fixed value at build time. Their accessors report the
 * current value; every other setting is fixed.
 *
 * <p>{@link #toBuilder(String)} starts a builder from this configuration, to build a breaker like
 * this one under another name (a registry's defaults, for instance). The config remembers which
 * adaptive settings were given to the builder: a copy stays bound to those same adaptives (a
 * shared setting stays shared), and takes the breaker's own ones as fixed values, so two breakers
 * built from one copy are never linked by accident.
 */
public final class CircuitBreakerConfig {

    private static final VarHandle TUNING;

    static {
        try {
            TUNING = MethodHandles.lookup().findVarHandle(CircuitBreakerConfig.class, "tuning", Tuning.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How the sliding window of outcomes is measured. */
    public enum WindowType {
        /** The last N calls. */
        COUNT_BASED,
        /** The calls of the last D of time, kept in buckets. */
        TIME_BASED
    }

    private final String name;
    private final WindowType windowType;
    private final Adaptive<Integer> windowSize;
    private final Duration windowDuration;
    private final int windowBuckets;
    /** As given to the builder; a count-based window caps it at its size. */
    private final int minimumNumberOfCalls;
    private final Adaptive<Float> failureRateThreshold;
    /** Null when slow calls are not detected. */
    private final Adaptive<Duration> slowCallDuration;
    private final Adaptive<Float> slowCallRateThreshold;
    private final Adaptive<Duration> openDuration;
    private final double openDurationMultiplier;
    private final Duration maxOpenDuration;
    private final Adaptive<Integer> permittedCallsInHalfOpen;
    private final Predicate<? super Throwable> recordFailure;
    private final Ticker ticker;
    private final boolean rejectionStackTraces;
    /** The adaptives the user gave the builder, in the order of ADAPTIVES below; null where the value was fixed. */
    private final Adaptive<?>[] given;
    /** The adaptive settings' values in force, as the breaker and its windows read them. */
    @SuppressWarnings("unused") // accessed through TUNING
    private volatile Tuning tuning;

    CircuitBreakerConfig(CircuitBreakerBuilder b) {
        this.name = b.name;
        this.given = new Adaptive<?>[] {b.windowSizeSetting, b.failureRateThresholdSetting, b.slowCallDurationSetting,
                b.slowCallRateThresholdSetting, b.openDurationSetting, b.permittedCallsInHalfOpenSetting};
        this.windowType = b.windowType;
        this.windowSize = own(b.windowSizeSetting, b.windowSize);
        this.windowDuration = b.windowDuration;
        this.windowBuckets = b.windowBuckets;
        this.minimumNumberOfCalls = b.minimumNumberOfCalls;
        // an adaptive of its own per build for each fixed value, so that a reused builder never links two breakers
        this.failureRateThreshold = own(b.failureRateThresholdSetting, b.failureRateThreshold);
        this.slowCallDuration = b.slowCallDurationSetting != null ? b.slowCallDurationSetting
                : b.slowCallDuration != null ? Adaptive.of(b.slowCallDuration) : null;
        this.slowCallRateThreshold = own(b.slowCallRateThresholdSetting, b.slowCallRateThreshold);
        this.openDuration = own(b.openDurationSetting, b.openDuration);
        this.openDurationMultiplier = b.openDurationMultiplier;
        this.maxOpenDuration = b.maxOpenDuration;
        this.permittedCallsInHalfOpen = own(b.permittedCallsInHalfOpenSetting, b.permittedCallsInHalfOpen);
        this.recordFailure = b.recordFailure;
        this.ticker = b.ticker;
        this.rejectionStackTraces = b.rejectionStackTraces;
        this.tuning = new Tuning(failureRateThreshold.get(),
                slowCallDuration != null ? slowCallRateThreshold.get() : Float.NaN,
                slowCallDuration != null ? nanos(slowCallDuration.get()) : Long.MAX_VALUE,
                permittedCallsInHalfOpen.get(), nanos(openDuration.get()), windowSize.get());
    }

    private static <T> Adaptive<T> own(Adaptive<T> given, T fixed) {
        return given != null ? given : Adaptive.of(fixed);
    }

    /**
     * Returns a new builder for a breaker named {@code name} with every setting of this one:
     * building it right away gives a breaker configured exactly like this one (its state is not
     * copied: the new breaker starts CLOSED with an empty window). A setting bound to an
     * {@link Adaptive} given to this config's builder stays bound to that same adaptive; a fixed
     * setting is copied as the value in force now. The failure predicate and the ticker are the
     * same objects. Changing the returned builder never changes this config.
     *
     * <pre>{@code
     * CircuitBreaker payments = inventory.config().toBuilder("payments")   // like inventory's
     *     .openDuration(Duration.ofSeconds(5))                             // but for this
     *     .build();
     * }</pre>
     *
     * @param name the new breaker's name, not blank
     * @return a new builder
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public CircuitBreakerBuilder toBuilder(String name) {
        CircuitBreakerBuilder b = new CircuitBreakerBuilder(name);
        b.windowType = windowType;
        b.windowSize = windowSize.get();
        b.windowSizeSetting = given(0);
        b.windowDuration = windowDuration;
        b.windowBuckets = windowBuckets;
        b.minimumNumberOfCalls = minimumNumberOfCalls;
        b.failureRateThreshold = failureRateThreshold.get();
        b.failureRateThresholdSetting = given(1);
        b.slowCallDuration = slowCallDuration == null ? null : slowCallDuration.get();
        b.slowCallDurationSetting = given(2);
        b.slowCallRateThreshold = slowCallRateThreshold.get();
        b.slowCallRateThresholdSetting = given(3);
        b.openDuration = openDuration.get();
        b.openDurationSetting = given(4);
        b.openDurationMultiplier = openDurationMultiplier;
        b.maxOpenDuration = maxOpenDuration;
        b.permittedCallsInHalfOpen = permittedCallsInHalfOpen.get();
        b.permittedCallsInHalfOpenSetting = given(5);
        b.recordFailure = recordFailure;
        b.ticker = ticker;
        b.rejectionStackTraces = rejectionStackTraces;
        return b;
    }

    /**
     * Returns a new builder for a breaker of this config's name with every setting of this one;
     * see {@link #toBuilder(String)}.
     *
     * @return a new builder
     */
    public CircuitBreakerBuilder toBuilder() {
        return toBuilder(name);
    }

    @SuppressWarnings("unchecked")
    private <T> Adaptive<T> given(int i) {
        return (Adaptive<T>) given[i];
    }

    /**
     * Returns the name of the breaker this config was built for ({@link CircuitBreaker#builder(String)}).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    // ---------------------------------------------------------------- the adaptive settings, inside

    /** The values in force: one volatile read. */
    Tuning tuning() {
        return tuning;
    }

    /** Installs {@code change} applied to the values in force, atomically. */
    void retune(UnaryOperator<Tuning> change) {
        for (;;) {
            Tuning t = tuning;
            Tuning next = change.apply(t);
            if (next == t || TUNING.compareAndSet(this, t, next)) {
                return;
            }
        }
    }

    Adaptive<Float> failureRateThresholdSetting() {
        return failureRateThreshold;
    }

    Adaptive<Duration> slowCallDurationSetting() {
        return slowCallDuration;
    }

    Adaptive<Float> slowCallRateThresholdSetting() {
        return slowCallRateThreshold;
    }

    Adaptive<Duration> openDurationSetting() {
        return openDuration;
    }

    /** The size setting of a count-based window (not bound for a time-based one). */
    Adaptive<Integer> windowSizeSetting() {
        return windowSize;
    }

    /** The minimum number of calls of a count-based window of {@code size} calls. */
    int minimumNumberOfCalls(int size) {
        return windowType == WindowType.COUNT_BASED ? Math.min(minimumNumberOfCalls, size) : minimumNumberOfCalls;
    }

    Adaptive<Integer> permittedCallsInHalfOpenSetting() {
        return permittedCallsInHalfOpen;
    }

    /**
     * The kind of sliding window; see {@link CircuitBreakerBuilder#slidingWindow(int)} and
     * {@link CircuitBreakerBuilder#slidingTimeWindow(Duration, int)}.
     *
     * @return the window type
     */
    public WindowType windowType() {
        return windowType;
    }

    /**
     * The number of calls a count-based window holds: the current value of the adaptive setting
     * ({@link CircuitBreakerBuilder#slidingWindow(int)} or {@link CircuitBreakerBuilder#slidingWindow(Adaptive)}).
     *
     * @return the window size in calls (meaningful for {@link WindowType#COUNT_BASED})
     */
    public int windowSize() {
        return windowSize.get();
    }

    /**
     * The span of time a time-based window covers.
     *
     * @return the window duration (meaningful for {@link WindowType#TIME_BASED})
     */
    public Duration windowDuration() {
        return windowDuration;
    }

    /**
     * The number of buckets a time-based window is divided into.
     *
     * @return the bucket count (meaningful for {@link WindowType#TIME_BASED})
     */
    public int windowBuckets() {
        return windowBuckets;
    }

    /**
     * The minimum number of recorded calls before rates are evaluated; for a count-based
     * window, capped at the window size.
     *
     * @return the minimum number of calls
     */
    public int minimumNumberOfCalls() {
        return minimumNumberOfCalls(windowSize.get());
    }

    /**
     * The failure rate, in percent, at or above which the breaker opens: the current value of
     * the adaptive setting ({@link CircuitBreakerBuilder#failureRateThreshold(float)} or
     * {@link CircuitBreakerBuilder#failureRateThreshold(Adaptive)}).
     *
     * @return the threshold in (0, 100]
     */
    public float failureRateThreshold() {
        return failureRateThreshold.get();
    }

    /**
     * Whether slow calls are detected; only then does a call's duration matter.
     *
     * @return true when a slow-call duration was configured
     */
    public boolean slowCallDetection() {
        return slowCallDuration != null;
    }

    /**
     * The duration from which a call counts as slow: the current value of the adaptive setting
     * ({@link CircuitBreakerBuilder#slowCallDuration(Duration)} or
     * {@link CircuitBreakerBuilder#slowCallDuration(Adaptive)}).
     *
     * @return the slow-call duration, or null when slow calls are not detected
     */
    public Duration slowCallDuration() {
        return slowCallDuration == null ? null : slowCallDuration.get();
    }

    /**
     * The slow-call rate, in percent, at or above which the breaker opens: the current value of
     * the adaptive setting ({@link CircuitBreakerBuilder#slowCallRateThreshold(float)} or
     * {@link CircuitBreakerBuilder#slowCallRateThreshold(Adaptive)}).
     *
     * @return the threshold in (0, 100]
     */
    public float slowCallRateThreshold() {
        return slowCallRateThreshold.get();
    }

    /**
     * How long the breaker stays OPEN after its first consecutive opening: the current value of
     * the adaptive setting ({@link CircuitBreakerBuilder#openDuration(Duration)} or
     * {@link CircuitBreakerBuilder#openDuration(Adaptive)}).
     *
     * @return the base open duration
     */
    public Duration openDuration() {
        return openDuration.get();
    }

    /**
     * The factor the open duration grows by with each consecutive opening (1 = constant).
     *
     * @return the multiplier, at least 1
     */
    public double openDurationMultiplier() {
        return openDurationMultiplier;
    }

    /**
     * The cap on the growing open duration. It never shortens the base open duration: should
     * an adaptive {@link #openDuration()} grow past the cap given to
     * {@link CircuitBreakerBuilder#openDurationBackoff}, the base is the cap.
     *
     * @return the longest open duration
     */
    public Duration maxOpenDuration() {
        Duration base = openDuration.get();
        return openDurationMultiplier == 1.0 || base.compareTo(maxOpenDuration) > 0 ? base : maxOpenDuration;
    }

    /**
     * The number of trial calls HALF_OPEN admits: the current value of the adaptive setting
     * ({@link CircuitBreakerBuilder#permittedCallsInHalfOpen(int)} or
     * {@link CircuitBreakerBuilder#permittedCallsInHalfOpen(Adaptive)}).
     *
     * @return the number of permitted calls in HALF_OPEN
     */
    public int permittedCallsInHalfOpen() {
        return permittedCallsInHalfOpen.get();
    }

    /**
     * The predicate that decides which errors count as failures; others release the permit.
     *
     * @return the failure predicate
     */
    public Predicate<? super Throwable> recordFailure() {
        return recordFailure;
    }

    /**
     * The source of time.
     *
     * @return the ticker
     */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Whether each rejection gets a fresh exception with a stack trace.
     *
     * @return true when rejection stack traces are on
     */
    public boolean rejectionStackTraces() {
        return rejectionStackTraces;
    }

    /**
     * Returns how long the breaker stays open after its {@code openings}-th consecutive opening
     * (1 for the first): the open duration times the multiplier to the power of
     * {@code openings - 1}, capped at the maximum; from the open duration in force now.
     *
     * @param openings the number of consecutive openings, at least 1
     * @return the open duration in nanoseconds
     */
    public long openDurationNanos(int openings) {
        long base = tuning.openNanos;
        if (openings <= 1 || openDurationMultiplier == 1.0) {
            return base;
        }
        double grown = base * Math.pow(openDurationMultiplier, openings - 1);
        long cap = Math.max(base, nanos(maxOpenDuration));
        return grown >= cap ? cap : (long) grown;
    }

    private static long nanos(Duration d) {
        return dev.ninelives.internal.Check.nanos(d);
    }

    @Override
    public String toString() {
        return "CircuitBreakerConfig{"
                + (windowType == WindowType.COUNT_BASED
                        ? "window=last " + windowSize() + " calls"
                        : "window=last " + windowDuration + " in " + windowBuckets + " buckets")
                + ", minimumNumberOfCalls=" + minimumNumberOfCalls()
                + ", failureRateThreshold=" + failureRateThreshold() + "%"
                + (slowCallDuration == null ? ", slowCalls=off"
                        : ", slowCallDuration=" + slowCallDuration() + ", slowCallRateThreshold=" + slowCallRateThreshold() + "%")
                + ", openDuration=" + openDuration()
                + (openDurationMultiplier == 1.0 ? "" : " x" + openDurationMultiplier + " up to " + maxOpenDuration())
                + ", permittedCallsInHalfOpen=" + permittedCallsInHalfOpen()
                + ", ticker=" + ticker + "}";
    }
}
