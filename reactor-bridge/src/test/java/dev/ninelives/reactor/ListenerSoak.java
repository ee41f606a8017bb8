package dev.ninelives.reactor;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.breaker.CircuitBreaker.State;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadMetrics;
import dev.ninelives.retry.Retry;
import dev.ninelives.retry.RetryBudget;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/*
 * The soak of issue 9: breaker -> retry -> bulkhead on Flux calls (and a quarter of Mono
 * calls), every listener of every policy throwing a
 * RuntimeException on every call, with manual breaker transitions and bulkhead resizes racing
 * the calls, random cancels and take(Duration) downstream, on real threads.
 *
 * Each call is
 *   source -> [source] -> breaker -> [breaker] -> retry -> [retry] -> bulkhead -> [bulkhead]
 *          -> take(Duration) (most calls) -> [take] -> caller
 * where each [name] is a SignalCheck recording the rule breaches of what `name` emitted, so a
 * breach is pinned on the operator that made it. The caller requests everything or one at a
 * time, and may cancel inside onSubscribe, at its first element, or from another thread.
 *
 * It is a stress run, not a timing assertion: real schedulers, real (short) durations. It ends
 * with accounting: every call ended exactly once downstream, the bulkhead has every permit back
 * and nobody queued, a HALF_OPEN breaker has exactly its unrecorded trial slots free, and every
 * bulkhead permit announced as permitted was announced as finished.
 */
final class ListenerSoak {

    /** How long the driver waits for one free call slot before declaring the calls in flight hung. */
    private static final Duration HANG = Duration.ofSeconds(30);

    /** What to run. */
    record Settings(int calls, int inFlight, int drivers, long seed, boolean chaos, LogTo log, boolean throwingListeners) {
        static Settings smoke() {
            return new Settings(3_000, 64, 2, 9L, true, LogTo.MEMORY, true);
        }
    }

    /** Where the library's log records go during the run. */
    enum LogTo {
        /** formatted, then only counted: no I/O */
        MEMORY,
        /**
         * written to a file (the null device), as a console or file handler does: a blocking
         * write, which BlockHound refuses on a non-blocking thread with an Error thrown out of
         * the logging call
         */
        FILE,
        /** left as configured (the console) */
        AS_IS
    }

    /** What a run found. */
    static final class Result {
        final SignalCheck.Findings findings = new SignalCheck.Findings();
        final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        final Map<String, LongAdder> listenerCalls = new ConcurrentHashMap<>();
        final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();
        final List<String> accounting = new ArrayList<>();
        final Set<Caller> live = ConcurrentHashMap.newKeySet();
        final LongAdder logged = new LongAdder();
        int hung;
        long millis;

        /**
         * The breaches in what our operators emitted. Those downstream of take(Duration) are
         * Reactor's own (see ReactorTakeRaceTest), and only reported.
         */
        Map<String, Long> ourBreaches() {
            return findings.breachesAt("source", "breaker", "retry", "bulkhead");
        }

        void count(Map<String, LongAdder> m, String key) {
            m.computeIfAbsent(key, k -> new LongAdder()).increment();
        }

        long sum(Map<String, LongAdder> m, String key) {
            LongAdder a = m.get(key);
            return a == null ? 0 : a.sum();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            b.append("soak: ").append(sumAll(outcomes)).append(" calls in ").append(millis).append(" ms, hung ").append(hung).append('\n');
            b.append("  outcomes: ").append(sorted(outcomes)).append('\n');
            b.append("  listener calls (each threw): ").append(sorted(listenerCalls)).append('\n');
            b.append("  log lines: ").append(logged.sum()).append('\n');
            b.append("  dropped / handled by Reactor hooks: ").append(sorted(dropped)).append('\n');
            b.append("  accounting problems: ").append(accounting).append('\n');
            b.append("  rule breaches: ").append(findings.summary()).append('\n');
            b.append("  tolerated: ").append(sorted(findings.notes)).append('\n');
            for (String s : findings.samples()) {
                b.append("    ").append(s).append('\n');
            }
            int shown = 0;
            for (Caller c : live) {
                if (shown++ == 10) {
                    break;
                }
                b.append("  without an ending: ").append(c.report()).append('\n');
            }
            return b.toString();
        }

