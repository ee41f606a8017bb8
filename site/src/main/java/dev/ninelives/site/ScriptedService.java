package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An in-process fake of a remote service whose behaviour follows a {@link Script} over time:
 * for example healthy, then slow, then failing, then overloaded, then recovered. Each call is a
 * {@link Mono} that answers (or fails with a {@link ServiceException}) after the current phase's
 * latency, on the given {@link Scheduler}; with a {@code VirtualTimeScheduler} a whole script
 * plays out instantly. It behaves as the HTTP {@link ScriptedHttpServer} does, request for
 * request: a 503 is a {@link ServiceException.Kind#UNAVAILABLE}, a connection the server closes
 * is a {@link ServiceException.Kind#CONNECTION_LOST}, a request beyond an overloaded phase's
 * capacity fails at once with a {@link ServiceException.Kind#OVERLOADED}.
 *
 * <p>The service counts the calls that actually reach it: a call refused by a circuit breaker
 * is never subscribed, so it never shows up here.
 */
public final class ScriptedService implements TourService {

    private final ScriptedBehaviour behaviour;
    private final Scheduler scheduler;

    /**
     * Creates a service whose script starts now, by the scheduler's clock.
     *
     * @param script    what the service does, and when
     * @param scheduler the scheduler whose clock drives the script and that delays the answers
     */
    public ScriptedService(Script script, Scheduler scheduler) {
        this(script, () -> scheduler.now(TimeUnit.NANOSECONDS), scheduler);
    }

    /**
     * Creates a service whose script starts now, by the ticker's clock.
     *
     * @param script    what the service does, and when
     * @param ticker    the clock of the script
     * @param scheduler the scheduler that delays the answers
     */
    public ScriptedService(Script script, Ticker ticker, Scheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.behaviour = new ScriptedBehaviour(script, ticker);
    }

    /**
     * Returns one call to the service. Nothing happens until subscription; each subscription
     * is one call, which behaves according to the phase the script is in at that moment.
     *
     * @return a Mono of the answer, or of a {@link ServiceException}
     */
    @Override
    public Mono<String> call() {
        return Mono.defer(() -> {
            ScriptedBehaviour.Reply reply = behaviour.admit();
            String phase = reply.phase().name();
            if (reply.kind() == ScriptedBehaviour.Kind.OVERLOADED) {
                return Mono.error(ServiceException.overloaded(phase, reply.n()));
            }
            // The request stops being active once its latency is over, before its caller hears of it.
            Runnable done = behaviour.doneOnce();
            Mono<Long> latency = Mono.delay(reply.latency(), scheduler).doOnNext(tick -> done.run());
            Mono<String> answer = switch (reply.kind()) {
                case ANSWER -> latency.thenReturn("answer #" + reply.n());
                case UNAVAILABLE -> latency.then(Mono.error(ServiceException.unavailable(phase, reply.n())));
                case CONNECTION_LOST -> latency.then(Mono.error(ServiceException.connectionLost(
                        "request #" + reply.n() + ", " + phase + ": the service closed the connection")));
                default -> throw new IllegalStateException("invalid reply: " + reply);
            };
            return answer.doFinally(signal -> done.run());
        });
    }

    /**
     * Returns the phase the script is in now.
     *
     * @return the current phase (the last one once the script has run out)
     */
    @Override
    public Phase phaseNow() {
        return behaviour.phaseNow();
    }

    /**
     * Returns the time since the script started, by the service's clock.
     *
     * @return the elapsed time
     */
    public Duration elapsed() {
        return behaviour.elapsed();
    }

    /**
     * Returns how many calls reached the service.
     *
     * @return the number of subscriptions to {@link #call()} Monos
     */
    public long invocations() {
        return behaviour.requests();
    }

    /**
     * Returns how many calls reached the service while it was {@linkplain Phase#down() down}.
     *
     * @return the number of calls that hit the outage
     */
    public long invocationsWhileDown() {
        return behaviour.requestsWhileDown();
    }

    @Override
    public Stats stats() {
        return behaviour.stats();
    }

    @Override
    public String description() {
        return "an in-process fake";
    }

    /** Nothing to release: the fake holds no thread and no connection. */
    @Override
    public void close() {
    }

    /**
     * One stretch of the script.
     *
     * @param name                a short label, shown in the tour's timeline
     * @param length              how long the phase lasts
     * @param latency             how long each request takes, successful or not
     * @param failOneIn           0 for no failures, 1 for every request failing (the service is
     *                            down), n for every n-th request failing; a failure is a 503, or
     *                            a lost connection where {@code loseConnectionOneIn} says so
     * @param loseConnectionOneIn 0 for none, n for every n-th request's connection closed by the
     *                            service, after the latency, without an answer
     * @param capacity            0 for no limit, n for at most n requests at once at full speed:
     *                            the service answers a request beyond that at once with a 429,
     *                            or serves it more slowly if the phase {@code queues}
     * @param queues              with a capacity, true if the service takes a request beyond it and
     *                            shares its time: a request that arrives with n requests active,
     *                            itself included, takes {@code latency * n / capacity}; false if it
     *                            answers it at once with a 429
     */
    public record Phase(String name, Duration length, Duration latency, int failOneIn, int loseConnectionOneIn,
                        int capacity, boolean queues) {

        /**
         * Checks the arguments.
         *
         * @param name                a short label, shown in the tour's timeline
         * @param length              how long the phase lasts
         * @param latency             how long each request takes, successful or not
         * @param failOneIn           0 for no failures, 1 for every request failing, n for every
         *                            n-th request failing
         * @param loseConnectionOneIn 0 for none, n for every n-th request's connection closed
         * @param capacity            0 for no limit, n for at most n requests at once at full speed
         * @param queues              true if a request beyond the capacity is served more slowly,
         *                            false if it is answered at once with a 429
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if a duration is negative or zero where it must not
         *                                  be, a count is negative, or {@code queues} is true
         *                                  without a capacity
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
            if (loseConnectionOneIn < 0) {
                throw new IllegalArgumentException("loseConnectionOneIn must not be negative, but was "
                        + loseConnectionOneIn);
            }
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity must not be negative, but was " + capacity);
            }
            if (queues && capacity == 0) {
                throw new IllegalArgumentException("queues needs a capacity, but capacity was 0");
            }
        }

        /**
         * A phase whose requests beyond the capacity, if it has one, are answered at once with a 429.
         *
         * @param name                a short label, shown in the tour's timeline
         * @param length              how long the phase lasts
         * @param latency             how long each request takes, successful or not
         * @param failOneIn           0 for no failures, 1 for every request failing, n for every
         *                            n-th request failing
         * @param loseConnectionOneIn 0 for none, n for every n-th request's connection closed
         * @param capacity            0 for no limit, n for at most n requests at once
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if a duration is negative or zero where it must not
         *                                  be, or a count is negative
         */
        public Phase(String name, Duration length, Duration latency, int failOneIn, int loseConnectionOneIn,
                     int capacity) {
            this(name, length, latency, failOneIn, loseConnectionOneIn, capacity, false);
        }

        /**
         * A phase without lost connections or a limit of requests at once.
         *
         * @param name      a short label, shown in the tour's timeline
         * @param length    how long the phase lasts
         * @param latency   how long each request takes, successful or not
         * @param failOneIn 0 for no failures, 1 for every request failing with a 503, n for every
         *                  n-th request failing with a 503
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if a duration is negative or zero where it must not
         *                                  be, or {@code failOneIn} is negative
         */
        public Phase(String name, Duration length, Duration latency, int failOneIn) {
            this(name, length, latency, failOneIn, 0, 0);
        }

        /**
         * A phase in which every request fails with a 503 after {@code latency}.
         *
         * @param name    the label
         * @param length  how long the outage lasts
         * @param latency how long each request takes to fail
         * @return the phase
         */
        public static Phase down(String name, Duration length, Duration latency) {
            return new Phase(name, length, latency, 1);
        }

        /**
         * A phase in which every request fails after {@code latency}: every
         * {@code loseConnectionOneIn}-th one by a connection closed without an answer, the
         * others with a 503.
         *
         * @param name                the label
         * @param length              how long the outage lasts
         * @param latency             how long each request takes to fail
         * @param loseConnectionOneIn n for every n-th request's connection closed
         * @return the phase
         */
        public static Phase failing(String name, Duration length, Duration latency, int loseConnectionOneIn) {
            return new Phase(name, length, latency, 1, loseConnectionOneIn, 0);
        }

        /**
         * A phase in which the service answers every request after {@code latency}, but works
         * on at most {@code capacity} at once and answers those beyond at once with a 429.
         *
         * @param name     the label
         * @param length   how long the phase lasts
         * @param latency  how long each request it works on takes
         * @param capacity how many requests it works on at once, at least 1
         * @return the phase
         * @throws IllegalArgumentException if {@code capacity} is below 1
         */
        public static Phase overloaded(String name, Duration length, Duration latency, int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity must be at least 1, but was " + capacity);
            }
            return new Phase(name, length, latency, 0, 0, capacity);
        }

        /**
         * A phase in which the service answers every request, in {@code latency} while it works
         * on at most {@code capacity} at once, and more slowly beyond: it shares its time, so a
         * request that arrives with n requests active, itself included, takes
         * {@code latency * n / capacity}. Its latency grows with the load beyond the capacity,
         * which is what an adaptive limit reads.
         *
         * @param name     the label
         * @param length   how long the phase lasts
         * @param latency  how long each request takes while at most {@code capacity} are active
         * @param capacity how many requests it serves at once at full speed, at least 1
         * @return the phase
         * @throws IllegalArgumentException if {@code capacity} is below 1
         */
        public static Phase queueing(String name, Duration length, Duration latency, int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity must be at least 1, but was " + capacity);
            }
            return new Phase(name, length, latency, 0, 0, capacity, true);
        }

        /**
         * Returns how long a request takes that arrives with {@code active} requests active,
         * itself included.
         *
         * @param active the requests active, this one included
         * @return {@link #latency()}, stretched by {@code active / capacity} beyond the capacity of
         *         a phase that {@linkplain #queues() queues}
         */
        public Duration latencyAt(int active) {
            if (!queues || active <= capacity) {
                return latency;
            }
            return Duration.ofNanos(latency.toNanos() * active / capacity);
        }

        /**
         * Tells whether every request fails in this phase.
         *
         * @return true for an outage
         */
        public boolean down() {
            return failOneIn == 1;
        }

        /**
         * Tells whether the {@code n}-th request to the service fails in this phase, with a 503
         * or a lost connection.
         *
         * @param n the request's number, from 1
         * @return true if it fails
         */
        public boolean fails(long n) {
            return failOneIn > 0 && n % failOneIn == 0;
        }

        /**
         * Tells whether the service closes the connection of the {@code n}-th request without
         * an answer, in this phase.
         *
         * @param n the request's number, from 1
         * @return true if its connection is lost
         */
        public boolean losesConnection(long n) {
            return loseConnectionOneIn > 0 && n % loseConnectionOneIn == 0;
        }

        /**
         * Describes the behaviour in a few words.
         *
         * @return for example {@code "answers in 20 ms, 1 request in 20 fails (503)"}
         */
        public String behaviour() {
            String ms = latency.toMillis() + " ms";
            List<String> parts = new ArrayList<>();
            if (down()) {
                parts.add("every request fails after " + ms + (loseConnectionOneIn == 0 ? " (503)"
                        : loseConnectionOneIn == 1 ? " (connection closed, no answer)"
                        : ": 1 in " + loseConnectionOneIn + " by a connection closed without an answer, the others 503"));
            } else {
                parts.add("answers in " + ms);
                if (failOneIn > 0) {
                    parts.add("1 request in " + failOneIn + " fails (503)");
                }
                if (loseConnectionOneIn > 0) {
                    parts.add("1 request in " + loseConnectionOneIn + " loses its connection");
                }
            }
            if (capacity > 0 && queues) {
                parts.set(0, "answers in " + ms + " up to " + capacity + " at once, more slowly beyond (n at once: "
                        + ms + " x n / " + capacity + ")");
            } else if (capacity > 0) {
                parts.add("at most " + capacity + " at once, 429 at once for the others");
            }
            return String.join(", ", parts);
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
         * The tour's script, 21 s: 4 s healthy with a little noise; 5 s overloaded, 2 requests
         * at once answered in 110 ms and more at once answered more slowly (n at once in
         * 110 ms x n / 2), so that its latency grows with the load it is given; 3 s slow, every
         * request answered but in 400 ms, above the breaker's slow-call threshold; a 3 s outage
         * in which every request fails after 150 ms, most with a 503, every third by a connection
         * closed without an answer; then 6 s healthy again.
         *
         * @return the standard script
         */
        public static Script standard() {
            return of(
                    new Phase("healthy", Duration.ofSeconds(4), Duration.ofMillis(20), 20),
                    Phase.queueing("OVERLOAD", Duration.ofSeconds(5), Duration.ofMillis(110), 2),
                    new Phase("SLOW", Duration.ofSeconds(3), Duration.ofMillis(400), 0),
                    Phase.failing("OUTAGE", Duration.ofSeconds(3), Duration.ofMillis(150), 3),
                    new Phase("recovered", Duration.ofSeconds(6), Duration.ofMillis(20), 0));
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
}
