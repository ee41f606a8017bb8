/**
 * The bulkhead: a lock-free limit on concurrent calls, with an optional queue of waiting callers
 * that, with Reactor, waits without blocking a thread. Start at
 * {@link dev.ninelives.bulkhead.Bulkhead#builder(String)}.
 */
package dev.ninelives.bulkhead;
