package dev.ninelives.reactor.tck;

import org.reactivestreams.Subscription;
import org.reactivestreams.tck.TestEnvironment.ManualSubscriber;
import org.reactivestreams.tck.TestEnvironment.ManualSubscriberWithSubscriptionSupport;
import org.testng.annotations.Test;

import java.lang.ref.ReferenceQueue;
import java.util.List;

/**
 * The base of the TCK classes over a Mono: the publisher gives at most one element
 * ({@link #maxElementsFromPublisher()} is 1), so the TCK would skip every test that needs more.
 * Where the rule such a test checks applies to a Mono as well (§1.1 the count asked for, §1.2,
 * §1.3 serial signals, §1.5, §3.2 requests from inside the signals, §3.6 requests after cancel,
 * §3.13 references dropped after cancel, §3.17 demand up to {@code Long.MAX_VALUE}), this class
 * runs it with one element instead; the few that are about a stream of several elements are
 * skipped, each with its reason.
 */
public abstract class MonoVerification extends NineLivesVerification {

    /** A Mono: one element at most. */
    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    /** Not for a Mono: it has one element at most, whose count the one-element test checks. */
    @Override
    @Test
    public void required_createPublisher3MustProduceAStreamOfExactly3Elements() throws Throwable {
        notVerified("a Mono has one element at most; required_createPublisher1MustProduceAStreamOfExactly1Element checks its count");
    }

