package dev.ninelives.reactor;

import dev.ninelives.breaker.CallNotPermittedException;
import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.bulkhead.BulkheadFullException;
import dev.ninelives.retry.Retry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static dev.ninelives.reactor.BulkheadTestSupport.assertAllPermitsBack;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9: a listener that throws is logged, and the logging call can throw too. Here the
 * library logs to a console handler, as an application does by default, and every call runs on
 * a {@code Schedulers.parallel()} thread, where BlockHound refuses the console's blocking write
 * with an {@code Error} thrown out of {@code Logger.log}. The policy's promise still holds: the
 * call signals exactly what it would with a silent listener (onSubscribe once, then its
 * values and one terminal signal, checked between every two operators by {@link SignalCheck}),
 * and every permit comes back.
 *
 * <p>Guards against the throwing logger escaping {@code Guard.notifyAll} from the middle of a
 * policy call: before the fix, the bulkhead's FINISHED announcement threw out of its release,
 * so its subscriber never passed {@code onComplete} on (the call hung); the retry's
 * announcement threw out of its onError, leaving the call neither retried nor ended; and an
 * operator's subscribe threw after it had signalled onSubscribe, which Reactor answers with a
 * second onSubscribe and a second terminal signal.
 */
class ListenerLoggingTest {

    private static final Duration SAFETY = Duration.ofSeconds(30);   // a hang fails the test instead of the build

    private RefusedConsole console;
    private final SignalCheck.Findings findings = new SignalCheck.Findings();
    private final Map<String, AtomicInteger> heard = new ConcurrentHashMap<>();

    @BeforeEach
    void logToTheConsole() throws Exception {
        console = new RefusedConsole();
    }

    @AfterEach
    void restoreLogging() throws Exception {
        console.close();
    }

    private <E> Consumer<E> throwing(String hook) {
        AtomicInteger n = heard.computeIfAbsent(hook, k -> new AtomicInteger());
        return e -> {
            n.incrementAndGet();
            throw new IllegalStateException("listener bug in " + hook);
        };
    }

    private int heard(String hook) {
        AtomicInteger n = heard.get(hook);
        return n == null ? 0 : n.get();
    }

    private CircuitBreaker breaker() {
        CircuitBreaker b = CircuitBreaker.builder("logged").build();
        b.onStateTransition(throwing("onStateTransition"));
        b.onCallNotPermitted(throwing("onCallNotPermitted"));
        b.onCallRecorded(throwing("onCallRecorded"));
        return b;
    }

    private Retry retry() {
        Retry r = Retry.builder("logged").maxAttempts(2).noBackoff().build();
        r.onRetry(throwing("onRetry"));
        r.onExhausted(throwing("onExhausted"));
        r.onSucceeded(throwing("onSucceeded"));
        r.onFailed(throwing("onFailed"));
        return r;
    }

    private Bulkhead bulkhead(Duration maxWait) {
        Bulkhead b = Bulkhead.builder("logged").maxConcurrent(1).maxWait(maxWait).build();
        b.onPermitted(throwing("onPermitted"));
        b.onRejected(throwing("onRejected"));
        b.onFinished(throwing("onFinished"));
        return b;
    }

    /** breaker, retry and bulkhead as in the issue, with a checker after each, subscribed on a parallel thread. */
    private Flux<Integer> call(Flux<Integer> source, CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        return protect(source, breaker, retry, bulkhead).subscribeOn(Schedulers.parallel());
    }

    /** breaker, retry and bulkhead as in the issue, with a checker after each. */
    private Flux<Integer> protect(Flux<Integer> source, CircuitBreaker breaker, Retry retry, Bulkhead bulkhead) {
        return source
                .transform(NineLives.breaker(breaker))
                .transform(SignalCheck.checkpoint("breaker", findings))
                .transform(NineLives.retry(retry))
                .transform(SignalCheck.checkpoint("retry", findings))
                .transform(NineLives.bulkhead(bulkhead))
                .transform(SignalCheck.checkpoint("bulkhead", findings));
    }

