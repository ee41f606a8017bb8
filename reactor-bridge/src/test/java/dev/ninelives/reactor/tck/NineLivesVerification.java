package dev.ninelives.reactor.tck;

import dev.ninelives.reactor.SignalCheck;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.TestEnvironment.Latch;
import org.reactivestreams.tck.TestEnvironment.ManualSubscriber;
import org.reactivestreams.tck.TestEnvironment.ManualSubscriberWithSubscriptionSupport;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;

import static org.testng.Assert.assertTrue;

/**
 * The base of every Reactive Streams TCK class of this package: the TCK's
 * {@link PublisherVerification} over a NineLives operator, pipeline or composition, as a user
 * subscribes to it ({@code Publisher.subscribe}, which Reactor guards with its own strict
 * subscriber for the rules of §3.9 and §2.12).
 *
 * <p><b>What each test sees.</b> A subclass says how its publisher of {@code n} elements is
 * protected ({@link #protect(long)}) and how its policy refuses a call ({@link #refuse()}, the
 * TCK's failed publisher: onSubscribe then onError). Both are put behind a {@link SignalCheck}:
 * Reactor's strict subscriber at the user's end drops an {@code onNext} that races or follows a
 * terminal signal, so the TCK alone would not see a NineLives operator breaking §1.3 (serial
 * signals), §1.7 (nothing after a terminal signal) or §1.1 (no more elements than requested),
 * while every Reactor operator placed after ours would. The check records such a breach, with
 * the trace of the subscription, into the TCK's environment ({@code flop}), so the test running
 * at that moment fails with it; {@link #noRuleBrokenAfterTheLastTest()} catches a late one.
 *
 * <p><b>Time.</b> The TCK waits on the wall clock: a signal that must come may take
 * {@link #SIGNAL_MILLIS} (generous, so that a loaded machine does not fail the build), and the
 * TCK watches {@link #NO_SIGNAL_MILLIS} for a signal that must not come. Every signal of these
 * publishers that must not come would come at once (they are cold, and nothing in them waits
 * for more than a few milliseconds), so the short watch still catches it.
 *
 * <p><b>Optional and untested rules.</b> Every optional rule of the TCK is one these publishers
 * meet, so its test here fails where the TCK would only skip it (see {@link #required}). The
 * rules the TCK leaves untested are either checked by the SignalCheck on every test or skipped
 * here with the reason.
 */
public abstract class NineLivesVerification extends PublisherVerification<Integer> {

    /** How long a signal that must come may take. */
    static final long SIGNAL_MILLIS = 2_000;
    /** How long the TCK watches for a signal that must not come. */
    static final long NO_SIGNAL_MILLIS = 20;
    /**
     * The TCK's poll for an expected {@code onError} (only the §3.9 tests use it). TCK 1.0.4
     * sleeps one poll before it looks, and gives up after the first poll that finds nothing, so
     * this is also how long that error may take: Reactor's strict subscriber signals it inside
     * the bad {@code request} itself.
     */
    static final long POLL_MILLIS = 20;
    /**
     * How long after a cancel the TCK's §3.13 test waits before it collects the garbage once and
     * expects the subscriber gone (our operators drop their references inside {@code cancel});
     * {@link #assertDropped} collects again every this often, up to {@link #SIGNAL_MILLIS}.
     */
    static final long GC_MILLIS = 30;

    /** The TCK's environment: the timeouts above, and the errors recorded while a test runs. */
    final TestEnvironment env;
    /** Every breach of a rule the SignalCheck behind each publisher saw; each also fails its test. */
    final SignalCheck.Findings findings;

    NineLivesVerification() {
        this(new TestEnvironment(SIGNAL_MILLIS, NO_SIGNAL_MILLIS, POLL_MILLIS));
    }

    private NineLivesVerification(TestEnvironment env) {
        super(env, GC_MILLIS);
        this.env = env;
        this.findings = new SignalCheck.Findings(env::flop);
    }

    /**
     * The publisher under test: exactly {@code elements} elements, then {@code onComplete},
     * through the operators this class covers.
     */
    abstract Publisher<Integer> protect(long elements);

    /**
     * A call the policy under test refuses, or that fails through the operators: the
     * subscriber must get {@code onSubscribe}, then {@code onError}, and nothing else.
     */
    abstract Publisher<Integer> refuse();

    @Override
    public final Publisher<Integer> createPublisher(long elements) {
        return checked(protect(elements), "createPublisher(" + elements + ")");
    }

    @Override
    public final Publisher<Integer> createFailedPublisher() {
        return checked(refuse(), "createFailedPublisher()");
    }

