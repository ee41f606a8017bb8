package dev.ninelives.core;

import dev.ninelives.internal.AdaptiveBinding;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/*
 * One state word: `cell`, an immutable snapshot of the value, its version (how many changes the
 * root source has seen), the checks of every policy bound to it (roots only) and the consumers
 * to tell about a change (the bindings first, then the users' listeners). Everything that moves
 * is one CAS on `cell`: a change of value, a new listener, a new binding. Because the checks and
 * the value sit in the same word, a change is validated against exactly the checks in force when
 * it is published: a binding registered concurrently either is in the snapshot the setter
 * validated against, or makes the setter's CAS fail and validate again. A binding receives the
 * value of the very snapshot that registered it, and every later change comes as (old, new) from
 * the same chain of snapshots, so the deltas add up to the current value once every change in
 * progress is announced; but they are announced in any order, so a partial sum can pass every
 * value set, and the policies' appliers follow the value in force instead (AdaptiveBinding.bind).
 *
 * A binding (and a view's registration) can be released: its check and its consumer leave the
 * cell by CAS, by identity (two bindings that share one stateless object, such as a no-op
 * applier, are interchangeable, so removing either occurrence is right). A change validated against the checks of an older cell fails its CAS
 * and validates again, so once a release returns no later change is checked by the released
 * policy; a change published before it may still be announced to the released consumer.
 *
 * A view made by map() keeps its own cell, recomputed by a binding on its parent; its version is
 * the root version it reflects, and it only moves forward (a CAS that compares versions), so two
 * refreshes racing never leave an older mapping in place. A check bound to a view is registered
 * on the root through the mapping functions, so a root change that a view's policy refuses is
 * refused by the root's set.
 *
 * Followed. A change is published (the CAS) before the bound policies follow it (the
 * announcement), so for a moment get() returns a value that a policy does not apply yet. The
 * setter returns only once they follow it; so must a call that finds its value already in
 * place (a set of an equal value, an update that changes nothing, a compareAndSet whose value is
 * the current one): returning at once, it would let its thread's next call meet the old value
 * although its own set had "happened" (Lincheck found it: two threads set a breaker's trial
 * calls to 3, one returned while the other was still announcing, and its acquire was refused
 * under the old number 2). `followed` is the newest version whose announcement to the bindings
 * has completed; a call that finds its value in place and `followed` behind the cell's version
 * runs the cell's bindings itself (never the users' listeners: there was no change for them).
 * Every binding follows by reading the value in force, never by applying the Change it is told
 * of, so running it again is harmless.
 *
 * Allocation happens on a change and on a registration only; get() is one volatile read of the
 * cell and one final field read.
 */