    /** §1.1 with one element: nothing before a request, the value after it, nothing after the completion. */
    @Override
    @Test
    public void required_spec101_subscriptionRequestMustResultInTheCorrectNumberOfProducedElements() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            try {
                sub.expectNone("a value before the first request: ");
                sub.request(1);
                sub.nextElement("no value after request(1)");
                sub.expectCompletion();
                sub.request(1);
                sub.expectNone("a signal after the value and the completion: ");
            } finally {
                sub.cancel();
            }
        });
    }

    /** §1.2 with one element: asked for ten, the Mono gives its one and completes. */
    @Override
    @Test
    public void required_spec102_maySignalLessThanRequestedAndTerminateSubscription() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(10);
            sub.nextElement();
            sub.expectCompletion();
        });
    }

    /**
     * §1.3 with one element, a hundred calls: the value and the completion never overlap (the
     * SignalCheck records an overlap; the TCK's own test needs ten elements).
     */
    @Override
    @Test
    public void stochastic_spec103_mustSignalOnMethodsSequentially() throws Throwable {
        for (int i = 0; i < 100; i++) {
            activePublisherTest(1, true, pub -> {
                ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
                sub.request(1);
                sub.nextElement();
                sub.expectCompletion();
            });
        }
    }

    /** §1.5 with one element: the value, then the completion, then nothing. */
    @Override
    @Test
    public void required_spec105_mustSignalOnCompleteWhenFiniteStreamTerminates() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.requestNextElement();
            sub.requestEndOfStream();
            sub.expectNone();
        });
    }

    /** Not for a Mono: the ordering of several elements; see {@link #optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals()}. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingOneByOne()
            throws Throwable {
        notVerified("needs five elements, a Mono has one; two calls at once each getting theirs is checked by "
                + "optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals, run as required here");
    }

    /** Not for a Mono: the ordering of several elements. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfront()
            throws Throwable {
        notVerified("needs three elements, a Mono has one; two calls at once each getting theirs is checked by "
                + "optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals, run as required here");
    }

    /** Not for a Mono: the ordering of several elements. */
    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfrontAndCompleteAsExpected()
            throws Throwable {
        notVerified("needs three elements, a Mono has one; two calls at once each getting theirs is checked by "
                + "optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals, run as required here");
    }

    /** §3.2 with one element: three requests inside onSubscribe and one inside onNext, all synchronous. */
    @Override
    @Test
    public void required_spec302_mustAllowSynchronousRequestCallsFromOnNextAndOnSubscribe() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriberWithSubscriptionSupport<Integer> sub = new ManualSubscriberWithSubscriptionSupport<>(env) {
                private Subscription subscription;

                @Override
                public void onSubscribe(Subscription s) {
                    subscription = s;
                    super.onSubscribe(s);
                    s.request(1);
                    s.request(1);
                    s.request(1);
                }

                @Override
                public void onNext(Integer element) {
                    super.onNext(element);
                    subscription.request(1);
                }
            };
            env.subscribe(pub, sub);
            sub.nextElement();
            sub.expectCompletion();
            env.verifyNoAsyncErrors();
        });
    }

    /** Not for a Mono: the recursion §3.3 bounds, onNext → request → onNext, needs a second element. */
    @Override
    @Test
    public void required_spec303_mustNotAllowUnboundedRecursion() throws Throwable {
        notVerified("a Mono has one element, so onNext -> request -> onNext cannot recur; §3.2 (requests from "
                + "inside the signals) is checked with one element");
    }

    /** §3.6 with one element: cancelled before any request, the call sends nothing, however much is asked after. */
    @Override
    @Test
    public void required_spec306_afterSubscriptionIsCancelledRequestMustBeNops() throws Throwable {
        activePublisherTest(1, false, pub -> {
            Subscription[] kept = new Subscription[1];
            ManualSubscriberWithSubscriptionSupport<Integer> sub = new ManualSubscriberWithSubscriptionSupport<>(env) {
                @Override
                public void onSubscribe(Subscription s) {
                    kept[0] = s;
                    super.onSubscribe(s);
                }
            };
            env.subscribe(pub, sub);
            kept[0].cancel();
            kept[0].request(1);
            kept[0].request(1);
            kept[0].request(1);
            sub.expectNone();
            env.verifyNoAsyncErrorsNoDelay();
        });
    }

    /** §3.9 with one element: {@code request(0)} ends the call with {@code IllegalArgumentException}. */
    @Override
    @Test
    public void required_spec309_requestZeroMustSignalIllegalArgumentException() throws Throwable {
        activePublisherTest(1, false, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(0);
            sub.expectError(IllegalArgumentException.class);
        });
    }

    /** §3.9 with one element: a negative request ends the call with {@code IllegalArgumentException}. */
    @Override
    @Test
    public void required_spec309_requestNegativeNumberMustSignalIllegalArgumentException() throws Throwable {
        activePublisherTest(1, false, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(-1);
            sub.expectError(IllegalArgumentException.class);
        });
    }

    /** §3.9 with one element: the error for a negative request names the rule. */
    @Override
    @Test
    public void optional_spec309_requestNegativeNumberMaySignalIllegalArgumentExceptionWithSpecificMessage() throws Throwable {
        activePublisherTest(1, false, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(Long.MIN_VALUE);
            sub.expectErrorWithMessage(IllegalArgumentException.class, List.of("3.9", "negative subscription request"));
        });
    }

    /** Not for a Mono: §3.12 on a stream of twenty; a Mono's form of it is §3.6 above. */
    @Override
    @Test
    public void required_spec312_cancelMustMakeThePublisherToEventuallyStopSignaling() throws Throwable {
        notVerified("needs twenty elements; for a Mono, 'a cancelled call stops signalling' is what "
                + "required_spec306 checks with one: cancel, request, and nothing may come");
    }

    /**
     * §3.13 with one element: a call that gave its value and was cancelled lets go of its
     * subscriber. (A call cancelled while it runs, before anything was asked, is checked by
     * {@link #required_spec313_cancelBeforeAnyRequestMustDropTheSubscriber()}.)
     */
    @Override
    @Test
    public void required_spec313_cancelMustMakeThePublisherEventuallyDropAllReferencesToTheSubscriber() throws Throwable {
        activePublisherTest(1, false, pub -> {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            assertDropped(pub, subscribeAndCancel(pub, queue, 1), queue);
        });
    }

    /** §3.17 with one element: a demand of {@code Long.MAX_VALUE} at once. */
    @Override
    @Test
    public void required_spec317_mustSupportAPendingElementCountUpToLongMaxValue() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(Long.MAX_VALUE);
            sub.nextElement();
            sub.expectCompletion();
            env.verifyNoAsyncErrorsNoDelay();
        });
    }

    /** §3.17 with one element: a demand that adds up to {@code Long.MAX_VALUE}. */
    @Override
    @Test
    public void required_spec317_mustSupportACumulativePendingElementCountUpToLongMaxValue() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(Long.MAX_VALUE / 2);
            sub.request(Long.MAX_VALUE / 2);
            sub.request(1);
            sub.nextElement();
            sub.expectCompletion();
            env.verifyNoAsyncErrorsNoDelay();
        });
    }

    /** §3.17 with one element: a demand that adds up past {@code Long.MAX_VALUE} is not an error. */
    @Override
    @Test
    public void required_spec317_mustNotSignalOnErrorWhenPendingAboveLongMaxValue() throws Throwable {
        activePublisherTest(1, true, pub -> {
            ManualSubscriber<Integer> sub = env.newManualSubscriber(pub);
            sub.request(Long.MAX_VALUE);
            sub.request(Long.MAX_VALUE);
            sub.request(Long.MAX_VALUE - 1);
            sub.nextElement();
            sub.expectCompletion();
            env.verifyNoAsyncErrors();
        });
    }
}