        private static long sumAll(Map<String, LongAdder> m) {
            return m.values().stream().mapToLong(LongAdder::sum).sum();
        }

        private static Map<String, Long> sorted(Map<String, LongAdder> m) {
            Map<String, Long> s = new TreeMap<>();
            m.forEach((k, v) -> s.put(k, v.sum()));
            return s;
        }
    }

    private ListenerSoak() {
    }

    static Result run(Settings settings) throws Exception {
        Result result = new Result();
        Scheduler scheduler = Schedulers.newParallel("soak", 2);   // non-blocking threads, as Schedulers.parallel()
        AutoCloseable log = settings.log() == LogTo.AS_IS ? () -> { } : redirectLog(settings.log(), result.logged);
        Hooks.onErrorDropped(e -> result.count(result.dropped, "onErrorDropped " + e.getClass().getSimpleName()));
        Hooks.onNextDropped(v -> result.count(result.dropped, "onNextDropped"));
        Schedulers.onHandleError("soak", (t, e) -> result.count(result.dropped, "onHandleError " + e.getClass().getSimpleName()));
        try {
            CircuitBreaker breaker = CircuitBreaker.builder("soak")
                    .slidingWindow(20)
                    .minimumNumberOfCalls(10)
                    .failureRateThreshold(50)
                    .openDuration(Duration.ofMillis(1))
                    .permittedCallsInHalfOpen(3)
                    .build();
            Retry retry = Retry.builder("soak")
                    .maxAttempts(3)
                    .backoff((attempt, e) -> e.getMessage().startsWith("now") ? Duration.ZERO : Duration.ofNanos(50_000))
                    .budget(RetryBudget.builder().ratio(0.1).minRetriesPerSecond(1).capacity(5).build())
                    .build();
            Bulkhead bulkhead = Bulkhead.builder("soak")
                    .maxConcurrent(4)
                    .maxWait(Duration.ofMillis(2))
                    .maxQueued(32)
                    .build();
            if (settings.throwingListeners()) {
                throwingListeners(breaker, retry, bulkhead, result);
            }

            Semaphore slots = new Semaphore(settings.inFlight());
            AtomicInteger next = new AtomicInteger();
            AtomicReference<Throwable> driverFailure = new AtomicReference<>();
            List<Thread> drivers = new ArrayList<>();
            for (int d = 0; d < settings.drivers(); d++) {
                SplittableRandom random = new SplittableRandom(settings.seed() * 31 + d);
                Thread t = new Thread(() -> {
                    try {
                        for (int i; (i = next.getAndIncrement()) < settings.calls(); ) {
                            if (!slots.tryAcquire(HANG.toMillis(), TimeUnit.MILLISECONDS)) {
                                throw new AssertionError("no call slot came back within " + HANG + ": calls hung");
                            }
                            call(i, random, breaker, retry, bulkhead, scheduler, result, slots::release);
                            if (settings.chaos() && i % 16 == 0 && i < settings.calls() * 9L / 10) {
                                chaos(random, breaker, bulkhead);
                            }
                        }
                    } catch (Throwable e) {
                        driverFailure.compareAndSet(null, e);
                    }
                }, "soak-driver-" + d);
                drivers.add(t);
            }
            long start = System.nanoTime();
            drivers.forEach(Thread::start);
            for (Thread t : drivers) {
                t.join();
            }
            if (driverFailure.get() != null) {
                throw new AssertionError("a driver failed; " + result, driverFailure.get());
            }
            if (!slots.tryAcquire(settings.inFlight(), HANG.toMillis(), TimeUnit.MILLISECONDS)) {
                result.hung = result.live.size();
            }
            // every call has ended downstream; let the stragglers (timers, cancelled attempts) finish
            scheduler.disposeGracefully().block(HANG);
            result.millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            account(breaker, bulkhead, result);
        } finally {
            scheduler.dispose();
            Hooks.resetOnErrorDropped();
            Hooks.resetOnNextDropped();
            Schedulers.resetOnHandleError();
            log.close();
        }
        return result;
    }

