package dev.ninelives.ratelimit;

import dev.ninelives.core.Adaptive;
import dev.ninelives.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The burst and the maximum wait bound to adaptives, and {@link RateLimiterConfig#toBuilder}. */
class RateLimiterAdaptiveSettingsTest {

    private final ManualTicker ticker = new ManualTicker();

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
    void anAdaptiveBurstKeepsThePermitsSpentAndWidensTheNextIdleSpell() {
        Adaptive<Integer> burst = Adaptive.of(2);
        RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(10).burst(burst).ticker(ticker).build();
        assertThat(grantedNow(rl, 5)).isEqualTo(2);
        burst.set(5);
        assertThat(grantedNow(rl, 5)).as("the permits spent stay spent: nothing new before the next interval").isZero();
        assertThat(rl.config().burst()).isEqualTo(5);
        ticker.advance(Duration.ofSeconds(10));
        assertThat(grantedNow(rl, 10)).as("after an idle spell, the new burst").isEqualTo(5);
        assertThatThrownBy(() -> burst.set(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("burst of rate limiter 'rl' must be between 1 and").hasMessageContaining("but was 0");
        assertThat(burst.get()).isEqualTo(5);
    }

    @Test
    void anAdaptiveMaxWaitAppliesToTheNextCaller() {
        Adaptive<Duration> wait = Adaptive.of(Duration.ZERO);
        RateLimiter rl = RateLimiter.builder("rl").limitForPeriod(10).burst(1).maxWait(wait).ticker(ticker).build();
        assertThat(rl.tryAcquire().granted()).isTrue();
        RateLimiter.Reservation refused = rl.tryAcquire();
        assertThat(refused.granted()).as("no waiting yet").isFalse();
        assertThat(refused.rejection()).hasMessageContaining("within PT0S");
        wait.set(Duration.ofMillis(150));
        assertThat(rl.config().maxWait()).isEqualTo(Duration.ofMillis(150));
        assertThat(rl.tryAcquire().waitNanos()).isEqualTo(100_000_000L);
        RateLimiter.Reservation late = rl.tryAcquire();
        assertThat(late.granted()).as("200 ms away, past the new wait").isFalse();
        assertThat(late.rejection()).hasMessageContaining("within PT0.15S");
        assertThatThrownBy(() -> wait.set(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWait of rate limiter 'rl' must be zero or positive, but was PT-0.001S");
    }

    @Test
    void badAdaptivesFailTheBuildNamingTheSetting() {
        assertThatThrownBy(() -> RateLimiter.builder("rl").burst(Adaptive.of(0)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("burst of rate limiter 'rl'");
        assertThatThrownBy(() -> RateLimiter.builder("rl").maxWait(Adaptive.of(Duration.ofSeconds(-1))).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait of rate limiter 'rl'");
    }

    @Test
    void toBuilderCopiesEverySettingAndKeepsGivenAdaptivesShared() {
        Adaptive<Integer> limit = Adaptive.of(4);
        RateLimiter rl = RateLimiter.builder("a").limitForPeriod(limit).period(Duration.ofSeconds(2)).burst(3)
                .maxWait(Duration.ofMillis(70)).ticker(ticker).rejectionStackTraces(true).build();
        RateLimiterConfig copy = rl.config().toBuilder("b").build().config();
        assertThat(copy.name()).isEqualTo("b");
        assertThat(copy.limitForPeriod()).isEqualTo(4);
        assertThat(copy.period()).isEqualTo(Duration.ofSeconds(2));
        assertThat(copy.burst()).isEqualTo(3);
        assertThat(copy.maxWait()).isEqualTo(Duration.ofMillis(70));
        assertThat(copy.ticker()).isSameAs(ticker);
        assertThat(copy.rejectionStackTraces()).isTrue();
        limit.set(8);
        assertThat(copy.limitForPeriod()).as("a given adaptive stays shared").isEqualTo(8);
        assertThat(rl.config().toBuilder().build().name()).isEqualTo("a");
    }

    @Test
    void toBuilderOfALimitersOwnAdaptivesCopiesTheirValuesAndABurstThatFollowsTheLimitStillFollows() {
        RateLimiter rl = RateLimiter.builder("a").limitForPeriod(6).build();
        RateLimiterBuilder b = rl.config().toBuilder("b");
        RateLimiter other = b.limitForPeriod(9).build();
        assertThat(other.config().burst()).as("no burst set: it follows the limit").isEqualTo(9);
        assertThat(rl.config().limitForPeriod()).as("the copy is not linked").isEqualTo(6);
    }
}
