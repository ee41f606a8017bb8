package dev.ninelives.bulkhead;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BulkheadConfig#toBuilder(String)}: a copy builds a bulkhead equal in every setting; the
 * copy's builder is independent of the original; an adaptive the user gave stays shared, the
 * bulkhead's own adaptive is copied as its current value.
 */
class BulkheadToBuilderTest {

    private static void assertSameSettings(BulkheadConfig copy, BulkheadConfig original) {
        assertThat(copy.maxConcurrent()).isEqualTo(original.maxConcurrent());
        assertThat(copy.maxWait()).isEqualTo(original.maxWait());
        assertThat(copy.maxQueued()).isEqualTo(original.maxQueued());
        assertThat(copy.queueOrder()).isEqualTo(original.queueOrder());
        assertThat(copy.ticker()).isSameAs(original.ticker());
        assertThat(copy.rejectionStackTraces()).isEqualTo(original.rejectionStackTraces());
    }

    @Test
    void aCopyBuildsABulkheadEqualInEverySetting() {
        Bulkhead original = Bulkhead.builder("payments").maxConcurrent(7).maxWait(Duration.ofMillis(30)).maxQueued(12)
                .queueOrder(Bulkhead.QueueOrder.LIFO).ticker(new ManualTicker()).rejectionStackTraces(true).build();
        Bulkhead copy = original.config().toBuilder("reports").build();

        assertThat(copy.name()).isEqualTo("reports");
        assertThat(copy.config().name()).isEqualTo("reports");
        assertSameSettings(copy.config(), original.config());
        assertThat(copy.metrics().availablePermits()).isEqualTo(7);
        assertSameSettings(Bulkhead.ofDefaults("d").config().toBuilder().build().config(), Bulkhead.ofDefaults("e").config());
        assertThat(original.config().toBuilder().build().name()).isEqualTo("payments");
    }

    @Test
    void aQueueLimitWithoutAWaitIsRefusedInTheCopyAsInTheOriginal() {
        Bulkhead original = Bulkhead.builder("q").maxWait(Duration.ofMillis(5)).maxQueued(3).build();
        BulkheadBuilder copy = original.config().toBuilder("r").maxWait(Duration.ZERO);
        assertThatThrownBy(copy::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueued(3)");
    }

    @Test
    void changingTheCopysBuilderNeverChangesTheOriginal() {
        Bulkhead original = Bulkhead.builder("payments").maxConcurrent(7).build();
        original.config().toBuilder("other").maxConcurrent(1).maxWait(Duration.ofSeconds(1)).queueOrder(Bulkhead.QueueOrder.LIFO)
                .build();
        assertThat(original.config().maxConcurrent()).isEqualTo(7);
        assertThat(original.config().maxWait()).isZero();
        assertThat(original.config().queueOrder()).isEqualTo(Bulkhead.QueueOrder.FIFO);
    }

    @Test
    void aLimitBoundToTheUsersAdaptiveStaysSharedAndAFixedOneIsCopiedAsItsValue() {
        Adaptive<Integer> limit = Adaptive.of(4);
        Bulkhead shared = Bulkhead.builder("a").maxConcurrent(limit).maxWait(Duration.ofMillis(10)).build();
        Bulkhead copy = shared.config().toBuilder("b").build();
        limit.set(6);
        assertThat(copy.metrics().maxConcurrent()).isEqualTo(6);
        assertThat(shared.metrics().maxConcurrent()).isEqualTo(6);

        // the wait was fixed: a copy has its own
        assertThat(copy.config().maxWaitSetting()).isNotSameAs(shared.config().maxWaitSetting());

        Bulkhead fixed = Bulkhead.builder("c").maxConcurrent(4).build();
        fixed.changeMaxConcurrent(9);
        BulkheadBuilder builder = fixed.config().toBuilder("d");
        Bulkhead first = builder.build();
        Bulkhead second = builder.build();
        assertThat(first.metrics().maxConcurrent()).isEqualTo(9);
        first.changeMaxConcurrent(2);
        assertThat(second.metrics().maxConcurrent()).isEqualTo(9);
        assertThat(fixed.metrics().maxConcurrent()).isEqualTo(9);
    }
}