    /**
     * Puts a SignalCheck behind {@code publisher}, named after this class and {@code where}, so
     * that a breach says which publisher broke the rule. A Mono stays a Mono.
     */
    final <T> Publisher<T> checked(Publisher<T> publisher, String where) {
        return SignalCheck.<T>checkpoint(getClass().getSimpleName() + "." + where, findings).apply(publisher);
    }

    /**
     * Fails the class if a SignalCheck recorded any breach: one a test already failed with, or a
     * late one, a signal that came after the test that caused it had ended.
     */
    @AfterClass(alwaysRun = true)
    public void noRuleBrokenAfterTheLastTest() {
        assertTrue(findings.summary().isEmpty(), "rules broken: " + findings.summary() + "\n" + findings.samples());
    }

    /** A TCK test body, run by {@link #required}. */
    interface TckTest {
        void run() throws Throwable;
    }

    /**
     * Runs an optional TCK test as a required one: the TCK turns the failure of an optional rule
     * into a skip, but every publisher here meets these rules, so a skip would hide a failure.
     */
    static void required(TckTest test) throws Throwable {
        try {
            test.run();
        } catch (SkipException skipped) {
            throw new AssertionError("an optional rule every NineLives publisher meets failed (the TCK skips it): "
                    + skipped.getMessage(), skipped);
        }
    }

    // ---------------------------------------------------------------- §3.13 for a call cancelled early

    /**
     * §3.13 for a call cancelled before it asked for anything, which the TCK does not try (it
     * cancels after an element): the call is cancelled while it runs, or, for the classes whose
     * calls wait for a permit or an instant, while it waits, and it must let go of its
     * subscriber. It found the bulkhead's queue keeping a cancelled waiter, and with it the
     * subscriber, until another caller's turn came.
     */
    @Test
    public void required_spec313_cancelBeforeAnyRequestMustDropTheSubscriber() throws Throwable {
        activePublisherTest(1, false, pub -> {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            assertDropped(pub, subscribeAndCancel(pub, queue, 0), queue);
        });
    }

    /**
     * Subscribes a TCK subscriber to {@code pub}, takes {@code elements} elements and cancels;
     * returns the subscriber, referenced only weakly once this returns.
     */
    final Reference<?> subscribeAndCancel(Publisher<Integer> pub, ReferenceQueue<Object> queue, int elements)
            throws InterruptedException {
        ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
        Reference<?> ref = new WeakReference<>(sub, queue);
        if (elements > 0) {
            sub.request(elements);
            sub.nextElements(elements);
        }
        sub.cancel();
        return ref;
    }

