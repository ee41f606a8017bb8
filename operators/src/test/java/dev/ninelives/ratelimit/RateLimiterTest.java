package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimiterTest {

    private final ManualTicker ticker = new ManualTicker();

    private RateLimiterBuilder tenPerSecond() {
        return RateLimiter.builder("rl").limitForPeriod(10).period(Duration.ofSeconds(1)).ticker(ticker);
    }

    private static int grantedNow(RateLimiter rl, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            RateLimiter.Reservation r = rl.tryAcquire();
            if (r.granted() && r.waitNanos() == 0) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aFullBurstThenOnePermitPerInterval() {
        RateLimiter rl = tenPerSecond().burst(3).build();
        assertThat(grantedNow(rl, 10)).isEqualTo(3);
        ticker.advance(Duration.ofMillis(99));
        assertThat(rl.tryAcquire().granted()).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(grantedNow(rl, 5)).isEqualTo(1);
        ticker.advance(Duration.ofSeconds(10));        // idle: the burst is back, never more
        assertThat(rl.metrics().availablePermits()).isEqualTo(3);
        assertThat(grantedNow(rl, 10)).isEqualTo(3);
    }

    @Test
    void exactRateOverManyPeriods() {
        RateLimiter rl = tenPerSecond().burst(1).build();
        int granted = 0;
        for (int ms = 0; ms < 10_000; ms++) {
            granted += grantedNow(rl, 2);
            ticker.advance(Duration.ofMillis(1));
        }
        assertThat(granted).isEqualTo(100);
    }

    @Test
    void theDefaultBurstIsTheLimitPerPeriod() {
        RateLimiter rl = tenPerSecond().build();
        assertThat(rl.config().burst()).isEqualTo(10);
        assertThat(grantedNow(rl, 20)).isEqualTo(10);
        assertThat(rl.metrics().refusedCalls()).isEqualTo(10);
    }

    @Test
    void aRefusalSaysWhenTheNextPermitFrees() {
        RateLimiter rl = tenPerSecond().burst(1).build();
        assertThat(rl.tryAcquire().granted()).isTrue();
        ticker.advance(Duration.ofMillis(30));
        RateLimiter.Reservation refused = rl.tryAcquire();
        assertThat(refused.granted()).isFalse();
        RequestNotPermittedException e = refused.rejection();
        assertThat(e.rateLimiterName()).isEqualTo("rl");
        assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(70));
        assertThat(e.getStackTrace()).isEmpty();
        assertThat(rl.tryAcquire().rejection()).as("shared while the state does not move").isSameAs(e);
        ticker.advance(Duration.ofMillis(70));
        assertThat(e.retryAfter()).isZero();
        assertThat(rl.tryAcquire().granted()).isTrue();
    }

    @Test
    void stackTracesOnRequest() {
        RateLimiter rl = tenPerSecond().burst(1).rejectionStackTraces(true).build();
        rl.tryAcquire();
        RequestNotPermittedException a = rl.tryAcquire().rejection();
        RequestNotPermittedException b = rl.tryAcquire().rejection();
        assertThat(a).isNotSameAs(b);
        assertThat(a.getStackTrace()).isNotEmpty();
    }

    @Test
    void waitersReserveInstantsInArrivalOrder() {
        RateLimiter rl = tenPerSecond().burst(1).maxWait(Duration.ofMillis(350)).build();
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            RateLimiter.Reservation r = rl.tryAcquire();
            waits.add(r.granted() ? r.waitNanos() : -1L);
        }
        assertThat(waits).containsExactly(0L, 100_000_000L, 200_000_000L, 300_000_000L, -1L, -1L);
        assertThat(rl.metrics().waiting()).isEqualTo(3);
        assertThat(rl.metrics().availablePermits()).isZero();
    }

    /** The newest reservation's cancel gives its instant to the next caller. */
    @Test
    void cancellingTheNewestReservationGivesItsPermitBack() {
        RateLimiter rl = tenPerSecond().burst(1).maxWait(Duration.ofMillis(200)).build();
        rl.tryAcquire();
        RateLimiter.Reservation second = rl.tryAcquire();
        assertThat(second.waitNanos()).isEqualTo(100_000_000L);
        assertThat(second.cancel()).isTrue();
        assertThat(second.cancel()).as("once only").isFalse();
        RateLimiter.Reservation next = rl.tryAcquire();
        assertThat(next.waitNanos()).isEqualTo(100_000_000L);
        assertThat(rl.metrics().waiting()).isEqualTo(1);
    }

    /**
     * A cancel in the middle of the queue must not move tat back: the next caller would get the
     * last waiter's instant and two permits would share one slot. Guards against that double spend.
     */
    @Test
    void cancellingAReservationWithLaterOnesForfeitsItsPermit() {
        RateLimiter rl = tenPerSecond().burst(1).maxWait(Duration.ofMillis(500)).build();
        rl.tryAcquire();
        RateLimiter.Reservation second = rl.tryAcquire();
        RateLimiter.Reservation third = rl.tryAcquire();
        assertThat(second.cancel()).isFalse();
        assertThat(third.waitNanos()).isEqualTo(200_000_000L);
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(300_000_000L);
    }

    @Test
    void aRefusalCannotBeCancelled() {
        RateLimiter rl = tenPerSecond().burst(1).build();
        rl.tryAcquire();
        assertThat(rl.tryAcquire().cancel()).isFalse();
    }

    @Test
    void anAdaptiveLimitAppliesToTheReservationsMadeAfterIt() {
        Adaptive<Integer> limit = Adaptive.of(10);
        RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(limit).burst(1).ticker(ticker)
                .maxWait(Duration.ofSeconds(1)).build();
        assertThat(rl.tryAcquire().waitNanos()).isZero();
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(100_000_000L);
        limit.set(2);                                  // one every 500 ms from the newest permit on
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(600_000_000L);
        assertThat(rl.tryAcquire().granted()).as("1.1 s away, past the maximum wait").isFalse();
        assertThat(rl.config().limitForPeriod()).isEqualTo(2);
        assertThatThrownBy(() -> limit.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limitForPeriod of rate limiter 'rl'").hasMessageContaining("but was 0");
        assertThat(limit.get()).isEqualTo(2);
    }

    @Test
    void anAdaptivePeriod() {
        Adaptive<Duration> period = Adaptive.of(Duration.ofSeconds(1));
        RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(10).period(period).burst(1).ticker(ticker)
                .maxWait(Duration.ofSeconds(1)).build();
        rl.tryAcquire();
        period.set(Duration.ofSeconds(2));
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(200_000_000L);
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(400_000_000L);
        assertThatThrownBy(() -> period.set(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("period of rate limiter 'rl' must be positive, but was PT0S");
    }

    @Test
    void badInputNamesTheParameterAndQuotesTheValue() {
        assertThatThrownBy(() -> RateLimiter.builder(" ")).hasMessageContaining("name must not be blank, but was ' '");
        assertThatThrownBy(() -> RateLimiter.builder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        RateLimiterBuilder b = RateLimiter.builder("rl");
        assertThatThrownBy(() -> b.limitForPeriod(0)).hasMessageContaining("limitForPeriod").hasMessageContaining("but was 0");
        assertThatThrownBy(() -> b.burst(-1)).hasMessageContaining("burst").hasMessageContaining("but was -1");
        assertThatThrownBy(() -> b.period(Duration.ZERO)).hasMessageContaining("period must be positive, but was PT0S");
        assertThatThrownBy(() -> b.maxWait(Duration.ofMillis(-1))).hasMessageContaining("maxWait must be zero or positive, but was PT-0.001S");
        assertThatThrownBy(() -> b.ticker(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("ticker");
        assertThatThrownBy(() -> RateLimiter.builder("rl").limitForPeriod(Adaptive.of(-3)).build())
                .hasMessageContaining("limitForPeriod of rate limiter 'rl'").hasMessageContaining("but was -3");
    }

    @Test
    void listenersSeePermitsAndRefusals() {
        RateLimiter rl = tenPerSecond().burst(1).build();
        List<RateLimiterEvent> events = new ArrayList<>();
        rl.onPermitted(events::add);
        rl.onRejected(events::add);
        rl.onPermitted(e -> {
            throw new IllegalStateException("a broken listener is logged, nothing else");
        });
        rl.tryAcquire();
        rl.tryAcquire();
        assertThat(events).extracting(RateLimiterEvent::type)
                .containsExactly(RateLimiterEvent.Type.PERMITTED, RateLimiterEvent.Type.REJECTED);
    }

    /** A permitted listener's fatal error: the permit goes back before the error propagates. */
    @Test
    void aFatalPermittedListenerGivesThePermitBack() {
        RateLimiter rl = tenPerSecond().burst(1).build();
        rl.onPermitted(e -> {
            throw new StackOverflowError("fatal");
        });
        assertThatThrownBy(rl::tryAcquire).isInstanceOf(StackOverflowError.class);
        assertThat(rl.metrics().availablePermits()).isEqualTo(1);
    }

    @Test
    void aTickerAnywhereOnTheLine() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE - 150_000_000L);
        RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(10).burst(1).ticker(now::get).build();
        assertThat(rl.tryAcquire().granted()).isTrue();
        now.addAndGet(100_000_000L);
        assertThat(rl.tryAcquire().granted()).isTrue();
        now.addAndGet(100_000_000L);                   // wraps past Long.MAX_VALUE, as nanoTime may
        assertThat(rl.tryAcquire().granted()).isTrue();
        assertThat(rl.tryAcquire().granted()).isFalse();
    }
}
