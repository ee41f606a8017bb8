package dev.ninelives.reactor.micrometer;

import dev.ninelives.breaker.CircuitBreaker;
import dev.ninelives.bulkhead.Bulkhead;
import dev.ninelives.hedge.Hedge;
import dev.ninelives.ratelimit.RateLimiter;
import dev.ninelives.internal.Check;
import dev.ninelives.keyed.KeyedBreaker;
import dev.ninelives.keyed.KeyedBulkhead;
import dev.ninelives.reactor.registry.NineLivesRegistry;
import dev.ninelives.retry.Retry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Publishes circuit breakers, retry policies, bulkheads, rate limiters and hedges to a Micrometer
 * {@code MeterRegistry}. Each factory returns a {@link MeterBinder}; binding it to a registry
 * registers the policy's meters there.
 *
 * <pre>{@code
 * MeterRegistry registry = ...;
 * NineLivesMeters.breaker(breaker).bindTo(registry);
 * NineLivesMeters.retry(retry).bindTo(registry);
 * NineLivesMeters.bulkhead(bulkhead, Tags.of("region", "eu-west")).bindTo(registry);
 * }</pre>
 * With Spring Boot, declare each binder as a bean and Boot binds it to its registry.
 *
 * <h2>Cost</h2>
 * Nothing is registered until a binder is bound: a policy that is never bound pays nothing, and
 * an application without Micrometer never loads this package. Binding registers listeners on
 * the policy; that is the only thing that reaches a policy's hot path. From then on each event
 * a listener counts (a recorded call, a refusal, a retry, a permit) allocates one small event
 * object and increments a counter; gauges cost nothing until the registry reads them, when they
 * take a {@code metrics()} snapshot or read the breaker's state. Binding checks the registry
 * under a lock, once; nothing of it is left on a policy's path.
 *
 * <h2 id="one-policy-per-series">One policy per series</h2>
 * A registry holds one set of series per policy type, name and extra tags. Binding fills it once:
 * <ul>
 *   <li>The same policy bound again to the same registry with the same tags, by the same binder
 *       or by another one, does nothing: each event is still counted once.</li>
 *   <li>Another policy of the same type, name and tags is refused with an
 *       {@link IllegalStateException} that names the type and the name and says that a policy of
 *       that name is already bound to this registry; the registry and both policies are left as
 *       they were. (Accepted, the two would share every series: their counts added up, the
 *       gauges reading whichever was bound first.) Give each policy a name of its own, or extra
 *       tags that tell them apart. A retry policy built without {@code name(...)} is named
 *       {@code retry}, so two of them clash too.</li>
 *   <li>Policies of different types may share a name, and one binder may be bound to any
 *       number of registries, counting each event once in each.</li>
 *   <li>A policy that has been garbage-collected (the binder holds its policy, so both were
 *       dropped) frees its series: its meters are removed when another policy of that name is
 *       bound, and the new one gets fresh meters.</li>
 * </ul>
 *
 * <h2>Meters</h2>
 * Names are dot-separated lower case, so every registry renders them in its own convention
 * (Prometheus: {@code ninelives_breaker_calls_total}, {@code ninelives_bulkhead_wait_seconds},
 * {@code ninelives_breaker_failure_rate_percent}). Every meter carries the tag {@code name}, the
 * policy's name, after any extra tags given to the factory (an extra tag cannot replace
 * {@code name} or a meter's own tags). Every series of a meter is registered when the binder is
 * bound, at zero, so all series of one name have the same tag keys.
 *
 * <table class="striped">
 * <caption>Meters registered by each binder</caption>
 * <thead>
 * <tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Tags (besides {@code name})</th><th scope="col">Meaning</th></tr>
 * </thead>
 * <tbody>
 * <tr><td>{@code ninelives.breaker.state}</td><td>gauge</td>
 *     <td>{@code state}: {@code closed}, {@code open}, {@code half_open}, {@code forced_open},
 *         {@code disabled}, {@code metrics_only}</td>
 *     <td>1 for the breaker's current state, 0 for the five others.</td></tr>
 * <tr><td>{@code ninelives.breaker.calls}</td><td>counter</td>
 *     <td>{@code outcome}: {@code success}, {@code failure}, {@code ignored},
 *         {@code not_permitted};<br>{@code kind}: {@code fast}, {@code slow}, or {@code none}
 *         for {@code not_permitted}</td>
 *     <td>Calls by outcome. {@code failure}: an error the breaker's failure predicate counts;
 *         {@code ignored}: an error it does not count (the permit is returned unrecorded);
 *         {@code not_permitted}: a call the breaker refused. {@code slow}: the call took at least
 *         the slow-call duration (always {@code fast} without slow-call detection). A cancelled
 *         call is not counted. Every reported outcome counts, also while the breaker is
 *         {@code disabled}.</td></tr>
 * <tr><td>{@code ninelives.breaker.call.duration}</td><td>timer</td>
 *     <td>{@code outcome}: {@code success}, {@code failure}, {@code ignored};<br>{@code kind}:
 *         {@code fast}, {@code slow}</td>
 *     <td>How long each call took, from subscription to its outcome, by the breaker's ticker: the
 *         timer Resilience4j's {@code resilience4j.circuitbreaker.calls} dashboards read. Binding
 *         turns on duration measurement in the operators (two ticker reads per call); an unbound
 *         breaker without slow-call detection reads no clock.</td></tr>
 * <tr><td>{@code ninelives.breaker.failure.rate}</td><td>gauge, percent</td><td></td>
 *     <td>Failures as a percentage of the calls in the sliding window (in {@code half_open}, of
 *         the trial calls recorded so far); -1 while fewer than the minimum number of calls have
 *         been recorded.</td></tr>
 * <tr><td>{@code ninelives.breaker.slow.call.rate}</td><td>gauge, percent</td><td></td>
 *     <td>Slow calls as a percentage of the calls in the sliding window; -1 as for the failure
 *         rate.</td></tr>
 * <tr><td>{@code ninelives.retry.calls}</td><td>counter</td>
 *     <td>{@code outcome}: {@code success_without_retry}, {@code success_after_retry},
 *         {@code failed_without_retry}, {@code failed_after_retry}</td>
 *     <td>Calls by how they ended: with success (a Mono's value or empty completion, a Flux's
 *         completion) or with an error (not retryable, attempts or deadline exhausted, or the
 *         budget refused the retry), at the first attempt or after retries. A cancelled call is
 *         not counted.</td></tr>
 * <tr><td>{@code ninelives.retry.retries}</td><td>counter</td><td></td>
 *     <td>Retries scheduled: every attempt after the first.</td></tr>
 * <tr><td>{@code ninelives.retry.budget.refusals}</td><td>counter</td><td></td>
 *     <td>Retries the retry budget refused. Each such call also counts as failed in
 *         {@code ninelives.retry.calls}.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.in.flight}</td><td>gauge</td><td></td>
 *     <td>Calls holding a permit.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.queued}</td><td>gauge</td><td></td>
 *     <td>Calls waiting for a permit.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.available.permits}</td><td>gauge</td><td></td>
 *     <td>Free permits; negative after the limit shrank below the calls in flight.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.max.concurrent}</td><td>gauge</td><td></td>
 *     <td>The current limit of concurrent calls.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.rejected}</td><td>counter</td>
 *     <td>{@code reason}: {@code full}, {@code queue_full}, {@code wait_timed_out}</td>
 *     <td>Calls the bulkhead refused: every permit taken and waiting off, the queue full, or
 *         the wait ran out.</td></tr>
 * <tr><td>{@code ninelives.bulkhead.wait}</td><td>timer</td><td></td>
 *     <td>How long each permitted call waited for its permit, by the bulkhead's ticker; a call
 *         that got a permit at once records zero, so the count is the number of permitted
 *         calls.</td></tr>
 * <tr><td>{@code ninelives.ratelimiter.available.permits}</td><td>gauge</td><td></td>
 *     <td>Permits that could be taken now without waiting (up to the burst).</td></tr>
 * <tr><td>{@code ninelives.ratelimiter.waiting}</td><td>gauge</td><td></td>
 *     <td>Calls that reserved a permit and wait for its instant.</td></tr>
 * <tr><td>{@code ninelives.ratelimiter.limit.for.period}</td><td>gauge</td><td></td>
 *     <td>The current limit of permits per period.</td></tr>
 * <tr><td>{@code ninelives.ratelimiter.rejected}</td><td>counter</td><td></td>
 *     <td>Calls the rate limiter refused.</td></tr>
 * <tr><td>{@code ninelives.ratelimiter.wait}</td><td>timer</td><td></td>
 *     <td>How long each permitted call waits for its permit, by the limiter's ticker; zero when
 *         free at once, so the count is the number of permitted calls.</td></tr>
 * <tr><td>{@code ninelives.hedge.calls}</td><td>function counter</td><td></td>
 *     <td>Calls through the hedge (each call's first attempt).</td></tr>
 * <tr><td>{@code ninelives.hedge.issued}</td><td>function counter</td><td></td>
 *     <td>Hedges subscribed: attempts beyond each call's first.</td></tr>
 * <tr><td>{@code ninelives.hedge.won}</td><td>function counter</td><td></td>
 *     <td>Hedges that answered first (a subset of the issued ones).</td></tr>
 * <tr><td>{@code ninelives.hedge.refused}</td><td>function counter</td>
 *     <td>{@code reason}: {@code budget}, {@code breaker}</td>
 *     <td>Hedges that were due but found no budget token, or no breaker permit.</td></tr>
 * <tr><td>{@code ninelives.hedge.delay}</td><td>gauge, seconds</td><td></td>
 *     <td>The delay in force: fixed, or the percentile of the last latency window.</td></tr>
 * <tr><td>{@code ninelives.hedge.budget.tokens}</td><td>gauge</td><td></td>
 *     <td>Hedges the budget allows now.</td></tr>
 * </tbody>
 * </table>
 *
 * <p>Counters start when the binder is bound; gauges always show the policy's current values.
 * The gauges hold the policy weakly, as Micrometer's gauges do: a policy that is no longer used
 * anywhere else reports NaN.
 */
public final class NineLivesMeters {

    private NineLivesMeters() {
    }

    /**
     * Returns a binder for a circuit breaker's meters: {@code ninelives.breaker.*}, tagged with
     * the breaker's name.
     *
     * @param breaker the breaker
     * @return a binder; binding it registers the meters and the breaker listeners that feed them,
     *     and throws {@link IllegalStateException} if another breaker of the same name is bound to
     *     that registry already (see <a href="#one-policy-per-series">One policy per series</a>)
     * @throws NullPointerException if {@code breaker} is null
     */
    public static MeterBinder breaker(CircuitBreaker breaker) {
        return breaker(breaker, Tags.empty());
    }

    /**
     * Returns a binder for a circuit breaker's meters, with extra tags on every meter.
     *
     * @param breaker the breaker
     * @param tags    tags added to every meter, such as {@code Tags.of("service", "quotes")}
     * @return a binder; binding it registers the meters and the breaker listeners that feed them,
     *     and throws {@link IllegalStateException} if another breaker of the same name and tags is
     *     bound to that registry already
     * @throws NullPointerException if {@code breaker} or {@code tags} is null
     */
    public static MeterBinder breaker(CircuitBreaker breaker, Iterable<Tag> tags) {
        Check.notNull(breaker, "breaker");
        Check.notNull(tags, "tags");
        return new BreakerMeters(breaker, tags);
    }

    /**
     * Returns a binder for a retry policy's meters: {@code ninelives.retry.*}, tagged with the
     * policy's name.
     *
     * @param retry the retry policy
     * @return a binder; binding it registers the meters and the policy listeners that feed them,
     *     and throws {@link IllegalStateException} if another retry policy of the same name is
     *     bound to that registry already (see <a href="#one-policy-per-series">One policy per series</a>)
     * @throws NullPointerException if {@code retry} is null
     */
    public static MeterBinder retry(Retry retry) {
        return retry(retry, Tags.empty());
    }

    /**
     * Returns a binder for a retry policy's meters, with extra tags on every meter.
     *
     * @param retry the retry policy
     * @param tags  tags added to every meter
     * @return a binder; binding it registers the meters and the policy listeners that feed them,
     *     and throws {@link IllegalStateException} if another retry policy of the same name and
     *     tags is bound to that registry already
     * @throws NullPointerException if {@code retry} or {@code tags} is null
     */
    public static MeterBinder retry(Retry retry, Iterable<Tag> tags) {
        Check.notNull(retry, "retry");
        Check.notNull(tags, "tags");
        return new RetryMeters(retry, tags);
    }

    /**
     * Returns a binder for a bulkhead's meters: {@code ninelives.bulkhead.*}, tagged with the
     * bulkhead's name.
     *
     * @param bulkhead the bulkhead
     * @return a binder; binding it registers the meters and the bulkhead listeners that feed
     *     them, and throws {@link IllegalStateException} if another bulkhead of the same name is
     *     bound to that registry already (see <a href="#one-policy-per-series">One policy per series</a>)
     * @throws NullPointerException if {@code bulkhead} is null
     */
    public static MeterBinder bulkhead(Bulkhead bulkhead) {
        return bulkhead(bulkhead, Tags.empty());
    }

    /**
     * Returns a binder for a bulkhead's meters, with extra tags on every meter.
     *
     * @param bulkhead the bulkhead
     * @param tags     tags added to every meter
     * @return a binder; binding it registers the meters and the bulkhead listeners that feed
     *     them, and throws {@link IllegalStateException} if another bulkhead of the same name and
     *     tags is bound to that registry already
     * @throws NullPointerException if {@code bulkhead} or {@code tags} is null
     */
    public static MeterBinder bulkhead(Bulkhead bulkhead, Iterable<Tag> tags) {
        Check.notNull(bulkhead, "bulkhead");
        Check.notNull(tags, "tags");
        return new BulkheadMeters(bulkhead, tags);
    }

    /**
     * Returns a binder for a rate limiter's meters: {@code ninelives.ratelimiter.*}, tagged with
     * the limiter's name.
     *
     * @param limiter the rate limiter
     * @return a binder; binding it registers the meters and the limiter listeners that feed
     *     them, and throws {@link IllegalStateException} if another rate limiter of the same name is
     *     bound to that registry already (see <a href="#one-policy-per-series">One policy per series</a>)
     * @throws NullPointerException if {@code limiter} is null
     */
    public static MeterBinder rateLimiter(RateLimiter limiter) {
        return rateLimiter(limiter, Tags.empty());
    }

    /**
     * Returns a binder for a rate limiter's meters, with extra tags on every meter.
     *
     * @param limiter the rate limiter
     * @param tags    tags added to every meter
     * @return a binder; binding it registers the meters and the limiter listeners that feed
     *     them, and throws {@link IllegalStateException} if another rate limiter of the same name
     *     and tags is bound to that registry already
     * @throws NullPointerException if {@code limiter} or {@code tags} is null
     */
    public static MeterBinder rateLimiter(RateLimiter limiter, Iterable<Tag> tags) {
        Check.notNull(limiter, "limiter");
        Check.notNull(tags, "tags");
        return new RateLimiterMeters(limiter, tags);
    }

    /**
     * Returns a binder for a hedge policy's meters: {@code ninelives.hedge.*}, tagged with the
     * hedge's name. The counters are function counters over {@link Hedge#metrics()}: they count
     * from the hedge's creation, and binding registers no listener on it.
     *
     * @param hedge the hedge policy
     * @return a binder; binding it registers the meters, and throws {@link IllegalStateException}
     *     if another hedge of the same name is bound to that registry already (see
     *     <a href="#one-policy-per-series">One policy per series</a>)
     * @throws NullPointerException if {@code hedge} is null
     */
    public static MeterBinder hedge(Hedge hedge) {
        return hedge(hedge, Tags.empty());
    }

    /**
     * Returns a binder for a hedge policy's meters, with extra tags on every meter.
     *
     * @param hedge the hedge policy
     * @param tags  tags added to every meter
     * @return a binder; binding it registers the meters, and throws {@link IllegalStateException}
     *     if another hedge of the same name and tags is bound to that registry already
     * @throws NullPointerException if {@code hedge} or {@code tags} is null
     */
    public static MeterBinder hedge(Hedge hedge, Iterable<Tag> tags) {
        Check.notNull(hedge, "hedge");
        Check.notNull(tags, "tags");
        return new HedgeMeters(hedge, tags);
    }

    /**
     * Returns a binder for every policy of a {@link NineLivesRegistry}, present and future: bound
     * to a meter registry, it binds each breaker, retry policy, bulkhead, rate limiter and hedge
     * the registry holds, as {@link #breaker}, {@link #retry}, {@link #bulkhead},
     * {@link #rateLimiter} and {@link #hedge} would, then each one the registry
     * adds later; it removes the meters of a policy the registry removes (and frees its name, so
     * the next policy of that name gets fresh meters); a replaced policy's meters are removed and
     * the new one's registered. Pipelines need nothing of their own: their policies are in the
     * registry. Each policy is bound once per meter registry, however many times this binder, or
     * another one of the same registry, is bound to it.
     *
     * <pre>{@code
     * NineLivesMeters.registry(registry).bindTo(meterRegistry);
     * registry.breaker("inventory");    // created now: its meters are registered now
     * }</pre>
     *
     * <p>A policy added to the registry is bound on the thread that delivers the registry's
     * events (see {@link NineLivesRegistry#onEvent}); a binding refused because a policy of that
     * name and tags, not in the registry, is bound to the meter registry already is logged, as a
     * registry listener's failure is.
     *
     * @param registry the registry of policies
     * @return a binder of every policy in it; binding it throws {@link IllegalStateException} if
     *     a policy the registry holds now has a name whose series another policy, from outside the
     *     registry, holds in that meter registry already
     * @throws NullPointerException if {@code registry} is null
     */
    public static MeterBinder registry(NineLivesRegistry registry) {
        return registry(registry, Tags.empty());
    }

    /**
     * Returns a binder for every policy of a {@link NineLivesRegistry}, present and future, with
     * extra tags on every meter; see {@link #registry(NineLivesRegistry)}.
     *
     * @param registry the registry of policies
     * @param tags     tags added to every meter
     * @return a binder of every policy in it
     * @throws NullPointerException if {@code registry} or {@code tags} is null
     */
    public static MeterBinder registry(NineLivesRegistry registry, Iterable<Tag> tags) {
        Check.notNull(registry, "registry");
        Check.notNull(tags, "tags");
        return new RegistryMeters(registry, tags);
    }

    /**
     * Returns a binder for a {@link KeyedBreaker}: a fixed handful of series for the family as a
     * whole, tagged with its name, however many keys it holds. A meter per key would give the
     * registry a series per tenant or endpoint, without bound. The series:
     * {@code ninelives.keyed.keys} (a gauge: keys in the map), {@code ninelives.keyed.key.events}
     * (keys that entered or left the map, by {@code event}: added, restored, expired, evicted,
     * invalidated), {@code ninelives.keyed.breaker.calls} (calls of every key together, by
     * {@code outcome}, as {@link #breaker}'s) and {@code ninelives.keyed.breaker.refusing} (a
     * gauge: keys whose breaker refuses calls now). Each carries {@code kind=breaker}.
     *
     * <pre>{@code
     * NineLivesMeters.keyedBreaker(perTenant).bindTo(meterRegistry);
     * }</pre>
     *
     * <p>To follow a bounded set of keys one by one as well (your largest tenants, say), bind
     * their breakers with {@link #breaker(CircuitBreaker, Iterable)} and a tag of the key, from
     * the family's factory or its {@code onKeyAdded} listener. The calls are counted through the
     * breakers' call listeners, which make each breaker measure its calls' durations (a ticker
     * read at each end of a call); the gauges read every key's breaker when the registry reads
     * them. Bound again to the same meter registry, the binder binds nothing twice.
     *
     * @param family the keyed breakers
     * @return a binder of the family's meters
     * @throws NullPointerException if {@code family} is null
     */
    public static MeterBinder keyedBreaker(KeyedBreaker<?> family) {
        return keyedBreaker(family, Tags.empty());
    }

    /**
     * Returns a binder for a {@link KeyedBreaker} with extra tags on every meter; see
     * {@link #keyedBreaker(KeyedBreaker)}.
     *
     * @param family the keyed breakers
     * @param tags   tags added to every meter
     * @return a binder of the family's meters
     * @throws NullPointerException if {@code family} or {@code tags} is null
     */
    public static MeterBinder keyedBreaker(KeyedBreaker<?> family, Iterable<Tag> tags) {
        Check.notNull(family, "family");
        Check.notNull(tags, "tags");
        return KeyedMeters.breakers(family, tags);
    }

    /**
     * Returns a binder for a {@link KeyedBulkhead}: as {@link #keyedBreaker(KeyedBreaker)}, with
     * {@code ninelives.keyed.bulkhead.calls} (calls of every key together, by {@code outcome}:
     * permitted, rejected) and {@code ninelives.keyed.bulkhead.in.flight} (a gauge: calls holding a
     * permit now, every key together) in place of the breaker's series, and {@code kind=bulkhead}.
     *
     * @param family the keyed bulkheads
     * @return a binder of the family's meters
     * @throws NullPointerException if {@code family} is null
     */
    public static MeterBinder keyedBulkhead(KeyedBulkhead<?> family) {
        return keyedBulkhead(family, Tags.empty());
    }

    /**
     * Returns a binder for a {@link KeyedBulkhead} with extra tags on every meter; see
     * {@link #keyedBulkhead(KeyedBulkhead)}.
     *
     * @param family the keyed bulkheads
     * @param tags   tags added to every meter
     * @return a binder of the family's meters
     * @throws NullPointerException if {@code family} or {@code tags} is null
     */
    public static MeterBinder keyedBulkhead(KeyedBulkhead<?> family, Iterable<Tag> tags) {
        Check.notNull(family, "family");
        Check.notNull(tags, "tags");
        return KeyedMeters.bulkheads(family, tags);
    }
}
