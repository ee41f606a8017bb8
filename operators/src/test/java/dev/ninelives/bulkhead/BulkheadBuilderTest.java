package dev.ninelives.bulkhead;

import dev.ninelives.core.Ticker;
import dev.ninelives.internal.WaitingBulkhead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every builder parameter is checked at the call, with a message that names it and quotes the
 * value; {@code build()} freezes the configuration, so a reused builder never changes a built
 * bulkhead; a refused argument leaves the builder as it was.
 */
class BulkheadBuilderTest {

    private static BulkheadBuilder b() {
        return Bulkhead.builder("b");
    }

    @Test
    void nameIsRequiredAndNotBlank() {
        assertThatThrownBy(() -> Bulkhead.builder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> Bulkhead.builder("  ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name").hasMessageContaining("'  '");
        assertThatThrownBy(() -> Bulkhead.builder("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name").hasMessageContaining("''");
        assertThatThrownBy(() -> Bulkhead.ofDefaults(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> Bulkhead.ofDefaults("\t")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE, BulkheadBuilder.MAX_CONCURRENT + 1, Integer.MAX_VALUE})
    void maxConcurrentRange(int calls) {
        assertThatThrownBy(() -> b().maxConcurrent(calls)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConcurrent").hasMessageContaining("but was " + calls);
    }

    @Test
    void maxConcurrentBounds() {
        assertThat(b().maxConcurrent(1).build().config().maxConcurrent()).isEqualTo(1);
        Bulkhead widest = b().maxConcurrent(BulkheadBuilder.MAX_CONCURRENT).build();
        assertThat(widest.config().maxConcurrent()).isEqualTo(BulkheadBuilder.MAX_CONCURRENT);
        assertThat(widest.metrics().availablePermits()).as("the largest limit fits the signed half word")
                .isEqualTo(BulkheadBuilder.MAX_CONCURRENT);
        assertThat(widest.tryAcquire()).isTrue();
        assertThat(widest.metrics().availablePermits()).isEqualTo(BulkheadBuilder.MAX_CONCURRENT - 1);
        assertThat(widest.metrics().queued()).isZero();
    }

    @Test
    void maxWait() {
        assertThatThrownBy(() -> b().maxWait((Duration) null)).isInstanceOf(NullPointerException.class).hasMessageContaining("maxWait");
        assertThatThrownBy(() -> b().maxWait(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWait").hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> b().maxWait(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.000000001S");
        assertThat(b().maxWait(Duration.ZERO).build().config().maxWait()).isEqualTo(Duration.ZERO);
        Bulkhead waits = b().maxWait(Duration.ofMillis(250)).build();
        assertThat(waits.config().maxWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(((WaitingBulkhead) waits).maxWaitNanos()).isEqualTo(250_000_000L);
        Bulkhead forever = b().maxWait(Duration.ofSeconds(Long.MAX_VALUE)).build();
        assertThat(((WaitingBulkhead) forever).maxWaitNanos()).as("saturates instead of overflowing").isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void maxQueuedRange(int callers) {
        assertThatThrownBy(() -> b().maxQueued(callers)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxQueued").hasMessageContaining("but was " + callers);
    }

    @Test
    void maxQueuedBounds() {
        assertThat(b().maxWait(Duration.ofMillis(1)).maxQueued(1).build().config().maxQueued()).isEqualTo(1);
        assertThat(b().maxWait(Duration.ofMillis(1)).maxQueued(Integer.MAX_VALUE).build().config().maxQueued())
                .isEqualTo(Integer.MAX_VALUE);
    }

    /**
     * A queue limit without a wait: waiting is off, no caller is ever queued, and the setting
     * would silently mean nothing. build() refuses it, naming both settings and quoting the value.
     */
    @Test
    void maxQueuedWithoutMaxWaitIsRefusedAtBuild() {
        BulkheadBuilder builder = b().maxQueued(5);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxQueued(5)").hasMessageContaining("maxWait").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> b().maxWait(Duration.ofSeconds(1)).maxQueued(5).maxWait(Duration.ZERO).build())
                .as("whatever the order of the calls").isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxQueued(5)");
        assertThat(builder.maxWait(Duration.ofMillis(100)).build().config().maxQueued()).as("with a wait it holds").isEqualTo(5);
        assertThat(b().build().config().maxQueued()).as("the default alone needs no wait").isEqualTo(1_000);
    }

    @Test
    void nullsAreNamed() {
        assertThatThrownBy(() -> b().queueOrder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("queueOrder");
        assertThatThrownBy(() -> b().ticker(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("ticker");
        Bulkhead bulkhead = b().build();
        assertThatThrownBy(() -> bulkhead.onPermitted(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
        assertThatThrownBy(() -> bulkhead.onRejected(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
        assertThatThrownBy(() -> bulkhead.onFinished(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("listener");
    }

    @Test
    void aRefusedArgumentLeavesTheBuilderAsItWas() {
        BulkheadBuilder builder = b().maxConcurrent(7).maxWait(Duration.ofSeconds(1)).maxQueued(9)
                .queueOrder(Bulkhead.QueueOrder.LIFO);
        assertThatThrownBy(() -> builder.maxConcurrent(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxWait(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxQueued(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.queueOrder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.ticker(null)).isInstanceOf(NullPointerException.class);
        BulkheadConfig c = builder.build().config();
        assertThat(c.maxConcurrent()).isEqualTo(7);
        assertThat(c.maxWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.maxQueued()).isEqualTo(9);
        assertThat(c.queueOrder()).isEqualTo(Bulkhead.QueueOrder.LIFO);
        assertThat(c.ticker()).isSameAs(Ticker.system());
    }

    @Test
    void defaults() {
        Bulkhead bulkhead = Bulkhead.ofDefaults("d");
        BulkheadConfig c = bulkhead.config();
        assertThat(bulkhead.name()).isEqualTo("d");
        assertThat(c.name()).isEqualTo("d");
        assertThat(c.maxConcurrent()).isEqualTo(25);
        assertThat(c.maxWait()).isEqualTo(Duration.ZERO);
        assertThat(c.maxQueued()).isEqualTo(1_000);
        assertThat(c.queueOrder()).isEqualTo(Bulkhead.QueueOrder.FIFO);
        assertThat(c.ticker()).isSameAs(Ticker.system());
        assertThat(c.rejectionStackTraces()).isFalse();
        assertThat(((WaitingBulkhead) bulkhead).maxWaitNanos()).isZero();
        BulkheadMetrics m = bulkhead.metrics();
        assertThat(m.maxConcurrent()).isEqualTo(25);
        assertThat(m.availablePermits()).isEqualTo(25);
        assertThat(m.inFlight()).isZero();
        assertThat(m.queued()).isZero();
        assertThat(m.rejectedCalls()).isZero();
    }

    @Test
    void configAccessorsReturnWhatWasSet() {
        Ticker ticker = () -> 42L;
        Bulkhead bulkhead = Bulkhead.builder("inventory").maxConcurrent(10).maxWait(Duration.ofMillis(200)).maxQueued(100)
                .queueOrder(Bulkhead.QueueOrder.LIFO).ticker(ticker).rejectionStackTraces(true).build();
        BulkheadConfig c = bulkhead.config();
        assertThat(c.name()).isEqualTo("inventory");
        assertThat(c.maxConcurrent()).isEqualTo(10);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(200));
        assertThat(c.maxQueued()).isEqualTo(100);
        assertThat(c.queueOrder()).isEqualTo(Bulkhead.QueueOrder.LIFO);
        assertThat(c.ticker()).isSameAs(ticker);
        assertThat(c.rejectionStackTraces()).isTrue();
        assertThat(c).isSameAs(bulkhead.config());
        assertThat(c.toString()).contains("inventory").contains("maxConcurrent=10").contains("maxWait=PT0.2S")
                .contains("maxQueued=100").contains("LIFO");
        assertThat(bulkhead.toString()).contains("inventory").contains("maxConcurrent=10").contains("free=10")
                .contains("queued=0");
    }

    @Test
    void aReusedBuilderNeverChangesABuiltBulkhead() {
        Ticker first = () -> 1L;
        BulkheadBuilder builder = b().maxConcurrent(3).maxWait(Duration.ofMillis(5)).maxQueued(4).ticker(first);
        Bulkhead built = builder.build();
        builder.maxConcurrent(30).maxWait(Duration.ofSeconds(5)).maxQueued(40).queueOrder(Bulkhead.QueueOrder.LIFO)
                .ticker(() -> 2L).rejectionStackTraces(true);
        BulkheadConfig c = built.config();
        assertThat(c.maxConcurrent()).isEqualTo(3);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.maxQueued()).isEqualTo(4);
        assertThat(c.queueOrder()).isEqualTo(Bulkhead.QueueOrder.FIFO);
        assertThat(c.ticker()).isSameAs(first);
        assertThat(c.rejectionStackTraces()).isFalse();
        assertThat(built.metrics().maxConcurrent()).isEqualTo(3);
        assertThat(((WaitingBulkhead) built).maxWaitNanos()).isEqualTo(5_000_000L);
        assertThat(built.rejection()).as("still the shared stackless instance").isSameAs(built.rejection());

        Bulkhead second = builder.build();
        assertThat(second).isNotSameAs(built);
        assertThat(second.config().maxConcurrent()).isEqualTo(30);
        assertThat(second.config().queueOrder()).isEqualTo(Bulkhead.QueueOrder.LIFO);
        assertThat(second.metrics().availablePermits()).isEqualTo(30);
    }

    @Test
    void twoBulkheadsFromOneBuilderShareNoPermits() {
        BulkheadBuilder builder = b().maxConcurrent(1);
        Bulkhead one = builder.build();
        Bulkhead two = builder.build();
        assertThat(one.tryAcquire()).isTrue();
        assertThat(two.tryAcquire()).isTrue();
        assertThat(one.tryAcquire()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE, BulkheadBuilder.MAX_CONCURRENT + 1})
    void changeMaxConcurrentIsCheckedAndARefusalChangesNothing(int calls) {
        Bulkhead bulkhead = b().maxConcurrent(4).build();
        assertThat(bulkhead.tryAcquire()).isTrue();
        assertThatThrownBy(() -> bulkhead.changeMaxConcurrent(calls)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConcurrent").hasMessageContaining("but was " + calls);
        BulkheadMetrics m = bulkhead.metrics();
        assertThat(m.maxConcurrent()).isEqualTo(4);
        assertThat(m.availablePermits()).isEqualTo(3);
        assertThat(m.inFlight()).isEqualTo(1);
    }

    /** The limit is an adaptive setting: the config reports the one in force, not the one at build time. */
    @Test
    void changeMaxConcurrentChangesTheLiveLimitAndTheConfigReportsIt() {
        Bulkhead bulkhead = b().maxConcurrent(4).build();
        bulkhead.changeMaxConcurrent(BulkheadBuilder.MAX_CONCURRENT);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(BulkheadBuilder.MAX_CONCURRENT);
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(BulkheadBuilder.MAX_CONCURRENT);
        bulkhead.changeMaxConcurrent(1);
        assertThat(bulkhead.metrics().maxConcurrent()).isEqualTo(1);
        assertThat(bulkhead.metrics().availablePermits()).isEqualTo(1);
        bulkhead.changeMaxConcurrent(1);
        assertThat(bulkhead.metrics().availablePermits()).as("no change, no effect").isEqualTo(1);
        assertThat(bulkhead.config().maxConcurrent()).as("the config reports the limit in force").isEqualTo(1);
        assertThat(bulkhead.config().toString()).contains("maxConcurrent=1");
    }

    /** Guards against the int limit's own adaptive being made once per builder and shared by its bulkheads. */
    @Test
    void aReusedBuilderGivesEachBulkheadItsOwnLimit() {
        BulkheadBuilder builder = b().maxConcurrent(2);
        Bulkhead one = builder.build();
        Bulkhead two = builder.build();
        one.changeMaxConcurrent(5);
        assertThat(one.metrics().maxConcurrent()).isEqualTo(5);
        assertThat(two.metrics().maxConcurrent()).isEqualTo(2);
        assertThat(two.config().maxConcurrent()).isEqualTo(2);
    }
}
