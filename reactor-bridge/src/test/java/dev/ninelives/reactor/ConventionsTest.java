package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * House conventions, checked by a test rather than by review (in the manner of RxJava's
 * validators): the modules export only API packages; only the API is public; operators are
 * final; no main class locks; atomics are fields with VarHandles, never Atomic* objects.
 */
class ConventionsTest {

    private static final Set<String> PUBLIC_API = Set.of(
            "dev.ninelives.core.Ticker",
            "dev.ninelives.core.Adaptive", "dev.ninelives.core.Adaptive$Change",
            "dev.ninelives.breaker.CircuitBreaker",
            "dev.ninelives.breaker.CircuitBreaker$State",
            "dev.ninelives.breaker.CircuitBreakerBuilder",
            "dev.ninelives.breaker.CircuitBreakerConfig",
            "dev.ninelives.breaker.CircuitBreakerConfig$WindowType",
            "dev.ninelives.breaker.CircuitBreakerMetrics",
            "dev.ninelives.breaker.CallNotPermittedException",
            "dev.ninelives.breaker.CallNotPermittedEvent",
            "dev.ninelives.breaker.CallRecordedEvent",
            "dev.ninelives.breaker.CallRecordedEvent$Outcome",
            "dev.ninelives.breaker.StateTransitionEvent",
            "dev.ninelives.breaker.StateTransitionEvent$Reason",
            "dev.ninelives.retry.Retry",
            "dev.ninelives.retry.RetryBuilder",
            "dev.ninelives.retry.RetryEvent",
            "dev.ninelives.retry.RetryEvent$Type",
            "dev.ninelives.retry.Jitter",
            "dev.ninelives.retry.Backoff",
            "dev.ninelives.retry.RetryExhaustedException",
            "dev.ninelives.retry.RetryOnResultException",
            "dev.ninelives.retry.RetryBudget",
            "dev.ninelives.retry.RetryBudgetBuilder",
            "dev.ninelives.bulkhead.Bulkhead",
            "dev.ninelives.bulkhead.AdaptiveLimit", "dev.ninelives.bulkhead.AdaptiveLimit$Algorithm",
            "dev.ninelives.bulkhead.Bulkhead$QueueOrder",
            "dev.ninelives.bulkhead.BulkheadBuilder",
            "dev.ninelives.bulkhead.BulkheadConfig",
            "dev.ninelives.bulkhead.BulkheadEvent",
            "dev.ninelives.bulkhead.BulkheadEvent$Type",
            "dev.ninelives.bulkhead.BulkheadFullException",
            "dev.ninelives.bulkhead.BulkheadFullException$Reason",
            "dev.ninelives.bulkhead.BulkheadMetrics",
            "dev.ninelives.ratelimit.RateLimiter", "dev.ninelives.ratelimit.RateLimiter$Reservation",
            "dev.ninelives.ratelimit.RateLimiterBuilder", "dev.ninelives.ratelimit.RateLimiterConfig",
            "dev.ninelives.ratelimit.RateLimiterEvent", "dev.ninelives.ratelimit.RateLimiterEvent$Type",
            "dev.ninelives.ratelimit.RateLimiterMetrics", "dev.ninelives.ratelimit.RequestNotPermittedException",
            "dev.ninelives.hedge.Hedge", "dev.ninelives.hedge.HedgeBuilder", "dev.ninelives.hedge.HedgeConfig",
            "dev.ninelives.hedge.HedgeEvent", "dev.ninelives.hedge.HedgeEvent$Type", "dev.ninelives.hedge.HedgeMetrics",
            "dev.ninelives.keyed.KeyedBreaker", "dev.ninelives.keyed.KeyedBreakerBuilder",
            "dev.ninelives.keyed.KeyedBulkhead", "dev.ninelives.keyed.KeyedBulkheadBuilder", "dev.ninelives.keyed.KeyedPolicy",
            "dev.ninelives.keyed.KeyEvent", "dev.ninelives.keyed.KeyEvent$Kind",
            "dev.ninelives.reactor.NineLives", "dev.ninelives.reactor.Pipeline", "dev.ninelives.reactor.Pipeline$Builder",
            "dev.ninelives.reactor.Fallback",
            "dev.ninelives.reactor.Deadline",
            "dev.ninelives.reactor.TimeoutExceededException",
            "dev.ninelives.reactor.TimeoutExceededException$Stage",
            "dev.ninelives.reactor.micrometer.NineLivesMeters",
            "dev.ninelives.reactor.registry.NineLivesRegistry", "dev.ninelives.reactor.registry.NineLivesRegistry$Builder",
            "dev.ninelives.reactor.registry.PipelineSpec", "dev.ninelives.reactor.registry.RegistryEvent",
            "dev.ninelives.reactor.registry.RegistryEvent$Kind", "dev.ninelives.reactor.registry.RegistryEvent$Type",
            "dev.ninelives.reactor.registry.NineLivesProperties", "dev.ninelives.reactor.registry.NineLivesProperties$Builder",
            "dev.ninelives.reactor.registry.PropertiesException", "dev.ninelives.reactor.registry.PropertiesException$Problem",
            "dev.ninelives.reactor.registry.ReloadReport", "dev.ninelives.reactor.registry.ReloadReport$Action",
            "dev.ninelives.reactor.registry.ReloadReport$PolicyChange", "dev.ninelives.reactor.registry.ReloadReport$SettingChange",
            // exported only to dev.ninelives.reactor
            "dev.ninelives.internal.Check", "dev.ninelives.internal.Text",
            "dev.ninelives.internal.Guard",
            "dev.ninelives.internal.RetryRules",
            "dev.ninelives.internal.Waiter",
            "dev.ninelives.internal.WaitingBulkhead",
            "dev.ninelives.internal.RateGate", "dev.ninelives.internal.RateGate$Rate", "dev.ninelives.internal.HedgeGate",
            "dev.ninelives.internal.AdaptiveBinding",
            "dev.ninelives.internal.Bindings", "dev.ninelives.internal.Bindings$Owner");

