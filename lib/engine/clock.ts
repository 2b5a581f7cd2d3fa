import { performance } from 'node:perf_hooks';

/** A timer handle as the clock hands it out; only the clock interprets it. */
export type TimerHandle = unknown;

/**
 * Time as the engine sees it. Injected so that tests control time instead of
 * sleeping; the system clock is the default.
 */
export interface Clock {
  /** Milliseconds since the epoch, with sub-millisecond precision where available. */
  now(): number;
  /**
   * Calls `callback` once, no earlier than `ms` from now. An `unref`'d timer
   * does not keep the process alive on its own.
   */
  setTimeout(callback: () => void, ms: number, unref?: boolean): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Whether a pending timer keeps the process alive. */
  ref(handle: TimerHandle, keepAlive: boolean): void;
}

// perf_hooks' performance, not the global one: the global is a getter, paid on every clock read (see docs/ARCHITECTURE.md).
const origin = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout(callback, ms, unref = false) {
    const timer = setTimeout(callback, ms);
    if (unref) timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
  ref(handle, keepAlive) {
    if (keepAlive) (handle as NodeJS.Timeout).ref();
    else (handle as NodeJS.Timeout).unref();
  },
};
