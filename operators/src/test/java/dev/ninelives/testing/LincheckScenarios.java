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
     * The number of Lincheck iterations to run: {@code base} times the system property
     * {@code ninelives.lincheck.scale} (1 when unset). The build runs the base numbers: few
     * random scenarios under model checking (the most expensive mode, about 70 s of the build
     * for 9 classes at 4 or 5 scenarios each) beside the custom scenarios, which hold every race
     * found so far and always run; a hunt for rare interleavings runs, for instance,
     * {@code mvn -pl operators -am test -Dtest='Lincheck*' -Dsurefire.failIfNoSpecifiedTests=false -Dninelives.lincheck.scale=20}.
     *
     * @param base the iterations of a normal build
     * @return the iterations to run
     */
    public static int iterations(int base) {
        int scale = Integer.getInteger("ninelives.lincheck.scale", 1);
        if (scale < 1) {
            throw new IllegalArgumentException("ninelives.lincheck.scale must be at least 1, but was " + scale);
        }
        return base * scale;
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