    private static Path root(Class<?> anchor) throws URISyntaxException {
        return Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<Class<?>> classes(Path location) throws IOException, ClassNotFoundException {
        List<Class<?>> result = new ArrayList<>();
        if (Files.isDirectory(location)) {
            collect(location, result);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(location, Map.of())) {
                collect(jar.getPath("/"), result);
            }
        }
        return result;
    }

    private static void collect(Path base, List<Class<?>> into) throws IOException, ClassNotFoundException {
        List<String> names;
        try (Stream<Path> files = Files.walk(base)) {
            names = files.map(p -> base.relativize(p).toString())
                    .filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class") && !n.endsWith("package-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .collect(Collectors.toList());
        }
        for (String name : names) {
            into.add(Class.forName(name, false, ConventionsTest.class.getClassLoader()));
        }
    }

    private static List<Class<?>> mainClasses() throws Exception {
        List<Class<?>> all = new ArrayList<>(classes(root(CircuitBreaker.class)));
        all.addAll(classes(root(NineLives.class)));
        assertThat(all).hasSizeGreaterThan(15);
        return all;
    }

    @Test
    void onlyTheApiIsPublic() throws Exception {
        List<String> exposed = mainClasses().stream()
                .filter(c -> Modifier.isPublic(c.getModifiers()))
                .map(Class::getName)
                .collect(Collectors.toList());
        assertThat(exposed).containsExactlyInAnyOrderElementsOf(PUBLIC_API);
    }

