package dev.ninelives.reactor.registry;

import dev.ninelives.internal.Check;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;

/**
 * Which stages a pipeline of a {@link NineLivesRegistry} has, given to
 * {@link NineLivesRegistry.Builder#pipelineDefaults} and {@link NineLivesRegistry.Builder#pipeline}.
 * The policies are the registry's own, named: {@link #breaker()} is the registry's breaker of the
 * pipeline's name, {@link #breaker(String)} the one of another name (created on first use like
 * any other). Each method replaces that stage's earlier choice, so an override applied after the
 * defaults wins; {@link #clear()} starts from no stage at all.
 *
 * <pre>{@code
 * NineLivesRegistry.builder()
 *     .pipelineDefaults(p -> p.breaker().retry())                     // every pipeline: its own breaker and retry
 *     .pipeline("reports", p -> p.bulkhead("shared").timeout(Duration.ofSeconds(2)))
 *     .build();
 * }</pre>
 *
 * A spec is filled once per pipeline the registry creates, on the thread that asks for it first;
 * it is not thread-safe and must not be kept.
 */
public final class PipelineSpec {

    private final String name;
    String breaker;
    String retry;
    String bulkhead;
    String rateLimiter;
    String hedge;
    Duration timeout;
    Duration attemptTimeout;
    Scheduler scheduler;

    PipelineSpec(String name) {
        this.name = name;
    }

    /**
     * The name of the pipeline this spec is for.
     *
     * @return the pipeline's name
     */
    public String name() {
        return name;
    }

    /**
     * Removes every stage and the scheduler chosen so far (the built-in default's breaker too).
     *
     * @return this spec
     */
    public PipelineSpec clear() {
        breaker = null;
        retry = null;
        bulkhead = null;
        rateLimiter = null;
        hedge = null;
        timeout = null;
        attemptTimeout = null;
        scheduler = null;
        return this;
    }

    /**
     * Uses the registry's circuit breaker of the pipeline's name.
     *
     * @return this spec
     */
    public PipelineSpec breaker() {
        return breaker(name);
    }

    /**
     * Uses the registry's circuit breaker named {@code name}.
     *
     * @param name the breaker's name in the registry
     * @return this spec
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public PipelineSpec breaker(String name) {
        this.breaker = NineLivesRegistry.checkName(name);
        return this;
    }

    /**
     * Drops the circuit breaker stage.
     *
     * @return this spec
     */
    public PipelineSpec noBreaker() {
        this.breaker = null;
        return this;
    }

    /**
     * Uses the registry's retry policy of the pipeline's name.
     *
     * @return this spec
     */
    public PipelineSpec retry() {
        return retry(name);
    }

    /**
     * Uses the registry's retry policy named {@code name}.
     *
     * @param name the retry policy's name in the registry
     * @return this spec
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public PipelineSpec retry(String name) {
        this.retry = NineLivesRegistry.checkName(name);
        return this;
    }

    /**
     * Drops the retry stage.
     *
     * @return this spec
     */
    public PipelineSpec noRetry() {
        this.retry = null;
        return this;
    }

    /**
     * Uses the registry's bulkhead of the pipeline's name.
     *
     * @return this spec
     */
    public PipelineSpec bulkhead() {
        return bulkhead(name);
    }

    /**
     * Uses the registry's bulkhead named {@code name}.
     *
     * @param name the bulkhead's name in the registry
     * @return this spec
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public PipelineSpec bulkhead(String name) {
        this.bulkhead = NineLivesRegistry.checkName(name);
        return this;
    }

    /**
     * Drops the bulkhead stage.
     *
     * @return this spec
     */
    public PipelineSpec noBulkhead() {
        this.bulkhead = null;
        return this;
    }

    /**
     * Uses the registry's rate limiter of the pipeline's name (the outermost stage: see
     * {@code Pipeline.Builder.rateLimiter}).
     *
     * @return this spec
     */
    public PipelineSpec rateLimiter() {
        return rateLimiter(name);
    }

    /**
     * Uses the registry's rate limiter named {@code name}: several pipelines that name one
     * limiter share its rate.
     *
     * @param name the rate limiter's name in the registry
     * @return this spec
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public PipelineSpec rateLimiter(String name) {
        this.rateLimiter = NineLivesRegistry.checkName(name);
        return this;
    }

    /**
     * Drops the rate limiter stage.
     *
     * @return this spec
     */
    public PipelineSpec noRateLimiter() {
        this.rateLimiter = null;
        return this;
    }

    /**
     * Uses the registry's hedge of the pipeline's name (inside the retry, outside the breaker:
     * see {@code Pipeline.Builder.hedge}); such a pipeline protects a Mono only.
     *
     * @return this spec
     */
    public PipelineSpec hedge() {
        return hedge(name);
    }

    /**
     * Uses the registry's hedge named {@code name}: several pipelines that name one hedge share
     * its budget and its latency window.
     *
     * @param name the hedge's name in the registry
     * @return this spec
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public PipelineSpec hedge(String name) {
        this.hedge = NineLivesRegistry.checkName(name);
        return this;
    }

    /**
     * Drops the hedge stage.
     *
     * @return this spec
     */
    public PipelineSpec noHedge() {
        this.hedge = null;
        return this;
    }

    /**
     * Sets the total timeout stage; see {@code Pipeline.Builder.timeout}.
     *
     * @param timeout how long a call may take, positive; null drops the stage
     * @return this spec
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public PipelineSpec timeout(Duration timeout) {
        this.timeout = timeout == null ? null : Check.positive(timeout, "timeout");
        return this;
    }

    /**
     * Sets the attempt timeout stage; see {@code Pipeline.Builder.attemptTimeout}.
     *
     * @param attemptTimeout how long each attempt may take, positive; null drops the stage
     * @return this spec
     * @throws IllegalArgumentException if {@code attemptTimeout} is zero or negative
     */
    public PipelineSpec attemptTimeout(Duration attemptTimeout) {
        this.attemptTimeout = attemptTimeout == null ? null : Check.positive(attemptTimeout, "attemptTimeout");
        return this;
    }

    /**
     * Sets the scheduler of the pipeline's delays, waits and timeouts; see {@code Pipeline.Builder.scheduler}.
     *
     * @param scheduler the scheduler; null for the default, {@code Schedulers.parallel()}
     * @return this spec
     */
    public PipelineSpec scheduler(Scheduler scheduler) {
        this.scheduler = scheduler;
        return this;
    }

    /** Lists the stages chosen. */
    @Override
    public String toString() {
        return "PipelineSpec{" + name + ": breaker=" + breaker + ", retry=" + retry + ", bulkhead=" + bulkhead
 + ", rateLimiter=" + rateLimiter + ", hedge=" + hedge + ", timeout=" + timeout + ", attemptTimeout=" + attemptTimeout + '}';
    }
}
