/**
 * Helpers shared by the policies and the Reactor bridge: argument checks and guarded listener
 * calls. Not API: {@code module-info} exports this package to {@code dev.ninelives.reactor} only.
 */
package dev.ninelives.internal;
