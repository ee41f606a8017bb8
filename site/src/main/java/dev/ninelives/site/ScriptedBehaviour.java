package dev.ninelives.site;

import dev.ninelives.core.Ticker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a scripted service does with each request, shared by the in-process
 * {@link ScriptedService} and the HTTP {@link ScriptedHttpServer}, so that both follow a script
 * the same way and count the same things.
 *
 * <p>A request is {@linkplain #admit() admitted}: it gets a number, meets the phase of the
 * moment and counts as active; the phase decides the {@link Reply}. Once the reply has gone
 * out (or the connection has been closed) the caller reports it done with the
 * {@linkplain #doneOnce() runnable} it got for it. A
 * phase with a capacity refuses at once, with a 429, the requests beyond that many active ones,
 * or, if it queues, serves them more slowly ({@link ScriptedService.Phase#latencyAt(int)}).
 * Thread-safe: requests arrive on any thread.
 */
final class ScriptedBehaviour {

    /** What a request gets. */
    enum Kind { ANSWER, UNAVAILABLE, CONNECTION_LOST, OVERLOADED }

    /**
     * The reply to one request.
     *
     * @param kind    what the service does
     * @param latency how long after the request it does it
     * @param n       the request's number, from 1
     * @param phase   the phase the request met
     */
    record Reply(Kind kind, Duration latency, long n, ScriptedService.Phase phase) {
    }

    private final ScriptedService.Script script;
    private final Ticker ticker;
    /** Volatile: the HTTP server starts the script again once it is bound, see {@link #startNow()}. */
    private volatile long startNanos;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong overloaded = new AtomicLong();
    private final AtomicLong connectionsLost = new AtomicLong();
    private final AtomicLong requestsWhileDown = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger peakActive = new AtomicInteger();

    /**
     * Starts the script now.
     *
     * @param script what the service does, and when
     * @param ticker the clock of the script
     */
    ScriptedBehaviour(ScriptedService.Script script, Ticker ticker) {
        this.script = Objects.requireNonNull(script, "script");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.startNanos = ticker.read();
    }

    /** Starts the script again, now: the HTTP server does, once it is bound and warmed up. */
    void startNow() {
        startNanos = ticker.read();
    }

    /** Admits a request: numbers it, counts it as active unless it is refused at once, and decides its reply. */
    Reply admit() {
        long n = requests.incrementAndGet();
        ScriptedService.Phase phase = phaseNow();
        if (phase.down()) {
            requestsWhileDown.incrementAndGet();
        }
        int now = active.incrementAndGet();
        if (phase.capacity() > 0 && !phase.queues() && now > phase.capacity()) {
            active.decrementAndGet();
            overloaded.incrementAndGet();
            return new Reply(Kind.OVERLOADED, Duration.ZERO, n, phase);
        }
        peakActive.accumulateAndGet(now, Math::max);
        Kind kind;
        if (phase.losesConnection(n)) {
            kind = Kind.CONNECTION_LOST;
            connectionsLost.incrementAndGet();
        } else if (phase.fails(n)) {
            kind = Kind.UNAVAILABLE;
            unavailable.incrementAndGet();
        } else {
            kind = Kind.ANSWER;
            answered.incrementAndGet();
        }
        return new Reply(kind, phase.latencyAt(now), n, phase);
    }

    /**
     * Returns what to run when a request admitted as active is done: its latency is over, or it
     * was cancelled. Running it again does nothing, so both may run it.
     */
    Runnable doneOnce() {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                active.decrementAndGet();
            }
        };
    }

    ScriptedService.Phase phaseNow() {
        return script.phaseAt(elapsed());
    }

    Duration elapsed() {
        return Duration.ofNanos(ticker.read() - startNanos);
    }

    long requests() {
        return requests.get();
    }

    long requestsWhileDown() {
        return requestsWhileDown.get();
    }

    TourService.Stats stats() {
        return new TourService.Stats(requests.get(), answered.get(), unavailable.get(), overloaded.get(),
                connectionsLost.get(), requestsWhileDown.get(), peakActive.get());
    }
}
