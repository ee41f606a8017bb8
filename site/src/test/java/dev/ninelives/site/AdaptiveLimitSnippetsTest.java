package dev.ninelives.site;

import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks every region of {@link AdaptiveLimitSnippets} that the "Adaptive concurrency limit" page
 * shows, on virtual time: the AIMD bulkhead is built as the page says, lowers its limit after a
 * window of slow calls and raises it after a busy window of fast ones; the gradient one is built
 * from its name.
 */
class AdaptiveLimitSnippetsTest {

    @Test
    void theAimdBulkheadIsBuiltAsThePageSays() {
        Bulkhead b = AdaptiveLimitSnippets.aimd(NineLives.schedulerTicker());
        AdaptiveLimit limit = b.config().adaptiveLimit();
        assertThat(limit.algorithm()).isEqualTo(AdaptiveLimit.Algorithm.AIMD);
        assertThat(limit.minLimit()).isEqualTo(2);
        assertThat(limit.maxLimit()).isEqualTo(200);
        assertThat(b.config().maxConcurrent()).isEqualTo(20);
    }

    @Test
    void aWindowOfSlowCallsCutsTheLimitByATenthAndABusyFastOneAddsOne() {
        Bulkhead b = AdaptiveLimitSnippets.aimd(NineLives.schedulerTicker());
        StepVerifier.withVirtualTime(() -> {
                    AdaptiveLimitSnippets slow = new AdaptiveLimitSnippets(q -> Mono.delay(Duration.ofMillis(300)).thenReturn(1), b);
                    return Flux.range(0, 20).flatMap(i -> slow.search("socks"));
                })
                .thenAwait(Duration.ofMillis(300)).expectNextCount(20).verifyComplete();
        AdaptiveLimitSnippets slowService = new AdaptiveLimitSnippets(q -> Mono.just(1), b);
        assertThat(slowService.limitNow()).isEqualTo(18);
        StepVerifier.withVirtualTime(() -> {
                    AdaptiveLimitSnippets fast = new AdaptiveLimitSnippets(q -> Mono.delay(Duration.ofMillis(10)).thenReturn(1), b);
                    return Flux.range(0, 20).flatMap(i -> fast.search("socks"));
                })
                .thenAwait(Duration.ofMillis(20)).expectNextCount(20).verifyComplete();
        assertThat(slowService.limitNow()).isEqualTo(19);
    }

    @Test
    void theGradientBulkheadIsBuiltFromItsName() {
        Bulkhead b = AdaptiveLimitSnippets.gradient(NineLives.schedulerTicker());
        assertThat(b.config().adaptiveLimit().algorithm()).isEqualTo(AdaptiveLimit.Algorithm.GRADIENT);
        assertThat(b.config().maxConcurrent()).isEqualTo(20);
    }
}
