package dev.ninelives.spring.boot;

import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.client.circuitbreaker.ReactiveCircuitBreakerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The application the tests start: a WebFlux service whose {@code /quote} calls a quotes server
 * through Spring Cloud's {@code ReactiveCircuitBreakerFactory} (written as for Resilience4j), and
 * whose {@code /direct} calls it through the {@code quotes} pipeline bean.
 */
@SpringBootApplication
public class QuotesApplication {

    /** The breakers' and rate limiters' time: the tests move it, nothing sleeps. */
    static final AtomicLong NANOS = new AtomicLong();

    // tag::customizer[]
    @Bean
    NineLivesPropertiesCustomizer notFoundIsNoFailure() {     // what keys cannot say: a predicate
        return loader -> loader.breakerDefaults(b -> b.recordFailureIf(e -> !(e instanceof WebClientResponseException.NotFound)));
    }
    // end::customizer[]

    @Bean
    NineLivesPropertiesCustomizer manualTime() {
        Ticker ticker = NANOS::get;
        return loader -> loader.breakerDefaults(b -> b.ticker(ticker)).rateLimiterDefaults(r -> r.ticker(ticker));
    }

    @Bean
    WebClient quotesClient(WebClient.Builder builder, @Value("${quotes.url}") String url) {
        return builder.baseUrl(url).build();
    }

    @RestController
    static class QuoteController {
        private final WebClient quotes;
        private final ReactiveCircuitBreakerFactory<?, ?> circuitBreakers;
        private final Pipeline pipeline;

        // tag::inject[]
        QuoteController(WebClient quotes, ReactiveCircuitBreakerFactory<?, ?> circuitBreakers,
                        @Qualifier("quotes") Pipeline pipeline) {
            // end::inject[]
            this.quotes = quotes;
            this.circuitBreakers = circuitBreakers;
            this.pipeline = pipeline;
        }

        private Mono<String> call() {
            return quotes.get().uri("/quote").retrieve().bodyToMono(String.class);
        }

        // tag::cloud[]
        @GetMapping("/quote")
        Mono<String> quote() {     // the same code as with Resilience4j's factory
            return circuitBreakers.create("quotes")
                    .run(call(), e -> Mono.just("fallback: " + e.getClass().getSimpleName()));
        }
        // end::cloud[]

        // tag::bean[]
        @GetMapping("/direct")
        Mono<String> direct() {    // pipeline: the bean qualified "quotes"
            return call().transform(NineLives.pipeline(pipeline, Fallback.toValue("cached quote")));
        }
        // end::bean[]
    }
}
