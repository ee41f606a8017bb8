package dev.ninelives.site;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreakerConfig;
import dev.ninelives.breaker.CircuitBreakerMetrics;
import dev.ninelives.breaker.StateTransitionEvent;
import dev.ninelives.bulkhead.AdaptiveLimit;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadConfig;
import dev.ninelives.bulkhead.BulkheadEvent;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.core.Ticker;
import dev.ninelives.reactor.Fallback;
import dev.ninelives.reactor.NineLives;
import dev.ninelives.reactor.Pipeline;
import dev.ninelives.reactor.registry.NineLivesProperties;
import dev.ninelives.reactor.registry.ReloadReport;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import dev.ninelives.retry.RetryBudgetBuilder;
import dev.ninelives.retry.RetryEvent;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The tour's scenario: a {@link TourService} that follows a script, called at a steady rate
 * through one pipeline of a bulkhead, a retry, a circuit breaker and an attempt timeout, with a
 * fallback, and a live timeline of what happens.
 *
 * <p>Each call is {@code service.call().transform(NineLives.pipeline(inventory, lastKnown))},
 * and the run starts by printing {@code inventory.explain()}. The pipeline puts the retry
 * outside the breaker, so every attempt goes through the breaker, and a refusal ends the call
 * without a retry; the bulkhead outermost, so a call holds one permit from its first attempt to
 * its last, and a call that finds every permit taken waits for one, or gives up after the
 * bulkhead's maximum wait, without ever reaching the retry or the breaker; and the attempt
 * timeout ({@value #ATTEMPT_TIMEOUT_MILLIS} ms) innermost, so an attempt the service is too slow
 * to answer is cut, recorded by the breaker as a failure, and retried. The fallback
 * ({@link #LAST_KNOWN}) answers a call whose last attempt was cut with {@value #FALLBACK_ANSWER};
 * the refusals and the service's own errors it leaves alone, so that the timeline shows them.
 *
 * <p>The service is the in-process {@link ScriptedService} unless {@link #withService} says
 * otherwise: the tour itself calls a real HTTP server, {@link HttpTourService}. The timeline
 * gives, each second, the calls and their outcomes, the retries, the refusals of the breaker
 * and of the bulkhead, the longest queue, the p50 and p99 of the latency the callers saw
 * (HdrHistogram), the bulkhead's limit, the breaker's state, and each transition as it happens; a
 * summary closes it.
 *
 * <p>The policies come from {@link #CONFIGURATION}, keys as a user writes them, loaded with
 * {@code NineLivesProperties}, the bulkhead's {@link #ADAPTIVE_LIMIT} included. Halfway
 * through the first phase that queues ({@link #reloadAt}), the run reloads the keys with
 * {@link #reloadedConfiguration()}, as an operator would after editing the file, and prints the
 * {@code ReloadReport} and what the reload kept: the bulkhead's wait changes in place, for the
 * calls that start waiting from then on.
 *
 * <p>Time comes from one {@link Scheduler} and one {@link Ticker}: the scheduler times the
 * steady calls, the in-process service's latency, the retry's delays, the bulkhead's wait
 * timeouts, the attempt timeouts and the timeline's rows; the ticker is the clock of the breaker, of the retry's
 * deadline and of its budget, of the bulkhead, of the script and of the latencies. By default
 * the ticker reads the scheduler's clock: give the scenario a {@code VirtualTimeScheduler} and a
 * test plays it out in milliseconds with exactly the same sequence of events (the jitter of the
 * retry's delays comes from a generator seeded with {@link #JITTER_SEED}). The real tour gives it
 * a real scheduler and {@link Ticker#system()}.
 *
 * <p>Each subscription to {@link #run()} is a fresh run: a new service (started before the first
 * call, stopped once the last one has ended), a new breaker, a new retry and budget, a new
 * bulkhead, new counts. Lines of output go to the consumer given to the constructor, as they
 * happen. A scenario is immutable: each {@code withX} returns a new one.
 */
public final class TourScenario {

    private static final Duration ADAPTIVE_THRESHOLD = Duration.ofMillis(150);

    /**
     * The bulkhead's adaptive limit, as the {@code adaptive-limit.*} keys of
     * {@link #CONFIGURATION} give it: AIMD between 1 and 5 calls at once, starting at 4; each
     * window of 10 calls (or 500 ms) whose mean time is above 150 ms, or with a call that
     * failed, takes a tenth off the limit (rounded down); a window in which the bulkhead was at
     * least half used adds one.
     */
    public static final AdaptiveLimit ADAPTIVE_LIMIT = AdaptiveLimit.aimd()
            .minLimit(1).maxLimit(5).initialLimit(4)
            .windowSize(10).windowDuration(Duration.ofMillis(500))
            .latencyThreshold(ADAPTIVE_THRESHOLD);

    /** The seed of the retry's jitter: every run draws the same delays. */
    public static final long JITTER_SEED = 42L;

    private static final Duration RETRY_FIRST_DELAY = Duration.ofMillis(50);

    /**
     * How long each attempt may take, in ms: a healthy answer takes 20 ms and an overloaded one
     * 250 ms, both well within it; the slow phase's 400 ms answers are cut.
     */
    public static final long ATTEMPT_TIMEOUT_MILLIS = 350;
    /** What a call whose last attempt timed out gets instead of its error. */
    public static final String FALLBACK_ANSWER = "last known stock";
    /**
     * The fallback of every call: {@value #FALLBACK_ANSWER} when the call ends with a timeout
     * (its last attempt cut by the attempt timeout), never for a refusal or the service's own
     * error, which the timeline counts as such.
     */
    public static final Fallback<String> LAST_KNOWN = Fallback.toValue(FALLBACK_ANSWER).on(TimeoutException.class);

    private static final String HEADER =
            "%6s  %-9s %5s %5s %6s %7s %6s %8s %8s %4s %4s %8s %6s %5s %6s %6s  %-9s  %s";
    private static final String ROW =
            "%6s  %-9s %5d %5d %6d %7d %6d %8d %8d %4d %4d %8d %6d %5d %6s %6s  %-9s  %s";

    private final ScriptedService.Script script;
    private final TourService.Factory serviceFactory;
    private final Duration callInterval;
    private final Duration reportInterval;
    private final Scheduler scheduler;
    private final Ticker ticker;
    private final Consumer<String> out;
    private final MetricsHook metrics;

    /**
     * Describes a scenario against the in-process {@link ScriptedService}, timed by the
     * scheduler alone: its clock is the ticker too.
     *
     * @param script         what the service does, and when
     * @param callInterval   the time between two calls (50 ms is 20 calls a second)
     * @param reportInterval the time between two rows of the timeline
     * @param scheduler      the scheduler that times everything
     * @param out            where the timeline's lines go
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if an interval is not positive
     */
    public TourScenario(ScriptedService.Script script, Duration callInterval, Duration reportInterval,
                        Scheduler scheduler, Consumer<String> out) {
        this(Objects.requireNonNull(script, "script"), ScriptedService::new, positive(callInterval, "callInterval"),
                positive(reportInterval, "reportInterval"), Objects.requireNonNull(scheduler, "scheduler"),
                () -> scheduler.now(TimeUnit.NANOSECONDS), Objects.requireNonNull(out, "out"), MetricsHook.NONE);
    }

    private TourScenario(ScriptedService.Script script, TourService.Factory serviceFactory, Duration callInterval,
                         Duration reportInterval, Scheduler scheduler, Ticker ticker, Consumer<String> out,
                         MetricsHook metrics) {
        this.script = script;
        this.serviceFactory = serviceFactory;
        this.callInterval = callInterval;
        this.reportInterval = reportInterval;
        this.scheduler = scheduler;
        this.ticker = ticker;
        this.out = out;
        this.metrics = metrics;
    }

    /**
     * Returns this scenario against another service, for example
     * {@code withService(HttpTourService::start)}.
     *
     * @param factory starts the service of each run; the scenario stops it at the end of the run
     * @return a new scenario
     * @throws NullPointerException if {@code factory} is null
     */
    public TourScenario withService(TourService.Factory factory) {
        return new TourScenario(script, Objects.requireNonNull(factory, "factory"), callInterval, reportInterval,
                scheduler, ticker, out, metrics);
    }

    /**
     * Returns this scenario with another clock for the policies, the script and the latencies,
     * for example {@link Ticker#system()} in real time.
     *
     * @param ticker the clock
     * @return a new scenario
     * @throws NullPointerException if {@code ticker} is null
     */
    public TourScenario withTicker(Ticker ticker) {
        return new TourScenario(script, serviceFactory, callInterval, reportInterval, scheduler,
                Objects.requireNonNull(ticker, "ticker"), out, metrics);
    }

    /**
     * Returns this scenario with a hook that sees each run's policies before the first call and
     * prints after the summary: where a metrics registry is bound and printed.
     *
     * @param hook the hook
     * @return a new scenario
     * @throws NullPointerException if {@code hook} is null
     */
    public TourScenario withMetrics(MetricsHook hook) {
        return new TourScenario(script, serviceFactory, callInterval, reportInterval, scheduler, ticker, out,
                Objects.requireNonNull(hook, "hook"));
    }

    /**
     * The tour's configuration, as a user writes it in a properties file: the breaker judges the
     * last 20 calls once there are 10, opens at 50 % failures or at 50 % slow calls (a call of
     * 300 ms or more is slow), stays open 2 s (1.5 times longer for each reopening in a row, up to
     * 10 s), then admits 3 trial calls; the retry makes 3 attempts, 50 ms then 100 ms apart
     * (doubling, up to 200 ms) with equal jitter (half of each delay, plus a random part of the
     * other half), and no retry that would start more than 400 ms after the call; a caller that
     * finds every permit of the bulkhead taken waits up to 250 ms for one, at most 10 callers at
     * once, the longest waiting served first, its limit the {@link #ADAPTIVE_LIMIT}. What text
     * cannot say (the clocks, the jitter's seed, the retry budget) the run gives in code.
     */
    public static final Map<String, String> CONFIGURATION = Collections.unmodifiableMap(new TreeMap<>(Map.ofEntries(
            Map.entry("ninelives.breaker.inventory.sliding-window", "20"),
            Map.entry("ninelives.breaker.inventory.minimum-number-of-calls", "10"),
            Map.entry("ninelives.breaker.inventory.failure-rate-threshold", "50"),
            Map.entry("ninelives.breaker.inventory.slow-call-duration", "300ms"),
            Map.entry("ninelives.breaker.inventory.slow-call-rate-threshold", "50"),
            Map.entry("ninelives.breaker.inventory.open-duration", "2s"),
            Map.entry("ninelives.breaker.inventory.open-duration-backoff.multiplier", "1.5"),
            Map.entry("ninelives.breaker.inventory.open-duration-backoff.max", "10s"),
            Map.entry("ninelives.breaker.inventory.permitted-calls-in-half-open", "3"),
            Map.entry("ninelives.retry.inventory.max-attempts", "3"),
            Map.entry("ninelives.retry.inventory.backoff.initial", RETRY_FIRST_DELAY.toMillis() + "ms"),
            Map.entry("ninelives.retry.inventory.backoff.multiplier", "2"),
            Map.entry("ninelives.retry.inventory.backoff.max", "200ms"),
            Map.entry("ninelives.retry.inventory.jitter", "equal"),
            Map.entry("ninelives.retry.inventory.deadline", "400ms"),
            Map.entry("ninelives.bulkhead.inventory.max-wait", "250ms"),
            Map.entry("ninelives.bulkhead.inventory.max-queued", "10"),
            Map.entry("ninelives.bulkhead.inventory.queue-order", "fifo"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.algorithm", "aimd"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.min-limit", "1"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.max-limit", "5"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.initial-limit", "4"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.window-size", "10"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.window-duration", "500ms"),
            Map.entry("ninelives.bulkhead.inventory.adaptive-limit.latency-threshold", ADAPTIVE_THRESHOLD.toMillis() + "ms"))));

    /** The key the run changes halfway through the overload. */
    public static final String RELOADED_KEY = "ninelives.bulkhead.inventory.max-wait";
    /** Its new value: a caller the overloaded service cannot take is refused after 50 ms rather than 250 ms. */
    public static final String RELOADED_VALUE = "50ms";

    /**
     * The configuration the run reloads halfway through the overload: {@link #CONFIGURATION}
     * with {@value #RELOADED_KEY} at {@value #RELOADED_VALUE}.
     *
     * @return the new keys, complete
     */
    public static Map<String, String> reloadedConfiguration() {
        Map<String, String> keys = new TreeMap<>(CONFIGURATION);
        keys.put(RELOADED_KEY, RELOADED_VALUE);
        return Collections.unmodifiableMap(keys);
    }

    /**
     * The retry budget settings of the tour, without a ticker: each call adds a tenth of a retry,
     * time adds one retry a second, and the bucket holds 5 retries.
     *
     * @return a builder with the tour's settings
     */
    public static RetryBudgetBuilder budgetSettings() {
        return RetryBudget.builder()
                .ratio(0.1)
                .minRetriesPerSecond(1)
                .capacity(5);
    }

    /**
     * Returns a run of the scenario. Nothing happens until subscription: then the service
     * starts (for an HTTP service, on the subscribing thread, which may block while the server
     * binds), the calls go out, and the Mono completes once the script has played out, every
     * call has ended and the service has stopped, with the run's report (whose summary has been
     * printed too).
     *
     * @return the run
     */
    public Mono<TourReport> run() {
        return Mono.usingWhen(
                Mono.fromCallable(() -> serviceFactory.start(script, ticker, scheduler)),
                service -> new Run(service).start(),
                TourService::stop);
    }

    /**
     * When a run reloads its configuration: halfway through the first phase that
     * {@linkplain ScriptedService.Phase#queues() queues}, on a multiple of the call interval (the
     * calls go out half an interval off that beat, so none coincides with the reload); never if
     * no phase queues.
     *
     * @param script       the script
     * @param callInterval the time between two calls
     * @return the time since the start of the run, or null for no reload
     */
    static Duration reloadAt(ScriptedService.Script script, Duration callInterval) {
        List<ScriptedService.Phase> phases = script.phases();
        for (int i = 0; i < phases.size(); i++) {
            if (phases.get(i).queues()) {
                long middle = script.startOf(i).plus(phases.get(i).length().dividedBy(2)).toNanos();
                return Duration.ofNanos(middle - middle % callInterval.toNanos());
            }
        }
        return null;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, but was " + d);
        }
        return d;
    }

    /**
     * Where metrics are bound to a run's policies and printed: the scenario calls
     * {@link #bind} once the run's policies are built, before the first call, and {@link #print}
     * right after the summary. Both do nothing by default.
     */
    public interface MetricsHook {

        /** The hook that does nothing. */
        MetricsHook NONE = new MetricsHook() {
        };

        /**
         * Sees the run's policies before the first call: bind meters to them here.
         *
         * @param breaker  the run's breaker
         * @param retry    the run's retry, with its budget
         * @param bulkhead the run's bulkhead
         */
        default void bind(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        }

        /**
         * Prints after the summary: print the meters here.
         *
         * @param out where the tour's lines go
         */
        default void print(Consumer<String> out) {
        }
    }

    /** What became of one call. */
    enum Outcome { OK, OK_AFTER_RETRY, FALLBACK, FAILED, REJECTED_BY_OPEN, REJECTED_BY_HALF_OPEN, WAIT_TIMED_OUT, QUEUE_FULL }

    /** The state of one run: its service, its bulkhead, its breaker, its retry and its counts. */
    private final class Run {
        final TourService service;
        final RetryBudget budget = budgetSettings().ticker(ticker).build();
        /** The policies, from the keys a user would write, and what only code can give. */
        final NineLivesProperties properties = NineLivesProperties.builder()
                .breaker("inventory", b -> b.ticker(ticker))
                .retry("inventory", r -> r.ticker(ticker).budget(budget).random(new Random(JITTER_SEED)))
                .bulkhead("inventory", b -> b.ticker(ticker))
                .load(CONFIGURATION);
        final CircuitBreaker breaker = properties.registry().breaker("inventory");
        final Retry retry = properties.registry().retry("inventory");
        final Bulkhead bulkhead = properties.registry().bulkhead("inventory");
        /** The protection of every call: written in any order, run as bulkhead, retry, breaker, attempt timeout. */
        final Pipeline inventory = Pipeline.builder("inventory")
                .bulkhead(bulkhead)
                .retry(retry)
                .breaker(breaker)
                .attemptTimeout(Duration.ofMillis(ATTEMPT_TIMEOUT_MILLIS))
                .scheduler(scheduler)                        // the retry's delays, the bulkhead's waits, the timeouts
                .build();
        final long startNanos;

        final AtomicLong calls = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final Map<ServiceException.Kind, AtomicLong> failedBy = new EnumMap<>(ServiceException.Kind.class);
        final AtomicLong rejectedByOpen = new AtomicLong();
        volatile CallNotPermittedException lastOpenRefusal;
        final AtomicLong rejectedByHalfOpen = new AtomicLong();
        final AtomicLong issuedWhileDown = new AtomicLong();
        final AtomicLong attemptsWhileDown = new AtomicLong();
        final AtomicLong rejectedWhileDown = new AtomicLong();
        final AtomicLong rejectedAfterRecovery = new AtomicLong();
        final Duration recoveryStart = script.startOf(script.phases().size() - 1);

        final AtomicLong retries = new AtomicLong();
        final AtomicLong retriesWhileDown = new AtomicLong();
        final AtomicLong rescued = new AtomicLong();
        final AtomicLong denied = new AtomicLong();
        final AtomicLong outOfAttempts = new AtomicLong();
        final AtomicLong outOfTime = new AtomicLong();
        final AtomicLong attemptsCut = new AtomicLong();
        final AtomicLong fellBack = new AtomicLong();

        final AtomicLong timedOut = new AtomicLong();
        final AtomicLong queueFull = new AtomicLong();
        final AtomicLong waited = new AtomicLong();
        final AtomicLong longestWaitNanos = new AtomicLong();
        /** When the reload happened, by the ticker; Long.MAX_VALUE until then. */
        volatile long reloadedAtNanos = Long.MAX_VALUE;
        volatile TourReport.Reload reload;
        /** The waits of the calls the bulkhead refused after waiting: the shortest of those that started before the reload, the longest of the others. */
        final AtomicLong shortestTimeoutBeforeNanos = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong longestTimeoutAfterNanos = new AtomicLong();
        final AtomicLong timedOutAfterReload = new AtomicLong();
        /** The longest queue since the last row, and since the start. */
        int rowPeakQueue;
        int peakQueue;

        /** The latency each caller saw, in microseconds: of every call, and of the successful ones. */
        final Recorder latencies = new Recorder(3);
        final Recorder okLatencies = new Recorder(3);
        Histogram rowLatencies;
        Histogram rowOkLatencies;
        final Histogram allLatencies = new Histogram(3);
        final Histogram allOkLatencies = new Histogram(3);

        final List<TourReport.Transition> transitions = Collections.synchronizedList(new ArrayList<>());
        final List<TourReport.Row> rows = Collections.synchronizedList(new ArrayList<>());
        final Map<CircuitBreaker.State, Duration> timeInState = new EnumMap<>(CircuitBreaker.State.class);
        CircuitBreaker.State since = CircuitBreaker.State.CLOSED;
        Duration sinceAt = Duration.ZERO;
        long[] lastRow = new long[10];

        Run(TourService service) {
            this.service = service;
            for (ServiceException.Kind kind : ServiceException.Kind.values()) {
                failedBy.put(kind, new AtomicLong());
            }
            this.startNanos = ticker.read();
        }

        Mono<TourReport> start() {
            printHeader();
            breaker.onStateTransition(this::onTransition);
            retry.onRetry(this::onRetry);
            retry.onBudgetRefused(event -> {
                denied.incrementAndGet();
                onAttemptFailed(event);
            });
            retry.onExhausted(event -> {
                (event.attempt() < retry.maxAttempts() ? outOfTime : outOfAttempts).incrementAndGet();
                onAttemptFailed(event);
            });
            bulkhead.onPermitted(this::onPermitted);
            metrics.bind(breaker, retry, bulkhead);

            long callCount = Math.max(1, script.length().toNanos() / callInterval.toNanos());
            // Calls go out half an interval off the beat, so that none coincides with a row or
            // with a change of phase: each call lands in one row and one phase, whatever the jitter.
            Mono<Void> traffic = Flux.interval(callInterval.dividedBy(2), callInterval, scheduler)
                    .take(callCount)
                    .flatMap(i -> oneCall())
                    .then();
            long rowCount = Math.max(1, script.length().toNanos() / reportInterval.toNanos());
            Mono<Void> timeline = Flux.interval(reportInterval, reportInterval, scheduler)
                    .take(rowCount)
                    .doOnNext(i -> row(reportInterval.multipliedBy(i + 1)))
                    .then();
            Duration at = reloadAt(script, callInterval);
            Mono<Void> reloading = at == null ? Mono.empty()
                    : Mono.delay(at, scheduler).doOnNext(tick -> reload()).then();
            return Mono.when(traffic, timeline, reloading).then(Mono.fromCallable(this::finish));
        }

        /**
         * Reloads the configuration with {@link #reloadedConfiguration()}, as an operator would
         * from an edited file, prints the report and what the reload kept, and notes when it
         * happened, so that the calls that start waiting after it are told apart. It holds the
         * run's monitor, as the timeline's rows do, so its lines never interleave with a row's:
         * the tour's own reporting, taken once per run, never on a call through the policies.
         */
        synchronized void reload() {
            Duration at = now();
            BulkheadMetrics before = bulkhead.metrics();
            CircuitBreaker.State stateBefore = breaker.state();
            Duration waitBefore = bulkhead.config().maxWait();
            ReloadReport report = properties.reload(reloadedConfiguration());
            reloadedAtNanos = ticker.read();
            BulkheadMetrics after = bulkhead.metrics();
            boolean same = properties.registry().bulkhead("inventory") == bulkhead
                    && properties.registry().breaker("inventory") == breaker
                    && properties.registry().retry("inventory") == retry;
            reload = new TourReport.Reload(at, report, waitBefore, bulkhead.config().maxWait(), same,
                    before.maxConcurrent(), after.maxConcurrent(), before.inFlight(), after.inFlight(),
                    stateBefore, breaker.state(), 0, Duration.ZERO, Duration.ZERO);
            out.accept(String.format(Locale.ROOT, "%6s  >> reload     %s=%s", seconds(at, 2), RELOADED_KEY, RELOADED_VALUE));
            report.toString().lines().forEach(line -> out.accept("          " + line));
            out.accept(String.format(Locale.ROOT,
                    "          kept: %s, limit %d, %d calls in flight, %d waiting; breaker %s",
                    same ? "the same policies" : "NOT the same policies", after.maxConcurrent(), after.inFlight(),
                    after.queued(), breaker.state()));
        }

        /**
         * One call through the pipeline: the bulkhead outermost, the retry inside it, every
         * attempt through the breaker and cut by the attempt timeout if it takes too long, and
         * the fallback around it all, for a call whose last attempt was cut. Only the service's
         * failures, a breaker's refusal and a bulkhead's refusal are expected errors; anything
         * else fails the run.
         *
         * <p>The attempts are counted where they reach the service, inside the pipeline, and a
         * refused attempt where its refusal comes out: the tour's retry does not retry a refusal,
         * so a refused attempt is the call's last, and its refusal arrives at once.
         */
        Mono<Outcome> oneCall() {
            calls.incrementAndGet();
            long issuedAt = ticker.read();
            if (service.phaseNow().down()) {
                issuedWhileDown.incrementAndGet();
            }
            AtomicInteger attempts = new AtomicInteger();
            return service.call()
                    .doOnSubscribe(s -> onAttempt(attempts))         // every attempt the breaker let through
                    .transform(NineLives.pipeline(inventory, LAST_KNOWN))
                    .doOnSubscribe(s -> onAdmitted())                // running, or counted in the queue
                    .map(answer -> FALLBACK_ANSWER.equals(answer) ? Outcome.FALLBACK
                            : attempts.get() > 1 ? Outcome.OK_AFTER_RETRY : Outcome.OK)
                    .onErrorResume(ServiceException.class, e -> Mono.just(failed(e)))
                    .onErrorResume(NineLives::isCallNotPermitted,
                            e -> Mono.just(refused((CallNotPermittedException) e, attempts)))
                    .onErrorResume(NineLives::isBulkheadFull, e -> Mono.just(
                            ((BulkheadFullException) e).reason() == BulkheadFullException.Reason.WAIT_TIMED_OUT
                                    ? Outcome.WAIT_TIMED_OUT : Outcome.QUEUE_FULL))
                    .doOnNext(outcome -> count(outcome, issuedAt));
        }

        /** The queue only grows when a call is admitted: sampled here, its longest is seen. */
        synchronized void onAdmitted() {
            int queued = bulkhead.metrics().queued();
            rowPeakQueue = Math.max(rowPeakQueue, queued);
            peakQueue = Math.max(peakQueue, queued);
        }

        void onPermitted(BulkheadEvent event) {
            if (event.waitNanos() > 0) {
                waited.incrementAndGet();
                longestWaitNanos.accumulateAndGet(event.waitNanos(), Math::max);
            }
        }

        void onAttempt(AtomicInteger attempts) {
            attempts.incrementAndGet();
            if (service.phaseNow().down()) {
                attemptsWhileDown.incrementAndGet();
            }
        }

        /**
         * A failed attempt the retry decided on: every failed attempt is announced once, as a
         * retry, an exhaustion or a refusal of the budget (the tour's retry retries every error
         * the service and the timeout give). Counts those the attempt timeout cut.
         */
        void onAttemptFailed(RetryEvent event) {
            if (NineLives.isTimeout(event.error())) {
                attemptsCut.incrementAndGet();
            }
        }

        void onRetry(RetryEvent event) {
            onAttemptFailed(event);
            retries.incrementAndGet();
            if (service.phaseNow().down()) {
                retriesWhileDown.incrementAndGet();
            }
        }

        Outcome failed(ServiceException e) {
            failedBy.get(e.kind()).incrementAndGet();
            return Outcome.FAILED;
        }

        /**
         * A refusal comes at the attempt's subscription: the phase now is the phase of that
         * attempt, which counts as one, though it never reached the service. The script's last
         * phase is the recovery.
         */
        Outcome refused(CallNotPermittedException e, AtomicInteger attempts) {
            onAttempt(attempts);
            if (e.state() == CircuitBreaker.State.OPEN) {
                lastOpenRefusal = e;                        // it knows when the next trial call is due
            }
            if (service.phaseNow().down()) {
                rejectedWhileDown.incrementAndGet();
            } else if (now().compareTo(recoveryStart) >= 0) {
                rejectedAfterRecovery.incrementAndGet();
            }
            return e.state() == CircuitBreaker.State.HALF_OPEN ? Outcome.REJECTED_BY_HALF_OPEN : Outcome.REJECTED_BY_OPEN;
        }

        /** Records the latency before the count: a row that sees the call counted sees its latency too. */
        void count(Outcome outcome, long issuedAt) {
            long micros = Math.max(0, TimeUnit.NANOSECONDS.toMicros(ticker.read() - issuedAt));
            latencies.recordValue(micros);
            if (outcome == Outcome.OK || outcome == Outcome.OK_AFTER_RETRY) {
                okLatencies.recordValue(micros);
            }
            switch (outcome) {
                case OK -> ok.incrementAndGet();
                case OK_AFTER_RETRY -> {
                    rescued.incrementAndGet();
                    ok.incrementAndGet();
                }
                case FALLBACK -> fellBack.incrementAndGet();
                case FAILED -> failed.incrementAndGet();
                case REJECTED_BY_OPEN -> rejectedByOpen.incrementAndGet();
                case REJECTED_BY_HALF_OPEN -> rejectedByHalfOpen.incrementAndGet();
                case WAIT_TIMED_OUT -> {
                    timedOut.incrementAndGet();
                    long waitedNanos = ticker.read() - issuedAt;
                    if (issuedAt >= reloadedAtNanos) {
                        timedOutAfterReload.incrementAndGet();
                        longestTimeoutAfterNanos.accumulateAndGet(waitedNanos, Math::max);
                    } else {
                        shortestTimeoutBeforeNanos.accumulateAndGet(waitedNanos, Math::min);
                    }
                }
                case QUEUE_FULL -> queueFull.incrementAndGet();
                default -> throw new IllegalStateException("invalid outcome: " + outcome);
            }
        }

        Duration now() {
            return Duration.ofNanos(ticker.read() - startNanos);
        }

        synchronized void onTransition(StateTransitionEvent event) {
            Duration at = now();
            timeInState.merge(since, at.minus(sinceAt), Duration::plus);
            since = event.to();
            sinceAt = at;
            transitions.add(new TourReport.Transition(at, event));
            out.accept(String.format(Locale.ROOT, "%6s  >> %-9s -> %-9s  %s: %s",
                    seconds(at, 2), event.from(), event.to(), event.reason(), event.detail()));
        }

        long[] totals() {
            return new long[] {calls.get(), ok.get(), failed.get(), rejectedByOpen.get() + rejectedByHalfOpen.get(),
                    timedOut.get(), queueFull.get(), retries.get(), denied.get(), attemptsCut.get(), fellBack.get()};
        }

        synchronized void row(Duration at) {
            rowLatencies = latencies.getIntervalHistogram(rowLatencies);
            rowOkLatencies = okLatencies.getIntervalHistogram(rowOkLatencies);
            allLatencies.add(rowLatencies);
            allOkLatencies.add(rowOkLatencies);
            long[] now = totals();
            CircuitBreaker.State state = breaker.state();
            boolean measured = rowLatencies.getTotalCount() > 0;
            TourReport.Row row = new TourReport.Row(at, script.phaseAt(at.minus(reportInterval)).name(),
                    now[0] - lastRow[0], now[1] - lastRow[1], now[2] - lastRow[2], now[3] - lastRow[3],
                    now[4] - lastRow[4], now[5] - lastRow[5], now[6] - lastRow[6], now[7] - lastRow[7],
                    now[8] - lastRow[8], now[9] - lastRow[9], rowPeakQueue, bulkhead.config().maxConcurrent(),
                    measured ? percentile(rowLatencies, 50) : null, measured ? percentile(rowLatencies, 99) : null,
                    state, note(state));
            lastRow = now;
            rowPeakQueue = bulkhead.metrics().queued();      // whoever still waits starts the next row's count
            rows.add(row);
            out.accept(format(row));
        }

        /** What the breaker is waiting for, in a few words. */
        String note(CircuitBreaker.State state) {
            CircuitBreakerMetrics m = breaker.metrics();
            CircuitBreakerConfig c = breaker.config();
            return switch (state) {
                case CLOSED -> m.failureRate() < 0
                        ? String.format(Locale.ROOT, "%d of %d calls needed to judge", m.calls(), c.minimumNumberOfCalls())
                        : String.format(Locale.ROOT, "of %d calls: %4.1f%% failed, %4.1f%% slow",
                                m.calls(), m.failureRate(), m.slowCallRate());
                case OPEN -> {
                    CallNotPermittedException refusal = lastOpenRefusal;
                    if (refusal == null || refusal.nextTrialAtNanos() == CallNotPermittedException.UNKNOWN) {
                        yield "refusing calls";
                    }
                    long left = refusal.nextTrialAtNanos() - ticker.read();
                    yield left > 0 ? "trial calls in " + seconds(Duration.ofNanos(left), 1) : "trial calls due";
                }
                case HALF_OPEN -> String.format(Locale.ROOT, "%d of %d trial calls recorded",
                        m.calls(), c.permittedCallsInHalfOpen());
                default -> "";
            };
        }

        void printHeader() {
            CircuitBreakerConfig c = breaker.config();
            out.accept("NineLives tour: one pipeline, a bulkhead, a retry, a circuit breaker and an attempt timeout, with a"
                    + " fallback, in front of a flaky service");
            out.accept("");
            out.accept("  each call is service.call().transform(NineLives.pipeline(inventory, lastKnown)); inventory.explain() says:");
            inventory.explain().lines().forEach(line -> out.accept("  " + line));
            out.accept("");
            out.accept(String.format(Locale.ROOT, "  %-9s %s, which follows a script:", "service", service.description()));
            List<ScriptedService.Phase> phases = script.phases();
            for (int i = 0; i < phases.size(); i++) {
                ScriptedService.Phase p = phases.get(i);
                out.accept(String.format(Locale.ROOT, "  %-9s %-9s %5s to %5s  %s", "",
                        p.name(), seconds(script.startOf(i), 0), seconds(script.startOf(i + 1), 0), p.behaviour()));
            }
            BulkheadConfig k = bulkhead.config();
            AdaptiveLimit a = k.adaptiveLimit();
            out.accept(String.format(Locale.ROOT,
                    "  %-9s '%s': an adaptive limit (%s) of %d to %d calls at once, from %d: each window of calls slower than",
                    "bulkhead", bulkhead.name(), a.algorithm(), a.minLimit(), a.maxLimit(), a.initialLimit()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s %d ms on average, or with a call that failed, takes a tenth off it; a busy one adds one",
                    "", ADAPTIVE_THRESHOLD.toMillis()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s a caller that finds every permit taken waits up to %d ms for one,", "", k.maxWait().toMillis()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s at most %d callers at once, %s", "", k.maxQueued(),
                    k.queueOrder() == Bulkhead.QueueOrder.FIFO ? "the longest waiting served first (FIFO)"
                            : "the newest served first (LIFO)"));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s '%s': judges the last %d calls (once it has %d), opens at %.0f%% failures or at %.0f%% slow calls",
                    "breaker", breaker.name(), c.windowSize(), c.minimumNumberOfCalls(), c.failureRateThreshold(),
                    c.slowCallRateThreshold()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s (%d ms or more), stays open %s (x%.1f per reopening in a row, up to %s), then admits %d trial calls",
                    "", c.slowCallDuration().toMillis(), seconds(c.openDuration(), 0), c.openDurationMultiplier(),
                    seconds(c.maxOpenDuration(), 0), c.permittedCallsInHalfOpen()));
            RetryBudget b = retry.budget();
            out.accept(String.format(Locale.ROOT,
                    "  %-9s '%s': %d attempts, %d ms then %d ms apart (equal jitter: 50 to 100 %% of that),",
                    "retry", retry.name(), retry.maxAttempts(), RETRY_FIRST_DELAY.toMillis(),
                    RETRY_FIRST_DELAY.multipliedBy(2).toMillis()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s none later than %d ms into the call; a budget of %d retries, refilled by %.1f a call and %d a second",
                    "", Duration.ofNanos(retry.deadlineNanos()).toMillis(), b.capacity(), b.ratio(), b.minRetriesPerSecond()));
            out.accept(String.format(Locale.ROOT,
                    "  %-9s %s: a call whose last attempt was cut by the attempt timeout gets \"%s\";",
                    "fallback", "lastKnown", FALLBACK_ANSWER));
            out.accept(String.format(Locale.ROOT, "  %-9s the refusals and the service's own errors it leaves alone, for the"
                    + " timeline to show", ""));
            out.accept(String.format(Locale.ROOT, "  %-9s one call every %d ms, each through the pipeline", "load",
                    callInterval.toMillis()));
            out.accept(String.format(Locale.ROOT, "  %-9s %d keys from properties (ninelives.breaker|retry|bulkhead.inventory.*)%s",
                    "config", CONFIGURATION.size(), reloadAt(script, callInterval) == null ? ""
                            : ", reloaded at " + seconds(reloadAt(script, callInterval), 1) + " with " + RELOADED_KEY + "="
                            + RELOADED_VALUE));
            out.accept("");
            out.accept("  each second: calls issued; calls that ended ok or failed; retries made (retried) and retries");
            out.accept("  the budget refused (denied); calls the breaker rejected; calls the bulkhead refused, after");
            out.accept("  waiting for a permit (timedout) or at once with its queue full (full); attempts the attempt");
            out.accept("  timeout cut (cut) and calls the fallback answered (fallback); the most callers waiting");
            out.accept("  for a permit at once (queued); the bulkhead's limit at the end of the second (limit); the");
            out.accept("  median and 99th percentile of the time the calls that ended took, as their callers saw it,");
            out.accept("  in ms (p50, p99); the breaker's state at the end of the second");
            out.accept("");
            out.accept(String.format(Locale.ROOT, HEADER, "time", "service", "calls", "ok", "failed", "retried", "denied",
                    "rejected", "timedout", "full", "cut", "fallback", "queued", "limit", "p50", "p99", "state", "breaker"));
            out.accept(String.format(Locale.ROOT, HEADER, "------", "---------", "-----", "-----", "------", "-------",
                    "------", "--------", "--------", "----", "----", "--------", "------", "-----", "------", "------", "---------", "-------"));
        }

        synchronized TourReport finish() {
            Duration end = now();
            if (!Arrays.equals(totals(), lastRow)) {
                row(end);                                    // calls that ended after the last row
            } else {
                allLatencies.add(latencies.getIntervalHistogram());
                allOkLatencies.add(okLatencies.getIntervalHistogram());
            }
            timeInState.merge(since, end.minus(sinceAt), Duration::plus);
            TourReport.Retries retried = new TourReport.Retries(retries.get(), retriesWhileDown.get(), rescued.get(),
                    denied.get(), outOfAttempts.get(), outOfTime.get(), budget.refused());
            BulkheadConfig k = bulkhead.config();
            TourReport.Queueing queueing = new TourReport.Queueing(k.maxConcurrent(), k.maxWait(), waited.get(),
                    Duration.ofNanos(longestWaitNanos.get()), timedOut.get(), queueFull.get(), peakQueue,
                    bulkhead.metrics());
            Map<ServiceException.Kind, Long> failures = new EnumMap<>(ServiceException.Kind.class);
            failedBy.forEach((kind, n) -> failures.put(kind, n.get()));
            TourService.Stats stats = service.stats();
            TourReport.Reload r = reload;
            if (r != null) {
                long shortest = shortestTimeoutBeforeNanos.get();
                r = new TourReport.Reload(r.at(), r.report(), r.maxWaitBefore(), r.maxWaitAfter(), r.samePolicies(),
                        r.limitBefore(), r.limitAfter(), r.inFlightBefore(), r.inFlightAfter(), r.breakerBefore(),
                        r.breakerAfter(), timedOutAfterReload.get(),
                        Duration.ofNanos(shortest == Long.MAX_VALUE ? 0 : shortest),
                        Duration.ofNanos(longestTimeoutAfterNanos.get()));
            }
            TourReport report = new TourReport(end, calls.get(), ok.get(), failed.get(), Map.copyOf(failures),
                    rejectedByOpen.get(), rejectedByHalfOpen.get(), retried, queueing,
                    new TourReport.Timeouts(Duration.ofMillis(ATTEMPT_TIMEOUT_MILLIS), attemptsCut.get(), fellBack.get(),
                            FALLBACK_ANSWER), latencySummary(),
                    issuedWhileDown.get(), attemptsWhileDown.get(), stats.requestsWhileDown(),
                    rejectedWhileDown.get(), rejectedAfterRecovery.get(), Map.copyOf(timeInState), List.copyOf(transitions),
                    List.copyOf(rows), breaker.state(), service.description(), stats, r);
            report.summary().forEach(out);
            metrics.print(out);
            return report;
        }

        TourReport.Latency latencySummary() {
            return new TourReport.Latency(allLatencies.getTotalCount(), percentile(allLatencies, 50),
                    percentile(allLatencies, 90), percentile(allLatencies, 99), Duration.ofNanos(
                            TimeUnit.MICROSECONDS.toNanos(allLatencies.getTotalCount() == 0 ? 0 : allLatencies.getMaxValue())),
                    allOkLatencies.getTotalCount(), percentile(allOkLatencies, 50), percentile(allOkLatencies, 99));
        }
    }

    /** The value at a percentile of a histogram of microseconds; zero for an empty one. */
    private static Duration percentile(Histogram h, double percentile) {
        if (h.getTotalCount() == 0) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(h.getValueAtPercentile(percentile)));
    }

    /**
     * Formats a row of the timeline, as the tour prints it.
     *
     * @param row the row
     * @return the line
     */
    static String format(TourReport.Row row) {
        // Whole seconds as such; a row at a fraction of a second (a short report interval, or the
        // last row, for the calls that ended after the others) with a decimal.
        int decimals = row.at().toMillis() % 1000 == 0 ? 0 : 1;
        return String.format(Locale.ROOT, ROW, seconds(row.at(), decimals), row.phase(), row.calls(), row.ok(), row.failed(),
                row.retried(), row.denied(), row.rejected(), row.timedOut(), row.queueFull(), row.attemptsCut(),
                row.fellBack(), row.queued(), row.limit(),
                millis(row.p50()), millis(row.p99()), row.state(), row.note());
    }

    /**
     * Formats a duration in seconds.
     *
     * @param d        the duration
     * @param decimals the number of decimals
     * @return for example {@code "5.58 s"}
     */
    static String seconds(Duration d, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f s", d.toNanos() / 1e9);
    }

    /**
     * Formats a latency in milliseconds: one decimal below 10 ms, none above.
     *
     * @param d the latency, or null for none
     * @return for example {@code "2.4"} or {@code "412"}, or {@code "-"} for none
     */
    static String millis(Duration d) {
        if (d == null) {
            return "-";
        }
        double ms = d.toNanos() / 1e6;
        return ms < 10 ? String.format(Locale.ROOT, "%.1f", ms) : String.format(Locale.ROOT, "%.0f", ms);
    }
}
