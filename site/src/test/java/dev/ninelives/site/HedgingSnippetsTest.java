package dev.ninelives.site;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the regions of {@link HedgingSnippets} that the "Hedging" page shows, and what it says:
 * a call slower than the delay gets a hedge whose answer wins, a fast call none; the hedge sits
 * between the retry and the breaker.
 */
class HedgingSnippetsTest {

    /** The first attempt takes 400 ms, every later one 20 ms. */
    private static HedgingSnippets.SearchClient slowFirst(AtomicInteger calls) {
        return q -> Mono.defer(() -> Mono.delay(Duration.ofMillis(calls.getAndIncrement() == 0 ? 400 : 20)).thenReturn("hits:" + q));
    }

    @Test
    void aSlowCallGetsAHedgeAtTheMinimumDelayUntilMeasured() {
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> new HedgingSnippets(slowFirst(calls), HedgingSnippets.build(NineLives.schedulerTicker()))
                        .search("q"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(30))  // the hedge starts at 10 ms and answers at 30 ms
                .expectNext("hits:q")
                .verifyComplete();
        assertThat(calls).hasValue(2);
    }

    @Test
    void aFastCallGetsNoHedge() {
        AtomicInteger calls = new AtomicInteger(1);
        Hedge hedge = HedgingSnippets.fixed();
        StepVerifier.withVirtualTime(() -> new HedgingSnippets(slowFirst(calls), hedge).search("q"))
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(20))
                .expectNext("hits:q")
                .verifyComplete();
        assertThat(hedge.metrics().hedgesIssued()).isZero();
        assertThat(hedge.config().delay()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void theHedgeSitsBetweenTheRetryAndTheBreaker() {
        String plan = HedgingSnippets.pipeline(HedgingSnippets.build(NineLives.schedulerTicker()),
                CircuitBreaker.ofDefaults("search")).explain();
        assertThat(plan).containsSubsequence("1. retry 'search'", "2. hedge 'search'", "3. circuit breaker 'search'",
                "4. attempt timeout");
    }
}
