package dev.ninelives.testing;

import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.Operation;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/** Hand-built Lincheck scenarios: the races a test wants checked every run, beside the random ones. */
public final class LincheckScenarios {

    private LincheckScenarios() {
    }

    /**
     * Builds a scenario from its initial part, its parallel threads and its post part.
     *
     * @param init     actors run before the threads start
     * @param parallel one list of actors per thread
     * @param post     actors run after the threads end
     * @return the scenario, for {@code Options.addCustomScenario}
     */
    public static ExecutionScenario scenario(List<Actor> init, List<List<Actor>> parallel, List<Actor> post) {
        List<List<Actor>> threads = new ArrayList<>();
        parallel.forEach(t -> threads.add(new ArrayList<>(t)));
        return new ExecutionScenario(new ArrayList<>(init), threads, new ArrayList<>(post), null);
    }

    /**
     * Returns the actor that calls the {@code @Operation} method {@code operation} of
     * {@code operations} with {@code args}.
     *
     * @param operations the class under test
     * @param operation  the method's name
     * @param args       its arguments
     * @return the actor
     * @throws IllegalArgumentException if there is no such operation
     */
    public static Actor actor(Class<?> operations, String operation, Object... args) {
        for (Method m : operations.getDeclaredMethods()) {
            if (m.getName().equals(operation) && m.isAnnotationPresent(Operation.class)) {
                return new Actor(m, List.of(args));
            }
        }
        throw new IllegalArgumentException("no operation " + operation + " in " + operations.getSimpleName());
    }
}
