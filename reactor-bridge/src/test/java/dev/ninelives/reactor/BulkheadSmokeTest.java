package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class BulkheadSmokeTest {
    @Test
    void waitsAndTimesOut() {
        Bulkhead b = Bulkhead.builder("b").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).build();
        Sinks.One<String> first = Sinks.one();
        StepVerifier.withVirtualTime(() -> {
            first.asMono().transform(NineLives.bulkhead(b)).subscribe();
            return Mono.just("second").transform(NineLives.bulkhead(b));
        })
                .expectSubscription()
                .then(() -> assertThat(b.metrics().queued()).isEqualTo(1))
                .then(() -> first.tryEmitValue("x"))
                .expectNext("second")
                .verifyComplete();
        assertThat(b.metrics().availablePermits()).isEqualTo(1);
        assertThat(b.metrics().queued()).isZero();

        Sinks.One<String> hog = Sinks.one();
        StepVerifier.withVirtualTime(() -> {
            hog.asMono().transform(NineLives.bulkhead(b)).subscribe();
            return Mono.just("late").transform(NineLives.bulkhead(b));
        })
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(e -> assertThat(((BulkheadFullException) e).reason()).isEqualTo(BulkheadFullException.Reason.WAIT_TIMED_OUT))
                .verify();
        assertThat(b.metrics().queued()).isZero();
        hog.tryEmitEmpty();
        assertThat(b.metrics().availablePermits()).isEqualTo(1);
    }
}
