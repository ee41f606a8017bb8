package dev.ninelives.site;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import java.time.Duration;
class ScratchJavadocTest {
  @Test void javadocExample() {
     CircuitBreaker breaker = CircuitBreaker.builder("quotes")
         .ticker(NineLives.schedulerTicker())
         .openDuration(Duration.ofSeconds(30))
         .build();
     breaker.transitionTo(CircuitBreaker.State.OPEN);
     StepVerifier.withVirtualTime(() -> Mono.defer(() -> Mono.just("quote")
             .transform(NineLives.breaker(breaker))))
         .thenAwait(Duration.ofSeconds(30))
         .expectNext("quote")
         .verifyComplete();
  }
}