    private static void throwingListeners(CircuitBreaker breaker, Retry retry, Bulkhead bulkhead, Result result) {
        breaker.onStateTransition(throwing("breaker.onStateTransition", result));
        breaker.onCallNotPermitted(throwing("breaker.onCallNotPermitted", result));
        breaker.onCallRecorded(throwing("breaker.onCallRecorded", result));
        retry.onRetry(throwing("retry.onRetry", result));
        retry.onExhausted(throwing("retry.onExhausted", result));
        retry.onBudgetRefused(throwing("retry.onBudgetRefused", result));
        retry.onSucceeded(throwing("retry.onSucceeded", result));
        retry.onFailed(throwing("retry.onFailed", result));
        bulkhead.onPermitted(throwing("bulkhead.onPermitted", result));
        bulkhead.onRejected(throwing("bulkhead.onRejected", result));
        bulkhead.onFinished(throwing("bulkhead.onFinished", result));
    }

    private static <E> Consumer<E> throwing(String hook, Result result) {
        LongAdder calls = result.listenerCalls.computeIfAbsent(hook, k -> new LongAdder());
        return e -> {
            calls.increment();
            throw new IllegalStateException("listener bug in " + hook);
        };
    }

    private static void chaos(SplittableRandom random, CircuitBreaker breaker, Bulkhead bulkhead) {
        int r = random.nextInt(100);
        State[] states = State.values();
        if (r < 50) {
            State s = r < 45 ? states[random.nextInt(3)] : states[3 + random.nextInt(states.length - 3)];
            breaker.transitionTo(s);
        } else {
            bulkhead.changeMaxConcurrent(1 + random.nextInt(6));
        }
    }

    /** One call, a Flux or (one in four) a Mono: a random source through the three operators and the checkpoints, to a random caller. */
    private static void call(int i, SplittableRandom random, CircuitBreaker breaker, Retry retry, Bulkhead bulkhead,
                             Scheduler scheduler, Result result, Runnable done) {
        SignalCheck.Findings f = result.findings;
        StringBuilder what = new StringBuilder("call ").append(i);
        boolean mono = random.nextInt(4) == 0;
        Publisher<Integer> call;
        if (mono) {
            call = monoSource(random, scheduler, what)
                    .transform(SignalCheck.checkpoint("source", f))
                    .transform(NineLives.breaker(breaker))
                    .transform(SignalCheck.checkpoint("breaker", f))
                    .transform(NineLives.retry(retry, scheduler))
                    .transform(SignalCheck.checkpoint("retry", f))
                    .transform(NineLives.bulkhead(bulkhead, scheduler))
                    .transform(SignalCheck.checkpoint("bulkhead", f));
        } else {
            call = source(random, scheduler, what)
                    .transform(SignalCheck.checkpoint("source", f))
                    .transform(NineLives.breaker(breaker))
                    .transform(SignalCheck.checkpoint("breaker", f))
                    .transform(NineLives.retry(retry, scheduler))
                    .transform(SignalCheck.checkpoint("retry", f))
                    .transform(NineLives.bulkhead(bulkhead, scheduler))
                    .transform(SignalCheck.checkpoint("bulkhead", f));
        }
        boolean never = what.indexOf("never") >= 0;
        boolean took = random.nextInt(10) < 8;
        if (took) {
            long take = 1_000 + random.nextInt(2_000_000);
            what.append(", take ").append(take).append(" ns");
            call = mono
                    ? ((Mono<Integer>) call).take(Duration.ofNanos(take), scheduler).transform(SignalCheck.checkpoint("take", f))
                    : ((Flux<Integer>) call).take(Duration.ofNanos(take), scheduler).transform(SignalCheck.checkpoint("take", f));
        }
        int cancel = random.nextInt(8);
        if (!took && never && cancel != Caller.CANCEL_IN_ON_SUBSCRIBE) {
            cancel = Caller.CANCEL_FROM_AWAY;             // a call that nothing would ever end
        }
        Caller caller = new Caller(cancel, random.nextBoolean(), result, done);
        what.append(", ").append(caller.oneByOne ? "request(1) each" : "unbounded").append(", cancel ")
                .append(caller.cancelMode > Caller.CANCEL_FROM_AWAY ? "never" : Caller.CANCELS[caller.cancelMode]);
        caller.description = what.toString();
        result.live.add(caller);
        call.subscribe(caller);
        if (caller.cancelMode == Caller.CANCEL_FROM_AWAY) {
            scheduler.schedule(caller::cancelFromAway, random.nextInt(300), TimeUnit.MICROSECONDS);
        }
    }

