/**
 * NineLives for Reactor: the policies of {@code dev.ninelives.operators} as Mono and Flux
 * operators. The entry point is {@link dev.ninelives.reactor.NineLives}.
 *
 * <p>{@code dev.ninelives.reactor.micrometer} publishes the policies to a Micrometer
 * {@code MeterRegistry}. Micrometer is optional: it is read only when that package is used, and
 * an application that does not use it needs no Micrometer jar.
 */
module dev.ninelives.reactor {
    requires transitive dev.ninelives.operators;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires static transitive micrometer.core;

    exports dev.ninelives.reactor;
    exports dev.ninelives.reactor.micrometer;
    exports dev.ninelives.reactor.registry;
}
