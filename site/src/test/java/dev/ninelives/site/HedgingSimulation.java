package dev.ninelives.site;

import dev.ninelives.hedge.Hedge;
import dev.ninelives.reactor.NineLives;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The hedging page's simulation, deterministic on virtual time: a dependency with a heavy tail
 * (each call takes 400 ms with probability 1/20, 20 ms otherwise, from a seeded random), called
 * every 5 ms, 4,000 calls, without a hedge and with a few. Each figure is the latency a caller
 * sees, from subscription to the answer, and the load: attempts the dependency saw per call.
 */
final class HedgingSimulation {

    static final int CALLS = 4_000;
    static final long SEED = 42;

    /** One scenario's figures. */
    record Figures(String scenario, double p50, double p90, double p99, double p999, double load, long hedges) {
        String row() {
            return String.format(Locale.ROOT, "| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.3f | %d",
                    scenario, p50, p90, p99, p999, load, hedges);
        }
    }

    private HedgingSimulation() {
    }

    static List<Figures> all() {
        return List.of(
                run("no hedge", null),
                run("hedge at p90 (adaptive), budget 10 %", () -> Hedge.builder("p90").delayPercentile(90)
                        .minDelay(Duration.ofMillis(10)).window(200).budget(0.1, 10)
                        .ticker(NineLives.schedulerTicker()).build()),
                run("hedge after 50 ms (fixed), budget 10 %", () -> Hedge.builder("fixed").delay(Duration.ofMillis(50))
                        .budget(0.1, 10).build()),
                run("hedge at p90, budget 2 %", () -> Hedge.builder("tight").delayPercentile(90)
                        .minDelay(Duration.ofMillis(10)).window(200).budget(0.02, 5)
                        .ticker(NineLives.schedulerTicker()).build()));
    }

    static Figures run(String scenario, Supplier<Hedge> hedges) {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        try {
            Hedge hedge = hedges == null ? null : hedges.get();
            Random random = new Random(SEED);
            AtomicInteger attempts = new AtomicInteger();
            Mono<String> dependency = Mono.defer(() -> {
                attempts.incrementAndGet();
                long ms = random.nextInt(20) == 0 ? 400 : 20;
                return Mono.delay(Duration.ofMillis(ms)).thenReturn("answer");
            });
            Mono<String> call = hedge == null ? dependency : dependency.transform(NineLives.hedge(hedge));
            long[] latencies = new long[CALLS];
            AtomicInteger answered = new AtomicInteger();
            for (int i = 0; i < CALLS; i++) {
                int n = i;
                long start = vts.now(TimeUnit.NANOSECONDS);
                call.subscribe(v -> {
                    latencies[n] = vts.now(TimeUnit.NANOSECONDS) - start;
                    answered.incrementAndGet();
                });
                vts.advanceTimeBy(Duration.ofMillis(5));
            }
            vts.advanceTimeBy(Duration.ofSeconds(2));
            if (answered.get() != CALLS) {
                throw new IllegalStateException(scenario + ": " + answered + " of " + CALLS + " calls answered");
            }
            java.util.Arrays.sort(latencies);
            return new Figures(scenario, ms(latencies, 50), ms(latencies, 90), ms(latencies, 99), ms(latencies, 99.9),
                    (double) attempts.get() / CALLS, hedge == null ? 0 : hedge.metrics().hedgesIssued());
        } finally {
            VirtualTimeScheduler.reset();
        }
    }

    /** The nearest-rank percentile, in milliseconds. */
    private static double ms(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    /** A grouped bar chart of the percentiles, one group per percentile, one bar per scenario, as SVG text. */
    static String svg(List<Figures> figures) {
        String[] names = {"p50", "p90", "p99", "p99.9"};
        String[] colors = {"#9e9e9e", "#1f77b4", "#2ca02c", "#ff7f0e"};
        int width = 760;
        int height = 380;
        int left = 60;
        int top = 50;
        int bottom = 300;
        double max = 450;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\" font-family=\"sans-serif\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"").append(left).append("\" y=\"24\" font-size=\"15\" font-weight=\"bold\">")
                .append("Hedging a heavy tail (1 call in 20 takes 400 ms, the others 20 ms): latency seen by callers</text>\n");
        sb.append("<text x=\"").append(left).append("\" y=\"40\" font-size=\"11\">")
                .append("4,000 calls every 5 ms on virtual time, seed 42; milliseconds, lower is better</text>\n");
        for (int ms = 0; ms <= 400; ms += 100) {
            double y = bottom - (bottom - top) * ms / max;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>%n",
                    left, y, width - 20, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%d</text>%n",
                    left - 6, y + 3, ms));
        }
        int groups = names.length;
        double groupWidth = (double) (width - 20 - left) / groups;
        double bar = (groupWidth - 30) / figures.size();
        for (int g = 0; g < groups; g++) {
            double x0 = left + g * groupWidth + 15;
            for (int s = 0; s < figures.size(); s++) {
                Figures f = figures.get(s);
                double v = switch (g) {
                    case 0 -> f.p50();
                    case 1 -> f.p90();
                    case 2 -> f.p99();
                    default -> f.p999();
                };
                double h = (bottom - top) * Math.min(v, max) / max;
                double x = x0 + s * bar;
                sb.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.1f ms</title></rect>%n",
                        x, bottom - h, bar - 2, h, colors[s % colors.length], f.scenario(), names[g], v));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%.0f</text>%n",
                        x + (bar - 2) / 2, bottom - h - 3, v));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>%n",
                    x0 + (groupWidth - 30) / 2, bottom + 16, names[g]));
        }
        for (int s = 0; s < figures.size(); s++) {
            Figures f = figures.get(s);
            int y = bottom + 34 + (s / 2) * 16;
            int x = left + (s % 2) * 340;
            sb.append("<rect x=\"").append(x).append("\" y=\"").append(y - 9).append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(colors[s % colors.length]).append("\"/>\n");
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s (load %.3f)</text>%n",
                    x + 14, y, f.scenario().replace("%", "%"), f.load()));
        }
        return sb.append("</svg>\n").toString();
    }
}
