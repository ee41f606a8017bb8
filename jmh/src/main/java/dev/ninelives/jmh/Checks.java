package dev.ninelives.jmh;

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
}
