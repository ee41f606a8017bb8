package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Pipeline#toBuilder(String)}: every stage copied, each replaceable once, the original unchanged. */
class PipelineToBuilderTest {

    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("inventory");
    private final Retry retry = Retry.ofDefaults("inventory");
    private final Bulkhead bulkhead = Bulkhead.ofDefaults("inventory");
    private final Scheduler scheduler = Schedulers.immediate();
    private final Pipeline original = Pipeline.builder("inventory").breaker(breaker).retry(retry).bulkhead(bulkhead)
            .timeout(Duration.ofSeconds(2)).attemptTimeout(Duration.ofMillis(300)).scheduler(scheduler).build();

    @Test
    void aCopyHasEveryStageOfTheOriginal() {
        Pipeline copy = original.toBuilder("reports").build();
        assertThat(copy.name()).isEqualTo("reports");
        assertThat(copy.breaker()).containsSame(breaker);
        assertThat(copy.retry()).containsSame(retry);
        assertThat(copy.bulkhead()).containsSame(bulkhead);
        assertThat(copy.timeout()).isEqualTo(original.timeout());
        assertThat(copy.attemptTimeout()).isEqualTo(original.attemptTimeout());
        assertThat(copy.scheduler()).containsSame(scheduler);
        assertThat(copy.explain()).isEqualTo(original.explain().replace("pipeline 'inventory'", "pipeline 'reports'"));
    }

    @Test
    void eachCopiedStageMayBeReplacedOnceAndTheOriginalStaysAsItWas() {
        CircuitBreaker other = CircuitBreaker.ofDefaults("other");
        Pipeline.Builder b = original.toBuilder("reports").breaker(other).timeout(Duration.ofSeconds(5));
        assertThat(b.build().breaker()).containsSame(other);
        assertThat(b.build().timeout()).contains(Duration.ofSeconds(5));
        assertThatThrownBy(() -> b.breaker(breaker)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already has a breaker");
        assertThat(original.breaker()).containsSame(breaker);
        assertThat(original.timeout()).contains(Duration.ofSeconds(2));

        Pipeline bare = Pipeline.builder("bare").build();
        Pipeline.Builder c = bare.toBuilder("c").retry(retry);
        assertThatThrownBy(() -> c.retry(retry)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> original.toBuilder(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
