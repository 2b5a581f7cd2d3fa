import { type Deferred, deferred } from './deferred.js';

interface HeldRun {
  type: string;
  signal: AbortSignal;
  done: Deferred;
}

/**
 * Stands in for the sample app's `SampleWork` (overrideProvider): every run
 * is held open until the test settles it, so queue states are exact.
 */
export class HeldWork {
  readonly runs: HeldRun[] = [];
  #waiters: { count: number; reached: Deferred }[] = [];
  #finished = false;

  run(type: string, signal: AbortSignal): Promise<void> {
    const done = deferred();
    if (this.#finished) done.resolve();
    this.runs.push({ type, signal, done });
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.runs.length < waiter.count) return true;
      waiter.reached.resolve();
      return false;
    });
    return done.promise;
  }

  /** Resolves once `count` runs have started in all. */
  started(count: number): Promise<void> {
    if (this.runs.length >= count) return Promise.resolve();
    const reached = deferred();
    this.#waiters.push({ count, reached });
    return reached.promise;
  }

  /** Completes every run started so far. */
  releaseAll(): void {
    for (const run of this.runs) run.done.resolve();
  }

  /** Completes every run, started or still to come: the test is over. */
  finish(): void {
    this.#finished = true;
    this.releaseAll();
  }
}
