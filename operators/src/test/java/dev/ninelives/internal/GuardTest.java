package dev.ninelives.internal;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.testing.FailingLog;
import dev.ninelives.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The listener guard every policy calls its listeners through. Guards against a listener's
 * throwable that skips the listeners after it, a non-fatal one that escapes into a policy's
 * update, and a fatal one that is swallowed or replaced by a later one. And (issue 9) a listener
 * that throws is logged, and the logging itself may throw: guards against
 * the logger's throwable escaping {@link Guard#notifyAll} from the middle of a policy call (a
 * permit not returned, a signal not passed on): a non-fatal one must be dropped, a JVM-fatal one
 * treated as a listener's fatal error (rethrown once every listener has run).
 */
class GuardTest {

    private final List<String> ran = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private Consumer<String>[] listeners() {
        return new Consumer[] {
            (Consumer<String>) e -> {
                ran.add("first");
                throw new IllegalStateException("listener bug");
            },
            (Consumer<String>) e -> ran.add("second")
        };
    }

    @Test
    void aLoggerThatFailsLosesTheRecordAndNothingElse() throws Exception {
        try (FailingLog log = new FailingLog(() -> new AssertionError("the console refused the write"))) {
            Guard.notifyAll("guarded", listeners(), "event");
            assertThat(log.failures()).as("the logger did throw").isPositive();
        }
        assertThat(ran).as("the next listener still ran").containsExactly("first", "second");
    }

    @Test
    void aLoggerThatOverflowsTheStackIsAFatalErrorRethrownAfterTheOtherListeners() throws Exception {
        try (FailingLog log = new FailingLog(() -> new StackOverflowError("deep"))) {
            assertThatThrownBy(() -> Guard.notifyAll("guarded", listeners(), "event"))
                    .isInstanceOf(StackOverflowError.class).hasMessage("deep");
        }
        assertThat(ran).containsExactly("first", "second");
    }

    @Test
    void warnDropsANonFatalFailureOfTheLogger() throws Exception {
        try (FailingLog log = new FailingLog(() -> new AssertionError("the console refused the write"))) {
            Guard.warn(() -> "something went wrong", new IllegalStateException("bug"));
            assertThat(log.failures()).isPositive();
        }
    }

    @Test
    void warnRethrowsAFatalFailureOfTheLogger() throws Exception {
        try (FailingLog log = new FailingLog(() -> new StackOverflowError("deep"))) {
            assertThatThrownBy(() -> Guard.warn(() -> "something went wrong", new IllegalStateException("bug")))
                    .isInstanceOf(StackOverflowError.class);
        }
    }

    /**
     * The breaker logs a throwing {@code recordFailureIf} predicate itself. Guards against the
     * logger's error escaping {@code onError} before the outcome was recorded: the failure
     * still counts (the breaker opens), with a failing logger and with one that overflows.
     */
    @Test
    void aThrowingPredicateCountsAFailureWhateverTheLoggerDoes() throws Exception {
        for (boolean fatal : new boolean[] {false, true}) {
            CircuitBreaker b = CircuitBreaker.builder("predicate").slidingWindow(1).minimumNumberOfCalls(1)
                    .recordFailureIf(e -> {
                        throw new IllegalStateException("predicate bug");
                    })
                    .build();
            long p = b.tryAcquire();
            try (FailingLog log = new FailingLog(() -> fatal ? new StackOverflowError("deep") : new AssertionError("refused"))) {
                if (fatal) {
                    assertThatThrownBy(() -> b.onError(p, 0, new IOException("down"))).isInstanceOf(StackOverflowError.class);
                } else {
                    b.onError(p, 0, new IOException("down"));
                }
            }
            assertThat(b.state()).as("fatal=%s: the failure was recorded first", fatal).isEqualTo(State.OPEN);
        }
    }

    @Test
    void onlyVirtualMachineErrorsAndLinkageErrorsAreFatal() {
        assertThat(Guard.isFatal(new StackOverflowError())).isTrue();
        assertThat(Guard.isFatal(new OutOfMemoryError())).isTrue();
        assertThat(Guard.isFatal(new InternalError())).isTrue();
        assertThat(Guard.isFatal(new NoClassDefFoundError())).isTrue();
        assertThat(Guard.isFatal(new AssertionError())).as("an Error, but not fatal").isFalse();
        assertThat(Guard.isFatal(new IllegalStateException())).isFalse();
        assertThat(Guard.isFatal(new Exception())).isFalse();
        assertThat(Guard.isFatal(null)).isFalse();
    }

    @Test
    @SuppressWarnings("unchecked")
    void nonFatalThrowablesAreLoggedAndEveryListenerRuns() throws Exception {
        List<String> heard = new ArrayList<>();
        Consumer<String>[] listeners = new Consumer[] {
            (Consumer<String>) e -> {
                throw new IllegalStateException("listener bug");
            },
            (Consumer<String>) e -> {
                throw new AssertionError("listener assertion");
            },
            (Consumer<String>) heard::add
        };
        try (LogCapture log = new LogCapture()) {
            Guard.notifyAll("guarded", listeners, "event");
            assertThat(heard).containsExactly("event");
            assertThat(log.text()).contains("listener of 'guarded' threw on event")
                    .contains("IllegalStateException: listener bug")
                    .contains("AssertionError: listener assertion");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theFirstFatalErrorIsRethrownOnceEveryListenerRan() {
        List<String> heard = new ArrayList<>();
        StackOverflowError first = new StackOverflowError("first");
        Consumer<String>[] listeners = new Consumer[] {
            (Consumer<String>) e -> {
                throw first;
            },
            (Consumer<String>) heard::add,
            (Consumer<String>) e -> {
                throw new NoClassDefFoundError("second");
            },
            (Consumer<String>) heard::add
        };
        assertThatThrownBy(() -> Guard.notifyAll("guarded", listeners, "event")).isSameAs(first);
        assertThat(heard).containsExactly("event", "event");
    }
}
