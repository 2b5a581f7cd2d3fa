import type { Clock, TimerHandle } from '../engine/clock.js';

interface TestTimer {
  readonly id: number;
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** One turn of the event loop: the microtasks a fired timer caused (handlers resuming, jobs moving on) run first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when told: the kernel's delays, backoffs and
 * attempt deadlines are timers on it, fired in due order (and in the order
 * they were set when due together) as `advance` moves time.
 */
export class TestClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, TestTimer>();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, ms), seq: id, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Test timers never keep the process alive: nothing to do. */
  ref(): void {}

  /** When the next timer is due, or undefined when none is set. */
  nextDue(): number | undefined {
    return this.#next(Infinity)?.due;
  }

  /** Moves time by `ms`, firing each timer at its due time and letting what it causes run before the next. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (let timer = this.#next(end); timer !== undefined; timer = this.#next(end)) {
      this.#timers.delete(timer.id);
      this.#now = Math.max(this.#now, timer.due);
      timer.callback();
      await turn();
    }
    this.#now = Math.max(this.#now, end);
    await turn();
  }

  #next(until: number): TestTimer | undefined {
    let next: TestTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.due <= until && (next === undefined || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq))) next = timer;
    }
    return next;
  }
}
