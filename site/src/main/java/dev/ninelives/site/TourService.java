package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The service the tour calls: it follows a {@link ScriptedService.Script} over time, and each
 * call either answers or fails with a {@link ServiceException}. Two implementations: the
 * in-process {@link ScriptedService}, which virtual time can drive, and
 * {@link HttpTourService}, a real HTTP server on the loopback address and a real HTTP client.
 */
public interface TourService extends AutoCloseable {

    /**
     * Returns one call to the service. Nothing happens until subscription; each subscription
     * is one request, which meets the phase the script is in when it arrives.
     *
     * @return a Mono of the answer, or of a {@link ServiceException}
     */
    Mono<String> call();

    /**
     * Returns the phase the script is in now.
     *
     * @return the current phase (the last one once the script has run out)
     */
    ScriptedService.Phase phaseNow();

    /**
     * Returns what the service saw and answered so far.
     *
     * @return the service's counts
     */
    Stats stats();

    /**
     * Describes the service in a few words, for the tour's header.
     *
     * @return for example {@code "http://127.0.0.1:40123/inventory"}
     */
    String description();

    /** Stops the service and releases what it holds: its server, its connections, its threads. Blocks until done. */
    @Override
    void close();

    /**
     * Returns the stopping of the service, which never blocks the thread that subscribes: a
     * pipeline's last signal may come on an event-loop thread, where nothing may block.
     *
     * @return a Mono that stops the service when subscribed and completes once it has stopped;
     *         by default {@link #close()}, for a service whose close does not block
     */
    default Mono<Void> stop() {
        return Mono.fromRunnable(this::close);
    }

    /** Starts a service whose script starts the moment it is ready. */
    @FunctionalInterface
    interface Factory {

        /**
         * Starts a service.
         *
         * @param script    what the service does, and when
         * @param ticker    the clock of the script
         * @param scheduler the scheduler that delays the service's answers
         * @return the service, ready to be called, its script starting now
         */
        TourService start(ScriptedService.Script script, Ticker ticker, Scheduler scheduler);
    }

    /**
     * What a service saw: every request that reached it, and how it answered them.
     *
     * @param requests          requests that reached the service
     * @param answered          requests answered with a success
     * @param unavailable       requests answered 503
     * @param overloaded        requests answered 429 because the service was at its limit
     * @param connectionsLost   requests whose connection the service closed without an answer
     * @param requestsWhileDown requests that arrived while the service was
     *                          {@linkplain ScriptedService.Phase#down() down}
     * @param peakActive        the most requests the service worked on at once
     */
    record Stats(long requests, long answered, long unavailable, long overloaded, long connectionsLost,
                 long requestsWhileDown, int peakActive) {
    }
}
