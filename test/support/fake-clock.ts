import type { Clock, TimerHandle } from '../../lib/engine/clock.js';
import { flush } from './deferred.js';

interface FakeTimer {
  id: number;
  due: number;
  callback: () => void;
  unref: boolean;
}

/** A clock that moves only when the test says so. Timers fire in due order as time advances. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number, unref = false): TimerHandle {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), callback, unref };
    this.#timers.set(timer.id, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  ref(handle: TimerHandle, keepAlive: boolean): void {
    const timer = this.#timers.get(handle as number);
    if (timer) timer.unref = !keepAlive;
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms` without firing anything, as a blocked event loop does; `advance(0)` then fires what is overdue. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /**
   * Moves time forward by `ms`, firing each timer at its due time, and lets
   * the microtasks and callbacks it causes run before the next one.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.due <= end && (next === undefined || timer.due < next.due)) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.due);
      next.callback();
      await flush();
    }
    this.#now = end;
    await flush();
  }
}
