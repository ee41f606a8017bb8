/**
 * Types shared by every NineLives policy: the injectable {@link dev.ninelives.core.Ticker}, and
 * {@link dev.ninelives.core.Adaptive}, a setting that can change while policies bound to it run.
 *
 * <h2>Memory-model vocabulary used across NineLives</h2>
 * The lock-free classes of this library name their accessors after the memory mode they use,
 * as {@link java.lang.invoke.VarHandle} does:
 * <ul>
 *   <li><b>plain</b>: an ordinary field access, no ordering; only for fields owned by one thread
 *       or for benign races that are documented where they occur;</li>
 *   <li><b>opaque</b>: atomic and coherent per variable, no ordering with other variables;</li>
 *   <li><b>acquire</b> / <b>release</b>: a load that later accesses cannot move above / a store
 *       that earlier accesses cannot move below; a release store read by an acquire load
 *       publishes everything written before it;</li>
 *   <li><b>volatile</b>: sequentially consistent loads and stores;</li>
 *   <li><b>CAS</b>: {@code compareAndSet}, volatile semantics; the only way a state machine moves.</li>
 * </ul>
 * Every lock-free class opens with a block comment that says who races, who wins, and why the
 * races it allows are benign.
 */
package dev.ninelives.core;
