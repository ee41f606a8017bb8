package dev.ninelives.keyed;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.Check;
import dev.ninelives.internal.Guard;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/*
 * The shared core of KeyedBreaker and KeyedBulkhead: the settings, the store (the bounded map,
 * see CaffeineStore), and the delivery of key events to listeners.
 *
 * Events. The store reports a key entering or leaving the map from inside its atomic operations
 * (under a lock of the map), where no user code may run: a listener that threw there would be
 * swallowed, or would break the map's bookkeeping. So the event is only queued there, and the
 * thread that made the change delivers the queue once its operation on the map is over and the
 * map is whole. Delivery is serialized by `wip` (the drain loop of Reactor's operators): whoever
 * raises it from zero delivers every queued event, including those queued by other threads while
 * it runs, and the others return at once. Listeners therefore see the events of a family one at
 * a time, in the order the changes were made. An event is queued only while a listener of its
 * kind is registered, so a family without listeners queues nothing, and the read path pays one
 * isEmpty() of the queue.
 *
 * Listeners run through Guard: what one throws is logged, and the others still run. A JVM-fatal
 * error is kept while the loop delivers the rest, and rethrown at the end, from the operation
 * that delivered it (a get, an invalidate, a cleanUp), with the map already whole.
 */
final class Family<K, P> {

    private static final VarHandle WIP;

