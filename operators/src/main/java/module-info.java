/**
 * NineLives operators: resilience policies as plain-Java, lock-free state machines.
 *
 * <p>Exports only API packages. {@code dev.ninelives.internal} holds helpers shared by the
 * policies and by the Reactor bridge; it is exported to the bridge alone.
 *
 * <p>Caffeine is required only as {@code static}: {@code dev.ninelives.keyed} alone uses it, and
 * a modular application that builds keyed policies requires {@code com.github.benmanes.caffeine}
 * itself (or adds it with {@code --add-modules}).
 */
module dev.ninelives.operators {
    requires org.jctools.core;
    requires static com.github.benmanes.caffeine;

    exports dev.ninelives.core;
    exports dev.ninelives.bulkhead;
    exports dev.ninelives.breaker;
    exports dev.ninelives.retry;
    exports dev.ninelives.keyed;
    exports dev.ninelives.ratelimit;
    exports dev.ninelives.hedge;
    exports dev.ninelives.internal to dev.ninelives.reactor;
}
