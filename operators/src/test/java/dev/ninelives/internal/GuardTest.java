package dev.ninelives.internal;

import dev.ninelives.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The listener guard every policy calls its listeners through. Guards against a listener's
 * throwable that skips the listeners after it, a non-fatal one that escapes into a policy's
 * update, and a fatal one that is swallowed or replaced by a later one.
 */
class GuardTest {

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
