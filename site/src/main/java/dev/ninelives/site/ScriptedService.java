package dev.ninelives.site;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process fake of a remote service whose behaviour follows a {@link Script} over time:
 * for example healthy, then slow, then an outage, then recovered. Each call is a {@link Mono} that answers (or fails)
 * after the current phase's latency, on the given {@link Scheduler}; with a
 * {@code VirtualTimeScheduler} a whole script plays out instantly.
 *
 * <p>The service counts the calls that actually reach it: a call refused by a circuit breaker
 * is never subscribed, so it never shows up here.
 */
public final class ScriptedService {

    private final Script script;
    private final Scheduler scheduler;
    private final long startNanos;
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicLong invocationsWhileDown = new AtomicLong();

    /**
     * Creates a service whose script starts now, by the scheduler's clock.
     *
     * @param script    what the service does, and when
     * @param scheduler the scheduler whose clock drives the script and that delays the answers
     */
    public ScriptedService(Script script, Scheduler scheduler) {
        this.script = Objects.requireNonNull(script, "script");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.startNanos = scheduler.now(TimeUnit.NANOSECONDS);
    }

    /**
     * Returns one call to the service. Nothing happens until subscription; each subscription
     * is one call, which behaves according to the phase the script is in at that moment.
     *
     * @return a Mono of the answer, or of a {@link ServiceUnavailableException}
     */
    public Mono<String> call() {
        return Mono.defer(() -> {
            long n = invocations.incrementAndGet();
            Phase phase = phaseNow();
            if (phase.down()) {
                invocationsWhileDown.incrementAndGet();
            }
            Mono<Long> latency = Mono.delay(phase.latency(), scheduler);
            if (phase.fails(n)) {
                return latency.then(Mono.error(new ServiceUnavailableException(phase.name(), n)));
            }
            return latency.thenReturn("answer #" + n);
        });
    }

    /**
     * Returns the phase the script is in now.
     *
     * @return the current phase (the last one once the script has run out)
     */
    public Phase phaseNow() {
        return script.phaseAt(elapsed());
    }

    /**
     * Returns the time since the script started, by the scheduler's clock.
     *
     * @return the elapsed time
     */
    public Duration elapsed() {
        return Duration.ofNanos(scheduler.now(TimeUnit.NANOSECONDS) - startNanos);
    }

    /**
     * Returns how many calls reached the service.
     *
     * @return the number of subscriptions to {@link #call()} Monos
     */
    public long invocations() {
        return invocations.get();
    }

    /**
     * Returns how many calls reached the service while it was {@linkplain Phase#down() down}.
     *
     * @return the number of calls that hit the outage
     */
    public long invocationsWhileDown() {
        return invocationsWhileDown.get();
    }

    /**
     * One stretch of the script.
     *
     * @param name      a short label, shown in the tour's timeline
     * @param length    how long the phase lasts
     * @param latency   how long each call takes, successful or not
     * @param failOneIn 0 for no failures, 1 for every call failing (the service is down), n for
     *                  every n-th call failing
     */
    public record Phase(String name, Duration length, Duration latency, int failOneIn) {

        /**
         * Checks the arguments.
         *
         * @param name      a short label, shown in the tour's timeline
         * @param length    how long the phase lasts
         * @param latency   how long each call takes, successful or not
         * @param failOneIn 0 for no failures, 1 for every call failing, n for every n-th call failing
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if a duration is negative or zero where it must not
         *                                  be, or {@code failOneIn} is negative
         */
        public Phase {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(length, "length");
            Objects.requireNonNull(latency, "latency");
            if (length.isNegative() || length.isZero()) {
                throw new IllegalArgumentException("length must be positive, but was " + length);
            }
            if (latency.isNegative()) {
                throw new IllegalArgumentException("latency must not be negative, but was " + latency);
            }
            if (failOneIn < 0) {
                throw new IllegalArgumentException("failOneIn must not be negative, but was " + failOneIn);
            }
        }

