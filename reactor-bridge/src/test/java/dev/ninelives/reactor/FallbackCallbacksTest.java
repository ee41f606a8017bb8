package dev.ninelives.reactor;

import dev.ninelives.bulkhead.Bulkhead;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every place the fallback operator calls user code (the {@code when} predicate, the
 * {@code with} function) and the one place it calls a publisher it was given (the fallback
 * publisher's {@code subscribe}), with a callback that throws a RuntimeException, a non-fatal
 * Error and a JVM-fatal one, on a synchronous and an asynchronous source, with a bulkhead around
 * the fallback. A non-fatal throwable ends the call with {@code onError(what was thrown)}, the
 * original error attached as suppressed; a fatal one ends it with {@code onError(that error)},
 * then reaches the thread that signalled the original error. Either way the bulkhead outside has
 * its permit back before anything propagates.
 *
 * <p>Guards against: a fatal error from the predicate or the function that skipped the
 * downstream signal, so an operator outside the fallback kept its permit until the caller
 * cancelled; a non-fatal one that escaped as a throw, or hung the call.
 */
class FallbackCallbacksTest {

    static Stream<Arguments> matrix() {
        return Stream.of(Thrown.values()).flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    private final Bulkhead bulkhead = Bulkhead.builder("outside").maxConcurrent(1).build();
    private final IOException down = new IOException("down");

    @AfterEach
    void resetHooks() {
        Hooks.resetOnOperatorError();
    }

    /** Fails a call to {@code fallback}, synchronously or from the test thread later, and returns what downstream saw. */
    private BreakerCallbacksTest.Recorder<String> fail(Fallback<String> fallback, boolean async, Thrown thrown) {
        TestPublisher<String> source = TestPublisher.create();
        Mono<String> call = (async ? source.mono() : Mono.<String>error(down))
                .transform(NineLives.fallback(fallback))
                .transform(NineLives.bulkhead(bulkhead));
        BreakerCallbacksTest.Recorder<String> r = new BreakerCallbacksTest.Recorder<>();
        Runnable drive = () -> {
            call.subscribe(r);
            if (async) {
                source.error(down);
            }
        };
        if (thrown != null && thrown.fatal()) {
            assertThatThrownBy(drive::run).isInstanceOf(StackOverflowError.class);
        } else {
            drive.run();
        }
        assertAllPermitsBack(bulkhead);
        return r;
    }

    /** What downstream must see when a callback threw {@code thrown}: the call ends with it, once. */
    private void assertEndedWith(BreakerCallbacksTest.Recorder<String> r, Thrown thrown, Class<? extends Throwable> type) {
        assertThat(r.signals).hasSize(2).first().isEqualTo("onSubscribe");
        Throwable e = (Throwable) r.signals.get(1);
        assertThat(e).isInstanceOf(type);
        if (!thrown.fatal()) {
            assertThat(e.getSuppressed()).as("the original error").containsExactly(down);
        }
    }

    private static Class<? extends Throwable> typeOf(Thrown thrown) {
        return thrown.create().getClass();
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingPredicate(Thrown thrown, boolean async) {
        Fallback<String> fallback = Fallback.<String>toValue("fallback").when(e -> {
            thrown.raise();
            return true;
        });
        assertEndedWith(fail(fallback, async, thrown), thrown, typeOf(thrown));
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aThrowingFunction(Thrown thrown, boolean async) {
        Fallback<String> fallback = Fallback.with(e -> {
            thrown.raise();
            return Mono.just("fallback");
        });
        assertEndedWith(fail(fallback, async, thrown), thrown, typeOf(thrown));
    }

    @ParameterizedTest(name = "async={0}")
    @ValueSource(booleans = {false, true})
    void aFunctionThatReturnsNull(boolean async) {
        Fallback<String> fallback = Fallback.with(e -> null);
        BreakerCallbacksTest.Recorder<String> r = fail(fallback, async, null);
        assertEndedWith(r, Thrown.RUNTIME_EXCEPTION, NullPointerException.class);
        assertThat((Throwable) r.signals.get(1)).hasMessage("the fallback function returned null for java.io.IOException");
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @MethodSource("matrix")
    void aFallbackPublisherWhoseSubscribeThrows(Thrown thrown, boolean async) {
        Mono<String> throwing = new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super String> actual) {
                thrown.raise();
            }
        };
        assertEndedWith(fail(Fallback.to(throwing), async, thrown), thrown, typeOf(thrown));
    }

    /** The same, for a Flux that had delivered elements: the call ends after them, with what was thrown. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.ninelives.reactor.FallbackCallbacksTest#thrownKinds")
    void aThrowingFunctionAfterElementsOfAFlux(Thrown thrown) {
        TestPublisher<Integer> source = TestPublisher.create();
        Flux<Integer> call = source.flux()
                .transform(NineLives.fallback(Fallback.<Integer>with(e -> {
                    thrown.raise();
                    return Flux.just(9);
                })))
                .transform(NineLives.bulkhead(bulkhead));
        BreakerCallbacksTest.Recorder<Integer> r = new BreakerCallbacksTest.Recorder<>();
        call.subscribe(r);
        source.next(1, 2);
        if (thrown.fatal()) {
            assertThatThrownBy(() -> source.error(down)).isInstanceOf(StackOverflowError.class);
        } else {
            source.error(down);
        }
        assertThat(r.signals).hasSize(4).startsWith("onSubscribe", 1, 2);
        assertThat(r.signals.get(3)).isInstanceOf(typeOf(thrown));
        assertAllPermitsBack(bulkhead);
    }

    static Stream<Thrown> thrownKinds() {
        return Stream.of(Thrown.values());
    }

    /** A callback's failure goes through Reactor's onOperatorError hook, as Reactor's own operators' do. */
    @Test
    void aThrowingCallbackGoesThroughTheOnOperatorErrorHook() {
        AtomicInteger hooked = new AtomicInteger();
        Hooks.onOperatorError((error, data) -> {
            hooked.incrementAndGet();
            assertThat(data).isSameAs(down);
            return new IllegalStateException("mapped by the hook", error);
        });
        Function<Throwable, Mono<String>> bug = e -> {
            throw new IllegalArgumentException("bug");
        };
        StepVerifier.create(Mono.<String>error(down).transform(NineLives.fallback(Fallback.with(bug))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessage("mapped by the hook").hasCauseInstanceOf(IllegalArgumentException.class))
                .verify();
        assertThat(hooked).hasValue(1);
    }
}
