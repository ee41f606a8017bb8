package dev.ninelives.site;

// tag::imports[]
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.retry.Jitter;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryExhaustedException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.Random;
import java.util.function.Consumer;
// end::imports[]

import dev.ninelives.core.Ticker;
import dev.ninelives.site.GettingStartedSnippets.QuoteClient;

import java.util.Objects;

/**
 * The code of the "Retry" page. The page shows the regions between the {@code tag::name[]} and
 * {@code end::name[]} comments, and {@code RetrySnippetsTest} checks what each region does
 * (under virtual time, to the nanosecond), so the page cannot show code that does not compile
 * or does not behave as the page says.
 *
 * <p>The example is the quote service of the "Getting started" page, whose calls to the remote
 * {@link QuoteClient} are now retried, and go through a circuit breaker.
 */
public final class RetrySnippets {

    // tag::exhausted-policy[]
    private static final Retry STRICT = Retry.builder("quotes-strict")
            .maxAttempts(3)
            .noBackoff()
            .exhaustedException(true)      // a RetryExhaustedException, the last error as its cause
            .build();
    // end::exhausted-policy[]

    // tag::fields[]
    private final QuoteClient client;        // the remote quote service
    private final Retry retry;               // the policy of every call to the client
    private final CircuitBreaker breaker;    // one breaker, for protectedQuote
    // end::fields[]

    /**
     * Creates the quote service.
     *
     * @param client  the remote client
     * @param retry   the retry policy of every call to the client
     * @param breaker the breaker shared by every call to the client
     */
    public RetrySnippets(QuoteClient client, Retry retry, CircuitBreaker breaker) {
        this.client = Objects.requireNonNull(client, "client");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.breaker = Objects.requireNonNull(breaker, "breaker");
    }

    /**
     * Builds the retry policy of the examples.
     *
     * @return a new policy: 4 attempts, 100 ms then 200 ms then 400 ms apart, for I/O errors
     */
    public static Retry quotesRetry() {
        // tag::build[]
        Retry retry = Retry.builder("quotes")
                .maxAttempts(4)                            // the first call and 3 retries,
                .exponentialBackoff(Duration.ofMillis(100), // 100 ms, then 200 ms, then 400 ms
                        2.0, Duration.ofSeconds(1))         // apart (never more than 1 s),
                .retryIf(e -> e instanceof IOException)     // for I/O errors only
                .build();
        // end::build[]
        return retry;
    }

