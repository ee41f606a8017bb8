package dev.ninelives.reactor.micrometer;

import dev.ninelives.hedge.Hedge;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

/**
 * The meters of one hedge policy; see {@link NineLivesMeters} for the table. Every meter reads
 * {@link Hedge#metrics()} when the registry asks: no listener is registered, so binding adds
 * nothing to a call's path.
 */
final class HedgeMeters extends PolicyMeters {

    static final String CALLS = "ninelives.hedge.calls";
    static final String ISSUED = "ninelives.hedge.issued";
    static final String WON = "ninelives.hedge.won";
    static final String REFUSED = "ninelives.hedge.refused";
    static final String DELAY = "ninelives.hedge.delay";
    static final String TOKENS = "ninelives.hedge.budget.tokens";

    private final Hedge hedge;

    HedgeMeters(Hedge hedge, Iterable<Tag> extraTags) {
        super(hedge, hedge.name(), "hedge", "ninelives.hedge.", extraTags);
        this.hedge = hedge;
    }

    @Override
    void register(MeterRegistry registry) {
        FunctionCounter.builder(CALLS, hedge, h -> h.metrics().calls()).tags(tags)
                .description("Calls through the hedge")
                .register(registry);
        FunctionCounter.builder(ISSUED, hedge, h -> h.metrics().hedgesIssued()).tags(tags)
                .description("Hedges subscribed: attempts beyond each call's first")
                .register(registry);
        FunctionCounter.builder(WON, hedge, h -> h.metrics().hedgesWon()).tags(tags)
                .description("Hedges that answered before every other attempt of their call")
                .register(registry);
        FunctionCounter.builder(REFUSED, hedge, h -> h.metrics().refusedByBudget()).tags(tags.and("reason", "budget"))
                .description("Hedges that were due but refused")
                .register(registry);
        FunctionCounter.builder(REFUSED, hedge, h -> h.metrics().refusedByBreaker()).tags(tags.and("reason", "breaker"))
                .description("Hedges that were due but refused")
                .register(registry);
        Gauge.builder(DELAY, hedge, h -> h.metrics().delay().toNanos() / 1e9).tags(tags).baseUnit("seconds")
                .description("The delay in force before a call gets a hedge")
                .register(registry);
        Gauge.builder(TOKENS, hedge, h -> h.metrics().budgetTokens()).tags(tags)
                .description("Hedges the budget allows now")
                .register(registry);
    }
}
