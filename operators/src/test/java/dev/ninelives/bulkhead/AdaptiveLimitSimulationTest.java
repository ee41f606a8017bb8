package dev.ninelives.bulkhead;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive limit against a dependency that queues beyond its capacity C (see
 * {@link LimitSimulation}), on the simulation's own clock: from far above and far below C the
 * limit settles within 20 % of C, follows C when it halves and when it comes back, and beats a
 * fixed limit that is too high (p99) or too low (throughput) in the same simulation.
 */
class AdaptiveLimitSimulationTest {

    static final Duration SERVICE = Duration.ofMillis(10);
    static final Duration PHASE = Duration.ofSeconds(20);
    static final int CLIENTS = 1_000;

    static AdaptiveLimit aimd() {
        return AdaptiveLimit.aimd().minLimit(5).maxLimit(800).latencyThreshold(SERVICE.multipliedBy(11).dividedBy(10));
    }

    static AdaptiveLimit gradient() {
        return AdaptiveLimit.gradient().minLimit(5).maxLimit(800);
    }

    static List<LimitSimulation.Phase> simulate(AdaptiveLimit limit, int initial, int... capacities) {
        LimitSimulation sim = new LimitSimulation(SERVICE, CLIENTS);
        Bulkhead b = Bulkhead.builder("sim").ticker(sim::ticker).adaptiveLimit(limit.initialLimit(initial)).build();
        return sim.run(b, PHASE, capacities);
    }

    static List<LimitSimulation.Phase> simulateFixed(int limit, int... capacities) {
        LimitSimulation sim = new LimitSimulation(SERVICE, CLIENTS);
        Bulkhead b = Bulkhead.builder("sim").ticker(sim::ticker).maxConcurrent(limit).build();
        return sim.run(b, PHASE, capacities);
    }

    static void assertSettled(LimitSimulation.Phase p) {
        assertThat(p.meanLimit()).as("mean limit of %s", p).isBetween(0.8 * p.capacity(), 1.2 * p.capacity());
    }

    @Test
    void aimdSettlesNearTheCapacityFromFarBelowAndFollowsItDownAndUp() {
        List<LimitSimulation.Phase> phases = simulate(aimd(), 5, 100, 50, 100);
        phases.forEach(System.out::println);
        phases.forEach(AdaptiveLimitSimulationTest::assertSettled);
    }

    @Test
    void aimdSettlesNearTheCapacityFromFarAbove() {
        List<LimitSimulation.Phase> phases = simulate(aimd(), 800, 100);
        phases.forEach(System.out::println);
        phases.forEach(AdaptiveLimitSimulationTest::assertSettled);
    }

    @Test
    void gradientSettlesNearTheCapacityFromFarBelowAndFollowsItDownAndUp() {
        List<LimitSimulation.Phase> phases = simulate(gradient(), 5, 100, 50, 100);
        phases.forEach(System.out::println);
        phases.forEach(AdaptiveLimitSimulationTest::assertSettled);
    }

    @Test
    void gradientSettlesNearTheCapacityFromFarAbove() {
        List<LimitSimulation.Phase> phases = simulate(gradient(), 800, 100);
        phases.forEach(System.out::println);
        phases.forEach(AdaptiveLimitSimulationTest::assertSettled);
    }

    @Test
    void adaptiveBeatsAFixedLimitThatIsTooHighOnP99AndOneTooLowOnThroughput() {
        LimitSimulation.Phase adaptive = simulate(aimd(), 20, 100).get(0);
        LimitSimulation.Phase tooHigh = simulateFixed(500, 100).get(0);
        LimitSimulation.Phase tooLow = simulateFixed(20, 100).get(0);
        System.out.println("adaptive " + adaptive + "\nfixed 500 " + tooHigh + "\nfixed 20 " + tooLow);
        double capacityRate = 100 / (SERVICE.toNanos() / 1e9);
        assertThat(adaptive.throughputPerSecond()).isGreaterThan(0.8 * capacityRate);
        assertThat(adaptive.p99Nanos()).isLessThan(SERVICE.toNanos() * 3 / 2);
        assertThat(tooHigh.p99Nanos()).isGreaterThan(SERVICE.toNanos() * 3);
        assertThat(tooLow.throughputPerSecond()).isLessThan(0.3 * capacityRate);
    }
}