    /**
     * Fetches a quote, retried.
     *
     * @param symbol the symbol
     * @return the quote, or the last error once the attempts have run out
     */
    // tag::transform[]
    public Mono<String> quote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.retry(retry));     // a Mono stays a Mono
    }

    // end::transform[]

    /**
     * Streams recent quotes, retried: a stream that fails is subscribed again from the start.
     *
     * @param symbol the symbol
     * @return the quotes, oldest first, or the last error once the attempts have run out
     */
    // tag::transform-flux[]
    public Flux<String> history(String symbol) {
        return client.history(symbol)
                .transform(NineLives.retry(retry));     // a Flux stays a Flux
    }
    // end::transform-flux[]

    /**
     * Fetches a quote, retried, with the delays between attempts on {@code scheduler}.
     *
     * @param symbol    the symbol
     * @param scheduler where the delayed retries run
     * @return the quote, or the last error once the attempts have run out
     */
    // tag::scheduler[]
    public Mono<String> quoteOn(String symbol, Scheduler scheduler) {
        return client.quote(symbol)
                .transform(NineLives.retry(retry, scheduler));   // delays on scheduler
    }
    // end::scheduler[]

    /**
     * Fetches a quote through the breaker, retried: every attempt asks the breaker for a permit.
     *
     * @param symbol the symbol
     * @return the quote; the last error once the attempts have run out; or a
     *         CallNotPermittedException as soon as the breaker refuses an attempt
     */
    // tag::breaker[]
    public Mono<String> protectedQuote(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.breaker(breaker))   // inside: each attempt asks for a permit
                .transform(NineLives.retry(retry));      // outside: resubscribes through the breaker
    }
    // end::breaker[]

    /**
     * Fetches a quote, or explains in one line why there is none once the retries ran out.
     *
     * @param symbol the symbol
     * @return the quote, or {@code "no quote after 3 attempts: ..."}; errors that are not
     *         retried, such as a breaker's refusal, still come through
     */
    // tag::exhausted[]
    public Mono<String> quoteOrExplain(String symbol) {
        return client.quote(symbol)
                .transform(NineLives.retry(STRICT))
                .onErrorResume(NineLives::isRetryExhausted, e -> Mono.just("no quote after "
                        + ((RetryExhaustedException) e).attempts() + " attempts: " + e.getCause().getMessage()));
    }
    // end::exhausted[]

    /**
     * The two options of a retried Flux.
     *
     * @param beforeFirstElement retries a stream only if it failed before its first element
     * @param liveFeed           starts the attempts again at each element after an error
     */
    public record FluxOptions(Retry beforeFirstElement, Retry liveFeed) {
    }

    /**
     * Builds the policies of the two Flux options.
     *
     * @return the policies
     */
    public static FluxOptions fluxOptions() {
        // tag::flux-options[]
        Retry beforeFirstElement = Retry.builder("history")
                .retryAfterElements(false)   // retry a stream only if it failed before its first element
                .build();
        Retry liveFeed = Retry.builder("live-quotes")
                .maxAttempts(3)
                .resetOnElement(true)        // an element after an error: 3 attempts again for the next error
                .build();
        // end::flux-options[]
        return new FluxOptions(beforeFirstElement, liveFeed);
    }

    /**
     * The five kinds of backoff, each with 4 attempts.
     *
     * @param none        retries at once
     * @param constant    250 ms before each retry
     * @param linear      100 ms, 150 ms, 200 ms
     * @param exponential 100 ms, 200 ms, then 300 ms (capped)
     * @param retryAfter  what a {@link RateLimitedException} asks for; no retry for other errors
     */
    public record Backoffs(Retry none, Retry constant, Retry linear, Retry exponential, Retry retryAfter) {
    }

    /**
     * Builds one policy of each kind of backoff.
     *
     * @return the policies
     */
    public static Backoffs backoffs() {
        // tag::backoffs[]
        Retry none = Retry.builder("at-once").maxAttempts(4)
                .noBackoff()                                          // 0, 0, 0 ms
                .build();
        Retry constant = Retry.builder("constant").maxAttempts(4)
                .constantBackoff(Duration.ofMillis(250))              // 250, 250, 250 ms
                .build();
        Retry linear = Retry.builder("linear").maxAttempts(4)
                .linearBackoff(Duration.ofMillis(100),                // 100, 150, 200 ms
                        Duration.ofMillis(50), Duration.ofSeconds(1))
                .build();
        Retry exponential = Retry.builder("exponential").maxAttempts(4)
                .exponentialBackoff(Duration.ofMillis(100),           // 100, 200, 300 ms:
                        2.0, Duration.ofMillis(300))                  // 400 is capped at 300
                .build();
        Retry retryAfter = Retry.builder("rate-limited").maxAttempts(4)
                .backoff((attempt, error) -> (error instanceof RateLimitedException limited)
                        ? limited.retryAfter()                        // what the server asked for,
                        : null)                                       // no retry for other errors
                .build();
        // end::backoffs[]
        return new Backoffs(none, constant, linear, exponential, retryAfter);
    }

    /**
     * Two jittered policies, each with the default 3 attempts.
     *
     * @param equal        half of each exponential delay, plus a random part of the other half
     * @param reproducible full jitter from a seeded generator: the same delays on every run
     */
    public record Jittered(Retry equal, Retry reproducible) {
    }

    /**
     * Builds the jittered policies.
     *
     * @return the policies
     */
    public static Jittered jittered() {
        // tag::jitter[]
        Retry equal = Retry.builder("equal-jitter")
                .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                .jitter(Jitter.EQUAL)          // 50 to 100 ms, then 100 to 200 ms
                .build();
        Retry reproducible = Retry.builder("seeded-jitter")
                .exponentialBackoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1))
                .jitter(Jitter.FULL)           // 0 to 100 ms, then 0 to 200 ms,
                .random(new Random(42))        // but the same two delays on every run
                .build();
        // end::jitter[]
        return new Jittered(equal, reproducible);
    }

    /**
     * Builds a policy whose whole call, attempts and delays, is bounded by a deadline.
     *
     * @param ticker the deadline's clock
     * @return a policy of up to 10 attempts 1 s apart, within 2.5 s
     */
    public static Retry withDeadline(Ticker ticker) {
        // tag::deadline[]
        Retry retry = Retry.builder("quotes-deadline")
                .maxAttempts(10)
                .constantBackoff(Duration.ofSeconds(1))
                .deadline(Duration.ofMillis(2500))   // attempts at 0, 1 and 2 s; one at 3 s would be late
                .ticker(ticker)                      // the deadline's clock, Ticker.system() by default
                .build();
        // end::deadline[]
        return retry;
    }

    /**
     * A budget and the two policies that share it.
     *
     * @param budget  the budget
     * @param quotes  the policy of the quote calls
     * @param history the policy of the history calls
     */
    public record SharedBudget(RetryBudget budget, Retry quotes, Retry history) {
    }

    /**
     * Builds a budget shared by the policies of two pipelines.
     *
     * @param ticker the budget's clock, for its accrual
     * @return the budget and the two policies
     */
    public static SharedBudget sharedBudget(Ticker ticker) {
        // tag::budget[]
        RetryBudget budget = RetryBudget.builder()
                .ratio(0.1)                   // each call adds a tenth of a retry,
                .minRetriesPerSecond(1)       // time adds one retry a second,
                .capacity(5)                  // and up to 5 retries are kept for a burst
                .ticker(ticker)               // Ticker.system() by default
                .build();
        Retry quotes = Retry.builder("quotes").budget(budget).build();
        Retry history = Retry.builder("history").budget(budget).build();
        // end::budget[]
        return new SharedBudget(budget, quotes, history);
    }

    /**
     * Builds a policy that asks again while a quote is not priced yet.
     *
     * @return a policy of up to 5 attempts, 200 ms apart, for the value {@code "PENDING"}
     */
    public static Retry untilPriced() {
        // tag::result[]
        Retry retry = Retry.builder("quotes-pending")
                .maxAttempts(5)
                .constantBackoff(Duration.ofMillis(200))
                .retryOnResult(String.class,           // a String answer
                        "PENDING"::equals)             // that says "not priced yet": ask again in 200 ms
                .build();
        // end::result[]
        return retry;
    }

    /**
     * Sends a line to {@code log} for each retry of {@code retry}, each call that runs out of
     * attempts or time, and each retry its budget refuses.
     *
     * @param retry the policy to watch
     * @param log   where the lines go
     */
    // tag::listen[]
    public static void logRetries(Retry retry, Consumer<String> log) {
        retry.onRetry(event -> log.accept(event.toString()));           // before each retry
        retry.onExhausted(event -> log.accept(event.toString()));       // out of attempts or time
        retry.onBudgetRefused(event -> log.accept(event.toString()));   // the budget said no
    }
    // end::listen[]

    // tag::rate-limited[]
    /**
     * The client's error for a 429 answer, with the wait the server asks for: a custom backoff
     * can honour it.
     */
    public static final class RateLimitedException extends IOException {

        private static final long serialVersionUID = 1L;

        private final Duration retryAfter;

        /**
         * Creates the error.
         *
         * @param retryAfter how long the server asks the client to wait
         */
        public RateLimitedException(Duration retryAfter) {
            super("429 Too Many Requests (retry after " + retryAfter.toMillis() + " ms)");
            this.retryAfter = retryAfter;
        }

        /**
         * Returns how long the server asks the client to wait.
         *
         * @return the delay
         */
        public Duration retryAfter() {
            return retryAfter;
        }
    }
    // end::rate-limited[]
}
