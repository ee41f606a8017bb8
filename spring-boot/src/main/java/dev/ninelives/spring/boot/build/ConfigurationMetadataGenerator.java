package dev.ninelives.spring.boot.build;

import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.RegistryEvent.Kind;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the starter's {@code META-INF/spring-configuration-metadata.json} from the loader's table
 * of keys: build code, run by the build after compiling (see the module's pom), not in the jar.
 *
 * <p>Spring's metadata names properties one by one and has no wildcard for a policy's name, so
 * each setting is listed under the {@code default} name of its kind
 * ({@code ninelives.breaker.default.failure-rate-threshold}): an IDE completes those, and the
 * description says that {@code default} may be any policy's name. The settings come from
 * {@link NineLivesProperties#settings(Kind)} and {@link NineLivesProperties#isAdaptive}; the text of
 * each default and the kind of value from the loader's table itself (package-private, read by
 * reflection here at build time only), so a key added there is described in the next build.
 */
public final class ConfigurationMetadataGenerator {

    private ConfigurationMetadataGenerator() {
    }

    /**
     * Writes the file.
     *
     * @param args the path of the file to write
     * @throws IOException if it cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("expected one argument, the file to write, but got " + List.of(args));
        }
        Path file = Path.of(args[0]);
        Files.createDirectories(file.getParent());
        Files.writeString(file, json(), StandardCharsets.UTF_8);
    }

    /** The kind as keys spell it: {@code breaker}, {@code rate-limiter}. */
    public static String spelling(Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** One property of the metadata. */
    record Property(String name, String type, String description, String defaultValue) {
    }

    /**
     * The properties of the metadata, in the table's order.
     *
     * @return the properties
     */
    static List<Property> properties() {
        List<Property> properties = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (String setting : NineLivesProperties.settings(kind)) {
                Object row = row(kind, setting);
                String value = (String) read(read(row, "type"), "label");
                String dflt = (String) read(row, "defaultText");
                boolean adaptive = NineLivesProperties.isAdaptive(kind, setting);
                String description = "The " + setting + " of the " + spelling(kind) + " named 'default', "
                        + "which every " + spelling(kind) + " starts from; give it under any policy's name "
                        + "(ninelives." + spelling(kind) + ".<name>." + setting + ") to set one policy's. Value: " + value
                        + ". Default: " + dflt + ". On refresh: " + (adaptive
                        ? "applied in place, the policy keeps its state." : "replaces the policy (fresh state).");
                properties.add(new Property("ninelives." + spelling(kind) + ".default." + setting, "java.lang.String",
                        description, null));
            }
        }
        properties.add(new Property("management.health.ninelives.open-status", "java.lang.String",
                "The health status of the ninelives contributor while a circuit breaker is OPEN or FORCED_OPEN.",
                "DEGRADED"));
        properties.add(new Property("management.health.ninelives.enabled", "java.lang.Boolean",
                "Whether to report the NineLives circuit breakers' health.", "true"));
        properties.add(new Property("spring.cloud.circuitbreaker.ninelives.enabled", "java.lang.Boolean",
                "Whether to make Spring Cloud CircuitBreaker factories backed by NineLives pipelines.", "true"));
        return properties;
    }

    /**
     * The whole file.
     *
     * @return the JSON text
     */
    public static String json() {
        StringBuilder sb = new StringBuilder("{\n  \"groups\": [\n");
        Kind[] kinds = Kind.values();
        sb.append("    {\"name\": \"ninelives\", \"description\": \"NineLives policies: ninelives.<kind>.<name>.<setting>, read by NineLivesProperties.\"}");
        for (Kind kind : kinds) {
            sb.append(",\n    {\"name\": \"ninelives.").append(spelling(kind)).append("\", \"description\": \"")
                    .append(escape("The " + spelling(kind) + " policies, by name; 'default' holds the defaults.")).append("\"}");
        }
        sb.append("\n  ],\n  \"properties\": [");
        List<Property> properties = properties();
        for (int i = 0; i < properties.size(); i++) {
            Property p = properties.get(i);
            sb.append(i == 0 ? "\n" : ",\n").append("    {\"name\": \"").append(escape(p.name()))
                    .append("\", \"type\": \"").append(p.type())
                    .append("\", \"description\": \"").append(escape(p.description())).append('"');
            if (p.defaultValue() != null) {
                sb.append(", \"defaultValue\": ").append(p.type().equals("java.lang.Boolean") ? p.defaultValue()
                        : "\"" + escape(p.defaultValue()) + "\"");
            }
            sb.append('}');
        }
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** The loader's row of a setting: the package-private enum constant whose kind and key match. */
    private static Object row(Kind kind, String setting) {
        try {
            Class<?> table = Class.forName("dev.ninelives.reactor.registry.Setting");
            for (Object row : table.getEnumConstants()) {
                if (read(row, "kind") == kind && setting.equals(read(row, "key"))) {
                    return row;
                }
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("The loader's table of keys, dev.ninelives.reactor.registry.Setting, is gone", e);
        }
        throw new IllegalStateException("No row of the loader's table for " + kind + " " + setting);
    }

    private static Object read(Object row, String field) {
        try {
            Field f = row.getClass().getDeclaredField(field);
            f.setAccessible(true);
            return f.get(row);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("The loader's table of keys has no field '" + field + "' any more: update "
                    + ConfigurationMetadataGenerator.class.getName(), e);
        }
    }
}
