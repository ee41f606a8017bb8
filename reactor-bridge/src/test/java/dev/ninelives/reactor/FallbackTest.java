package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryExhaustedException;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@link Fallback} description: its factories and restrictions check their arguments at the
 * call, it is immutable, and {@code resume} (the one method that applies it, for the operator
 * and the fused pipeline alike) returns null, a publisher or a fatal throw exactly as documented.
 */
class FallbackTest {

    private static final Context NONE = Context.empty();

    /** The errors the library's own policies and a timeout signal, as they really come out of them. */
    private static Throwable[] libraryErrors() {
        CircuitBreaker open = CircuitBreaker.builder("open").build();
        open.transitionTo(CircuitBreaker.State.OPEN);
        Throwable refused = Mono.just(1).transform(NineLives.breaker(open)).materialize().block().getThrowable();
        Bulkhead full = Bulkhead.builder("full").maxConcurrent(1).build();
        reactor.core.Disposable holder = Mono.never().transform(NineLives.bulkhead(full)).subscribe();
        Throwable rejected = Mono.just(1).transform(NineLives.bulkhead(full)).materialize().block().getThrowable();
        holder.dispose();
        Throwable exhausted = Mono.error(new IOException("down"))
                .transform(NineLives.retry(Retry.builder("r").maxAttempts(2).noBackoff().exhaustedException(true).build()))
                .materialize().block().getThrowable();
        assertThat(refused).isInstanceOf(CallNotPermittedException.class);
        assertThat(rejected).isInstanceOf(BulkheadFullException.class);
        assertThat(exhausted).isInstanceOf(RetryExhaustedException.class);
        return new Throwable[] {refused, rejected, exhausted, new TimeoutException("slow"), new IOException("down")};
    }

    @Test
    void byDefaultItAppliesToEveryExceptionTheLibrarySignalsAndToNoError() {
        Fallback<String> fallback = Fallback.toValue("fallback");
        for (Throwable e : libraryErrors()) {
            assertThat(fallback.resume(e, NONE)).as("%s", e).isNotNull();
        }
        assertThat(fallback.resume(new AssertionError("a bug"), NONE)).as("an Error is a bug: passed on").isNull();
        assertThat(fallback.resume(new StackOverflowError(), NONE)).isNull();
        assertThat(fallback.resume(new NoClassDefFoundError("gone"), NONE)).isNull();
    }

    @Test
    void onRestrictsToTheGivenTypesAndTheirSubclasses() {
        Fallback<String> fallback = Fallback.toValue("x").on(IOException.class, TimeoutException.class);
        assertThat(fallback.resume(new java.net.ConnectException("refused"), NONE)).isNotNull();
        assertThat(fallback.resume(new TimeoutException(), NONE)).isNotNull();
        assertThat(fallback.resume(new IllegalStateException(), NONE)).isNull();
        assertThat(Fallback.toValue("x").on(Throwable.class).resume(new AssertionError(), NONE))
                .as("Errors when asked for").isNotNull();
        assertThat(Fallback.toValue("x").on(Error.class).resume(new StackOverflowError(), NONE))
                .as("never a JVM-fatal one").isNull();
    }

    @Test
    void whenAloneDecidesForEveryNonFatalThrowableAndIsNeverAskedAboutAFatalOne() {
        AtomicInteger asked = new AtomicInteger();
        Fallback<String> fallback = Fallback.<String>toValue("x").when(e -> {
            asked.incrementAndGet();
            return e instanceof AssertionError || "yes".equals(e.getMessage());
        });
        assertThat(fallback.resume(new AssertionError(), NONE)).isNotNull();
        assertThat(fallback.resume(new IOException("yes"), NONE)).isNotNull();
        assertThat(fallback.resume(new IOException("no"), NONE)).isNull();
        assertThat(asked).hasValue(3);
        assertThat(fallback.resume(new OutOfMemoryError(), NONE)).isNull();
        assertThat(asked).as("the predicate never sees a fatal error").hasValue(3);
    }

    @Test
    void onAndWhenTogetherMustBothMatchTypesFirst() {
        AtomicInteger asked = new AtomicInteger();
        Fallback<String> fallback = Fallback.<String>toValue("x").on(IOException.class).when(e -> {
            asked.incrementAndGet();
            return e.getMessage().startsWith("5");
        });
        assertThat(fallback.resume(new IOException("503"), NONE)).isNotNull();
        assertThat(fallback.resume(new IOException("404"), NONE)).isNull();
        assertThat(fallback.resume(new IllegalStateException("503"), NONE)).isNull();
        assertThat(asked).as("the predicate is not asked about a type that does not match").hasValue(2);
    }

