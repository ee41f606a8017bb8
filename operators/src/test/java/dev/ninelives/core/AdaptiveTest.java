package dev.ninelives.core;

import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Bindings;
import dev.ninelives.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Adaptive} on one thread: values, validation by bound policies, listeners, views. The
 * bound policy is a real bulkhead where the point is what a policy sees, and a bare check
 * through {@link AdaptiveBinding} where the point is the adaptive itself.
 */
class AdaptiveTest {

    private final List<String> seen = new ArrayList<>();

    private void record(Adaptive<?> adaptive, String who) {
        adaptive.onChange(c -> seen.add(who + ":" + c.oldValue() + "->" + c.newValue()));
    }

    /** Binds a check refusing negative values, as a policy would; returns the value bound. */
    private static int bindNonNegative(Adaptive<Integer> adaptive, List<String> applied) {
        return AdaptiveBinding.bind(adaptive, v -> {
            if (v < 0) {
                throw new IllegalArgumentException("size of test policy must be zero or positive, but was " + v);
            }
        }, c -> applied.add("applied:" + c.oldValue() + "->" + c.newValue()), new Bindings());
    }

    // ------------------------------------------------------------------ values

    @Test
    void nullIsRefusedNamingTheParameter() {
        assertThatThrownBy(() -> Adaptive.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("initial");
        Adaptive<Integer> a = Adaptive.of(1);
        assertThatThrownBy(() -> a.set(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("value");
        assertThatThrownBy(() -> a.update(v -> null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("returned null for 1");
        assertThatThrownBy(() -> a.compareAndSet(1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> a.map(v -> null)).isInstanceOf(NullPointerException.class);
        assertThat(a.get()).isEqualTo(1);
    }

    @Test
    void setUpdateAndCompareAndSetChangeTheValue() {
        Adaptive<Integer> a = Adaptive.of(1);
        record(a, "l");
        a.set(2);
        assertThat(a.get()).isEqualTo(2);
        assertThat(a.update(v -> v * 10)).isEqualTo(20);
        assertThat(a.compareAndSet(3, 4)).as("3 is not the current value").isFalse();
        assertThat(a.compareAndSet(20, 21)).isTrue();
        assertThat(a.get()).isEqualTo(21);
        assertThat(seen).containsExactly("l:1->2", "l:2->20", "l:20->21");
        assertThat(a.isReadOnly()).isFalse();
    }

    /** compareAndSet compares with equals: boxed values beyond the Integer cache are different objects. */
    @Test
    void compareAndSetComparesByEquals() {
        Adaptive<Integer> a = Adaptive.of(1000);
        assertThat(a.compareAndSet(Integer.valueOf(1000 + Integer.parseInt("0")), 2000)).isTrue();
        assertThat(a.get()).isEqualTo(2000);
    }

    @Test
    void anEqualValueChangesNothingAndCallsNoListener() {
        Adaptive<String> a = Adaptive.of("abc");
        List<String> applied = new ArrayList<>();
        AdaptiveBinding.bind(a, v -> { }, c -> applied.add(c.toString()), new Bindings());
        record(a, "l");
        a.set(new String("abc"));
        assertThat(a.update(v -> "ab" + "c".repeat(1))).isEqualTo("abc");
        assertThat(a.compareAndSet("abc", "abc")).isTrue();
        assertThat(seen).isEmpty();
        assertThat(applied).isEmpty();
    }

    @Test
    void toStringShowsTheCurrentValue() {
        Adaptive<Integer> a = Adaptive.of(7);
        assertThat(a).hasToString("Adaptive[7]");
        a.set(8);
        assertThat(a).hasToString("Adaptive[8]");
        assertThat(a.map(v -> v * 2)).hasToString("Adaptive.view[16]");
    }

    // ------------------------------------------------------------------ validation

    /**
     * Guards against a refused value that is half applied: published, announced to a listener or
     * to another bound policy, or left in place of the old one.
     */
    @Test
    void aValueABoundPolicyRefusesChangesNothing() {
        Adaptive<Integer> limit = Adaptive.of(3);
        Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrent(limit).build();
        List<String> applied = new ArrayList<>();
        bindNonNegative(limit, applied);
        record(limit, "l");
        assertThat(bulkhead.tryAcquire()).isTrue();

        assertThatThrownBy(() -> limit.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent of bulkhead 'payments' must be between 1 and 1073741824, but was 0");
        assertThatThrownBy(() -> limit.update(v -> -v)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was -3");
        assertThatThrownBy(() -> limit.compareAndSet(3, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was -1");
        assertThatThrownBy(() -> bulkhead.changeMaxConcurrent(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was 0");

        assertThat(limit.get()).isEqualTo(3);
        assertThat(seen).isEmpty();
        assertThat(applied).isEmpty();
        BulkheadMetrics m = bulkhead.metrics();
        assertThat(m.maxConcurrent()).isEqualTo(3);
        assertThat(m.availablePermits()).isEqualTo(2);
        assertThat(bulkhead.config().maxConcurrent()).isEqualTo(3);
    }

    /** A value only the second policy refuses: the first policy must not have followed it. */
    @Test
    void eachBoundPolicyChecksAndTheStrictestDecides() {
        Adaptive<Integer> a = Adaptive.of(5);
        List<String> applied = new ArrayList<>();
        assertThat(bindNonNegative(a, applied)).isEqualTo(5);
        Bulkhead bulkhead = Bulkhead.builder("strict").maxConcurrent(a).build();
        assertThatThrownBy(() -> a.set(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'strict'");
        assertThat(applied).isEmpty();
        a.set(6);
        assertThat(applied).containsExactly("applied:5->6");
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(6);
    }

    @Test
    void bindingAnInvalidCurrentValueFailsAtBuildAndBindsNothing() {
        Adaptive<Integer> limit = Adaptive.of(0);
        assertThatThrownBy(() -> Bulkhead.builder("zero").maxConcurrent(limit).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConcurrent of bulkhead 'zero' must be between 1 and 1073741824, but was 0");
        limit.set(-4);    // nothing was bound: no check is left behind
        assertThat(limit.get()).isEqualTo(-4);
    }

    @Test
    void aCheckThatThrowsSomethingElsePropagatesAndChangesNothing() {
        Adaptive<Integer> a = Adaptive.of(1);
        AdaptiveBinding.bind(a, v -> {
            if (v == 13) {
                throw new InternalError("fatal in a check");
            }
        }, c -> { }, new Bindings());
        record(a, "l");
        assertThatThrownBy(() -> a.set(13)).isInstanceOf(InternalError.class);
        assertThat(a.get()).isEqualTo(1);
        assertThat(seen).isEmpty();
    }

    // ------------------------------------------------------------------ listeners

    /** Bound policies follow first, in order of binding; then the listeners, in order of registration. */
    @Test
    void listenersRunInOrderOfRegistrationAfterEveryBoundPolicyFollows() {
        Adaptive<Integer> limit = Adaptive.of(2);
        record(limit, "first");
        AtomicInteger limitSeenByListener = new AtomicInteger();
        Bulkhead[] bulkhead = new Bulkhead[1];
        limit.onChange(c -> {
            seen.add("second:" + c.oldValue() + "->" + c.newValue());
            limitSeenByListener.set(bulkhead[0].metrics().availablePermits());
        });
        bulkhead[0] = Bulkhead.builder("ordered").maxConcurrent(limit).build();
        List<String> applied = new ArrayList<>();
        bindNonNegative(limit, applied);
        record(limit, "third");

        limit.set(5);
        assertThat(seen).containsExactly("first:2->5", "second:2->5", "third:2->5");
        assertThat(applied).containsExactly("applied:2->5");
        assertThat(limitSeenByListener).as("the bulkhead had followed when the listener ran").hasValue(5);
    }

    @Test
    void aListenerThatThrowsIsLoggedAndTheOthersStillRun() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Adaptive<Integer> a = Adaptive.of(1);
            record(a, "first");
            a.onChange(c -> {
                throw new IllegalStateException("listener bug");
            });
            a.onChange(c -> {
                throw new AssertionError("listener assertion");
            });
            record(a, "last");
            a.set(2);
            assertThat(a.get()).isEqualTo(2);
            assertThat(seen).containsExactly("first:1->2", "last:1->2");
            assertThat(log.text()).contains("listener bug").contains("listener assertion").contains("Adaptive[2]");
        }
    }

    /** Guards against a fatal error that skips the value, a bound policy or the listeners after it. */
    @Test
    void aFatalErrorOfAListenerPropagatesOnceTheValueIsSetAndEveryoneRan() {
        Adaptive<Integer> limit = Adaptive.of(1);
        limit.onChange(c -> {
            throw new InternalError("fatal in a listener");
        });
        record(limit, "after");
        Bulkhead bulkhead = Bulkhead.builder("fatal").maxConcurrent(limit).build();
        assertThatThrownBy(() -> limit.set(4)).isInstanceOf(InternalError.class).hasMessage("fatal in a listener");
        assertThat(limit.get()).isEqualTo(4);
        assertThat(seen).containsExactly("after:1->4");
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(4);
    }

    // ------------------------------------------------------------------ views

    @Test
    void aViewFollowsItsSourceAndComputesOncePerChange() {
        Adaptive<Integer> total = Adaptive.of(10);
        AtomicInteger calls = new AtomicInteger();
        Adaptive<Integer> half = total.map(v -> {
            calls.incrementAndGet();
            return v / 2;
        });
        record(half, "half");
        assertThat(half.get()).isEqualTo(5);
        int afterCreation = calls.get();
        for (int i = 0; i < 100; i++) {
            assertThat(half.get()).isEqualTo(5);
        }
        assertThat(calls).as("no call per read").hasValue(afterCreation);
        total.set(20);
        assertThat(half.get()).isEqualTo(10);
        assertThat(calls).hasValue(afterCreation + 1);
        total.set(21);                      // maps to 10 again: not a change of the view
        assertThat(seen).containsExactly("half:5->10");
        Adaptive<String> text = half.map(v -> "n=" + v);
        total.set(40);
        assertThat(text.get()).isEqualTo("n=20");
        assertThat(seen).containsExactly("half:5->10", "half:10->20");
    }

    @Test
    void aViewIsReadOnly() {
        Adaptive<Integer> view = Adaptive.of(1).map(v -> v + 1);
        assertThat(view.isReadOnly()).isTrue();
        assertThatThrownBy(() -> view.set(5)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> view.update(v -> v + 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> view.compareAndSet(2, 3)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(view.get()).isEqualTo(2);
    }

    /** A policy bound to a view refuses, through the mapping, the source values it cannot take. */
    @Test
    void aPolicyBoundToAViewValidatesTheSource() {
        Adaptive<Integer> total = Adaptive.of(40);
        Adaptive<Integer> perReplica = total.map(v -> v / 4);
        Bulkhead bulkhead = Bulkhead.builder("share").maxConcurrent(perReplica).build();
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(10);
        total.set(80);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(20);
        assertThat(bulkhead.config().maxConcurrent()).isEqualTo(20);
        assertThatThrownBy(() -> total.set(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'share'").hasMessageContaining("but was 0 (mapped by a view from 3)");
        assertThat(total.get()).isEqualTo(80);
        assertThat(perReplica.get()).isEqualTo(20);
        assertThatThrownBy(() -> bulkhead.changeMaxConcurrent(5)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(20);
    }

    @Test
    void aMappingThatThrowsForAValueRefusesItWhenAPolicyIsBoundToTheView() {
        Adaptive<Integer> source = Adaptive.of(4);
        Adaptive<Integer> view = source.map(v -> {
            if (v == 7) {
                throw new ArithmeticException("no 7");
            }
            return v;
        });
        Bulkhead.builder("mapped").maxConcurrent(view).build();
        assertThatThrownBy(() -> source.set(7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threw for 7").hasRootCauseInstanceOf(ArithmeticException.class);
        assertThat(source.get()).isEqualTo(4);
        assertThat(view.get()).isEqualTo(4);
    }
}
