package dev.ninelives.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * This module tests on the Reactor and Micrometer Spring Boot 3.5.7 manages, as an application
 * on Boot runs the starter, not on the newer lines the parent pins for the core modules (see the
 * module's pom). Guards against the parent's versions coming back unnoticed.
 */
class BootVersionsTest {

    private static String expected(String library) {
        String v = System.getProperty("test.expected." + library + ".version");
        assumeTrue(v != null && !v.isBlank(), "set by Maven's surefire configuration");
        return v;
    }

    @Test
    void reactorAndMicrometerAreBootsOwn() {
        assertThat(Flux.class.getPackage().getImplementationVersion()).isEqualTo(expected("reactor"));
        assertThat(MeterRegistry.class.getPackage().getImplementationVersion()).isEqualTo(expected("micrometer"));
    }
}
