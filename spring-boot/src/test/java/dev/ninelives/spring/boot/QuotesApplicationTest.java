package dev.ninelives.spring.boot;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.cloud.context.environment.EnvironmentChangeEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter in a real application: WebFlux on a random loopback port, calling a quotes server
 * (reactor-netty, on a loopback ephemeral port) that fails when told to, driven over HTTP with
 * {@link WebTestClient}. The breakers' time is a ticker the test moves; nothing sleeps. One test
 * walks the breaker's life, as its state is the application's.
 */
@SpringBootTest(classes = QuotesApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1",
        "management.endpoints.web.exposure.include=health,prometheus,ninelives",
        "management.endpoint.health.show-components=always",
        "management.endpoint.health.show-details=always",
        "ninelives.breaker.quotes.sliding-window=4",
        "ninelives.breaker.quotes.minimumNumberOfCalls=4",
        "ninelives.breaker.quotes.failure_rate_threshold=50",
        "ninelives.breaker.quotes.open-duration=30s",
        "ninelives.breaker.quotes.permitted-calls-in-half-open=1",
        "ninelives.pipeline.quotes.attempt-timeout=5s",
        "ninelives.rate-limiter.quotes.limit-for-period=1000",
        "ninelives.pipeline.quotes.rate-limiter=true"})
@AutoConfigureObservability(tracing = false)   // a test context exports no metrics unless asked: /actuator/prometheus
class QuotesApplicationTest {

    static final AtomicBoolean FAILING = new AtomicBoolean();
    static final AtomicInteger HITS = new AtomicInteger();
    static final DisposableServer QUOTES = HttpServer.create().host("127.0.0.1").port(0)
            .route(routes -> routes.get("/quote", (request, response) -> {
                int hit = HITS.incrementAndGet();
                return FAILING.get()
                        ? response.status(HttpResponseStatus.SERVICE_UNAVAILABLE).sendString(Mono.just("down"))
                        : response.sendString(Mono.just("quote " + hit));
            }))
            .bindNow();

    @DynamicPropertySource
    static void quotesServer(DynamicPropertyRegistry properties) {
        properties.add("quotes.url", () -> "http://127.0.0.1:" + QUOTES.port());
    }

    @AfterAll
    static void stopQuotes() {
        QUOTES.disposeNow();
    }

    @Autowired
    WebTestClient http;
    @Autowired
    NineLivesRegistry registry;
    @Autowired
    ConfigurableApplicationContext context;

    private String get(String path) {
        return http.get().uri(path).exchange().expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> breakerAsTheEndpointShowsIt() {
        Map<String, Object> policy = http.get().uri("/actuator/ninelives/quotes").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return (Map<String, Object>) policy.get("breaker");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> asTheEndpointShowsIt(String kind) {
        Map<String, Object> policy = http.get().uri("/actuator/ninelives/quotes").exchange().expectStatus().isOk()
                .expectBody(Map.class).returnResult().getResponseBody();
        return (Map<String, Object>) policy.get(kind);
    }

    private void transition(String state, int expectedStatus) {
        http.post().uri("/actuator/ninelives/quotes").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("state", state)).exchange().expectStatus().isEqualTo(expectedStatus);
    }

    @Test
    void theBreakerOpensFallsBackShowsInTheActuatorKeepsOpenOverARefreshAndCloses() {
        http = http.mutate().responseTimeout(Duration.ofSeconds(20)).build();
        // the keys are bound, in every spelling, to the breaker the Spring Cloud factory uses
        CircuitBreaker breaker = registry.breaker("quotes");
        assertThat(breaker.config().minimumNumberOfCalls()).isEqualTo(4);
        assertThat(breaker.config().failureRateThreshold()).isEqualTo(50f);
        assertThat(get("/quote")).startsWith("quote ");

        // a failing dependency: each failure falls back; the fourth call (three failures in four) opens the breaker
        FAILING.set(true);
        for (int i = 0; i < 2; i++) {
            assertThat(get("/quote")).isEqualTo("fallback: ServiceUnavailable");
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(get("/quote")).isEqualTo("fallback: ServiceUnavailable");
        assertThat(breakerAsTheEndpointShowsIt()).containsEntry("state", "OPEN").containsEntry("calls", 4);

        // refused calls fall back and never reach the server, through the factory and the pipeline bean
        int hits = HITS.get();
        assertThat(get("/quote")).isEqualTo("fallback: CallNotPermittedException");
        assertThat(get("/direct")).isEqualTo("cached quote");
        assertThat(HITS.get()).isEqualTo(hits);
        assertThat(breakerAsTheEndpointShowsIt()).containsEntry("notPermitted", 2);

        // health and meters
        http.get().uri("/actuator/health/ninelives").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("DEGRADED")
                .jsonPath("$.details.breakers.quotes").isEqualTo("OPEN");
        String prometheus = get("/actuator/prometheus");
        assertThat(prometheus.lines()).anyMatch(l -> l.startsWith("ninelives_breaker_state{")
                && l.contains("name=\"quotes\"") && l.contains("state=\"open\"") && l.endsWith(" 1.0"));
        assertThat(prometheus.lines()).anyMatch(l -> l.startsWith("ninelives_breaker_calls_total{")
                && l.contains("outcome=\"not_permitted\"") && l.endsWith(" 2.0"));

        // a refresh that changes the threshold keeps the very breaker, OPEN
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("refreshed",
                Map.of("ninelives.breaker.quotes.failure-rate-threshold", "75")));
        context.publishEvent(new EnvironmentChangeEvent(context, Set.of("ninelives.breaker.quotes.failure-rate-threshold")));
        assertThat(registry.breaker("quotes")).isSameAs(breaker);
        assertThat(breakerAsTheEndpointShowsIt()).containsEntry("state", "OPEN").containsEntry("failureRateThreshold", 75.0);

        // the dependency recovers; once the open duration has passed, one trial call closes the breaker
        FAILING.set(false);
        QuotesApplication.NANOS.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(get("/quote")).startsWith("quote ");
        assertThat(breakerAsTheEndpointShowsIt()).containsEntry("state", "CLOSED");

        // manual transitions through the endpoint
        transition("forced_open", 200);
        assertThat(get("/quote")).isEqualTo("fallback: CallNotPermittedException");
        transition("closed", 200);
        assertThat(get("/quote")).startsWith("quote ");
        transition("sideways", 400);
        http.post().uri("/actuator/ninelives/nosuchbreaker").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("state", "open")).exchange().expectStatus().isBadRequest();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);

        // the rate limiter the keys put before the pipeline's other stages: one call takes one permit
        assertThat(asTheEndpointShowsIt("pipeline")).containsEntry("rateLimiter", "quotes");
        Map<String, Object> limiter = asTheEndpointShowsIt("rateLimiter");
        assertThat(limiter).containsEntry("limitForPeriod", 1000).containsEntry("period", "PT1S")
                .containsEntry("waiting", 0).containsEntry("refusedCalls", 0);
        int permits = (Integer) limiter.get("availablePermits");
        assertThat(get("/direct")).startsWith("quote ");
        assertThat(asTheEndpointShowsIt("rateLimiter")).containsEntry("availablePermits", permits - 1);
        http.get().uri("/actuator/ninelives").exchange().expectStatus().isOk().expectBody()
                .jsonPath("$.rateLimiters.quotes.limitForPeriod").isEqualTo(1000)
                .jsonPath("$.pipelines.quotes.rateLimiter").isEqualTo("quotes");
    }
}