    private static final String[] KINDS = {"range", "error", "range+error", "flaky once", "empty", "never", "flaky twice"};
    private static final String[] MONO_KINDS = {"just", "error", "flaky once", "empty", "never"};
    private static final String[] THREADS = {"sync", "subscribeOn", "publishOn"};

    private static Flux<Integer> source(SplittableRandom random, Scheduler scheduler, StringBuilder what) {
        int n = 1 + random.nextInt(4);
        int kind = random.nextInt(7);
        boolean now = random.nextBoolean();
        int thread = random.nextInt(3);
        what.append(": Flux ").append(KINDS[kind]).append(" n=").append(n).append(' ').append(THREADS[thread])
                .append(now ? " retry now" : " retry later");
        AtomicInteger attempts = new AtomicInteger();
        Flux<Integer> f = Flux.defer(() -> {
            int attempt = attempts.incrementAndGet();
            switch (kind) {
                case 0:
                    return Flux.range(0, n);
                case 1:
                    return Flux.error(new IOException((now ? "now" : "later") + ": down"));
                case 2:
                    return Flux.range(0, n).concatWith(Flux.error(new IOException((now ? "now" : "later") + ": broke")));
                case 3:
                    return attempt < 2 ? Flux.error(new IOException((now ? "now" : "later") + ": flaky")) : Flux.range(0, n);
                case 4:
                    return Flux.empty();
                case 5:
                    return Flux.never();
                default:
                    return attempt < 3 ? Flux.error(new IOException((now ? "now" : "later") + ": flaky")) : Flux.range(0, n);
            }
        });
        switch (thread) {
            case 0:
                return f;
            case 1:
                return f.subscribeOn(scheduler);
            default:
                return f.publishOn(scheduler);
        }
    }

    private static Mono<Integer> monoSource(SplittableRandom random, Scheduler scheduler, StringBuilder what) {
        int kind = random.nextInt(5);
        boolean now = random.nextBoolean();
        int thread = random.nextInt(3);
        what.append(": Mono ").append(MONO_KINDS[kind]).append(' ').append(THREADS[thread])
                .append(now ? " retry now" : " retry later");
        AtomicInteger attempts = new AtomicInteger();
        Mono<Integer> m = Mono.defer(() -> {
            int attempt = attempts.incrementAndGet();
            switch (kind) {
                case 0:
                    return Mono.just(attempt);
                case 1:
                    return Mono.error(new IOException((now ? "now" : "later") + ": down"));
                case 2:
                    return attempt < 2 ? Mono.error(new IOException((now ? "now" : "later") + ": flaky")) : Mono.just(attempt);
                case 3:
                    return Mono.empty();
                default:
                    return Mono.never();
            }
        });
        switch (thread) {
            case 0:
                return m;
            case 1:
                return m.subscribeOn(scheduler);
            default:
                return m.publishOn(scheduler);
        }
    }

    /** The caller at the end of a call: its demand and its cancel are drawn per call. */
    static final class Caller implements CoreSubscriber<Integer> {
        static final int CANCEL_IN_ON_SUBSCRIBE = 0;
        static final int CANCEL_AT_FIRST = 1;
        static final int CANCEL_FROM_AWAY = 2;
        static final String[] CANCELS = {"in onSubscribe", "at first element", "from another thread"};

        final int cancelMode;                 // 0..2 as above; anything else never cancels
        final boolean oneByOne;
        final Result result;
        final Runnable done;
        final AtomicInteger ended = new AtomicInteger();
        final Queue<SignalCheck<?>> checks = new ConcurrentLinkedQueue<>();
        final Context context = Context.of(SignalCheck.CALL, checks);
        String description;
        volatile Subscription s;
        volatile boolean cancelWanted;

        Caller(int cancelMode, boolean oneByOne, Result result, Runnable done) {
            this.cancelMode = cancelMode;
            this.oneByOne = oneByOne;
            this.result = result;
            this.done = done;
        }

        private void end(String how) {
            if (ended.getAndIncrement() == 0) {
                result.count(result.outcomes, how);
                result.live.remove(this);
                done.run();
            }
        }

        @Override
        public void onSubscribe(Subscription s) {
            this.s = s;
            if (cancelMode == CANCEL_IN_ON_SUBSCRIBE || cancelWanted) {
                s.cancel();
                end("cancelled");
                return;
            }
            s.request(oneByOne ? 1 : Long.MAX_VALUE);
        }