    @Test
    void modulesExportOnlyApiPackages() throws Exception {
        ModuleDescriptor operators = descriptor(root(CircuitBreaker.class));
        ModuleDescriptor reactor = descriptor(root(NineLives.class));
        assertThat(operators.name()).isEqualTo("dev.ninelives.operators");
        assertThat(operators.exports()).allSatisfy(e -> {
            if (e.source().equals("dev.ninelives.internal")) {
                assertThat(e.targets()).containsExactly("dev.ninelives.reactor");
            } else {
                assertThat(e.isQualified()).isFalse();
            }
        });
        assertThat(operators.exports().stream().map(ModuleDescriptor.Exports::source))
                .containsExactlyInAnyOrder("dev.ninelives.core", "dev.ninelives.breaker", "dev.ninelives.retry", "dev.ninelives.bulkhead",
                        "dev.ninelives.keyed", "dev.ninelives.ratelimit", "dev.ninelives.hedge", "dev.ninelives.internal");
        assertThat(reactor.exports().stream().map(ModuleDescriptor.Exports::source))
                .containsExactlyInAnyOrder("dev.ninelives.reactor", "dev.ninelives.reactor.micrometer",
                        "dev.ninelives.reactor.registry");
        assertThat(reactor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    }

    /**
     * Micrometer is optional: the module reads it only statically (so the module resolves
     * without it), and the Maven dependency is optional (so it never reaches a user's class path
     * by itself). Transitive, because the exported binder API returns Micrometer's types.
     */
    @Test
    void micrometerIsAnOptionalDependency() throws Exception {
        ModuleDescriptor reactor = descriptor(root(NineLives.class));
        assertThat(reactor.requires()).filteredOn(r -> r.name().equals("micrometer.core")).singleElement()
                .satisfies(r -> assertThat(r.modifiers()).containsExactlyInAnyOrder(
                        ModuleDescriptor.Requires.Modifier.STATIC, ModuleDescriptor.Requires.Modifier.TRANSITIVE));
        assertThat(reactor.requires()).filteredOn(r -> r.name().startsWith("micrometer") || r.name().startsWith("io.micrometer"))
                .hasSize(1);
    }

    /**
     * Only the micrometer package may refer to Micrometer, so every other class loads without
     * the jar: no class file outside it names an {@code io/micrometer} type in its constant pool.
     */
    @Test
    void onlyTheMicrometerPackageUsesMicrometer() throws Exception {
        List<String> checked = new ArrayList<>();
        for (Path location : List.of(root(CircuitBreaker.class), root(NineLives.class))) {
            forEachClassFile(location, (name, bytes) -> {
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                boolean micrometerPackage = name.startsWith("dev/ninelives/reactor/micrometer/");
                if (!micrometerPackage) {
                    assertThat(text).as(name).doesNotContain("io/micrometer");
                }
                checked.add(name);
            });
        }
        assertThat(checked).hasSizeGreaterThan(15).anyMatch(n -> n.endsWith("micrometer/NineLivesMeters.class"));
    }

    private interface ClassFileVisitor {
        void visit(String name, byte[] bytes) throws IOException;
    }

    private static void forEachClassFile(Path location, ClassFileVisitor visitor) throws IOException {
        if (Files.isDirectory(location)) {
            visitClassFiles(location, visitor);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(location, Map.of())) {
                visitClassFiles(jar.getPath("/"), visitor);
            }
        }
    }

    private static void visitClassFiles(Path base, ClassFileVisitor visitor) throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.walk(base)) {
            files = all.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        for (Path f : files) {
            visitor.visit(base.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
        }
    }

    private static ModuleDescriptor descriptor(Path location) throws IOException {
        if (Files.isDirectory(location)) {
            try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
                return ModuleDescriptor.read(in);
            }
        }
        try (FileSystem jar = FileSystems.newFileSystem(location, Map.of());
             InputStream in = Files.newInputStream(jar.getPath("/module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void operatorsAreFinal() throws Exception {
        assertThat(mainClasses()).filteredOn(c -> reactor.core.CorePublisher.class.isAssignableFrom(c))
                .isNotEmpty()
                .allSatisfy(c -> assertThat(Modifier.isFinal(c.getModifiers())).as(c.getName()).isTrue());
    }

    @Test
    void nothingLocksAndNoAtomicObjects() throws Exception {
        for (Class<?> c : mainClasses()) {
            for (Method m : c.getDeclaredMethods()) {
                assertThat(Modifier.isSynchronized(m.getModifiers())).as(c.getName() + "." + m.getName()).isFalse();
            }
            for (Field f : c.getDeclaredFields()) {
                assertThat(f.getType().getName()).as(c.getName() + "." + f.getName())
                        .doesNotStartWith("java.util.concurrent.locks")
                        .isNotIn("java.util.concurrent.atomic.AtomicLong", "java.util.concurrent.atomic.AtomicInteger",
                                "java.util.concurrent.atomic.AtomicBoolean", "java.util.concurrent.atomic.AtomicReference");
            }
            assertThat(c.getSuperclass() == null ? "" : c.getSuperclass().getName()).as(c.getName())
                    .doesNotStartWith("java.util.concurrent.atomic");
        }
    }
}
