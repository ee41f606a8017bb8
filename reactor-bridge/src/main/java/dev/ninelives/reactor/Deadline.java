package dev.ninelives.reactor;

import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The deadline a call carries in its Reactor {@code Context}: an instant on a Scheduler's clock
 * by which the whole call must be over. {@link NineLives#deadline(Duration)} writes it for
 * everything upstream of it and enforces it; the stages that wait or schedule (retry backoffs,
 * bulkhead waits) respect what remains of it, and so can your own code: read what is left with
 * {@link #remaining(ContextView)} and pass it on to the service you call.
 *
 * <pre>{@code
 * Mono<Stock> stock = Mono.deferContextual(ctx -> {
 *         Duration left = Deadline.remaining(ctx).orElse(Duration.ofSeconds(5));
 *         return webClient.get().uri("/stock/{sku}", sku)
 *             .header("X-Request-Timeout-Ms", Long.toString(left.toMillis()))   // or a gRPC deadline
 *             .retrieve().bodyToMono(Stock.class);
 *     })
 *     .transform(NineLives.retry(retry))          // no backoff ends past the deadline
 *     .transform(NineLives.deadline(Duration.ofSeconds(2)));
 * }</pre>
 *
 * <p>A pipeline with a total timeout ({@link Pipeline.Builder#timeout(Duration)}) writes one
 * too: its source's attempts see what is left of the total.
 *
 * <p>Instances are immutable and only NineLives writes them into a Context (under a key of its
 * own), always together with an operator that enforces them.
 */
public final class Deadline {

    /** The Context key; private, so only NineLives writes deadlines and every one is enforced. */
    private static final Object KEY = new Object() {
        @Override
        public String toString() {
            return "dev.ninelives.Deadline";
        }
    };

    /** The Scheduler whose clock {@link #atNanos} is read on. */
    final Scheduler clock;
    /** The instant, on {@code clock.now(NANOSECONDS)}. */
    final long atNanos;
    /** The duration given to the operator that set it, for the error message. */
    final Duration duration;
    /** Who set it: a {@code deadline} operator or a pipeline's total timeout, for the error. */
    final TimeoutExceededException.Stage stage;

    Deadline(Scheduler clock, long atNanos, Duration duration, TimeoutExceededException.Stage stage) {
        this.clock = clock;
        this.atNanos = atNanos;
        this.duration = duration;
        this.stage = stage;
    }

    /**
     * Returns the time left until the deadline the Context carries, if it carries one.
     *
     * @param context the subscriber's Context, e.g. from {@code Mono.deferContextual}
     * @return the time left, {@link Duration#ZERO} once the deadline has passed (never negative);
     *         empty when the Context carries no deadline
     * @throws NullPointerException if {@code context} is null
     */
    public static Optional<Duration> remaining(ContextView context) {
        Deadline d = in(context);
        return d == null ? Optional.empty() : Optional.of(Duration.ofNanos(Math.max(0L, d.remainingNanos())));
    }

    /**
     * Returns the deadline a Context carries, or null: one Context lookup, no allocation. For
     * the operators (retry, bulkhead, the pipeline).
     */
    static Deadline in(ContextView context) {
        return context.getOrDefault(KEY, null);
    }

    /** The error of the deadline {@code context} carries, if it has passed; otherwise null. */
    static TimeoutExceededException exceeded(ContextView context) {
        Deadline d = in(context);
        return d == null || d.remainingNanos() > 0 ? null : d.exceeded();
    }

    /** Nanoseconds left on the deadline's own clock; zero or negative once it has passed. */
    long remainingNanos() {
        long now = clock.now(TimeUnit.NANOSECONDS);
        return atNanos - now;
    }

    /** The error of a call whose time ran out on this deadline. */
    TimeoutExceededException exceeded() {
        return new TimeoutExceededException(stage, duration);
    }

    /** {@code context} with this deadline in it, replacing any other. */
    Context writeTo(Context context) {
        return context.put(KEY, this);
    }

    /** {@code now + nanos}, saturating at {@link Long#MAX_VALUE}. */
    static long plus(long now, long nanos) {
        long at = now + nanos;
        return at < now ? Long.MAX_VALUE : at;
    }

    /**
     * Describes the deadline by the time left when this is called.
     *
     * @return e.g. {@code "Deadline[1.5 s left of 2 s]"}
     */
    @Override
    public String toString() {
        long left = Math.max(0L, remainingNanos());
        return "Deadline[" + TimeoutExceededException.format(Duration.ofNanos(left)) + " left of "
                + TimeoutExceededException.format(duration) + "]";
    }
}
