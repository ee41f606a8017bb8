package dev.ninelives.site;

import java.util.Locale;
import java.util.Objects;

/**
 * The error of a call the tour's service failed: an HTTP 503 or 429, or a connection lost
 * before any answer. The in-process {@link ScriptedService} and the HTTP client of
 * {@link HttpTourService} fail with this same error, so the policies and the timeline treat
 * both alike. Cheap: no stack trace, no suppressed errors.
 */
public final class ServiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The service answered 503 Service Unavailable. */
        UNAVAILABLE,
        /** The service answered 429 Too Many Requests: it was at its limit of requests at once. */
        OVERLOADED,
        /** The connection was closed or reset before an answer came. */
        CONNECTION_LOST,
        /** The service answered with a status the client does not expect. */
        UNEXPECTED_STATUS
    }

    private final Kind kind;
    private final int status;

    /**
     * Creates the error.
     *
     * @param kind    what went wrong
     * @param status  the HTTP status, or 0 when no answer came
     * @param message what happened, for people
     * @throws NullPointerException if {@code kind} is null
     */
    public ServiceException(Kind kind, int status, String message) {
        super(message, null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.status = status;
    }

    /**
     * A 503 Service Unavailable.
     *
     * @param phase the phase of the script the request met
     * @param n     the request's number at the service
     * @return the error
     */
    public static ServiceException unavailable(String phase, long n) {
        return new ServiceException(Kind.UNAVAILABLE, 503,
                String.format(Locale.ROOT, "503 Service Unavailable (request #%d, %s)", n, phase));
    }

    /**
     * A 429 Too Many Requests.
     *
     * @param phase the phase of the script the request met
     * @param n     the request's number at the service
     * @return the error
     */
    public static ServiceException overloaded(String phase, long n) {
        return new ServiceException(Kind.OVERLOADED, 429,
                String.format(Locale.ROOT, "429 Too Many Requests (request #%d, %s)", n, phase));
    }

    /**
     * A connection closed or reset without an answer.
     *
     * @param detail what the transport said
     * @return the error
     */
    public static ServiceException connectionLost(String detail) {
        return new ServiceException(Kind.CONNECTION_LOST, 0, "connection lost before an answer: " + detail);
    }

    /**
     * Returns what went wrong.
     *
     * @return the kind of failure
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the HTTP status of the answer.
     *
     * @return the status, or 0 when no answer came
     */
    public int status() {
        return status;
    }
}
