package dev.ninelives.reactor.registry;

import java.util.List;

/**
 * Bad configuration given to {@link NineLivesProperties}: every problem found in one map, each
 * naming its key, quoting its value and saying why. The message lists them all, one a line:
 *
 * <pre>
 * 2 problems in the NineLives configuration (nothing was applied):
 *   ninelives.breaker.inventory.failure-rate-treshold = '50': unknown key; did you mean ninelives.breaker.inventory.failure-rate-threshold?
 *   ninelives.retry.quotes.max-attempts = 'three': expected an integer
 * </pre>
 *
 * A load or a reload that throws it applied nothing.
 */
public final class PropertiesException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The problems, in the order of their keys. */
    private final transient List<Problem> problems;

    /**
     * Makes the exception from its problems.
     *
     * @param problems the problems, at least one
     * @throws IllegalArgumentException if {@code problems} is empty
     */
    public PropertiesException(List<Problem> problems) {
        super(message(problems));
        this.problems = List.copyOf(problems);
    }

    private static String message(List<Problem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("problems must not be empty");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(problems.size()).append(problems.size() == 1 ? " problem" : " problems")
                .append(" in the NineLives configuration (nothing was applied):");
        for (Problem p : problems) {
            sb.append("\n  ").append(p);
        }
        return sb.toString();
    }

    /**
     * The problems found, in the order of their keys.
     *
     * @return an unmodifiable list, never empty
     */
    public List<Problem> problems() {
        return problems;
    }

    /**
     * One bad key.
     *
     * @param key    the key as it was given (for a conflict, one of the keys involved)
     * @param value  its value as it was given
     * @param reason why it is refused: the builder's own message for a value out of range
     */
    public record Problem(String key, String value, String reason) {

        /** Reads as {@code key = 'value': reason}. */
        @Override
        public String toString() {
            return key + " = '" + value + "': " + reason;
        }
    }
}
