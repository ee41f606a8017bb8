/**
 * The rate limiter: at most a given number of permits per period, with a burst after an idle
 * spell, kept lock-free in one word (GCRA) with no refresh thread. Start at
 * {@link dev.ninelives.ratelimit.RateLimiter#builder(String)}.
 */
package dev.ninelives.ratelimit;