    @Test
    void restrictionsReturnNewFallbacksAndReplaceTheirOwnKind() {
        Fallback<String> any = Fallback.toValue("x");
        Fallback<String> io = any.on(IOException.class);
        Fallback<String> timeouts = io.on(TimeoutException.class);
        assertThat(any.resume(new IllegalStateException(), NONE)).as("the original is unchanged").isNotNull();
        assertThat(io.resume(new IllegalStateException(), NONE)).isNull();
        assertThat(timeouts.resume(new IOException(), NONE)).as("on replaces the types given before").isNull();
        assertThat(timeouts.resume(new TimeoutException(), NONE)).isNotNull();
        Fallback<String> never = any.when(e -> false);
        assertThat(never.when(e -> true).resume(new IOException(), NONE)).as("when replaces the predicate").isNotNull();
        assertThat(never.resume(new IOException(), NONE)).isNull();
    }

    /** The typing: a fallback of a subtype serves a call of its supertype, and the call keeps its own type. */
    @Test
    void aFallbackOfASubtypeServesACallOfItsSupertype() {
        Fallback<String> text = Fallback.toValue("fallback");
        Mono<CharSequence> chars = Mono.<CharSequence>error(new IOException("down")).transform(NineLives.fallback(text));
        StepVerifier.create(chars).expectNext("fallback").verifyComplete();
        Flux<Number> numbers = Flux.<Number>just(1.5).concatWith(Flux.error(new IOException("down")))
                .transform(NineLives.fallback(Fallback.to(Flux.just(2, 3))));
        StepVerifier.create(numbers).expectNext(1.5, 2, 3).verifyComplete();
        Flux<Object> empty = Flux.error(new IOException("down")).transform(NineLives.fallback(Fallback.to(Mono.empty())));
        StepVerifier.create(empty).verifyComplete();
    }

