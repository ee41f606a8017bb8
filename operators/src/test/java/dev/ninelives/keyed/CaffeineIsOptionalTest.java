package dev.ninelives.keyed;

import dev.ninelives.breaker.CircuitBreaker;
import org.jctools.queues.MpscArrayQueue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Caffeine is an optional dependency of ninelives-operators: an application that builds no keyed
 * policy runs without the jar. Guards against a class outside the keyed package (or a keyed class
 * that a user loads before building, such as the builders) coming to refer to Caffeine, which
 * would make the library fail with a NoClassDefFoundError where Caffeine is absent, and against a
 * build without Caffeine failing with anything but a message that says what to add.
 */
class CaffeineIsOptionalTest {

    private static Path location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The module resolves without Caffeine: it reads it only statically, and does not pass it on. */
    @Test
    void theModuleRequiresCaffeineOnlyStatically() throws Exception {
        ModuleDescriptor operators;
        try (InputStream in = Files.newInputStream(location(CircuitBreaker.class).resolve("module-info.class"))) {
            operators = ModuleDescriptor.read(in);
        }
        assertThat(operators.requires()).filteredOn(r -> r.name().equals("com.github.benmanes.caffeine")).singleElement()
                .satisfies(r -> assertThat(r.modifiers()).containsExactly(ModuleDescriptor.Requires.Modifier.STATIC));
        assertThat(operators.exports()).anySatisfy(e -> {
            assertThat(e.source()).isEqualTo("dev.ninelives.keyed");
            assertThat(e.isQualified()).isFalse();
        });
    }

    @Test
    void onlyTheCaffeineStoreRefersToCaffeine() throws Exception {
        Path classes = location(CircuitBreaker.class);
        assertThat(classes).as("the operators' classes, a folder when tests run").isDirectory();
        byte[] caffeine = "com/github/benmanes/caffeine".getBytes(StandardCharsets.UTF_8);
        List<String> referring;
        List<String> all;
        try (Stream<Path> files = Files.walk(classes)) {
            all = files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classes.relativize(p).toString().replace('\\', '/'))
                    .toList();
        }
        referring = all.stream().filter(name -> contains(read(classes.resolve(name)), caffeine)).toList();
        assertThat(all).as("classes scanned").hasSizeGreaterThan(40)
                .contains("dev/ninelives/keyed/KeyedBreaker.class", "dev/ninelives/keyed/Family.class");
        assertThat(referring).as("classes whose constant pool names a Caffeine type")
                .isNotEmpty()
                .allMatch(name -> name.startsWith("dev/ninelives/keyed/CaffeineStore"));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AssertionError(file.toString(), e);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void withoutCaffeineThePoliciesRunAndAKeyedBuildSaysWhatToAdd() throws Exception {
        URL[] path = {location(CircuitBreaker.class).toUri().toURL(), location(MpscArrayQueue.class).toUri().toURL()};
        try (URLClassLoader loader = new URLClassLoader(path, ClassLoader.getPlatformClassLoader())) {
            assertThat(catchThrowable(() -> Class.forName("com.github.benmanes.caffeine.cache.Caffeine", false, loader)))
                    .as("no Caffeine in this loader").isInstanceOf(ClassNotFoundException.class);

            Class<?> breakerType = loader.loadClass("dev.ninelives.breaker.CircuitBreaker");
            Object breaker = breakerType.getMethod("ofDefaults", String.class).invoke(null, "quotes");
            long permit = (long) breakerType.getMethod("tryAcquire").invoke(breaker);
            assertThat(permit).isNotNegative();
            breakerType.getMethod("onSuccess", long.class, long.class).invoke(breaker, permit, 0L);

            Class<?> bulkheadType = loader.loadClass("dev.ninelives.bulkhead.Bulkhead");
            Object bulkhead = bulkheadType.getMethod("ofDefaults", String.class).invoke(null, "quotes");
            assertThat((boolean) bulkheadType.getMethod("tryAcquire").invoke(bulkhead)).isTrue();
            bulkheadType.getMethod("release").invoke(bulkhead);

            Class<?> retryType = loader.loadClass("dev.ninelives.retry.Retry");
            assertThat(retryType.getMethod("ofDefaults", String.class).invoke(null, "quotes")).isNotNull();

            for (String keyed : new String[] {"KeyedBreaker", "KeyedBulkhead"}) {
                Class<?> type = loader.loadClass("dev.ninelives.keyed." + keyed);
                Object builder = type.getMethod("builder", String.class).invoke(null, "tenants");
                Method maximumKeys = builder.getClass().getMethod("maximumKeys", int.class);
                maximumKeys.invoke(builder, 100);
                Function<Object, Object> factory = key -> null;
                Throwable thrown = catchThrowable(() -> builder.getClass().getMethod("build", Function.class)
                        .invoke(builder, factory));
                assertThat(thrown).isInstanceOf(InvocationTargetException.class);
                assertThat(thrown.getCause())
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith(keyed + " 'tenants' needs Caffeine")
                        .hasMessageContaining("add com.github.ben-manes.caffeine:caffeine (3.3.1 or later)")
                        .hasCauseInstanceOf(ClassNotFoundException.class);
            }
        }
    }
}
