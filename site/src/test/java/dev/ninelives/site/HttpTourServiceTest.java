package dev.ninelives.site;

import dev.ninelives.core.Ticker;
import dev.ninelives.site.ScriptedService.Phase;
import dev.ninelives.site.ScriptedService.Script;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The tour's HTTP service on its own: a real server on the loopback address and a real client.
 * Each script here has a single phase, which lasts as long as the test, so what every request
 * gets depends on its number alone, never on timing; the only waits are bounded blocks on the
 * test's own requests.
 */
class HttpTourServiceTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration FOREVER = Duration.ofMinutes(5);

    final Scheduler scheduler = Schedulers.newParallel("http-tour-test", 2, true);
    HttpTourService service;

    HttpTourService start(Phase phase) {
        service = HttpTourService.start(Script.of(phase), Ticker.system(), scheduler);
        return service;
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        scheduler.dispose();
    }

    static ServiceException failure(Mono<String> call) {
        return catchThrowableOfType(ServiceException.class, () -> call.block(WAIT));
    }

    @Test
    void listensOnLoopbackOnlyAndAnswersAsScripted() {
        HttpTourService s = start(new Phase("healthy", FOREVER, Duration.ofMillis(5), 3));

        assertThat(s.server().uri()).startsWith("http://127.0.0.1:").endsWith("/inventory");
        assertThat(s.server().address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(s.call().block(WAIT)).isEqualTo("item for request #1");
        assertThat(s.call().block(WAIT)).isEqualTo("item for request #2");
        ServiceException third = failure(s.call());
        assertThat(third.kind()).isEqualTo(ServiceException.Kind.UNAVAILABLE);
        assertThat(third.status()).isEqualTo(503);
        assertThat(third.getMessage()).contains("request #3");
        assertThat(s.stats()).isEqualTo(new TourService.Stats(3, 2, 1, 0, 0, 0, 1));
    }

    @Test
    void anOutageAnswers503AndClosesConnectionsWithoutAnAnswer() {
        HttpTourService s = start(Phase.failing("OUTAGE", FOREVER, Duration.ofMillis(5), 2));

        assertThat(s.phaseNow().down()).isTrue();
        ServiceException first = failure(s.call());
        ServiceException second = failure(s.call());
        ServiceException third = failure(s.call());
        ServiceException fourth = failure(s.call());

        assertThat(List.of(first, third)).allSatisfy(e -> assertThat(e.kind()).isEqualTo(ServiceException.Kind.UNAVAILABLE));
        assertThat(List.of(second, fourth)).allSatisfy(e -> {
            assertThat(e.kind()).isEqualTo(ServiceException.Kind.CONNECTION_LOST);
            assertThat(e.status()).isZero();
        });
        assertThat(s.stats()).isEqualTo(new TourService.Stats(4, 0, 2, 0, 2, 4, 1));
        // The client recovers from the lost connections: the next request gets through.
        assertThat(failure(s.call()).kind()).isEqualTo(ServiceException.Kind.UNAVAILABLE);
    }

    /**
     * Four requests at once against a capacity of two: the first two to arrive are worked on for
     * a second, long enough for the other two to arrive meanwhile and be refused at once.
     */
    @Test
    void anOverloadedServiceAnswers429BeyondItsCapacity() {
        HttpTourService s = start(Phase.overloaded("OVERLOAD", FOREVER, Duration.ofSeconds(1), 2));

        List<String> outcomes = Flux.range(0, 4)
                .flatMap(i -> s.call().map(answer -> "ok")
                        .onErrorResume(ServiceException.class, e -> Mono.just(e.kind() + " " + e.status())))
                .collectList()
                .block(WAIT);

        assertThat(outcomes).containsExactlyInAnyOrder("ok", "ok", "OVERLOADED 429", "OVERLOADED 429");
        assertThat(s.stats()).isEqualTo(new TourService.Stats(4, 2, 0, 2, 0, 0, 2));
    }

    @Test
    void closeStopsTheServerAndFreesItsPort() {
        HttpTourService s = start(new Phase("healthy", FOREVER, Duration.ZERO, 0));
        int port = s.server().port();
        assertThat(s.call().block(WAIT)).isNotEmpty();

        s.close();
        service = null;

        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            }
        }).isInstanceOf(IOException.class);
    }
}