    @Test
    void argumentsAreCheckedAtTheCall() {
        assertThatThrownBy(() -> Fallback.toValue(null)).isInstanceOf(NullPointerException.class).hasMessage("value must not be null");
        assertThatThrownBy(() -> Fallback.to(null)).isInstanceOf(NullPointerException.class).hasMessage("publisher must not be null");
        assertThatThrownBy(() -> Fallback.with(null)).isInstanceOf(NullPointerException.class).hasMessage("function must not be null");
        Fallback<String> f = Fallback.toValue("x");
        assertThatThrownBy(() -> f.on(null)).isInstanceOf(NullPointerException.class).hasMessage("type must not be null");
        assertThatThrownBy(() -> f.on(IOException.class, (Class<? extends Throwable>[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("types must not be null");
        assertThatThrownBy(() -> f.on(IOException.class, TimeoutException.class, null))
                .isInstanceOf(NullPointerException.class).hasMessage("types[1] must not be null");
        assertThatThrownBy(() -> f.on(StackOverflowError.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("type must not be a JVM-fatal error type (a fallback never handles a VirtualMachineError or a"
                        + " LinkageError), but was java.lang.StackOverflowError");
        assertThatThrownBy(() -> f.on(IOException.class, LinkageError.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("types[0] must not be a JVM-fatal error type")
                .hasMessageEndingWith("but was java.lang.LinkageError");
        assertThatThrownBy(() -> f.when(null)).isInstanceOf(NullPointerException.class).hasMessage("predicate must not be null");
        assertThatThrownBy(() -> NineLives.fallback(null)).isInstanceOf(NullPointerException.class).hasMessage("fallback must not be null");
    }

    @Test
    void toStringSaysWhatAndOnWhich() {
        assertThat(Fallback.toValue("n/a")).hasToString("fallback to value n/a on any Exception");
        assertThat(Fallback.toValue("n/a").on(IOException.class, TimeoutException.class))
                .hasToString("fallback to value n/a on IOException, TimeoutException");
        assertThat(Fallback.toValue(1).when(e -> true)).hasToString("fallback to value 1 when a predicate accepts the error");
        assertThat(Fallback.with(e -> Mono.just(1)).on(IOException.class).when(e -> true))
                .hasToString("fallback to a publisher made from the error on IOException when a predicate accepts the error");
        assertThat(Fallback.to(Mono.just(1))).hasToString("fallback to MonoJust on any Exception");
        assertThat(Fallback.toValue("x".repeat(100)).toString()).hasSize("fallback to value ".length() + 43 + " on any Exception".length());
    }

    /** Guards against a value whose toString throws failing the build of a fallback, or the plan that prints it. */
    @Test
    void aValueIsDescribedOnlyWhenAskedAndAFailingToStringDoesNotBreakTheDescription() {
        AtomicInteger described = new AtomicInteger();
        Object odd = new Object() {
            @Override
            public String toString() {
                described.incrementAndGet();
                throw new IllegalStateException("no description");
            }
        };
        Fallback<Object> fallback = Fallback.toValue(odd).on(IOException.class);
        assertThat(described).as("nothing described at build time").hasValue(0);
        assertThat(fallback.toString()).startsWith("fallback to value dev.ninelives.reactor.FallbackTest$").endsWith(" on IOException");
        assertThat(described).hasValue(1);
    }

    /** Guards the rule for every throwable: a non-fatal Error from toString is described around too; a JVM-fatal one propagates. */
    @Test
    void aToStringThatThrowsAnErrorIsDescribedAroundUnlessItIsFatal() {
        Object asserting = new Object() {
            @Override
            public String toString() {
                throw new AssertionError("no description");
            }
        };
        assertThat(Fallback.toValue(asserting).toString()).startsWith("fallback to value dev.ninelives.reactor.FallbackTest$");
        StackOverflowError fatal = new StackOverflowError("deep");
        Object overflowing = new Object() {
            @Override
            public String toString() {
                throw fatal;
            }
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Fallback.toValue(overflowing).toString()).isSameAs(fatal);
    }

    @Test
    void resumeReturnsTheGivenPublisherOrTheFunctionsAndCallsNothingForAFatalError() {
        Mono<String> secondary = Mono.just("secondary");
        assertThat(Fallback.to(secondary).resume(new IOException(), NONE)).isSameAs(secondary);
        AtomicInteger calls = new AtomicInteger();
        Fallback<String> fromError = Fallback.with(e -> {
            calls.incrementAndGet();
            return Mono.just(e.getMessage());
        });
        StepVerifier.create(Flux.<String>from(fromError.resume(new IOException("from the error"), NONE)))
                .expectNext("from the error").verifyComplete();
        assertThat(fromError.resume(new InternalError(), NONE)).isNull();
        assertThat(calls).hasValue(1);
    }

    /** A callback's non-fatal failure comes back as a publisher of that failure, the original suppressed. */
    @Test
    void resumeTurnsACallbacksNonFatalFailureIntoAnErrorPublisher() {
        IOException original = new IOException("down");
        IllegalStateException bug = new IllegalStateException("bug");
        Publisher<? extends String> thrown = Fallback.<String>with(e -> {
            throw bug;
        }).resume(original, NONE);
        StepVerifier.create(Flux.<String>from(thrown)).expectErrorSatisfies(e -> {
            assertThat(e).isSameAs(bug);
            assertThat(e.getSuppressed()).containsExactly(original);
        }).verify();

        Publisher<? extends String> nulled = Fallback.<String>with(e -> null).resume(original, NONE);
        StepVerifier.create(Flux.<String>from(nulled)).expectErrorSatisfies(e -> {
            assertThat(e).isInstanceOf(NullPointerException.class)
                    .hasMessage("the fallback function returned null for java.io.IOException");
            assertThat(e.getSuppressed()).containsExactly(original);
        }).verify();
    }

    @Test
    void resumeRethrowsAFatalErrorOfACallback() {
        StackOverflowError overflow = new StackOverflowError();
        assertThatThrownBy(() -> Fallback.toValue("x").when(e -> {
            throw overflow;
        }).resume(new IOException(), NONE)).isSameAs(overflow);
        assertThatThrownBy(() -> Fallback.<String>with(e -> {
            throw overflow;
        }).resume(new IOException(), NONE)).isSameAs(overflow);
    }

    /**
     * Guards against a fallback that signals one shared exception instance (a constant) collecting
     * every call's error as suppressed: it would grow without bound and carry other calls' errors.
     */
    @Test
    void theOriginalIsAttachedOncePerErrorClass() {
        UncheckedIOException shared = new UncheckedIOException(new IOException("secondary down too"));
        for (int i = 0; i < 100; i++) {
            assertThat(Fallback.withOriginal(shared, new IOException("call " + i))).isSameAs(shared);
        }
        assertThat(Fallback.withOriginal(shared, new TimeoutException("slow"))).isSameAs(shared);
        assertThat(shared.getSuppressed()).extracting(Throwable::getMessage).containsExactly("call 0", "slow");

        IOException same = new IOException("rethrown");
        assertThat(Fallback.withOriginal(same, same)).isSameAs(same);
        assertThat(same.getSuppressed()).as("never itself").isEmpty();
        StackOverflowError fatal = new StackOverflowError();
        assertThat(Fallback.withOriginal(fatal, same)).isSameAs(fatal);
        assertThat(fatal.getSuppressed()).isEmpty();
    }
}
