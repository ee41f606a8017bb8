package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.core.Ticker;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;
import dev.ninelives.internal.RateGate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.Consumer;

/*
 * A lock-free GCRA rate limiter: one state word, `last`, the instant of the newest reservation's
 * permit on the ticker's clock, or IDLE before the first reservation. (Classic GCRA keeps the
 * theoretical arrival time tat = last + burst * interval; keeping `last` instead makes a change
 * of the rate apply from the newest permit on, with the new interval and the new tolerance.)
 *
 * Who races. Every reservation reads `last`, computes next = max(last + interval, now - tolerance)
 * (tolerance = (burst - 1) * interval: after an idle spell, burst permits fit between
 * now - tolerance and now), and CASes `last` from what it read to next if next - now <= the wait
 * it accepts. A CAS that
 * fails means another reservation (or a give-back) moved `last`: the loser recomputes from the new
 * value, so every permit gets an instant at least one interval after the one before it. A
 * refusal writes nothing. Reservations are served in the order their CASes succeed, which is
 * the arrival order the word defines.
 *
 * Give-back. A cancelled reservation CASes `last` from exactly its own instant back to
 * instant - interval: it succeeds only while it is the newest reservation. A later reservation
 * makes the CAS fail, and the permit is forfeit (see RateLimiter's javadoc for why moving `last`
 * back then would double-spend a slot). After a clamped reservation (next = now - tolerance) the
 * give-back leaves `last` one interval before it, which grants the next caller the same instant:
 * the bucket has its token back, and no more. A stale give-back (a reservation whose `next` value a
 * later reservation happens to reach again after an earlier give-back) is prevented by the
 * callers: each reservation gives back at most once, and only before it started.
 *
 * The rate. limitForPeriod, period and burst are Adaptives; a change publishes a new immutable Rate
 * (computed from the adaptives' current values, not from the change, which concurrent changes
 * may announce out of order), and reservations read it once. A reservation that raced the change
 * uses either rate; nothing already reserved moves.
 *
 * Time. Comparisons are on differences (a - b > 0), so a ticker anywhere on the long line works,
 * as System.nanoTime does. A ticker that goes back is harmless: the max keeps `last`.
 *
 * Listeners and errors. Listeners run through Guard after the CAS; only a JVM-fatal error comes
 * out. A permitted listener's one gives the permit back first (if it still can be); a rejected
 * listener's one comes after the refusal was counted.
 */
final class GcraRateLimiter extends RateGate implements RateLimiter, Bindings.Owner {

