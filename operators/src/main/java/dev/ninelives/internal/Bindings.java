package dev.ninelives.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Function;

/**
 * The bindings of one policy to {@link dev.ninelives.core.Adaptive adaptive} settings, collected
 * as the policy binds them (see {@link AdaptiveBinding#bind}), so that they can be released
 * together when the policy leaves a registry. Not API: exported only to the Reactor bridge, whose
 * registry calls {@link #release(Object)}.
 *
 * <p>Released, a policy keeps working with the values in force at that moment (a retry, which
 * reads its adaptive settings rather than copying them, goes on reading them, no longer checked
 * against its limits); the adaptives it was bound to no longer check their changes against it,
 * no longer tell it about them, and no longer hold it reachable. (Its config's accessors still
 * read those adaptives: they report the adaptives' values, no longer the ones it uses; its
 * {@code metrics()} and behaviour show those.) A release is final and
 * idempotent; a binding made after it (none is, for a built policy) is released at once.
 *
 * <p>Lock-free: the releases are an immutable array swapped by CAS; a release swaps in the
 * {@code RELEASED} marker and runs what it took out.
 */
public final class Bindings {

    private static final VarHandle RELEASES;
    private static final Runnable[] NONE = new Runnable[0];
    private static final Runnable[] RELEASED = new Runnable[0];
    private static volatile Function<Object, Bindings> retryAccess;

    static {
        try {
            RELEASES = MethodHandles.lookup().findVarHandle(Bindings.class, "releases", Runnable[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Implemented by the policies that have bindings of their own (breaker, bulkhead). */
    public interface Owner {
        /**
         * The policy's bindings.
         *
         * @return its bindings, never null
         */
        Bindings bindings();
    }

    @SuppressWarnings("unused") // accessed through RELEASES
    private volatile Runnable[] releases = NONE;

    /** An empty set of bindings, for one policy. */
    public Bindings() {
    }

    /**
     * Records what undoes one binding; runs it at once if these bindings are released already.
     *
     * @param release undoes one binding
     */
    public void add(Runnable release) {
        Check.notNull(release, "release");
        for (;;) {
            Runnable[] r = releases;
            if (r == RELEASED) {
                release.run();
                return;
            }
            if (RELEASES.compareAndSet(this, r, Guard.append(r, release))) {
                return;
            }
        }
    }

    /** Undoes every binding recorded so far, once; a second call does nothing. */
    public void release() {
        Runnable[] r = (Runnable[]) RELEASES.getAndSet(this, RELEASED);
        for (Runnable release : r) {
            release.run();
        }
    }

    /**
     * Tells whether {@link #release()} has run.
     *
     * @return true once released
     */
    public boolean released() {
        return releases == RELEASED;
    }

    /**
     * Registers how to reach a retry policy's bindings (called once, by {@code Retry}'s static
     * initializer: {@code Retry} is a public final class and cannot implement {@link Owner}
     * without making it API).
     *
     * @param access from a {@code Retry} to its bindings
     */
    public static void registerRetry(Function<Object, Bindings> access) {
        Check.notNull(access, "access");
        retryAccess = access;
    }

    /**
     * Returns the bindings of a policy of this library.
     *
     * @param policy a circuit breaker, bulkhead or retry policy built by this library
     * @return its bindings, or null for any other object
     */
    public static Bindings of(Object policy) {
        if (policy instanceof Owner o) {
            return o.bindings();
        }
        if (policy instanceof dev.ninelives.retry.Retry) {
            return retryAccess.apply(policy);
        }
        return null;
    }

    /**
     * Releases every binding of {@code policy} (see the class comment); does nothing for an
     * object that has none.
     *
     * @param policy a circuit breaker, bulkhead or retry policy
     */
    public static void release(Object policy) {
        Bindings b = of(policy);
        if (b != null) {
            b.release();
        }
    }
}
