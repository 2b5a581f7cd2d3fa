import type { Job, JobEvent, JobRecord, JobState } from '../interfaces/job.interface.js';

/** What the tester knows of one submitted job. */
class Tracked {
  state: JobState;
  attemptsMade = 0;
  /** Attempts whose outcome is known (their verdict was reported). */
  attemptsEnded = 0;
  result: unknown = undefined;
  finishedAt: Date | undefined = undefined;
  /** When a delayed job comes due: from then on it is waiting. */
  dueAt = 0;

  constructor(
    public job: Job,
    delay: number,
    now: number,
  ) {
    this.state = delay > 0 ? 'delayed' : 'waiting';
    this.dueAt = now + delay;
  }
}

type EndWaiter = { readonly tracked: Tracked; readonly attempts: number; readonly resolve: () => void };

/**
 * Every job submitted to the tester's app, in submit order, with its state:
 * fed by the driver (submits, attempt verdicts and results) and by the
 * monitor's events (starts).
 */
export class JobTracker {
  readonly #all: Tracked[] = [];
  /** The latest job of each id (an id may be used again once its job finished). */
  readonly #byId = new Map<string, Tracked>();
  #pendingDelay: number | undefined;
  #endWaiters: EndWaiter[] = [];
  #anyEnd: Array<() => void> = [];
  /** Attempts started since the tracker began. */
  started = 0;
  /** Called with each job that finishes (completed or failed for good). */
  onFinished: ((tracked: Tracked) => void) | null = null;

  constructor(private readonly now: () => number) {}

  /** The driver is about to accept a job with this delay; its `submitted` event follows synchronously. */
  submitting(delay: number): void {
    this.#pendingDelay = delay;
  }

  submitDone(): void {
    this.#pendingDelay = undefined;
  }

  /** The monitor's events: a submit creates a record, a start moves it to `active`. */
  readonly event = (event: JobEvent): void => {
    if (event.kind === 'submitted') {
      const tracked = new Tracked(event.job, this.#pendingDelay ?? 0, this.now());
      this.#all.push(tracked);
      this.#byId.set(event.job.id, tracked);
    } else if (event.kind === 'started') {
      const tracked = this.#byId.get(event.job.id);
      if (tracked === undefined) return;
      tracked.job = event.job;
      tracked.state = 'active';
      tracked.attemptsMade = event.job.attempts + 1;
      this.started++;
    }
  };

  /** An attempt ended with the kernel's verdict: `completed`, `failed`, or a retry in `retryInMs`. */
  attemptEnded(job: Job, outcome: 'completed' | 'failed' | 'retry', retryInMs: number, result: unknown): void {
    const tracked = this.#byId.get(job.id);
    if (tracked === undefined) return;
    tracked.job = job;
    tracked.attemptsEnded = tracked.attemptsMade;
    if (outcome === 'retry') {
      tracked.state = retryInMs > 0 ? 'delayed' : 'waiting';
      tracked.dueAt = this.now() + retryInMs;
    } else {
      tracked.state = outcome;
      tracked.result = result;
      tracked.finishedAt = new Date(this.now());
      this.onFinished?.(tracked);
    }
    if (this.#endWaiters.length !== 0) {
      const waiting = this.#endWaiters;
      this.#endWaiters = waiting.filter((waiter) => waiter.tracked.attemptsEnded < waiter.attempts);
      for (const waiter of waiting) if (waiter.tracked.attemptsEnded >= waiter.attempts) waiter.resolve();
    }
    const any = this.#anyEnd;
    this.#anyEnd = [];
    for (const resolve of any) resolve();
  }

  /** Resolves once the attempt `job` was started with has ended, with the job's record. */
  async attemptOf(job: Job): Promise<JobRecord> {
    const tracked = this.#byId.get(job.id)!;
    const attempts = job.attempts + 1;
    if (tracked.attemptsEnded < attempts) {
      await new Promise<void>((resolve) => this.#endWaiters.push({ tracked, attempts, resolve }));
    }
    return this.record(tracked);
  }

  /** Resolves when any attempt ends. */
  anyAttemptEnd(): Promise<void> {
    return new Promise((resolve) => this.#anyEnd.push(resolve));
  }

  list(filter: { type?: string; state?: JobState } = {}): JobRecord[] {
    const records: JobRecord[] = [];
    for (const tracked of this.#all) {
      const record = this.record(tracked);
      if ((filter.type === undefined || record.type === filter.type) && (filter.state === undefined || record.state === filter.state)) {
        records.push(record);
      }
    }
    return records;
  }

  record(tracked: Tracked): JobRecord {
    const { job, attemptsMade } = tracked;
    const finished = tracked.state === 'completed' || tracked.state === 'failed';
    const state = tracked.state === 'delayed' && this.now() >= tracked.dueAt ? 'waiting' : tracked.state;
    return Object.freeze({
      id: job.id,
      type: job.type,
      payload: job.payload,
      priority: job.priority,
      // Before an attempt: the attempts made. A running or finished record reports its last attempt.
      attempts: state === 'waiting' || state === 'delayed' ? attemptsMade : attemptsMade - 1,
      maxRetries: job.maxRetries,
      createdAt: job.createdAt,
      error: job.error,
      state,
      attemptsMade,
      result: finished ? tracked.result : undefined,
      finishedAt: tracked.finishedAt,
    });
  }
}

export type { Tracked };