        @Override
        public void onNext(Integer v) {
            if (cancelMode == CANCEL_AT_FIRST) {
                s.cancel();
                end("cancelled");
                return;
            }
            if (oneByOne) {
                s.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            end("error " + t.getClass().getSimpleName());
        }

        @Override
        public void onComplete() {
            end("complete");
        }

        @Override
        public Context currentContext() {
            return context;
        }

        /** The call and what each of its checkpoints saw. */
        String report() {
            StringBuilder b = new StringBuilder(description);
            for (SignalCheck<?> c : checks) {
                b.append("\n      ").append(c.checkpoint).append(": ").append(c.trace());
            }
            return b.toString();
        }

        void cancelFromAway() {
            cancelWanted = true;              // if onSubscribe has not come yet, it cancels (it reads this after writing s)
            Subscription a = s;
            if (a != null) {
                a.cancel();
                end("cancelled");
            }
        }
    }

    // ---------------------------------------------------------------- accounting

    private static void account(CircuitBreaker breaker, Bulkhead bulkhead, Result result) {
        BulkheadMetrics m = bulkhead.metrics();
        if (m.inFlight() != 0 || m.queued() != 0 || m.availablePermits() != m.maxConcurrent()) {
            result.accounting.add("bulkhead not idle: " + m);
        }
        if (!result.listenerCalls.isEmpty()) {
            long permitted = result.sum(result.listenerCalls, "bulkhead.onPermitted");
            long finished = result.sum(result.listenerCalls, "bulkhead.onFinished");
            if (permitted != finished) {
                result.accounting.add("bulkhead permitted " + permitted + " calls but finished " + finished);
            }
            long rejected = result.sum(result.listenerCalls, "bulkhead.onRejected");
            if (rejected != m.rejectedCalls()) {
                result.accounting.add("bulkhead announced " + rejected + " rejections, counted " + m.rejectedCalls());
            }
        }
        if (breaker.state() == State.HALF_OPEN) {
            int recorded = breaker.metrics().calls();
            int free = freeTrialSlots(breaker);
            if (free != breaker.config().permittedCallsInHalfOpen() - recorded) {
                result.accounting.add("HALF_OPEN breaker: " + free + " free trial slots with " + recorded + " recorded");
            }
        }
    }

    private static int freeTrialSlots(CircuitBreaker b) {
        List<Long> permits = new ArrayList<>();
        for (long p; (p = b.tryAcquire()) >= 0; ) {
            permits.add(p);
        }
        permits.forEach(b::release);
        return permits.size();
    }

    // ---------------------------------------------------------------- logging

    /**
     * Sends what the library logs (a line and a stack trace per throwing listener) somewhere
     * other than the console: the soak makes millions of records. They are still formatted,
     * stack traces and all. Reached by reflection: the test sources compile inside the module,
     * which does not read java.logging.
     */
    private static AutoCloseable redirectLog(LogTo to, LongAdder lines) throws Exception {
        Class<?> loggerType = Class.forName("java.util.logging.Logger");
        Class<?> handlerType = Class.forName("java.util.logging.Handler");
        Class<?> formatterType = Class.forName("java.util.logging.Formatter");
        Object formatter = Class.forName("java.util.logging.SimpleFormatter").getConstructor().newInstance();
        Object logger = loggerType.getMethod("getLogger", String.class).invoke(null, "dev.ninelives");
        OutputStream out = to == LogTo.FILE ? new java.io.FileOutputStream(nullDevice()) : new OutputStream() {
            @Override
            public void write(int b) {
                if (b == '\n') {
                    lines.increment();
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }
        };
        Object handler = Class.forName("java.util.logging.StreamHandler")
                .getConstructor(OutputStream.class, formatterType).newInstance(out, formatter);
        boolean parents = (boolean) loggerType.getMethod("getUseParentHandlers").invoke(logger);
        loggerType.getMethod("addHandler", handlerType).invoke(logger, handler);
        loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, false);
        return () -> {
            loggerType.getMethod("removeHandler", handlerType).invoke(logger, handler);
            loggerType.getMethod("setUseParentHandlers", boolean.class).invoke(logger, parents);
            out.close();
        };
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
