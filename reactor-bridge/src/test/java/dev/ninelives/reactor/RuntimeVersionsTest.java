package dev.ninelives.reactor;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The version matrix tests what it says: this suite runs on the Reactor and Micrometer that the
 * build asked for (reactor-bridge/pom.xml swaps {@code reactor.runtime.version} and
 * {@code micrometer.runtime.version} onto the test class path, and the parent's profiles
 * {@code reactor-3.6}, {@code reactor-3.7} and {@code micrometer-1.12} move them), and on one copy
 * of each. Guards against a profile that silently tests the default versions again, and against a
 * class path holding two Reactors, where which one a class comes from depends on the order.
 */
class RuntimeVersionsTest {

    private static String expected(String library) {
        String version = System.getProperty("ninelives.expected." + library + ".version");
        assumeTrue(version != null && !version.isBlank(),
                "the expected " + library + " version is set by Maven's surefire configuration");
        return version;
    }

    private static List<URL> copiesOf(Class<?> type) throws IOException {
        String resource = type.getName().replace('.', '/') + ".class";
        return Collections.list(RuntimeVersionsTest.class.getClassLoader().getResources(resource));
    }

    @Test
    void reactorCoreAndReactorTestAreTheRequestedVersion() {
        String version = expected("reactor");
        assertThat(Flux.class.getPackage().getImplementationVersion()).as("reactor-core on the test class path")
                .isEqualTo(version);
        assertThat(StepVerifier.class.getPackage().getImplementationVersion()).as("reactor-test on the test class path")
                .isEqualTo(version);
    }

    @Test
    void micrometerCoreIsTheRequestedVersion() {
        assertThat(MeterRegistry.class.getPackage().getImplementationVersion()).as("micrometer-core on the test class path")
                .isEqualTo(expected("micrometer"));
    }

    @Test
    void eachLibraryIsOnTheClassPathOnce() throws IOException {
        for (Class<?> type : List.of(Flux.class, StepVerifier.class, Publisher.class, MeterRegistry.class)) {
            assertThat(copiesOf(type)).as("copies of %s", type.getName()).hasSize(1);
        }
    }
}
