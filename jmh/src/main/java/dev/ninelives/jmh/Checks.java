package dev.ninelives.jmh;

import reactor.core.CorePublisher;

/** Tear-down sanity checks: a benchmark that measured another path than it claims must fail. */
final class Checks {

    private Checks() {
    }

    static void expectState(BreakerFacade breaker, String expected) {
        String actual = breaker.state();
        if (!"NONE".equals(actual) && !expected.equals(actual)) {
            throw new IllegalStateException("the breaker should have stayed " + expected + " but is " + actual
                    + ": the run did not measure what it claims");
        }
    }

    /**
     * Subscribes {@code s} once more to {@code pipeline} (after the trial) and fails unless it
     * delivers {@code count} values, the last one {@code last}, and completes.
     */
    static void expectDelivers(String what, CorePublisher<?> pipeline, BenchSubscriber s, int count, Object last) {
        s.reset();
        pipeline.subscribe(s);
        s.awaitTerminal();
        if (s.count() != count || !last.equals(s.last()) || s.error() != null || !s.completed()) {
            throw new IllegalStateException(what + " should deliver " + count + " values, the last " + last
                    + ", and complete, but delivered " + s.count() + " values, the last " + s.last() + ", error "
                    + s.error() + ", completed " + s.completed() + ": the run did not measure what it claims");
        }
    }

    static void expect(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message + ": the run did not measure what it claims");
        }
    }
}
