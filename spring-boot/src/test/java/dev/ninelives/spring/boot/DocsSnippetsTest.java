package dev.ninelives.spring.boot;

import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.hedge.HedgeConfig;
import dev.ninelives.ratelimit.RateLimiterConfig;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;
import dev.ninelives.spring.boot.build.ConfigurationMetadataGenerator;

import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Spring Boot page of the guide shows from this module (site/src/docs/asciidoc/spring-boot.adoc
 * includes these files' regions): the application.yml starts an application and builds what it
 * says, and names every kind of policy the loader has, so a new kind cannot be left off the page;
 * the dependency it shows is this module's.
 */
class DocsSnippetsTest {

    private static List<PropertySource<?>> yaml() {
        try {
            return new YamlPropertySourceLoader().load("docs/application.yml", new ClassPathResource("docs/application.yml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theApplicationYmlOfThePageStartsAnApplicationAndBuildsWhatItSays() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurationTest.ALL)
                .withInitializer(c -> yaml().forEach(c.getEnvironment().getPropertySources()::addFirst))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasBean("nineLivesEndpoint");
                    NineLivesRegistry registry = context.getBean(NineLivesRegistry.class);
                    Pipeline inventory = context.getBean("inventoryPipeline", Pipeline.class);
                    assertThat(inventory.bulkhead()).contains(registry.bulkhead("inventory"));
                    assertThat(inventory.retry()).contains(registry.retry("inventory"));
                    assertThat(inventory.breaker()).contains(registry.breaker("inventory"));
                    assertThat(inventory.attemptTimeout()).contains(Duration.ofMillis(500));
                    assertThat(registry.breaker("inventory").config().failureRateThreshold()).isEqualTo(25f);
                    assertThat(registry.breaker("inventory").config().minimumNumberOfCalls()).isEqualTo(20);
                    assertThat(registry.retry("inventory").budget()).isNotNull();
                    assertThat(registry.bulkhead("inventory").config().maxQueued()).isEqualTo(50);

                    assertThat(inventory.rateLimiter()).contains(registry.rateLimiter("inventory"));
                    assertThat(context.getBean("inventoryRateLimiter")).isSameAs(registry.rateLimiter("inventory"));
                    RateLimiterConfig limiter = registry.rateLimiter("inventory").config();
                    assertThat(limiter.limitForPeriod()).isEqualTo(100);
                    assertThat(limiter.period()).isEqualTo(Duration.ofSeconds(1));
                    assertThat(limiter.burst()).isEqualTo(20);
                    assertThat(limiter.maxWait()).isEqualTo(Duration.ofMillis(50));

                    Pipeline search = context.getBean("searchPipeline", Pipeline.class);
                    assertThat(search.bulkhead()).contains(registry.bulkhead("search"));
                    assertThat(search.rateLimiter()).isEmpty();
                    AdaptiveLimit adaptive = registry.bulkhead("search").config().adaptiveLimit();
                    assertThat(adaptive).isEqualTo(AdaptiveLimit.gradient().minLimit(5).maxLimit(200).initialLimit(20));
                    assertThat(registry.bulkhead("search").config().maxConcurrent()).isEqualTo(20);
                    assertThat(registry.bulkhead("inventory").config().adaptiveLimit()).isNull();

                    assertThat(search.hedge()).contains(registry.hedge("search"));
                    assertThat(context.getBean("searchHedge")).isSameAs(registry.hedge("search"));
                    HedgeConfig hedge = registry.hedge("search").config();
                    assertThat(hedge.adaptive()).isTrue();
                    assertThat(hedge.percentile()).isEqualTo(95.0);
                    assertThat(hedge.minDelay()).isEqualTo(Duration.ofMillis(20));
                    assertThat(hedge.maxHedges()).isEqualTo(1);
                    assertThat(hedge.budgetRatio()).isEqualTo(0.05);
                });
    }

    @Test
    void theApplicationYmlOfTheReadmeStartsAnApplication() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher block = Pattern.compile("(?s)```yaml\n(.*?)```").matcher(readme);
        assertThat(block.find()).as("the README's application.yml").isTrue();
        List<PropertySource<?>> yaml = new YamlPropertySourceLoader().load("README.md",
                new org.springframework.core.io.ByteArrayResource(block.group(1).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        new ApplicationContextRunner().withConfiguration(AutoConfigurationTest.ALL)
                .withInitializer(c -> yaml.forEach(c.getEnvironment().getPropertySources()::addFirst))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Pipeline inventory = context.getBean("inventoryPipeline", Pipeline.class);
                    assertThat(inventory.retry()).isPresent();
                    assertThat(inventory.attemptTimeout()).contains(Duration.ofMillis(500));
                    assertThat(inventory.breaker().orElseThrow().config().failureRateThreshold()).isEqualTo(25f);
                });
    }

    @Test
    void theApplicationYmlNamesEveryKindOfPolicy() throws IOException {
        String text = new String(new ClassPathResource("docs/application.yml").getInputStream().readAllBytes());
        for (Kind kind : Kind.values()) {
            assertThat(text).as("a %s in the page's application.yml", kind).containsPattern(
                    "(?m)^  " + Pattern.quote(ConfigurationMetadataGenerator.spelling(kind)) + ":$");
        }
    }

    @Test
    void theDependencyThePageShowsIsThisModules() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        String shown = new String(new ClassPathResource("docs/dependencies.xml").getInputStream().readAllBytes());
        Matcher artifact = Pattern.compile("<artifactId>(ninelives-[^<]+)</artifactId>\\s*<version>([^<]+)</version>").matcher(shown);
        assertThat(artifact.find()).isTrue();
        assertThat(pom).contains("<artifactId>" + artifact.group(1) + "</artifactId>");
        assertThat(pom).contains("<version>" + artifact.group(2) + "</version>");
    }
}
