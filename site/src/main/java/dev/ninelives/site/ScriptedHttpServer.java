package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A real HTTP server, embedded (reactor-netty), listening on the loopback address only
 * ({@value #HOST}) on a port the system picks, whose answers follow a
 * {@link ScriptedService.Script} over time: each {@code GET} {@value #PATH} meets the phase of
 * the moment and is answered {@code 200} after the phase's latency, or {@code 503} after it, or
 * has its connection closed after it without an answer (a reset, where the transport allows),
 * or, beyond an overloaded phase's capacity, is answered {@code 429} at once. It behaves as the
 * in-process {@link ScriptedService} does, request for request, and counts the same things.
 *
 * <p>{@code GET} {@value #READY_PATH} answers {@code 200} at once and is not counted: a client
 * warms its connection up with it before the script starts.
 *
 * <p>The server runs on one daemon event-loop thread of its own; the latencies are timed by the
 * scheduler given to {@link #start}. {@link #close()} stops it and frees its port and thread.
 */
public final class ScriptedHttpServer implements AutoCloseable {

    /** The only address the server listens on. */
    public static final String HOST = "127.0.0.1";
    /** The path of the scripted resource. */
    public static final String PATH = "/inventory";
    /** The path that answers at once, outside the script. */
    public static final String READY_PATH = "/ready";

    private final ScriptedBehaviour behaviour;
    private final Scheduler scheduler;
    private final LoopResources loops;
    private final DisposableServer server;

    private ScriptedHttpServer(ScriptedService.Script script, Ticker ticker, Scheduler scheduler) {
        this.behaviour = new ScriptedBehaviour(script, ticker);
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.loops = LoopResources.create("ninelives-tour-server", 1, true);
        DisposableServer bound;
        try {
            bound = HttpServer.create()
                    .runOn(loops)
                    .host(HOST)
                    .port(0)
                    .route(routes -> routes
                            .get(PATH, this::handle)
                            .get(READY_PATH, (request, response) -> response.sendString(Mono.just("ready\n"))))
                    .bindNow(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            loops.dispose();
            throw e;
        }
        this.server = bound;
    }

    /**
     * Binds a server on {@value #HOST} and an ephemeral port. Its script starts now; call
     * {@link #startScriptNow()} to start it again once clients are ready.
     *
     * @param script    what the server does, and when
     * @param ticker    the clock of the script
     * @param scheduler the scheduler that delays the answers
     * @return the running server
     * @throws NullPointerException if an argument is null
     */
    public static ScriptedHttpServer start(ScriptedService.Script script, Ticker ticker, Scheduler scheduler) {
        return new ScriptedHttpServer(script, ticker, scheduler);
    }

    /** Starts the script again from its first phase, now. */
    public void startScriptNow() {
        behaviour.startNow();
    }

    /**
     * Returns the port the server listens on.
     *
     * @return the port, chosen by the system
     */
    public int port() {
        return server.port();
    }

    /**
     * Returns the address the server listens on.
     *
     * @return {@value #HOST} and the port
     */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.address();
    }

    /**
     * Returns the address of the scripted resource.
     *
     * @return for example {@code "http://127.0.0.1:40123/inventory"}
     */
    public String uri() {
        return "http://" + HOST + ":" + port() + PATH;
    }

    /**
     * Returns the phase the script is in now.
     *
     * @return the current phase
     */
    public ScriptedService.Phase phaseNow() {
        return behaviour.phaseNow();
    }

    /**
     * Returns what the server saw and answered so far ({@value #READY_PATH} not included).
     *
     * @return the server's counts
     */
    public TourService.Stats stats() {
        return behaviour.stats();
    }

    /** Stops the server: closes its port and its connections, and ends its thread; blocks until done. */
    @Override
    public void close() {
        stop().block(Duration.ofSeconds(20));
    }

    /**
     * Stops the server without blocking: closes its port and its connections (waiting up to 5 s
     * for them to close), then ends its thread.
     *
     * @return a Mono that completes once the server has stopped
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            server.dispose();
            return server.onDispose();
        }).timeout(Duration.ofSeconds(5)).onErrorResume(e -> Mono.empty())
                .then(loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)));
    }

    private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        ScriptedBehaviour.Reply reply = behaviour.admit();
        String phase = reply.phase().name();
        if (reply.kind() == ScriptedBehaviour.Kind.OVERLOADED) {
            return response.status(HttpResponseStatus.TOO_MANY_REQUESTS)
                    .header(HttpHeaderNames.RETRY_AFTER, "1")
                    .sendString(Mono.just("request #" + reply.n() + ", " + phase + ": too many requests at once\n"));
        }
        Mono<Void> answer = switch (reply.kind()) {
            case ANSWER -> response.sendString(Mono.just("item for request #" + reply.n())).then();
            case UNAVAILABLE -> response.status(HttpResponseStatus.SERVICE_UNAVAILABLE)
                    .sendString(Mono.just("request #" + reply.n() + ", " + phase + "\n")).then();
            case CONNECTION_LOST -> Mono.fromRunnable(() -> response.withConnection(connection -> {
                // Linger 0: the close sends a reset rather than a polite end of stream.
                connection.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                connection.channel().close();
            }));
            default -> throw new IllegalStateException("invalid reply: " + reply);
        };
        // The request stops being active once its latency is over, before the client hears of it.
        Runnable done = behaviour.doneOnce();
        return Mono.delay(reply.latency(), scheduler).doOnNext(tick -> done.run()).then(answer)
                .doFinally(signal -> done.run());
    }
}
