/**
 * NineLives for Reactor: the policies of {@code dev.ninelives.operators} as Mono and Flux
 * operators. The entry point is {@link dev.ninelives.reactor.NineLives}.
 */
module dev.ninelives.reactor {
    requires transitive dev.ninelives.operators;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;

    exports dev.ninelives.reactor;
}
