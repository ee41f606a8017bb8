/**
 * NineLives operators: resilience policies as plain-Java, lock-free state machines.
 *
 * <p>Exports only API packages. {@code dev.ninelives.internal} holds helpers shared by the
 * policies and by the Reactor bridge; it is exported to the bridge alone.
 */
module dev.ninelives.operators {
    requires org.jctools.core;

    exports dev.ninelives.core;
    exports dev.ninelives.bulkhead;
    exports dev.ninelives.breaker;
    exports dev.ninelives.retry;
    exports dev.ninelives.internal to dev.ninelives.reactor;
}
