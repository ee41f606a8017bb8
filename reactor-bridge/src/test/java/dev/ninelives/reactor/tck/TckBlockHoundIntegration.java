package dev.ninelives.reactor.tck;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets the TCK's own test subscribers take their locks on a non-blocking thread. The TCK's
 * {@code ManualSubscriber} hands each signal to the test thread through an
 * {@code ArrayBlockingQueue}: {@code add} takes the queue's lock, and parks for a moment when the
 * test thread holds it (in {@code poll}). BlockHound, installed for the whole test run, would
 * report that park as a blocking call whenever a publisher under test signals from a
 * {@code Schedulers.parallel()} thread (a {@code publishOn}, a retry's delay, a hedge, a call
 * that waited for its permit), and fail the TCK at random. Only those three TCK methods are
 * allowed; a blocking call in our operators, or anywhere else on such a thread, is still
 * caught. Loaded by BlockHound through {@code META-INF/services}.
 */
public final class TckBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("org.reactivestreams.tck.TestEnvironment$Receptacle", "add")
                .allowBlockingCallsInside("org.reactivestreams.tck.TestEnvironment$Receptacle", "complete")
                .allowBlockingCallsInside("org.reactivestreams.tck.TestEnvironment$Promise", "complete");
    }
}