/**
 * A setting that can change while the program runs, read on hot paths at the cost of one
 * volatile load. Bind one to a policy setting (for instance
 * {@code BulkheadBuilder.maxConcurrent(Adaptive)}) and the policy follows every change for its
 * next call, keeping its state: permits in flight, waiting callers, counts.
 *
 * <p>The settings that can be bound, per policy (each builder method says what a change does to
 * the state the policy holds):
 * <ul>
 * <li>circuit breaker ({@code CircuitBreakerBuilder}): {@code failureRateThreshold},
 *     {@code slowCallRateThreshold}, {@code slowCallDuration}, {@code openDuration},
 *     {@code permittedCallsInHalfOpen} and the count window's size ({@code slidingWindow});</li>
 * <li>retry ({@code RetryBuilder}): {@code maxAttempts} and {@code backoff}; the retry budget's
 *     {@code ratio} ({@code RetryBudgetBuilder});</li>
 * <li>bulkhead ({@code BulkheadBuilder}): {@code maxConcurrent}, {@code maxWait}, and the
 *     specification of an adaptive concurrency limit ({@code adaptiveLimit(Adaptive<AdaptiveLimit>)}:
 *     algorithm, min and max limits, window, algorithm parameters; the limit reached is kept);</li>
 * <li>rate limiter ({@code RateLimiterBuilder}): {@code limitForPeriod}, {@code period},
 *     {@code burst} and {@code maxWait};</li>
 * <li>hedge ({@code HedgeBuilder}): the fixed {@code delay} or the {@code delayPercentile} (which
 *     of the two is fixed at build), {@code minDelay}, {@code maxHedges}, and the budget's
 *     {@code budgetRatio} and {@code budgetBurst} (the latency window and the tokens are kept).</li>
 * </ul>
 *
 * <pre>{@code
 * Adaptive<Integer> limit = Adaptive.of(20);
 * Bulkhead bulkhead = Bulkhead.builder("payments").maxConcurrent(limit).build();
 * limit.onChange(c -> log.info("payments limit {} -> {}", c.oldValue(), c.newValue()));
 *
 * limit.set(40);                 // waiting callers start at once
 * limit.update(n -> n / 2);      // calls in flight finish; no new one until below 20
 * limit.set(0);                  // IllegalArgumentException: the bulkhead refuses it, nothing changes
 *
 * Adaptive<Integer> half = limit.map(n -> Math.max(1, n / 2));   // a read-only view that follows
 * }</pre>
 *
 * <h2>Validation</h2>
 * Every policy bound to an adaptive checks each new value before it is published. A value that
 * one of them refuses makes {@link #set}, {@link #update} and {@link #compareAndSet} throw an
 * {@link IllegalArgumentException} that names the setting and quotes the value, and changes
 * nothing: the old value stays and no listener is called. Binding an adaptive whose current
 * value a policy refuses fails when that policy is built, with the same message.
 *
 * <h2>Listeners</h2>
 * {@link #onChange} listeners run on the thread that made the change, after the new value is
 * published and after every policy bound to this adaptive follows it, in the order they were
 * registered. Changes made concurrently by several threads may be announced concurrently and in
 * any order, but each {@link Change} names exactly the value its change replaced, so the changes
 * form one chain; a listener that needs the latest value reads {@link #get()}.
 * A listener that throws never corrupts anything: a non-fatal throwable (any
 * {@link RuntimeException}, and any {@link Error} that is not JVM-fatal) is logged at WARNING
 * through {@code System.getLogger("dev.ninelives")} and the other listeners still run; a JVM-fatal
 * error ({@link VirtualMachineError}, {@link LinkageError}) is rethrown from the method that made
 * the change, once the value is set, every bound policy follows it and every other listener ran.
 *
 * <h2>Views</h2>
 * {@link #map} returns a read-only adaptive that follows this one: its value is computed once
 * per change of its source, never per read. A view is an {@code Adaptive} so that it binds to a
 * policy exactly like a source does (a share of a total limit, for instance); the price is that
 * its {@link #set}, {@link #update} and {@link #compareAndSet} throw
 * {@link UnsupportedOperationException} at run time rather than failing to compile.
 *
 * <p>Values are compared with {@link Object#equals}: setting a value equal to the current one
 * changes nothing and calls no listener. Values must not be null. All methods are thread-safe and
 * lock-free. Listeners and views stay registered for as long as the adaptive lives: there is no
 * way to remove one. A bound policy stays bound until it is removed from (or replaced in) a
 * {@code NineLivesRegistry}, which releases its bindings: from then on the adaptive neither checks
 * its values against that policy nor tells it about changes, and the policy keeps the values it
 * had.
 *
 * @param <T> the type of the value; use immutable values
 */
public final class Adaptive<T> {

    private static final VarHandle CELL;
    private static final VarHandle FOLLOWED;

