package dev.ninelives.reactor;

/**
 * What a throwing callback throws in the callback tests of every operator: an exception, an
 * Error that is not JVM-fatal, and a JVM-fatal one. The library's rule differs between the
 * first two (the call ends as documented, or the throwable is logged) and the last (the state is
 * made whole, then the error propagates).
 */
enum Thrown {
    RUNTIME_EXCEPTION, ASSERTION_ERROR, STACK_OVERFLOW;

    /**
     * Returns a new throwable of this kind.
     *
     * @return the throwable
     */
    Throwable create() {
        return switch (this) {
            case RUNTIME_EXCEPTION -> new IllegalStateException("callback bug");
            case ASSERTION_ERROR -> new AssertionError("callback assertion");
            case STACK_OVERFLOW -> new StackOverflowError("callback overflow");
        };
    }

    /**
     * Tells whether this kind is JVM-fatal.
     *
     * @return true for the stack overflow
     */
    boolean fatal() {
        return this == STACK_OVERFLOW;
    }

    /** Throws a new throwable of this kind, from a callback of any functional type. */
    void raise() {
        Throwable t = create();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) t;
    }
}
