package dev.ninelives.site;

import dev.ninelives.site.ScriptedService.Script;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plays the tour's scenario under virtual time with the tour's own metrics hook,
 * {@link Tour#metrics()}, and checks the Prometheus text it prints after the summary: where it
 * goes, that it holds only the {@code ninelives_} families, and that its counts are those of the
 * run's report.
 */
class TourMetersTest {

    final List<String> lines = new ArrayList<>();

    TourReport play(Script script, TourScenario.MetricsHook hook) {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        TourScenario scenario = new TourScenario(script, TourTest.CALL_INTERVAL, Duration.ofSeconds(1), vts, lines::add)
                .withMetrics(hook);
        AtomicReference<TourReport> report = new AtomicReference<>();
        StepVerifier.withVirtualTime(scenario::run, () -> vts, Long.MAX_VALUE)
                .thenAwait(script.length().plusSeconds(1))
                .consumeNextWith(report::set)
                .verifyComplete();
        return report.get();
    }

    /** The printed lines after the last heading of the meters. */
    List<String> meterLines() {
        int heading = lines.lastIndexOf(TourMeters.HEADING);
        assertThat(heading).as("the heading of the meters").isNotNegative();
        return lines.subList(heading + 1, lines.size());
    }

    /** The value of the one printed sample that starts with {@code series} (name and labels). */
    double value(String series) {
        List<String> found = meterLines().stream().filter(l -> l.startsWith("  " + series + " ")).toList();
        assertThat(found).as("the sample %s", series).hasSize(1);
        String line = found.get(0);
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void theStandardTourPrintsItsMetersInPrometheusFormatAfterTheSummary() {
        TourReport r = play(Script.standard(), Tour.metrics());

        int finalState = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("  final state")) {
                finalState = i;
            }
        }
        assertThat(finalState).as("the summary's last line").isPositive();
        assertThat(lines.get(finalState + 1)).isEmpty();
        assertThat(lines.get(finalState + 2)).isEqualTo(TourMeters.HEADING);
        assertThat(meterLines()).isNotEmpty().allSatisfy(line -> assertThat(line)
                .matches("  (# HELP ninelives_|# TYPE ninelives_|ninelives_).*"));

        assertThat(meterLines()).contains(
                "  # TYPE ninelives_breaker_calls_total counter",
                "  ninelives_breaker_state{name=\"inventory\",state=\"closed\"} 1.0",
                "  ninelives_breaker_state{name=\"inventory\",state=\"open\"} 0.0",
                "  ninelives_bulkhead_in_flight{name=\"inventory\"} 0.0",
                "  ninelives_bulkhead_available_permits{name=\"inventory\"} 3.0");

        // The counts are the summary's.
        double notPermitted = value("ninelives_breaker_calls_total{kind=\"none\",name=\"inventory\",outcome=\"not_permitted\"}");
        assertThat(notPermitted).isPositive().isEqualTo(r.rejected());
        assertThat(value("ninelives_breaker_calls_total{kind=\"fast\",name=\"inventory\",outcome=\"success\"}")
                + value("ninelives_breaker_calls_total{kind=\"slow\",name=\"inventory\",outcome=\"success\"}"))
                .as("every call that succeeded, succeeded once").isEqualTo(r.ok());
        assertThat(value("ninelives_bulkhead_rejected_total{name=\"inventory\",reason=\"wait_timed_out\"}"))
                .isPositive().isEqualTo(r.queueing().timedOut());
        assertThat(value("ninelives_bulkhead_rejected_total{name=\"inventory\",reason=\"queue_full\"}"))
                .isEqualTo(r.queueing().queueFull());
        assertThat(value("ninelives_bulkhead_wait_seconds_count{name=\"inventory\"}"))
                .as("every call that got a permit").isEqualTo(r.calls() - r.queueing().timedOut() - r.queueing().queueFull());

        List<String> retryCalls = meterLines().stream().filter(l -> l.startsWith("  ninelives_retry_calls_total{")).toList();
        assertThat(retryCalls).hasSize(4);
        double successAfterRetry = value("ninelives_retry_calls_total{name=\"inventory\",outcome=\"success_after_retry\"}");
        double successWithoutRetry = value("ninelives_retry_calls_total{name=\"inventory\",outcome=\"success_without_retry\"}");
        double failedAfterRetry = value("ninelives_retry_calls_total{name=\"inventory\",outcome=\"failed_after_retry\"}");
        double failedWithoutRetry = value("ninelives_retry_calls_total{name=\"inventory\",outcome=\"failed_without_retry\"}");
        assertThat(successAfterRetry).isPositive().isEqualTo(r.retries().rescued());
        assertThat(successWithoutRetry + successAfterRetry).isEqualTo(r.ok());
        assertThat(failedWithoutRetry + failedAfterRetry).as("failed, refused by the breaker, or cut and answered by the fallback")
                .isEqualTo(r.failed() + r.rejected() + r.timeouts().fellBack());
        assertThat(value("ninelives_retry_retries_total{name=\"inventory\"}")).isEqualTo(r.retries().made());
        assertThat(value("ninelives_retry_budget_refusals_total{name=\"inventory\"}")).isEqualTo(r.retries().denied());
    }

    @Test
    void eachRunIsBoundToARegistryOfItsOwn() {
        TourScenario.MetricsHook hook = Tour.metrics();
        TourReport first = play(TourTest.SHORT, hook);
        TourReport second = play(TourTest.SHORT, hook);
        assertThat(lines.stream().filter(TourMeters.HEADING::equals)).hasSize(2);
        assertThat(second.rejected()).isEqualTo(first.rejected());
        assertThat(value("ninelives_breaker_calls_total{kind=\"none\",name=\"inventory\",outcome=\"not_permitted\"}"))
                .as("the second run's refusals only").isPositive().isEqualTo(second.rejected());
    }

    @Test
    void printsNothingBeforeARunIsBound() {
        new TourMeters().print(lines::add);
        assertThat(lines).isEmpty();
    }

    @Test
    void keepsTheNineLivesFamiliesAndDropsEveryOtherLine() {
        String scrape = String.join("\n",
                "# HELP jvm_threads_live_threads The current number of live threads",
                "# TYPE jvm_threads_live_threads gauge",
                "jvm_threads_live_threads 12.0",
                "# HELP ninelives_retry_retries_total Retries scheduled (each attempt after the first)",
                "# TYPE ninelives_retry_retries_total counter",
                "ninelives_retry_retries_total{name=\"inventory\"} 19.0",
                "",
                "process_uptime_seconds 3.5") + "\n";
        assertThat(TourMeters.ninelivesLines(scrape)).containsExactly(
                "# HELP ninelives_retry_retries_total Retries scheduled (each attempt after the first)",
                "# TYPE ninelives_retry_retries_total counter",
                "ninelives_retry_retries_total{name=\"inventory\"} 19.0");
    }
}