    private void assertCleanSignalsAndLoggingRefused() {
        assertThat(findings.summary()).as("rule breaches").isEmpty();
        assertThat(console.refused).as("the console write was refused at least once: the case under test").hasPositiveValue();
    }

    @Test
    void valuesAndCompletion() {
        CircuitBreaker breaker = breaker();
        Bulkhead bulkhead = bulkhead(Duration.ZERO);
        StepVerifier.create(call(Flux.range(0, 3), breaker, retry(), bulkhead))
                .expectNext(0, 1, 2)
                .expectComplete()
                .verify(SAFETY);
        assertCleanSignalsAndLoggingRefused();
        assertThat(heard("onPermitted")).isEqualTo(1);
        assertThat(heard("onCallRecorded")).isEqualTo(1);
        assertThat(heard("onSucceeded")).isEqualTo(1);
        assertThat(heard("onFinished")).isEqualTo(1);
        assertAllPermitsBack(bulkhead);
    }

    @Test
    void anErrorRetriedThenExhausted() {
        Bulkhead bulkhead = bulkhead(Duration.ZERO);
        StepVerifier.create(call(Flux.error(new IOException("down")), breaker(), retry(), bulkhead))
                .expectError(IOException.class)
                .verify(SAFETY);
        assertCleanSignalsAndLoggingRefused();
        assertThat(heard("onCallRecorded")).isEqualTo(2);
        assertThat(heard("onRetry")).isEqualTo(1);
        assertThat(heard("onExhausted")).isEqualTo(1);
        assertThat(heard("onFinished")).isEqualTo(1);
        assertAllPermitsBack(bulkhead);
    }

    @Test
    void aBreakerRefusal() {
        CircuitBreaker breaker = breaker();
        breaker.transitionTo(CircuitBreaker.State.FORCED_OPEN);   // on this thread: its announcement logs fine
        Bulkhead bulkhead = bulkhead(Duration.ZERO);
        StepVerifier.create(call(Flux.range(0, 3), breaker, retry(), bulkhead))
                .expectError(CallNotPermittedException.class)
                .verify(SAFETY);
        assertCleanSignalsAndLoggingRefused();
        assertThat(heard("onCallNotPermitted")).isEqualTo(1);
        assertThat(heard("onFailed")).isEqualTo(1);
        assertAllPermitsBack(bulkhead);
    }

    @Test
    void aBulkheadRefusal() {
        Bulkhead bulkhead = bulkhead(Duration.ZERO);
        Sinks.Empty<Void> held = Sinks.empty();
        held.asMono().cast(Integer.class).flux().transform(NineLives.bulkhead(bulkhead)).subscribe();   // takes the only permit
        StepVerifier.create(call(Flux.range(0, 3), breaker(), retry(), bulkhead))
                .expectError(BulkheadFullException.class)
                .verify(SAFETY);
        held.tryEmitEmpty();
        assertCleanSignalsAndLoggingRefused();
        assertThat(heard("onRejected")).isEqualTo(1);
        assertAllPermitsBack(bulkhead);
    }

    /**
     * The waiting path: the call queues on this thread, and is granted, and runs, on the
     * parallel thread where the holder of the permit ends.
     */
    @Test
    void aWaiterGrantedOnAParallelThread() {
        Bulkhead bulkhead = bulkhead(Duration.ofMinutes(1));
        Sinks.Empty<Void> held = Sinks.empty();
        held.asMono().cast(Integer.class).flux().transform(NineLives.bulkhead(bulkhead)).subscribe();   // takes the only permit
        StepVerifier.create(protect(Flux.range(0, 3), breaker(), retry(), bulkhead))
                .expectSubscription()
                .then(() -> assertThat(bulkhead.metrics().queued()).isEqualTo(1))
                .then(() -> Schedulers.parallel().schedule(held::tryEmitEmpty))   // the holder ends on a parallel thread
                .expectNext(0, 1, 2)
                .expectComplete()
                .verify(SAFETY);
        assertCleanSignalsAndLoggingRefused();
        assertThat(heard("onPermitted")).as("the holder's and the waiter's").isEqualTo(2);
        assertThat(heard("onFinished")).isEqualTo(2);
        assertAllPermitsBack(bulkhead);
    }
}
