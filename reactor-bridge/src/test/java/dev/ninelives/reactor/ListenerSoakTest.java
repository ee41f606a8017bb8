package dev.ninelives.reactor;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The soak of issue 9 (see {@link ListenerSoak}): breaker, retry and bulkhead with every
 * listener throwing, manual transitions and resizes, random cancels and {@code take(Duration)}
 * downstream. Guards against a throwing listener reordering or skipping a signal (Reactive
 * Streams rules 1.9, 1.3, 1.7, 2.5), a call left without its terminal signal, and a permit or a
 * trial slot leaked on the way. The breaches recorded downstream of {@code take(Duration)} are
 * Reactor's own ({@link ReactorTakeRaceTest}): they are printed by the long run, not asserted.
 */
class ListenerSoakTest {

    /** A few thousand calls, a few seconds: runs in every build. */
    @Test
    void smoke() throws Exception {
        check(ListenerSoak.run(ListenerSoak.Settings.smoke()));
    }

    /**
     * The long run, excluded by default; {@code mvn -Psoak verify} runs it. Its size comes from
     * {@code -Dninelives.soak.calls} (default 2,500,000), its seed from
     * {@code -Dninelives.soak.seed}, where the library logs to from {@code -Dninelives.soak.log}
     * (MEMORY, FILE or AS_IS, see {@link ListenerSoak.LogTo}).
     */
    @Test
    @Tag("soak")
    void soak() throws Exception {
        int calls = Integer.getInteger("ninelives.soak.calls", 2_500_000);
        long seed = Long.getLong("ninelives.soak.seed", System.nanoTime());
        ListenerSoak.LogTo log = ListenerSoak.LogTo.valueOf(System.getProperty("ninelives.soak.log", "MEMORY"));
        ListenerSoak.Result r = ListenerSoak.run(new ListenerSoak.Settings(calls, 256, 2, seed, true, log,
                !Boolean.getBoolean("ninelives.soak.quietListeners")));
        System.out.println("seed " + seed + "\n" + r);
        check(r);
    }

    private static void check(ListenerSoak.Result r) {
        assertThat(r.ourBreaches()).as("rule breaches in what our operators emitted\n%s", r).isEmpty();
        assertThat(r.hung).as("calls without an ending\n%s", r).isZero();
        assertThat(r.accounting).as("accounting\n%s", r).isEmpty();
    }
}