    /**
     * Collects the garbage until {@code subscriber} is gone, for up to {@link #SIGNAL_MILLIS}, and
     * records a failure into the environment if it is still there.
     */
    final void assertDropped(Publisher<Integer> pub, Reference<?> subscriber, ReferenceQueue<Object> queue)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SIGNAL_MILLIS);
        Reference<?> collected = null;
        while (collected == null && System.nanoTime() < deadline) {
            System.gc();
            collected = queue.remove(GC_MILLIS);
        }
        if (collected != subscriber) {
            env.flop("the publisher " + pub + " still holds its subscriber " + SIGNAL_MILLIS + " ms after the cancel");
        }
        env.verifyNoAsyncErrorsNoDelay();
    }

    // ---------------------------------------------------------------- optional rules, required here

    /** §1.4: the failed publisher signals {@code onError} (after {@code onSubscribe}), it does not throw. */
    @Override
    @Test
    public void optional_spec104_mustSignalOnErrorWhenFails() throws Throwable {
        required(super::optional_spec104_mustSignalOnErrorWhenFails);
    }

    /** §1.5: an empty call completes once it is asked for an element. */
    @Override
    @Test
    public void optional_spec105_emptyStreamMustTerminateBySignallingOnComplete() throws Throwable {
        required(super::optional_spec105_emptyStreamMustTerminateBySignallingOnComplete);
    }

    /** §1.11: each subscription is a call of its own; two may run at once. */
    @Override
    @Test
    public void optional_spec111_maySupportMultiSubscribe() throws Throwable {
        required(super::optional_spec111_maySupportMultiSubscribe);
    }

    /** §1.11: two subscriptions at once each get their call's elements and completion. */
    @Override
    @Test
    public void optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals() throws Throwable {
        required(super::optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals);
    }

    /** §1.11: three calls of the same cold source, asked one element at a time, give the same elements. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingOneByOne()
            throws Throwable {
        required(super::optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingOneByOne);
    }

    /** §1.11: three calls of the same cold source, asked for all at once, give the same elements. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfront()
            throws Throwable {
        required(super::optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfront);
    }

    /** §1.11: as the test before, and each call completes. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfrontAndCompleteAsExpected()
            throws Throwable {
        required(super::optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfrontAndCompleteAsExpected);
    }

    /** §3.9: the error for a negative request names the rule (Reactor's strict subscriber says "§3.9 violated"). */
    @Override
    @Test
    public void optional_spec309_requestNegativeNumberMaySignalIllegalArgumentExceptionWithSpecificMessage() throws Throwable {
        required(super::optional_spec309_requestNegativeNumberMaySignalIllegalArgumentExceptionWithSpecificMessage);
    }

    // ---------------------------------------------------------------- rules the TCK leaves untested

    /**
     * §1.7 after {@code onError}, which the TCK leaves untested: the failed publisher is asked
     * for more after its error and must stay silent; the SignalCheck behind it would also record
     * any signal after the error.
     */
    @Override
    @Test
    public void untested_spec107_mustNotEmitFurtherSignalsOnceOnErrorHasBeenSignalled() throws Throwable {
        whenHasErrorPublisherTest(pub -> {
            Latch failed = new Latch(env);
            ManualSubscriberWithSubscriptionSupport<Integer> sub = new ManualSubscriberWithSubscriptionSupport<>(env) {
                @Override
                public void onError(Throwable cause) {
                    failed.assertOpen("a second onError: " + cause);
                    failed.close();
                }
            };
            env.subscribe(pub, sub);
            sub.request(1);
            failed.expectClose("the failed publisher's onError");
            sub.request(10);
            sub.expectNone("a signal after onError: ");
            env.verifyNoAsyncErrorsNoDelay();
        });
    }

    /**
     * §1.6: not observable from outside. What it protects against, a signal after the terminal
     * one, is what the SignalCheck behind every publisher records (§1.7) on every test here.
     */
    @Override
    @Test
    public void untested_spec106_mustConsiderSubscriptionCancelledAfterOnErrorOrOnCompleteHasBeenCalled() throws Throwable {
        notVerified("§1.6 is a publisher's inner state; the signals it forbids after a terminal one are "
                + "recorded by the SignalCheck behind every publisher of these tests (§1.7)");
    }

    /**
     * §1.8 is a SHOULD about a race (a terminal signal may still follow a cancel that crossed it);
     * no fixed test can tell a crossing from a late signal.
     */
    @Override
    @Test
    public void untested_spec108_possiblyCanceledSubscriptionShouldNotReceiveOnErrorOrOnCompleteSignals() throws Throwable {
        notVerified("§1.8 is a SHOULD about a cancel crossing a terminal signal, a race no fixed test can tell "
                + "from a late signal; the operators' cancel paths are checked by CancellationStormTest");
    }

    /**
     * §1.9's "subscribe must not throw" holds for every call these tests make: the TCK fails
     * any test whose {@code subscribe} throws, and the failed publishers' refusals are checked
     * to arrive as {@code onError} by {@link #optional_spec104_mustSignalOnErrorWhenFails()}.
     */
    @Override
    @Test
    public void untested_spec109_subscribeShouldNotThrowNonFatalThrowable() throws Throwable {
        notVerified("a subscribe that throws fails whichever test made it; the refusals arriving as onError are "
                + "checked by optional_spec104_mustSignalOnErrorWhenFails, run as required here");
    }

    /**
     * §1.10 does not apply: a NineLives operator treats each subscription as a call of its own,
     * by design, and keeps no registry of subscribers to refuse a second subscription with.
     */
    @Override
    @Test
    public void untested_spec110_rejectASubscriptionRequestIfTheSameSubscriberSubscribesTwice() throws Throwable {
        notVerified("§1.10 does not apply: each subscription is a call of its own, and Reactor's operators, "
                + "ours among them, keep no registry of subscribers");
    }

    /** §3.4 cannot be measured by the TCK; the operators' request paths are one CAS or a plain add. */
    @Override
    @Test
    public void untested_spec304_requestShouldNotPerformHeavyComputations() throws Exception {
        notVerified("§3.4 is not measurable by the TCK: BlockHound checks nothing blocks, the JMH benchmarks "
                + "measure what a request costs");
    }

    /** §3.5 cannot be measured by the TCK; see the JMH benchmarks. */
    @Override
    @Test
    public void untested_spec305_cancelMustNotSynchronouslyPerformHeavyComputation() throws Exception {
        notVerified("§3.5 is not measurable by the TCK: BlockHound checks nothing blocks, the JMH benchmarks "
                + "measure what a cancel costs");
    }
}
