package dev.ninelives.retry;

/** How the base delay grows with attempts; package-private, configured through {@link RetryBuilder}. */
enum Backoff {
    NONE,
    CONSTANT,
    LINEAR,
    EXPONENTIAL,
    CUSTOM
}
