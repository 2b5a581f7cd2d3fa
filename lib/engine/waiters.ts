/**
 * The promises `onIdle()` and `onSizeLessThan()` hand out, kept the same way
 * by every driver: each wait settles once, and every pending one settles when
 * the application closes.
 */

/** Waits for one condition (idleness): all settle together. */
export class IdleWaiters {
  #waiters: Array<() => void> | null = null;

  get pending(): boolean {
    return this.#waiters !== null;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  settle(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const resolve of waiters) resolve();
  }
}

interface SizeWaiter {
  readonly limit: number;
  readonly resolve: () => void;
}

/**
 * Waits for the queue to drop below a limit each. `check` is cheap when no
 * wait can end: it compares with the largest limit pending and scans only
 * when at least one resolves.
 */
export class SizeWaiters {
  #waiters: SizeWaiter[] = [];
  /** The largest limit pending: below it, some wait ends. */
  #max = 0;

  get pending(): boolean {
    return this.#waiters.length !== 0;
  }

  /** `limit` is an integer >= 1, checked by the caller. */
  wait(limit: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ limit, resolve });
      if (limit > this.#max) this.#max = limit;
    });
  }

  check(size: number): void {
    if (size >= this.#max) return;
    const kept: SizeWaiter[] = [];
    let max = 0;
    for (const waiter of this.#waiters) {
      if (size < waiter.limit) {
        waiter.resolve();
      } else {
        kept.push(waiter);
        if (waiter.limit > max) max = waiter.limit;
      }
    }
    this.#waiters = kept;
    this.#max = max;
  }

  /** Settles every pending wait (the application is closing). */
  settleAll(): void {
    this.check(-1);
  }
}
