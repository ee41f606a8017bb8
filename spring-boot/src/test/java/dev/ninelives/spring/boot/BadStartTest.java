package dev.ninelives.spring.boot;

import dev.ninelives.reactor.registry.PropertiesException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real {@link SpringApplication} refused for bad keys: Spring Boot's failure report, written by
 * the starter's failure analyzer (registered in META-INF/spring.factories), shows the loader's
 * message and where each key was set. Guards against an analyzer Boot cannot find or make.
 */
@ExtendWith(OutputCaptureExtension.class)
class BadStartTest {

    @SpringBootConfiguration
    @ImportAutoConfiguration(NineLivesAutoConfiguration.class)
    static class Empty {
    }

    @Test
    void theFailureReportShowsTheLoadersMessageAndWhereEachKeyWasSet(CapturedOutput output) {
        SpringApplication app = new SpringApplication(Empty.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        app.setDefaultProperties(Map.of("ninelives.bulkhead.db.max-queued", "10"));

        assertThatThrownBy(app::run).hasRootCauseInstanceOf(PropertiesException.class);

        assertThat(output.getOut() + output.getErr()).contains("APPLICATION FAILED TO START",
                "1 problem in the NineLives configuration (nothing was applied):",
                "ninelives.bulkhead.db.max-queued = '10': needs a positive max-wait",
                "Where the keys were set:",
                "ninelives.bulkhead.db.max-queued: \"ninelives.bulkhead.db.max-queued\" from property source \"defaultProperties\"",
                "Correct the ninelives.* keys listed above");
    }
}
