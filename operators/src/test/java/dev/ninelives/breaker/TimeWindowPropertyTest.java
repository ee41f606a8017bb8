package dev.ninelives.breaker;

import dev.ninelives.core.Ticker;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the time-based window against a model that keeps every outcome with its time.
 *
 * <p>The model: bucket boundaries fall on whole multiples of the bucket length of the first
 * call's reading, and from there every bucket length; at a reading in period P the window holds
 * the outcomes of periods P-K+1..P; a clock that goes back by a whole window or more starts an
 * empty window, whose boundaries fall on whole multiples of its own first reading. Readings are compared by subtraction,
 * like {@link System#nanoTime()}, so the model works in offsets from the first call and the
 * ticker adds them to an arbitrary origin: 0, negative, near {@link Long#MAX_VALUE} (the clock
 * wraps during the run) or anywhere.
 *
 * <p>Guards against: buckets tagged from the clock at build time (a breaker built on one clock
 * and used on another counted nothing), tags that wrap every 2^22 periods (a window idle for a
 * multiple of that saw old buckets as current, and whether a test passed depended on the date),
 * and period arithmetic that breaks at a negative origin or across the wrap of the ticker.
 */
class TimeWindowPropertyTest {

    private static final long SECOND = 1_000_000_000L;

    /** A ticker a test sets to any reading, backwards included. */
    static final class SetTicker implements Ticker {
        volatile long now;

        @Override
        public long read() {
            return now;
        }
    }

    /** One call: how far the clock moves before it (in nanoseconds, may be huge) and its outcome. */
    record Step(long advance, int outcome) {
    }

    @Provide
    Arbitrary<Long> origins() {
        return Arbitraries.oneOf(
                Arbitraries.just(0L),
                Arbitraries.longs().between(-1_000 * SECOND, -1),
                Arbitraries.longs().between(Long.MAX_VALUE - 200 * SECOND, Long.MAX_VALUE),   // wraps during the run
                Arbitraries.longs().between(Long.MIN_VALUE, Long.MIN_VALUE + 10 * SECOND),
                Arbitraries.longs());
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Long> nearMultipleOfTagRange = Arbitraries.longs().between(1, 5)
                .flatMap(n -> Arbitraries.longs().between(-3 * SECOND, 3 * SECOND).map(d -> n * (1L << 22) * SECOND + d));
        Arbitrary<Long> advance = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(0, 2 * SECOND)),     // within a bucket or two
                Tuple.of(3, Arbitraries.longs().between(0, 15 * SECOND)),    // about a window
                Tuple.of(1, nearMultipleOfTagRange));                        // idle for about 2^22 periods, or a multiple
        Arbitrary<Integer> outcome = Arbitraries.integers().between(0, 3);
        return Combinators.combine(advance, outcome).as(Step::new).list().ofMinSize(1).ofMaxSize(120);
    }

    /** A breaker that never trips, so its metrics always show the CLOSED window. */
    private static CircuitBreaker breaker(SetTicker ticker, int buckets) {
        return CircuitBreaker.builder("window")
                .slidingTimeWindow(Duration.ofSeconds(buckets), buckets)   // one-second buckets
                .minimumNumberOfCalls(Integer.MAX_VALUE)
                .slowCallDuration(Duration.ofSeconds(1))
                .ticker(ticker)
                .build();
    }

    private static void call(CircuitBreaker b, int outcome) {
        long permit = b.tryAcquire();
        assertThat(permit).isNotNegative();
        long duration = outcome >= 2 ? SECOND : 0L;
        if (outcome == 1 || outcome == 3) {
            b.onError(permit, duration, new IOException());
        } else {
            b.onSuccess(permit, duration);
        }
    }

    /**
     * Asserts the breaker's window equals the model's outcomes (offset, outcome) at offset
     * {@code at}; offsets count from a reading that lies {@code phase} after a bucket boundary.
     */
    private static void assertWindow(CircuitBreaker b, List<long[]> model, long at, int k, long phase) {
        long period = Math.floorDiv(at + phase, SECOND);
        int calls = 0;
        int failures = 0;
        int slow = 0;
        for (long[] o : model) {
            long p = Math.floorDiv(o[0] + phase, SECOND);
            if (p <= period && period - p < k) {
                calls++;
                failures += (o[1] == 1 || o[1] == 3) ? 1 : 0;
                slow += o[1] >= 2 ? 1 : 0;
            }
        }
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.calls()).as("calls at offset %d ns", at).isEqualTo(calls);
        assertThat(m.failures()).as("failures at offset %d ns", at).isEqualTo(failures);
        assertThat(m.slowCalls()).as("slow calls at offset %d ns", at).isEqualTo(slow);
    }

    @Property(tries = 300)
    void matchesTheModelForAnyOriginAndAnyForwardTiming(@ForAll("origins") long origin,
                                                        @ForAll("steps") List<Step> steps,
                                                        @ForAll @IntRange(min = 1, max = 12) int buckets,
                                                        @ForAll @IntRange(min = 0, max = 3 * 1_000) int builtBeforeMillis) {
        SetTicker ticker = new SetTicker();
        ticker.now = origin - builtBeforeMillis * 1_000_000L;      // built earlier, on the same clock
        CircuitBreaker b = breaker(ticker, buckets);
        List<long[]> model = new ArrayList<>();
        long at = 0;                                                // offset from the first call
        long phase = Math.floorMod(origin, SECOND);                 // the first call's place in its bucket
        boolean first = true;
        for (Step step : steps) {
            if (!first) {
                at += step.advance();
            }
            first = false;
            ticker.now = origin + at;
            call(b, step.outcome());
            model.add(new long[] {at, step.outcome()});
            assertWindow(b, model, at, buckets, phase);
        }
        at += 10L * buckets * SECOND;
        ticker.now = origin + at;
        assertWindow(b, model, at, buckets, phase);                 // every outcome has left the window
    }

    /**
     * Segments of calls, each on its own clock: the next segment starts at least a whole window
     * away from where the last one ended, forwards or backwards, anywhere on the ticker's circle
     * (a breaker built outside StepVerifier.withVirtualTime and used inside it, or shared by
     * several virtual-time tests). Each segment starts with an empty window.
     */
    @Property(tries = 200)
    void aClockThatJumpsByAWindowOrMoreStartsAnEmptyWindow(
            @ForAll("origins") long firstOrigin,
            @ForAll @Size(min = 1, max = 5) List<@IntRange(min = -1_000_000, max = 1_000_000) Integer> jumps,
            @ForAll("steps") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 12) int buckets) {
        SetTicker ticker = new SetTicker();
        ticker.now = firstOrigin;
        CircuitBreaker b = breaker(ticker, buckets);
        long frame = firstOrigin;                                   // the reading at offset 0 of the current frame
        long phase = Math.floorMod(firstOrigin, SECOND);
        long at = 0;                                                // offset of the clock in the frame
        List<long[]> model = new ArrayList<>();
        int perSegment = Math.max(1, steps.size() / (jumps.size() + 1));
        int index = 0;
        for (int segment = 0; segment <= jumps.size(); segment++) {
            for (int i = 0; i < perSegment && index < steps.size(); i++, index++) {
                Step step = steps.get(index);
                if (i > 0) {
                    at += Math.min(step.advance(), 3 * SECOND);
                }
                ticker.now = frame + at;
                call(b, step.outcome());
                model.add(new long[] {at, step.outcome()});
                assertWindow(b, model, at, buckets, phase);
            }
            if (segment < jumps.size()) {
                int j = jumps.get(segment);
                long gap = (Math.abs((long) j) + buckets + 1) * SECOND + (j % 7) * 1_234_567L; // more than a window
                if (j % 3 == 0 || j < 0) {
                    // Backwards by more than a window, or half the circle away (neither ahead nor
                    // behind): a new frame, an empty window aligned on its own first reading.
                    long next = j % 3 == 0 ? frame + at + Long.MIN_VALUE : frame + at - gap - buckets * SECOND;
                    frame = next;
                    at = 0;
                    phase = Math.floorMod(next, SECOND);
                    model.clear();
                } else {
                    at += gap;                                      // forwards: the same frame, the old calls age out
                }
            }
        }
    }
}