    static {
        try {
            WIP = MethodHandles.lookup().findVarHandle(Family.class, "wip", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The Maven coordinates a user must add, quoted by the error of a build without Caffeine. */
    static final String CAFFEINE = "com.github.ben-manes.caffeine:caffeine";
    private static final String CAFFEINE_CLASS = "com.github.benmanes.caffeine.cache.Caffeine";

    @SuppressWarnings("rawtypes")
    private static final Consumer[] NONE = new Consumer[0];

    final String name;
    final long maximumKeys;
    final long idleNanos;
    final Ticker ticker;
    private final String label;
    private final Function<? super K, ? extends P> factory;
    private final Class<P> type;
    /** How long a policy must stay in the map whatever its idle time and the size bound; 0: no pin. */
    private final ToLongFunction<? super P> keep;
    /** What the family does to each policy it builds (a breaker gets the listener that pins it). */
    private final OnCreate<K, P> onCreate;
    private final Store<K, P> store;

    private final ConcurrentLinkedQueue<KeyEvent<K, P>> events = new ConcurrentLinkedQueue<>();
    private volatile Consumer<? super KeyEvent<K, P>>[] addedListeners;
    private volatile Consumer<? super KeyEvent<K, P>>[] removedListeners;
    @SuppressWarnings("unused")
    private volatile int wip;

    @SuppressWarnings("unchecked")
    Family(String label, String name, long maximumKeys, long idleNanos, Ticker ticker, Class<P> type,
           Function<? super K, ? extends P> factory, ToLongFunction<? super P> keep, OnCreate<K, P> onCreate) {
        this.label = label;
        this.name = name;
        this.maximumKeys = maximumKeys;
        this.idleNanos = idleNanos;
        this.ticker = ticker;
        this.type = type;
        this.factory = Check.notNull(factory, "factory");
        this.keep = keep;
        this.onCreate = onCreate;
        this.addedListeners = NONE;
        this.removedListeners = NONE;
        requireCaffeine(label, name);
        this.store = CaffeineStore.create(this);
    }

    /** What a family does to each policy it builds, given the family (to refresh the key's entry). */
    @FunctionalInterface
    interface OnCreate<K, P> {
        void created(Family<K, P> family, K key, P policy);
    }

    /**
     * Fails with a message that says what to add when Caffeine cannot be loaded. Only the name
     * of its class is used here, so this class loads and runs without it.
     */
    static void requireCaffeine(String label, String name) {
        try {
            Class.forName(CAFFEINE_CLASS, false, Family.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError missing) {
            throw new IllegalStateException(label + " '" + name + "' needs Caffeine, an optional dependency of"
                    + " ninelives-operators that is not on the class path: add " + CAFFEINE
                    + " (3.3.1 or later) to the application's dependencies (a modular application also"
                    + " requires com.github.benmanes.caffeine)", missing);
        }
    }

    long keepNanos(P policy) {
        return keep == null ? 0L : keep.applyAsLong(policy);
    }

    // ---------------------------------------------------------------- the operations

    P get(K key) {
        if (key == null) {                                  // not Check.notNull: its message supplier would allocate
            throw new NullPointerException("key must not be null");
        }
        P policy;
        try {
            policy = store.get(key);
        } catch (Throwable t) {
            deliverAfter(t);
            throw t;
        }
        if (!events.isEmpty()) {
            deliver();
        }
        return policy;
    }

    Optional<P> getIfPresent(K key) {
        Check.notNull(key, "key");
        return Optional.ofNullable(store.getIfPresent(key));
    }

    Set<K> keys() {
        return store.keys();
    }

    long estimatedSize() {
        return store.estimatedSize();
    }

    void invalidate(K key) {
        Check.notNull(key, "key");
        try {
            store.invalidate(key);
        } catch (Throwable t) {
            deliverAfter(t);
            throw t;
        }
        if (!events.isEmpty()) {
            deliver();
        }
    }

    void cleanUp() {
        try {
            store.cleanUp();
        } catch (Throwable t) {
            deliverAfter(t);
            throw t;
        }
        if (!events.isEmpty()) {
            deliver();
        }
    }

    /** Re-weighs the key's entry after its policy changed its answer to {@code keep}; never throws but fatally. */
    void refresh(K key, P policy) {
        try {
            store.refresh(key, policy);
        } catch (VirtualMachineError | LinkageError fatal) {
            throw fatal;
        } catch (Throwable t) {
            Guard.warn(() -> label + " '" + name + "' could not update the entry of key " + key
                    + " after its policy changed state; the entry keeps its expiry", t);
        }
        if (!events.isEmpty()) {
            deliver();
        }
    }

    void onKeyAdded(Consumer<? super KeyEvent<K, P>> listener) {
        Check.notNull(listener, "listener");
        addedListeners = Guard.append(addedListeners, listener);
    }

    void onKeyRemoved(Consumer<? super KeyEvent<K, P>> listener) {
        Check.notNull(listener, "listener");
        removedListeners = Guard.append(removedListeners, listener);
    }

    // ---------------------------------------------------------------- called by the store, under its lock

    /** Builds the policy of a key that has none: runs the factory once, checks what it returned. */
    P create(K key) {
        P policy = factory.apply(key);
        if (policy == null) {
            throw new NullPointerException("the factory of " + label + " '" + name + "' returned null for key "
                    + key + "; it must return a " + type.getSimpleName());
        }
        if (onCreate != null) {
            onCreate.created(this, key, policy);
        }
        queue(key, policy, KeyEvent.Kind.ADDED, addedListeners);
        return policy;
    }

    /** A key came back with the policy it had, which was still in use. */
    P restored(K key, P policy) {
        queue(key, policy, KeyEvent.Kind.RESTORED, addedListeners);
        return policy;
    }

    /** A key left the map. */
    void removed(K key, P policy, KeyEvent.Kind kind) {
        queue(key, policy, kind, removedListeners);
    }

    private void queue(K key, P policy, KeyEvent.Kind kind, Consumer<?>[] listeners) {
        if (listeners.length > 0) {
            events.offer(new KeyEvent<>(name, key, policy, kind));
        }
    }

    // ---------------------------------------------------------------- delivery

    /** Delivers what is queued after {@code failure} ended an operation; a fatal error of a listener wins. */
    private void deliverAfter(Throwable failure) {
        if (events.isEmpty()) {
            return;
        }
        try {
            deliver();
        } catch (Error fatal) {
            if (fatal != failure) {
                fatal.addSuppressed(failure);
            }
            throw fatal;
        }
    }

    /** Delivers every queued event, unless another thread is delivering; see the class comment. */
    private void deliver() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;                                         // the thread delivering will see ours too
        }
        Error fatal = null;
        int missed = 1;
        for (;;) {
            for (KeyEvent<K, P> event; (event = events.poll()) != null; ) {
                try {
                    Guard.notifyAll(name, event.kind().added() ? addedListeners : removedListeners, event);
                } catch (Error e) {                         // Guard.notifyAll throws nothing else
                    fatal = fatal != null ? fatal : e;
                }
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                break;
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }
}
