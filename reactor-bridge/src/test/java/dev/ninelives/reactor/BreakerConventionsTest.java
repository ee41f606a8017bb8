package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.util.context.Context;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reactor conventions: Scannable, Context, assembly hooks and virtual time. */
class BreakerConventionsTest {

    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("conventions");

    @AfterEach
    void resetHooks() {
        Hooks.resetOnEachOperator();
    }

    @Test
    void operatorsAnswerScannable() {
        Mono<Integer> mono = Mono.just(1).transform(NineLives.breaker(breaker));
        Flux<Integer> flux = Flux.just(1).transform(NineLives.breaker(breaker));
        for (Scannable s : List.of(Scannable.from(mono), Scannable.from(flux))) {
            assertThat(s.scan(Scannable.Attr.NAME)).isEqualTo("conventions");
            assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.SYNC);
            assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
            assertThat(s.name()).isEqualTo("conventions");
        }
    }

    @Test
    void subscribersAnswerScannable() {
        List<Scannable> seen = new ArrayList<>();
        TestPublisher<Integer> source = TestPublisher.create();
        BaseSubscriber<Integer> downstream = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                seen.add(Scannable.from(subscription));
                request(1);
            }
        };
        source.mono().transform(NineLives.breaker(breaker)).subscribe(downstream);
        source.flux().transform(NineLives.breaker(breaker)).subscribe(new BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                seen.add(Scannable.from(subscription));
            }
        });
        assertThat(seen).hasSize(2).allSatisfy(s -> {
            assertThat(s.scan(Scannable.Attr.NAME)).isEqualTo("conventions");
            assertThat(s.scan(Scannable.Attr.RUN_STYLE)).isEqualTo(Scannable.Attr.RunStyle.SYNC);
            assertThat(s.scan(Scannable.Attr.PARENT)).isNotNull();
            assertThat(s.scanUnsafe(Scannable.Attr.ACTUAL)).isInstanceOf(BaseSubscriber.class);
            assertThat(s.scan(Scannable.Attr.TERMINATED)).isFalse();
            assertThat(s.scan(Scannable.Attr.CANCELLED)).isFalse();
        });
        Scannable monoSubscriber = seen.get(0);
        downstream.cancel();
        assertThat(monoSubscriber.scan(Scannable.Attr.CANCELLED)).isTrue();
        source.complete();
        assertThat(seen.get(1).scan(Scannable.Attr.TERMINATED)).isTrue();
    }

    @Test
    void theSubscribersContextFlowsThrough() {
        Mono<String> mono = Mono.deferContextual(ctx -> Mono.just(ctx.<String>get("user")))
                .transform(NineLives.breaker(breaker))
                .contextWrite(Context.of("user", "ada"));
        StepVerifier.create(mono).expectNext("ada").verifyComplete();
        Flux<String> flux = Flux.deferContextual(ctx -> Flux.just(ctx.<String>get("user")))
                .transform(NineLives.breaker(breaker))
                .contextWrite(Context.of("user", "grace"));
        StepVerifier.create(flux).expectNext("grace").verifyComplete();
    }

    @Test
    void operatorsGoThroughOnAssembly() {
        List<String> assembled = new ArrayList<>();
        Hooks.onEachOperator("probe", p -> {
            assembled.add(Scannable.from(p).name());
            return p;
        });
        Mono.just(1).transform(NineLives.breaker(breaker));
        Flux.just(1).transform(NineLives.breaker(breaker));
        assertThat(assembled).filteredOn("conventions"::equals).hasSizeGreaterThanOrEqualTo(2);
    }

    /** The example: OPEN becomes HALF_OPEN under virtual time with one line of setup. */
    @Test
    void virtualTimeMovesTheBreakerFromOpenToHalfOpen() {
        CircuitBreaker vt = CircuitBreaker.builder("virtual")
                .ticker(NineLives.schedulerTicker())   // the one line of setup
                .openDuration(Duration.ofSeconds(30))
                .permittedCallsInHalfOpen(1)
                .build();

        StepVerifier.withVirtualTime(() -> {
                    vt.transitionTo(State.OPEN);       // opened at virtual time zero
                    return Mono.just("quote").transform(NineLives.breaker(vt))
                            .delaySubscription(Duration.ofSeconds(30));
                })
                .expectSubscription()
                .then(() -> assertThat(vt.tryAcquire()).isNegative())
                .thenAwait(Duration.ofSeconds(30))
                .expectNext("quote")
                .verifyComplete();
        assertThat(vt.state()).as("the trial call succeeded").isEqualTo(State.CLOSED);
    }

    @Test
    void virtualTimeRejectsBeforeTheOpenDurationAndAdmitsAfter() {
        CircuitBreaker vt = CircuitBreaker.builder("virtual2").ticker(NineLives.schedulerTicker())
                .slidingWindow(2).minimumNumberOfCalls(2)
                .openDuration(Duration.ofSeconds(10)).permittedCallsInHalfOpen(1).build();
        Mono<String> call = Mono.just("ok").transform(NineLives.breaker(vt));
        Mono<String> failing = Mono.<String>error(new IOException("down")).transform(NineLives.breaker(vt));
        StepVerifier.withVirtualTime(() -> failing.onErrorResume(e -> failing).onErrorResume(e -> Mono.empty())
                        .then(call.onErrorReturn("refused"))
                        .concatWith(call.delaySubscription(Duration.ofSeconds(10))))
                .expectSubscription()
                .expectNext("refused")
                .thenAwait(Duration.ofSeconds(10))
                .expectNext("ok")
                .verifyComplete();
        assertThat(vt.state()).isEqualTo(State.CLOSED);
    }
}
