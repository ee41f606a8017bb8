package dev.ninelives.spring.cloud;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.circuitbreaker.NoFallbackAvailableException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spring Cloud's factories over a registry: which pipeline an id gets, and what a call and its fallback see. */
class CircuitBreakerFactoryTest {

    private final NineLivesRegistry registry = NineLivesProperties.load(Map.of(
            "ninelives.breaker.default.sliding-window", "2", "ninelives.breaker.default.minimum-number-of-calls", "2",
            "ninelives.pipeline.orders.retry", "false", "ninelives.breaker.orders.open-duration", "1h")).registry();
    private final NineLivesReactiveCircuitBreakerFactory factory = new NineLivesReactiveCircuitBreakerFactory(registry);

    private static void open(CircuitBreaker breaker) {
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);
    }

    @Test
    void anIdUsesTheRegistrysPipelineOfItsNameAndARefusalReachesTheFallbackWithoutSubscribing() {
        open(registry.breaker("orders"));
        PublisherProbe<String> source = PublisherProbe.of(Mono.just("order"));

        StepVerifier.create(factory.create("orders").run(source.mono(), e -> Mono.just(e.getClass().getSimpleName())))
                .expectNext("CallNotPermittedException").verifyComplete();
        source.assertWasNotSubscribed();
        StepVerifier.create(factory.create("orders").run(Flux.just("a", "b"), e -> Flux.just("fallback")))
                .expectNext("fallback").verifyComplete();
        StepVerifier.create(factory.create("orders").run(Mono.just("x")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(NoFallbackAvailableException.class)
                        .hasCauseInstanceOf(CallNotPermittedException.class))
                .verify();
    }

    @Test
    void aFailingCallIsRecordedByTheBreakerAndFallsBack() {
        for (int i = 0; i < 2; i++) {
            StepVerifier.create(factory.create("payments").run(Mono.<String>error(new IllegalStateException("down")),
                    e -> Mono.just(e.getMessage()))).expectNext("down").verifyComplete();
        }
        assertThat(registry.breaker("payments").state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void configureChoosesAnotherPipelineAndAGroupNamedByTheKeysIsShared() {
        Pipeline own = Pipeline.builder("own").breaker(CircuitBreaker.ofDefaults("own")).build();
        factory.configure(b -> b.pipeline("orders"), "checkout");
        factory.configure(b -> b.pipeline(own), "reports");
        open(registry.breaker("orders"));

        StepVerifier.create(factory.create("checkout").run(Mono.just("x"), e -> Mono.just("refused")))
                .expectNext("refused").verifyComplete();
        StepVerifier.create(factory.create("reports").run(Mono.just("x"), e -> Mono.just("refused")))
                .expectNext("x").verifyComplete();
        StepVerifier.create(factory.create("cart", "orders").run(Mono.just("x"), e -> Mono.just("refused")))
                .as("no keys for cart: the group's pipeline").expectNext("refused").verifyComplete();
        assertThat(registry.findPipeline("cart")).isEmpty();
    }

    @Test
    void configureDefaultReplacesTheChoiceOfIdsWithoutConfiguration() {
        factory.configureDefault(id -> new NineLivesConfigBuilder(id).pipeline("orders").build());
        open(registry.breaker("orders"));
        StepVerifier.create(factory.create("anything").run(Mono.just("x"), e -> Mono.just("refused")))
                .expectNext("refused").verifyComplete();
        assertThatThrownBy(() -> factory.create(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not be null or blank, but was ' '");
    }

    @Test
    void theBlockingFactoryRunsASupplierThroughThePipeline() {
        NineLivesCircuitBreakerFactory blocking = new NineLivesCircuitBreakerFactory(registry);
        assertThat(blocking.create("orders").run(() -> "order")).isEqualTo("order");
        open(registry.breaker("orders"));
        assertThat(blocking.create("orders").run(() -> "order", e -> e.getClass().getSimpleName()))
                .isEqualTo("CallNotPermittedException");
        assertThatThrownBy(() -> blocking.create("orders").run(() -> "order"))
                .isInstanceOf(NoFallbackAvailableException.class);
    }
}
