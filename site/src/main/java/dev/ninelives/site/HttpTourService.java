package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import io.netty.channel.ChannelException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * The tour's service over real HTTP: a {@link ScriptedHttpServer} on the loopback address and a
 * reactor-netty {@link HttpClient} that calls it. Each {@link #call()} is one {@code GET}; an
 * answer other than {@code 200} and a connection lost before an answer become a
 * {@link ServiceException}, so a circuit breaker and a retry see them as failures.
 *
 * <p>The client keeps a small pool of connections of its own, runs on one daemon event-loop
 * thread of its own, and never retries by itself (reactor-netty retries a request once on some
 * connection errors, unless told not to): every retry is the retry policy's. It gives up on an
 * answer after {@link #RESPONSE_TIMEOUT}, a guard the script never reaches.
 * {@link #close()} releases the client's connections and thread, then stops the server.
 */
public final class HttpTourService implements TourService {

    /** How long the client waits for an answer before it gives up on the request. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(2);

    private final ScriptedHttpServer server;
    private final LoopResources loops;
    private final ConnectionProvider connections;
    private final HttpClient client;

    private HttpTourService(ScriptedHttpServer server) {
        this.server = server;
        this.loops = LoopResources.create("ninelives-tour-client", 1, true);
        this.connections = ConnectionProvider.builder("ninelives-tour").maxConnections(32).build();
        this.client = HttpClient.create(connections)
                .runOn(loops)
                .host(ScriptedHttpServer.HOST)
                .port(server.port())
                .disableRetry(true)
                .responseTimeout(RESPONSE_TIMEOUT);
    }

    /**
     * Starts a server on {@value ScriptedHttpServer#HOST} and a client for it, warms the client
     * up with one request outside the script, then starts the script. Blocks until all that is
     * done.
     *
     * @param script    what the server does, and when
     * @param ticker    the clock of the script
     * @param scheduler the scheduler that delays the server's answers
     * @return the service, its script starting now
     * @throws NullPointerException if an argument is null
     */
    public static HttpTourService start(ScriptedService.Script script, Ticker ticker, Scheduler scheduler) {
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(scheduler, "scheduler");
        ScriptedHttpServer server = ScriptedHttpServer.start(script, ticker, scheduler);
        HttpTourService service = null;
        try {
            service = new HttpTourService(server);
            service.client.get().uri(ScriptedHttpServer.READY_PATH).responseContent().aggregate().asString()
                    .block(Duration.ofSeconds(10));
            server.startScriptNow();
            return service;
        } catch (RuntimeException e) {
            if (service != null) {
                service.close();
            } else {
                server.close();
            }
            throw e;
        }
    }

    /**
     * Returns one {@code GET} of the scripted resource. Nothing happens until subscription;
     * each subscription is one request.
     *
     * @return a Mono of the answer's body, or of a {@link ServiceException}
     */
    @Override
    public Mono<String> call() {
        return client.get()
                .uri(ScriptedHttpServer.PATH)
                .responseSingle((response, body) -> {
                    int status = response.status().code();
                    if (status == 200) {
                        return body.asString().switchIfEmpty(Mono.error(() -> new ServiceException(
                                ServiceException.Kind.UNEXPECTED_STATUS, status, "200 without a body")));
                    }
                    ServiceException.Kind kind = switch (status) {
                        case 503 -> ServiceException.Kind.UNAVAILABLE;
                        case 429 -> ServiceException.Kind.OVERLOADED;
                        default -> ServiceException.Kind.UNEXPECTED_STATUS;
                    };
                    return body.asString().defaultIfEmpty("").flatMap(text -> Mono.error(
                            new ServiceException(kind, status, response.status() + ": " + text.strip())));
                })
                .onErrorMap(HttpTourService::lostConnection, e -> ServiceException.connectionLost(String.valueOf(e)));
    }

    /** A closed or reset connection, a refused connection, no answer in time: no answer at all. */
    private static boolean lostConnection(Throwable e) {
        return e instanceof IOException || e instanceof ChannelException;
    }

    /**
     * Returns the server the client calls.
     *
     * @return the server
     */
    public ScriptedHttpServer server() {
        return server;
    }

    @Override
    public ScriptedService.Phase phaseNow() {
        return server.phaseNow();
    }

    @Override
    public Stats stats() {
        return server.stats();
    }

    @Override
    public String description() {
        return "GET " + server.uri() + ", a reactor-netty server in this JVM";
    }

    /** Closes the client's connections, ends its thread, and stops the server; blocks until done. */
    @Override
    public void close() {
        stop().block(Duration.ofSeconds(20));
    }

    /**
     * Closes the client's connections, ends its thread, and stops the server, without blocking.
     *
     * @return a Mono that completes once all is stopped
     */
    @Override
    public Mono<Void> stop() {
        return Mono.defer(() -> connections.disposeLater()
                .then(loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)))
                .onErrorResume(e -> Mono.empty())
                .then(server.stop()));
    }
}
