/**
 * Hedged calls: when a call is slower than usual, a second attempt races the first and the first
 * answer wins. The delay is fixed or follows a percentile of the recent latency, kept lock-free;
 * a budget bounds the extra load. Start at {@link dev.ninelives.hedge.Hedge#builder(String)}.
 */
package dev.ninelives.hedge;