    private static final VarHandle LAST;
    private static final VarHandle REFUSED_CALLS;
    private static final VarHandle RATE;
    private static final VarHandle PERMITTED_LISTENERS;
    private static final VarHandle REJECTED_LISTENERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LAST = l.findVarHandle(GcraRateLimiter.class, "last", long.class);
            REFUSED_CALLS = l.findVarHandle(GcraRateLimiter.class, "refusedCalls", long.class);
            RATE = l.findVarHandle(GcraRateLimiter.class, "rate", Rate.class);
            PERMITTED_LISTENERS = l.findVarHandle(GcraRateLimiter.class, "permittedListeners", Consumer[].class);
            REJECTED_LISTENERS = l.findVarHandle(GcraRateLimiter.class, "rejectedListeners", Consumer[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code last} before the first reservation: every permit of the burst is free. */
    static final long IDLE = Long.MIN_VALUE + 1;

    @SuppressWarnings("unchecked")
    private static final Consumer<? super RateLimiterEvent>[] NONE = new Consumer[0];

    private final RateLimiterConfig config;
    private final Bindings bindings = new Bindings();
    private final String name;
    private final Ticker ticker;
    /** The maximum wait in nanoseconds: a view of the adaptive, one volatile read. */
    private final Adaptive<Long> maxWaitNanos;
    private final boolean stackTraces;

    private volatile long last = IDLE;
    private volatile Rate rate;
    private volatile long refusedCalls;
    /** The last shared refusal; reused while it quotes the same instant. Benign race: any one of them is right. */
    private volatile RequestNotPermittedException lastRejection;
    private volatile Consumer<? super RateLimiterEvent>[] permittedListeners = NONE;
    private volatile Consumer<? super RateLimiterEvent>[] rejectedListeners = NONE;

    GcraRateLimiter(RateLimiterConfig config) {
        this.config = config;
        this.name = config.name();
        this.ticker = config.ticker();
        this.stackTraces = config.rejectionStackTraces();
        checkLimit(config.limitSetting().get());
        checkPeriod(config.periodSetting().get());
        Adaptive<Integer> burst = config.burstSetting();
        if (burst != null) {
            checkBurst(burst.get());
        }
        checkWait(config.maxWaitSetting().get());   // every value checked before anything is bound
        AdaptiveBinding.bind(config.limitSetting(), this::checkLimit, change -> applyRate(), bindings);
        AdaptiveBinding.bind(config.periodSetting(), this::checkPeriod, change -> applyRate(), bindings);
        if (burst != null) {
            AdaptiveBinding.bind(burst, this::checkBurst, change -> applyRate(), bindings);
        }
        AdaptiveBinding.bind(config.maxWaitSetting(), this::checkWait, change -> { }, bindings);
        this.maxWaitNanos = AdaptiveBinding.map(config.maxWaitSetting(), Check::nanos, bindings);
        applyRate();
    }

    @Override
    public Bindings bindings() {
        return bindings;
    }

    private void checkLimit(Integer limit) {
        if (limit == null || limit < 1 || limit > RateLimiterBuilder.MAX_PERMITS) {
            throw new IllegalArgumentException("limitForPeriod of rate limiter '" + name + "' must be between 1 and "
                    + RateLimiterBuilder.MAX_PERMITS + ", but was " + limit);
        }
    }

    private void checkBurst(Integer burst) {
        if (burst == null || burst < 1 || burst > RateLimiterBuilder.MAX_PERMITS) {
            throw new IllegalArgumentException("burst of rate limiter '" + name + "' must be between 1 and "
                    + RateLimiterBuilder.MAX_PERMITS + ", but was " + burst);
        }
    }

    private void checkWait(Duration maxWait) {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait of rate limiter '" + name + "' must be zero or positive, but was "
                    + maxWait);
        }
    }

    private void checkPeriod(Duration period) {
        if (period == null || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period of rate limiter '" + name + "' must be positive, but was " + period);
        }
    }

    /** Publishes the rate of the adaptives' current values, unless it is in force already. */
    private void applyRate() {
        for (;;) {
            Rate r = rate;
            int limit = config.limitForPeriod();
            long period = Check.nanos(config.period());
            int burst = config.burst();
            if (r != null && r.limitForPeriod == limit && r.periodNanos == period && r.burst == burst) {
                return;
            }
            if (RATE.compareAndSet(this, r, new Rate(limit, period, burst))) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ RateGate

    @Override
    public Rate rate() {
        return rate;
    }

    @Override
    public Ticker ticker() {
        return ticker;
    }

    @Override
    public long maxWaitNanos() {
        return maxWaitNanos.get();
    }

    @Override
    public long reserve(Rate r, long now, long maxWait) {
        for (;;) {
            long l = last;
            long next = next(r, l, now);
            if (next - now > maxWait) {
                return REFUSED;                        // refusals write nothing
            }
            if (LAST.compareAndSet(this, l, next)) {
                return next;
            }
            // another reservation or a give-back moved `last`: recompute from the new value
        }
    }

    /** The instant of the next permit: max(l + interval, now - tolerance), IDLE counting as long past. */
    private static long next(Rate r, long l, long now) {
        long earliest = now - r.toleranceNanos;
        if (l == IDLE) {
            return earliest;
        }
        long afterLast = l + r.intervalNanos;
        return afterLast - earliest > 0 ? afterLast : earliest;
    }

    @Override
    public boolean giveBack(Rate r, long instant) {
        // only while it is the newest reservation: see the class comment
        return LAST.compareAndSet(this, instant, instant - r.intervalNanos);
    }

    @Override
    public RequestNotPermittedException refuse(Rate r, long now, long maxWait) {
        REFUSED_CALLS.getAndAdd(this, 1L);
        long admittedFrom = next(r, last, now) - maxWait;
        return rejection(admittedFrom, maxWait);
    }

    @Override
    public void announceRefused() {
        Consumer<? super RateLimiterEvent>[] ls = rejectedListeners;
        if (ls.length != 0) {
            Guard.notifyAll(name, ls, new RateLimiterEvent(name, RateLimiterEvent.Type.REJECTED, 0L));
        }
    }

    private RequestNotPermittedException rejection(long admittedFrom, long maxWait) {
        if (stackTraces) {
            return newRejection(admittedFrom, maxWait, true);
        }
        RequestNotPermittedException last = lastRejection;
        if (last != null && last.admittedFromNanos() == admittedFrom) {
            return last;
        }
        RequestNotPermittedException e = newRejection(admittedFrom, maxWait, false);
        lastRejection = e;
        return e;
    }

    private RequestNotPermittedException newRejection(long admittedFrom, long maxWait, boolean stackTrace) {
        Rate r = rate;
        return new RequestNotPermittedException(name, "rate limiter '" + name + "' has no permit free within "
                + Duration.ofNanos(maxWait) + " (" + r.limitForPeriod + " per " + Duration.ofNanos(r.periodNanos)
                + ", burst " + r.burst + "); see retryAfter()", admittedFrom, ticker, stackTrace);
    }

    @Override
    public void announce(Rate r, long reserved, long waitNanos) {
        Consumer<? super RateLimiterEvent>[] ls = permittedListeners;
        if (ls.length == 0) {
            return;
        }
        try {
            Guard.notifyAll(name, ls, new RateLimiterEvent(name, RateLimiterEvent.Type.PERMITTED, waitNanos));
        } catch (Throwable fatal) {
            giveBack(r, reserved);                     // the call does not start
            throw fatal;
        }
    }

    // ------------------------------------------------------------------ RateLimiter

    @Override
    public String name() {
        return name;
    }

    @Override
    public RateLimiterConfig config() {
        return config;
    }

    @Override
    public Reservation tryAcquire() {
        Rate r = rate;
        long now = ticker.read();
        long maxWait = maxWaitNanos.get();
        long reserved = reserve(r, now, maxWait);
        if (reserved == REFUSED) {
            RequestNotPermittedException e = refuse(r, now, maxWait);
            announceRefused();                         // a fatal error propagates; the refusal is counted
            return new Reservation(this, r, 0L, 0L, e);
        }
        long wait = Math.max(0L, reserved - now);
        announce(r, reserved, wait);
        return new Reservation(this, r, reserved, wait, null);
    }

    @Override
    public RateLimiterMetrics metrics() {
        Rate r = rate;
        long now = ticker.read();
        long l = last;
        long first = next(r, l, now);                 // the next permit's instant
        long free = first - now > 0 ? 0L : Math.min(r.burst, (now - first) / r.intervalNanos + 1);
        long waiting = l == IDLE || l - now <= 0 ? 0L : (l - now + r.intervalNanos - 1) / r.intervalNanos;
        return new RateLimiterMetrics(r.limitForPeriod, (int) free, (int) Math.min(Integer.MAX_VALUE, waiting), refusedCalls);
    }

    @Override
    public void onPermitted(Consumer<? super RateLimiterEvent> listener) {
        add(PERMITTED_LISTENERS, listener);
    }

    @Override
    public void onRejected(Consumer<? super RateLimiterEvent> listener) {
        add(REJECTED_LISTENERS, listener);
    }

    @SuppressWarnings("unchecked")
    private void add(VarHandle handle, Consumer<? super RateLimiterEvent> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Consumer<? super RateLimiterEvent>[] current = (Consumer<? super RateLimiterEvent>[]) handle.getVolatile(this);
            if (handle.compareAndSet(this, current, Guard.append(current, listener))) {
                return;
            }
        }
    }

    /** The state word, for tests. */
    long last() {
        return last;
    }

    @Override
    public String toString() {
        return "RateLimiter{" + name + ", " + metrics() + '}';
    }
}