        /**
         * A phase in which every call fails after {@code latency}.
         *
         * @param name    the label
         * @param length  how long the outage lasts
         * @param latency how long each call takes to fail
         * @return the phase
         */
        public static Phase down(String name, Duration length, Duration latency) {
            return new Phase(name, length, latency, 1);
        }

        /**
         * Tells whether every call fails in this phase.
         *
         * @return true for an outage
         */
        public boolean down() {
            return failOneIn == 1;
        }

        /**
         * Tells whether the {@code n}-th call to the service fails in this phase.
         *
         * @param n the call's number, from 1
         * @return true if it fails
         */
        public boolean fails(long n) {
            return failOneIn > 0 && n % failOneIn == 0;
        }

        /**
         * Describes the behaviour in a few words.
         *
         * @return for example {@code "answers in 20 ms, 1 call in 20 fails"}
         */
        public String behaviour() {
            String ms = latency.toMillis() + " ms";
            if (down()) {
                return "every call fails after " + ms;
            }
            return "answers in " + ms + (failOneIn == 0 ? "" : ", 1 call in " + failOneIn + " fails");
        }
    }

    /**
     * The phases of a service, one after the other.
     *
     * @param phases the phases, in order; at least one
     */
    public record Script(List<Phase> phases) {

        /**
         * Copies and checks the phases.
         *
         * @param phases the phases, in order; at least one
         * @throws NullPointerException     if the list or a phase is null
         * @throws IllegalArgumentException if the list is empty
         */
        public Script {
            phases = List.copyOf(phases);
            if (phases.isEmpty()) {
                throw new IllegalArgumentException("a script needs at least one phase");
            }
        }

        /**
         * Builds a script from phases.
         *
         * @param phases the phases, in order
         * @return the script
         */
        public static Script of(Phase... phases) {
            return new Script(List.of(phases));
        }

        /**
         * The tour's script, 16 s: healthy with a little noise, 3 s in which every call
         * succeeds but takes 400 ms, a 4 s outage in which every call fails slowly, then healthy
         * again.
         *
         * @return the standard script
         */
        public static Script standard() {
            return of(
                    new Phase("healthy", Duration.ofSeconds(4), Duration.ofMillis(20), 20),
                    new Phase("SLOW", Duration.ofSeconds(3), Duration.ofMillis(400), 0),
                    Phase.down("OUTAGE", Duration.ofSeconds(4), Duration.ofMillis(150)),
                    new Phase("recovered", Duration.ofSeconds(5), Duration.ofMillis(20), 0));
        }

        /**
         * Returns the phase at {@code elapsed} time into the script.
         *
         * @param elapsed the time since the script started
         * @return the phase then; the last phase once the script has run out
         */
        public Phase phaseAt(Duration elapsed) {
            Duration end = Duration.ZERO;
            for (Phase p : phases) {
                end = end.plus(p.length());
                if (elapsed.compareTo(end) < 0) {
                    return p;
                }
            }
            return phases.get(phases.size() - 1);
        }

        /**
         * Returns when the phase at {@code index} starts.
         *
         * @param index the phase's index
         * @return its start, from the start of the script
         */
        public Duration startOf(int index) {
            Duration start = Duration.ZERO;
            for (int i = 0; i < index; i++) {
                start = start.plus(phases.get(i).length());
            }
            return start;
        }

        /**
         * Returns the length of the whole script.
         *
         * @return the sum of the phases' lengths
         */
        public Duration length() {
            return startOf(phases.size());
        }
    }

    /** The error of a failed call: the fake's version of a 503. Cheap: no stack trace. */
    public static final class ServiceUnavailableException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        /**
         * Creates the error of call {@code n}.
         *
         * @param phase the phase the call failed in
         * @param n     the call's number
         */
        public ServiceUnavailableException(String phase, long n) {
            super(String.format(Locale.ROOT, "503 Service Unavailable (call #%d, %s)", n, phase), null, false, false);
        }
    }
}
