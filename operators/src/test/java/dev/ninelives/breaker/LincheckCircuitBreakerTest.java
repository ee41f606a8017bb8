package dev.ninelives.breaker;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

@Param(name = "thread", gen = ThreadIdGen.class)
public class LincheckCircuitBreakerTest {

    static final int THREADS = 2;
    private static final RuntimeException BOOM = new RuntimeException("boom");

    private final AtomicLong clock = new AtomicLong();
    private final CircuitBreaker breaker = CircuitBreaker.builder("lincheck")
            .slidingWindow(2).minimumNumberOfCalls(2).failureRateThreshold(50)
            .permittedCallsInHalfOpen(2).openDuration(Duration.ofNanos(1))
            .ticker(() -> clock.addAndGet(1_000_000_000L))
            .build();
    private final ThreadLocal<CircuitBreaker.State> refusedIn = new ThreadLocal<>();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Long>[] held = new ArrayDeque[THREADS + 2];

    {
        breaker.onCallNotPermitted(e -> refusedIn.set(e.state()));
        for (int i = 0; i < held.length; i++) held[i] = new ArrayDeque<>();
    }

    @Operation
    public CircuitBreaker.State acquire(@Param(name = "thread") int thread) {
        for (;;) {
            refusedIn.set(null);
            long p = breaker.tryAcquire();
            if (p != CircuitBreaker.NOT_PERMITTED) {
                held[thread].addLast(p);
                return CircuitBreaker.State.values()[(int) (p & 7)];
            }
            if (refusedIn.get() != CircuitBreaker.State.OPEN) return null;
        }
    }

    @Operation
    public boolean succeed(@Param(name = "thread") int thread) {
        Long p = held[thread].pollFirst();
        if (p == null) return false;
        breaker.onSuccess(p, 0L);
        return true;
    }

    @Operation
    public boolean fail(@Param(name = "thread") int thread) {
        Long p = held[thread].pollFirst();
        if (p == null) return false;
        breaker.onError(p, 0L, BOOM);
        return true;
    }

    @Operation
    public boolean release(@Param(name = "thread") int thread) {
        Long p = held[thread].pollFirst();
        if (p == null) return false;
        breaker.release(p);
        return true;
    }

    @Operation
    public CircuitBreaker.State state() {
        return breaker.state();
    }

    @Test
    public void modelChecking() {
        new ModelCheckingOptions().iterations(0).invocationsPerIteration(5000)
                .addCustomScenario(closeGap())
                .sequentialSpecification(Spec.class).check(getClass());
    }

    static org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario closeGap() {
        return new org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario(
                java.util.List.of(a("acquire", 0), a("fail", 0), a("acquire", 0), a("fail", 0), a("acquire", 0), a("succeed", 0)),
                java.util.List.of(java.util.List.of(a("acquire", 1), a("succeed", 1)),
                        java.util.List.of(a("acquire", 2), a("fail", 2), a("acquire", 2), a("fail", 2), a("state"))),
                java.util.List.of(a("state")), null);
    }

    static org.jetbrains.kotlinx.lincheck.Actor a(String name, Object... args) {
        for (java.lang.reflect.Method m : LincheckCircuitBreakerTest.class.getMethods()) {
            if (m.getName().equals(name)) return new org.jetbrains.kotlinx.lincheck.Actor(m, java.util.List.of(args));
        }
        throw new IllegalArgumentException(name);
    }

    public static final class Spec {
        private CircuitBreaker.State state = CircuitBreaker.State.CLOSED;
        private int epoch;
        private final ArrayDeque<Boolean> window = new ArrayDeque<>();
        private int admitted, recorded, failed;
        @SuppressWarnings("unchecked")
        private final ArrayDeque<int[]>[] held = new ArrayDeque[THREADS + 2];

        public Spec() {
            for (int i = 0; i < held.length; i++) held[i] = new ArrayDeque<>();
        }

        public CircuitBreaker.State acquire(int thread) {
            switch (state) {
                case CLOSED:
                    break;
                case OPEN:
                    move(CircuitBreaker.State.HALF_OPEN);
                    admitted++;
                    break;
                case HALF_OPEN:
                    if (admitted >= 2) return null;
                    admitted++;
                    break;
                default:
                    throw new IllegalStateException();
            }
            held[thread].addLast(new int[] {state.ordinal(), epoch});
            return state;
        }

        public boolean succeed(int thread) { return complete(thread, 0); }
        public boolean fail(int thread) { return complete(thread, 1); }
        public boolean release(int thread) { return complete(thread, 2); }
        public CircuitBreaker.State state() { return state; }

        private boolean complete(int thread, int outcome) {
            int[] p = held[thread].pollFirst();
            if (p == null) return false;
            if (p[0] != state.ordinal() || p[1] != epoch) return true;       // stale permit
            if (state == CircuitBreaker.State.CLOSED) {
                if (outcome == 2) return true;
                window.addLast(outcome == 1);
                if (window.size() > 2) window.removeFirst();
                int calls = window.size();
                int fails = (int) window.stream().filter(b -> b).count();
                if (calls >= 2 && fails * 100 >= 50 * calls) move(CircuitBreaker.State.OPEN);
            } else {
                if (outcome == 2) { admitted--; return true; }
                recorded++;
                if (outcome == 1) failed++;
                if (recorded == 2) move(failed * 100 >= 50 * recorded ? CircuitBreaker.State.OPEN : CircuitBreaker.State.CLOSED);
            }
            return true;
        }

        private void move(CircuitBreaker.State target) {
            state = target;
            epoch++;
            admitted = recorded = failed = 0;
            window.clear();
        }
    }
}