    static {
        try {
            CELL = MethodHandles.lookup().findVarHandle(Adaptive.class, "cell", Cell.class);
            FOLLOWED = MethodHandles.lookup().findVarHandle(Adaptive.class, "followed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        AdaptiveBinding.install(new Binder());
    }

    @SuppressWarnings("rawtypes")
    private static final Consumer[] NO_CONSUMERS = new Consumer[0];
    /** For a view nobody will release. */
    private static final Consumer<Runnable> NO_RELEASE = release -> { };

    /** The parent of a view, null for a source. */
    private final Adaptive<Object> parent;
    /** The mapping of a view, null for a source. */
    private final Function<Object, T> mapping;

    private volatile Cell<T> cell;
    /** The newest version every binding has followed: see "Followed" in the header. */
    private volatile long followed;

    @SuppressWarnings("unchecked")
    private Adaptive(T initial, Adaptive<?> parent, Function<?, T> mapping, long version) {
        this.parent = (Adaptive<Object>) parent;
        this.mapping = (Function<Object, T>) mapping;
        this.cell = new Cell<>(initial, version, NO_CONSUMERS, 0, parent == null ? NO_CONSUMERS : null);
        this.followed = version;
    }

    /**
     * Returns a new adaptive holding {@code initial}.
     *
     * @param initial the first value, not null
     * @param <T>     the type of the value
     * @return a new adaptive that can be {@link #set} and {@link #update}d
     * @throws NullPointerException if {@code initial} is null
     */
    public static <T> Adaptive<T> of(T initial) {
        Check.notNull(initial, "initial");
        return new Adaptive<>(initial, null, null, 0L);
    }

    /**
     * Returns the current value: one volatile read, no lock, no allocation.
     *
     * @return the current value, never null
     */
    public T get() {
        return cell.value;
    }

    /**
     * Tells whether this adaptive is a read-only view made by {@link #map}.
     *
     * @return true for a view, false for an adaptive made by {@link #of}
     */
    public boolean isReadOnly() {
        return parent != null;
    }

    /**
     * Sets the value. Every policy bound to this adaptive checks it first; if one refuses it,
     * nothing changes. When this method returns, every bound policy follows the value. If
     * {@code value} equals the current value, nothing changes and no listener is called, but the
     * method still returns only once the bound policies follow it (another thread's change that
     * set it may still be on its way to them).
     *
     * @param value the new value, not null
     * @throws NullPointerException          if {@code value} is null
     * @throws IllegalArgumentException      if a bound policy refuses the value (the message names
     *                                       the setting and quotes the value); nothing changed
     * @throws UnsupportedOperationException if this is a read-only view
     */
    public void set(T value) {
        writable();
        Check.notNull(value, "value");
        for (;;) {
            Cell<T> c = cell;
            if (c.value.equals(value)) {
                followed(c);
                return;
            }
            if (publish(c, value)) {
                return;
            }
        }
    }

    /**
     * Replaces the value with {@code function} applied to it, atomically: the new value is
     * computed from the value it replaces. Under contention the function may run more than once
     * (each time on the latest value), so it must be free of side effects. A result equal to the
     * current value changes nothing.
     *
     * @param function computes the new value from the current one; must not return null. What it
     *                 throws comes out of this method unchanged, with nothing changed.
     * @return the value this call left in place
     * @throws NullPointerException          if {@code function} is null or returns null
     * @throws IllegalArgumentException      if a bound policy refuses the result; nothing changed
     * @throws UnsupportedOperationException if this is a read-only view
     */
    public T update(UnaryOperator<T> function) {
        writable();
        Check.notNull(function, "function");
        for (;;) {
            Cell<T> c = cell;
            T next = Objects.requireNonNull(function.apply(c.value),
                    () -> "update function returned null for " + c.value);
            if (c.value.equals(next)) {
                followed(c);
                return next;
            }
            if (publish(c, next)) {
                return next;
            }
        }
    }

    /**
     * Sets the value to {@code value} if the current value equals {@code expected}.
     *
     * @param expected the value expected now (compared with {@link Object#equals})
     * @param value    the new value, not null
     * @return true if the current value equalled {@code expected} (and is now {@code value}),
     *     false if it did not and nothing changed
     * @throws NullPointerException          if {@code value} is null
     * @throws IllegalArgumentException      if the current value equals {@code expected} and a
     *                                       bound policy refuses {@code value}; nothing changed
     * @throws UnsupportedOperationException if this is a read-only view
     */
    public boolean compareAndSet(T expected, T value) {
        writable();
        Check.notNull(value, "value");
        for (;;) {
            Cell<T> c = cell;
            if (!c.value.equals(expected)) {
                return false;
            }
            if (c.value.equals(value)) {
                followed(c);
                return true;
            }
            if (publish(c, value)) {
                return true;
            }
        }
    }

    /**
     * Registers a listener told about every later change of value (see the class comment for
     * the thread, the order, and what a listener that throws means). Setting an equal value is
     * not a change.
     *
     * @param listener the listener; it receives the old and the new value
     * @throws NullPointerException if {@code listener} is null
     */
    public void onChange(Consumer<? super Change<T>> listener) {
        Check.notNull(listener, "listener");
        for (;;) {
            Cell<T> c = cell;
            if (CELL.compareAndSet(this, c, c.withConsumer(listener, false))) {
                return;
            }
        }
    }

    /**
     * Returns a read-only view whose value is {@code function} applied to this adaptive's value,
     * computed now and again on each change of this adaptive (never on a read: the view's
     * {@link #get()} is one volatile read as well). A result equal to the view's current value
     * is not a change of the view. The view follows this adaptive: it is up to date once the
     * method that changed this adaptive returns, and may lag behind while that method runs.
     *
     * <p>The function must be free of side effects and give equal results for equal values. It
     * also decides which values of this adaptive a policy bound to the view accepts: a value for
     * which it throws (or returns null) is refused like an invalid one, with an
     * {@link IllegalArgumentException}, when a policy is bound to the view. Should it throw later
     * for a value it once accepted, the view keeps its old value and the failure is logged (a
     * JVM-fatal error is rethrown, like a listener's).
     *
     * @param function the mapping, never returning null
     * @param <R>      the type of the view's value
     * @return a new read-only view
     * @throws NullPointerException if {@code function} is null, or returns null for the current value
     */
    public <R> Adaptive<R> map(Function<? super T, ? extends R> function) {
        return view(function, NO_RELEASE);
    }

    /** Makes a view; {@code releases} receives what takes it off this adaptive's consumers again. */
    private <R> Adaptive<R> view(Function<? super T, ? extends R> function, Consumer<Runnable> releases) {
        Check.notNull(function, "function");
        Cell<T> c = cell;
        R first = Objects.requireNonNull(function.apply(c.value), () -> "map function returned null for " + c.value);
        @SuppressWarnings("unchecked")
        Function<T, R> f = (Function<T, R>) function;
        Adaptive<R> view = new Adaptive<>(first, this, f, c.version);
        Refresh<T> refresh = new Refresh<>(view);
        addConsumer(refresh, true);
        releases.accept(() -> removeConsumer(refresh));
        view.refresh();             // a change between the read above and the registration
        return view;
    }

    /** Shows the current value. */
    @Override
    public String toString() {
        return (parent == null ? "Adaptive[" : "Adaptive.view[") + cell.value + ']';
    }

    // ------------------------------------------------------------------ the change protocol

    private void writable() {
        if (parent != null) {
            throw new UnsupportedOperationException(
                    "this adaptive is a read-only view made by map(): change its source instead");
        }
    }

    /**
     * Validates {@code value} against the checks of {@code c}, then installs it; tells the
     * consumers of the new cell. Returns false if the CAS lost (the caller reads again).
     */
    private boolean publish(Cell<T> c, T value) {
        runChecks(c.checks, value);
        Cell<T> next = c.withValue(value, c.version + 1);
        if (!CELL.compareAndSet(this, c, next)) {
            return false;
        }
        announce(c.value, next);
        return true;
    }

    @SuppressWarnings("unchecked")
    private static <T> void runChecks(Consumer<?>[] checks, T value) {
        for (Consumer<?> check : checks) {
            ((Consumer<T>) check).accept(value);
        }
    }

    private void announce(T old, Cell<T> next) {
        if (next.consumers.length != 0) {
            Guard.notifyAll(label(next), next.consumers, new Change<>(old, next.value));
        }
        markFollowed(next.version);                 // not reached if a consumer threw a fatal error: a later call helps
    }

    private String label(Cell<T> c) {
        return (parent == null ? "Adaptive[" : "Adaptive.view[") + c.value + ']';
    }

    /**
     * A call found its value already in place in cell {@code c}: returns once every binding
     * follows it, running them itself if the change that published it is still being announced
     * (see "Followed" in the header).
     */
    private void followed(Cell<T> c) {
        if (followed >= c.version) {
            return;
        }
        if (c.bindings != 0) {
            @SuppressWarnings("unchecked")
            Consumer<? super Change<T>>[] bound = (Consumer<? super Change<T>>[]) Arrays.copyOf(c.consumers, c.bindings);
            Guard.notifyAll(label(c), bound, new Change<>(c.value, c.value));
        }
        markFollowed(c.version);
    }

    private void markFollowed(long version) {
        for (;;) {
            long f = followed;
            if (f >= version || FOLLOWED.compareAndSet(this, f, version)) {
                return;
            }
        }
    }

    /** A view catches up with its parent (and the parent with its own, first); see {@link #refresh(boolean)}. */
    private void refresh() {
        refresh(true);
    }

    /**
     * A view catches up with its parent (and the parent with its own, first). With {@code help},
     * a view already caught up by a racing refresh also makes sure its bindings follow (see
     * "Followed" in the header); a view catching up on behalf of its own view does not, or the
     * two would call each other through the bindings without end.
     */
    private void refresh(boolean help) {
        Adaptive<Object> p = parent;
        if (p.parent != null) {
            p.refresh(false);
        }
        for (;;) {
            Cell<Object> pc = p.cell;
            Cell<T> c = cell;
            if (c.version >= pc.version) {
                if (help) {
                    followed(c);                    // a racing refresh moved it: its bindings may still be on their way
                }
                return;
            }
            T mapped = Objects.requireNonNull(mapping.apply(pc.value),
                    () -> "map function returned null for " + pc.value);
            boolean changed = !mapped.equals(c.value);
            Cell<T> next = changed ? c.withValue(mapped, pc.version) : c.withValue(c.value, pc.version);
            if (CELL.compareAndSet(this, c, next)) {
                if (changed) {
                    announce(c.value, next);
                } else {
                    markFollowed(next.version);
                }
                return;
            }
        }
    }

    private void addConsumer(Consumer<? super Change<T>> consumer, boolean binding) {
        for (;;) {
            Cell<T> c = cell;
            if (CELL.compareAndSet(this, c, c.withConsumer(consumer, binding))) {
                return;
            }
        }
    }

    /**
     * Registers a check of this adaptive's values: on the root, through the mappings of the views
     * on the way. Returns what removes it again.
     */
    private Runnable addCheck(Consumer<? super T> check) {
        if (parent != null) {
            Function<Object, T> f = mapping;
            return parent.addCheck(v -> {
                T r = mapped(f, v);
                try {
                    check.accept(r);
                } catch (IllegalArgumentException refused) {
                    // the message quotes the mapped value; say which value of the source gave it
                    throw new IllegalArgumentException(refused.getMessage() + " (mapped by a view from " + v + ")", refused);
                }
            });
        }
        for (;;) {
            Cell<T> c = cell;
            check.accept(c.value);
            if (CELL.compareAndSet(this, c, c.withCheck(check))) {
                return () -> removeCheck(check);
            }
        }
    }

    /** Removes a check registered by {@link #addCheck} (the very object), if it is still there. */
    private void removeCheck(Consumer<?> check) {
        for (;;) {
            Cell<T> c = cell;
            Cell<T> next = c.withoutCheck(check);
            if (next == c || CELL.compareAndSet(this, c, next)) {
                return;
            }
        }
    }

    /** Removes a consumer (a binding or a view's refresh), if it is still there. */
    private void removeConsumer(Consumer<?> consumer) {
        for (;;) {
            Cell<T> c = cell;
            Cell<T> next = c.withoutConsumer(consumer);
            if (next == c || CELL.compareAndSet(this, c, next)) {
                return;
            }
        }
    }

    /** The mapping of a value for a check: a mapping that cannot map it refuses it. */
    private static <T> T mapped(Function<Object, T> f, Object value) {
        T r;
        try {
            r = f.apply(value);
        } catch (VirtualMachineError | LinkageError fatal) {
            throw fatal;
        } catch (Throwable t) {
            throw new IllegalArgumentException("the map function of a view threw for " + value
                    + ", so a policy bound to the view cannot accept it", t);
        }
        if (r == null) {
            throw new IllegalArgumentException("the map function of a view returned null for " + value
                    + ", so a policy bound to the view cannot accept it");
        }
        return r;
    }

    /** See {@link AdaptiveBinding#bind}: binds, and hands {@code releases} what undoes it. */
    private T bind(Consumer<? super T> check, Consumer<? super Change<T>> applier, Consumer<Runnable> releases) {
        if (parent == null) {
            for (;;) {
                Cell<T> c = cell;
                check.accept(c.value);
                Cell<T> next = c.withCheck(check).withConsumer(applier, true);
                if (CELL.compareAndSet(this, c, next)) {
                    releases.accept(() -> {
                        removeCheck(check);
                        removeConsumer(applier);
                    });
                    return c.value;
                }
            }
        }
        Runnable unchecked = addCheck(check);   // from now on the root refuses what the check refuses
        try {
            refresh();                          // so this view's value is one the check accepted
        } catch (Throwable e) {                 // whatever the check threw, fatal or not: unbind it, then rethrow
            unchecked.run();
            throw e;
        }
        for (;;) {
            Cell<T> c = cell;
            if (CELL.compareAndSet(this, c, c.withConsumer(applier, true))) {
                releases.accept(() -> {
                    unchecked.run();
                    removeConsumer(applier);
                });
                return c.value;    // the value of the snapshot that registered the applier: its changes continue from it
            }
        }
    }

    /** See {@link AdaptiveBinding#map}: a view whose registration on this adaptive {@code releases} can undo. */
    private <R> Adaptive<R> mapReleasable(Function<? super T, ? extends R> function, Consumer<Runnable> releases) {
        return view(function, releases);
    }

    /** A view's binding on its parent: a named class rather than a lambda, which Lincheck can follow. */
    private static final class Refresh<T> implements Consumer<Change<T>> {
        private final Adaptive<?> view;

        Refresh(Adaptive<?> view) {
            this.view = view;
        }

        @Override
        public void accept(Change<T> change) {
            view.refresh();
        }
    }

    private static final class Binder extends AdaptiveBinding {
        @Override
        protected <T> T bindTo(Adaptive<T> adaptive, Consumer<? super T> check, Consumer<? super Change<T>> applier,
                               Consumer<Runnable> releases) {
            return adaptive.bind(check, applier, releases);
        }

        @Override
        protected <T, R> Adaptive<R> mapTo(Adaptive<T> adaptive, Function<? super T, ? extends R> function,
                                           Consumer<Runnable> releases) {
            return adaptive.mapReleasable(function, releases);
        }
    }

    /** An immutable snapshot of an adaptive's state. */
    private static final class Cell<T> {
        final T value;
        final long version;
        /** Bindings (indices below {@code bindings}), then users' listeners, each in order of registration. */
        final Consumer<? super Change<T>>[] consumers;
        final int bindings;
        /** The checks of the bound policies (a source's only; null in a view). */
        final Consumer<?>[] checks;

        @SuppressWarnings("unchecked")
        Cell(T value, long version, Consumer<?>[] consumers, int bindings, Consumer<?>[] checks) {
            this.value = value;
            this.version = version;
            this.consumers = (Consumer<? super Change<T>>[]) consumers;
            this.bindings = bindings;
            this.checks = checks;
        }

        Cell<T> withValue(T v, long newVersion) {
            return new Cell<>(v, newVersion, consumers, bindings, checks);
        }

        Cell<T> withCheck(Consumer<?> check) {
            return new Cell<>(value, version, consumers, bindings, Guard.append(checks, check));
        }

        /** This cell without {@code check} (by identity), or this very cell if it has none such. */
        Cell<T> withoutCheck(Consumer<?> check) {
            int at = indexOf(checks, check);
            return at < 0 ? this : new Cell<>(value, version, consumers, bindings, without(checks, at));
        }

        /** This cell without {@code consumer} (by identity), or this very cell if it has none such. */
        Cell<T> withoutConsumer(Consumer<?> consumer) {
            int at = indexOf(consumers, consumer);
            return at < 0 ? this
                    : new Cell<>(value, version, without(consumers, at), at < bindings ? bindings - 1 : bindings, checks);
        }

        private static int indexOf(Consumer<?>[] array, Consumer<?> element) {
            if (array != null) {
                for (int i = 0; i < array.length; i++) {
                    if (array[i] == element) {
                        return i;
                    }
                }
            }
            return -1;
        }

        private static Consumer<?>[] without(Consumer<?>[] array, int at) {
            Consumer<?>[] next = new Consumer[array.length - 1];
            System.arraycopy(array, 0, next, 0, at);
            System.arraycopy(array, at + 1, next, at, array.length - at - 1);
            return next;
        }

        @SuppressWarnings("unchecked")
        Cell<T> withConsumer(Consumer<? super Change<T>> consumer, boolean binding) {
            Consumer<?>[] next = new Consumer[consumers.length + 1];
            int at = binding ? bindings : consumers.length;
            System.arraycopy(consumers, 0, next, 0, at);
            next[at] = consumer;
            System.arraycopy(consumers, at, next, at + 1, consumers.length - at);
            return new Cell<>(value, version, next, binding ? bindings + 1 : bindings, checks);
        }
    }

    /**
     * One change of an adaptive's value, as its listeners receive it.
     *
     * @param oldValue the value the change replaced
     * @param newValue the value it set
     * @param <T>      the type of the value
     */
    public record Change<T>(T oldValue, T newValue) {
    }
}
