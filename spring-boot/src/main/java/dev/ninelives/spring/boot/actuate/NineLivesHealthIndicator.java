package dev.ninelives.spring.boot.actuate;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.registry.NineLivesRegistry;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The health of the registry's circuit breakers: {@code UP} while none refuses calls; the
 * configured status ({@link NineLivesHealthProperties#getOpenStatus()}, {@code DEGRADED} by
 * default) while any is {@code OPEN} or {@code FORCED_OPEN}. The details name each breaker's
 * state. Reading it costs one state read per breaker.
 */
public class NineLivesHealthIndicator extends AbstractHealthIndicator {

    private final NineLivesRegistry registry;
    private final Status openStatus;

    /**
     * Makes the indicator.
     *
     * @param registry   the registry whose breakers it reports
     * @param openStatus the status while a breaker refuses calls
     */
    public NineLivesHealthIndicator(NineLivesRegistry registry, Status openStatus) {
        super("NineLives health check failed");
        this.registry = registry;
        this.openStatus = openStatus;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, String> states = new LinkedHashMap<>();
        boolean open = false;
        for (Map.Entry<String, CircuitBreaker> e : registry.breakers().entrySet()) {
            CircuitBreaker.State s = e.getValue().state();
            states.put(e.getKey(), s.name());
            open |= s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN;
        }
        builder.status(open ? openStatus : Status.UP).withDetail("breakers", states);
    }
}
