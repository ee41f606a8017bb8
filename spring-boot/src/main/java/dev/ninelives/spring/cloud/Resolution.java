package dev.ninelives.spring.cloud;

import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.spring.cloud.NineLivesConfigBuilder.Configuration;

import java.util.Map;
import java.util.function.Function;

/** Which configuration a circuit breaker id (and group) gets; shared by both factories. */
final class Resolution {

    private Resolution() {
    }

    /**
     * The id's own configuration; else its group's; else the registry's pipeline of the id's
     * name if the keys name it; else the group's if the keys name that; else the default's for the id.
     */
    static PipelineCircuitBreaker create(NineLivesRegistry registry, Map<String, Configuration> configured,
                                         Function<String, Configuration> defaults, String id, String group) {
        NineLivesConfigBuilder.checkId(id, "id");
        Configuration c = configured.get(id);
        if (c == null && group != null) {
            NineLivesConfigBuilder.checkId(group, "groupName");
            c = configured.get(group);
            if (c == null && registry.findPipeline(id).isEmpty() && registry.findPipeline(group).isPresent()) {
                c = new NineLivesConfigBuilder(group).build();
            }
        }
        if (c == null) {
            c = defaults.apply(id);
        }
        return new PipelineCircuitBreaker(registry, c.pipeline());
    }
}
