package dev.ninelives.site;

import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the regions of {@link RateLimiterSnippets} that the "Rate limiter" page shows, and the
 * figures it quotes: five at once after a quiet spell, then one every 100 ms; a caller waits up
 * to 500 ms, and is refused with the time to retry after beyond that.
 */
class RateLimiterSnippetsTest {

    private static final RateLimiterSnippets.GeocoderClient CLIENT = address -> Mono.just("geo:" + address);

    @Test
    void fiveAtOnceThenOneEvery100Ms() {
        StepVerifier.withVirtualTime(() -> {
                    RateLimiterSnippets service = new RateLimiterSnippets(CLIENT, RateLimiterSnippets.build(NineLives.schedulerTicker()));
                    return Flux.range(0, 10).flatMap(i -> service.lookup("a" + i).map(v -> i));
                })
                .expectNextCount(5)                    // the burst, at once
                .expectNoEvent(Duration.ofMillis(100))
                .expectNext(5)
                .thenAwait(Duration.ofMillis(400))
                .expectNext(6, 7, 8, 9)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void beyondTheWaitACallerIsToldWhenToRetry() {
        StepVerifier.withVirtualTime(() -> {
                    RateLimiterSnippets service = new RateLimiterSnippets(CLIENT, RateLimiterSnippets.build(NineLives.schedulerTicker()));
                    // ten callers at once: five now, five waiting 100 to 500 ms; the eleventh would wait 600 ms
                    return Flux.range(0, 11).flatMap(i -> i < 10 ? service.lookup("a").then(Mono.<String>empty())
                            : service.lookupOrBusy("b")).take(1);
                })
                .expectNext("busy, retry after 100 ms")
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void theRateLimiterComesFirstInThePipeline() {
        RateLimiter limiter = RateLimiterSnippets.build(NineLives.schedulerTicker());
        assertThat(RateLimiterSnippets.pipeline(limiter).explain().lines().toList().get(1))
                .startsWith("  1. rate limiter 'geocoder'");
    }
}
