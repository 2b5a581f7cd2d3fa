import type { Job } from '../interfaces/job.interface.js';
import { backoffDelay } from './backoff.js';
import type { Clock } from './clock.js';
import { type BucketHolder, type DeadlineBucket, DeadlineSignals } from './deadline-signals.js';
import { attemptTimedOut, payloadNoLongerValid } from './engine.messages.js';
import { errorMessage } from './error-message.js';
import { nextSnapshot, withPayload } from './job-snapshot.js';
import type { JobMonitor } from './job-monitor.js';
import type { RegisteredHandler } from './jobs-driver.js';
import { JobTimeoutError, UnrecoverableJobError } from './jobs.errors.js';
import { checkPayload, describeIssues, type PayloadCheck } from './payload-schema.js';

/** Verdict of an attempt whose job completed. */
export const COMPLETED = -1;
/** Verdict of an attempt whose job failed for good. Any verdict >= 0 is the ms until the retry. */
export const FAILED = -2;

/**
 * What a driver does when its attempts end. `R` is the driver's own record
 * of the job (the in-memory engine's record, a BullMQ job and its lock).
 */
export interface AttemptHost<R> {
  /**
   * The attempt's handler settled and the kernel decided: `COMPLETED`,
   * `FAILED` (for good) or the ms until the retry. `job` is the snapshot the
   * attempt is reported with (its `error` set when it failed), `result` the
   * handler's resolved value. The driver moves the job on here, before the
   * monitor reports it, so listeners see consistent counts.
   */
  attemptEnded(record: R, job: Job, verdict: number, result: unknown, now: number): void;
  /** After the report: the worker is free (start the next job, wake waiters). */
  workerFreed(record: R): void;
}

export interface AttemptRunnerOptions {
  readonly clock: Clock;
  readonly monitor: JobMonitor;
  readonly random: () => number;
  /** Most attempts at once (the `workers` option). */
  readonly capacity: number;
  /** Width of a deadline slot: signals abort at most this late, never early. */
  readonly signalGranularityMs: number;
}

const SUCCESS: unique symbol = Symbol('success');

/**
 * The attempt lifecycle, once for every driver: it calls the handler with
 * its signal, turns whatever the handler does (returns, resolves, throws,
 * rejects with any value, hangs past its deadline) into one verdict, decides
 * retry or failure with the backoff, and reports it.
 *
 * Timeouts: at the deadline the attempt's signal aborts and the attempt
 * counts as failed, but it keeps its worker (and counts in `active` and
 * `stuck`) until its handler settles; only then is the failure reported and
 * its retry scheduled, so attempts of one job never overlap and a job is
 * never counted both as failed and as running.
 *
 * Hot path: a running attempt occupies a slot, and everything it needs lives
 * in arrays indexed by slot, grown as more attempts run at once (never past
 * `capacity`): starting and settling an attempt allocates no closure and no
 * async frame.
 */
export class AttemptRunner<R> {
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #random: () => number;
  readonly #capacity: number;
  readonly #signals: DeadlineSignals;
  readonly #host: AttemptHost<R>;

  readonly #free: number[] = [];
  readonly #record: Array<R | null> = [];
  readonly #job: Array<Job | null> = [];
  readonly #handler: Array<RegisteredHandler | null> = [];
  readonly #bucket: Array<DeadlineBucket | null> = [];
  readonly #startedAt: number[] = [];
  readonly #timeout: number[] = [];
  /** 1 once the attempt passed its deadline. */
  readonly #timedOut: number[] = [];
  /** Running attempts, oldest first, as a list of slots (-1 ends it). */
  readonly #prev: number[] = [];
  readonly #next: number[] = [];
  #head = -1;
  #tail = -1;
  readonly #onFulfilled: Array<(value: unknown) => void> = [];
  readonly #onRejected: Array<(error: unknown) => void> = [];
  #active = 0;
  #stuck = 0;

  constructor(options: AttemptRunnerOptions, host: AttemptHost<R>) {
    this.#clock = options.clock;
    this.#monitor = options.monitor;
    this.#random = options.random;
    this.#capacity = options.capacity;
    this.#host = host;
    this.#signals = new DeadlineSignals(options.clock, options.signalGranularityMs, this.#onDeadline);
  }

  /** Attempts running, stuck ones included. */
  get active(): number {
    return this.#active;
  }

  /** Attempts past their deadline whose handler has not settled. */
  get stuck(): number {
    return this.#stuck;
  }

  get full(): boolean {
    return this.#active >= this.#capacity;
  }

  /**
   * Runs one attempt of `job`: the caller checked there is room (`full` is
   * false). The handler is called now, synchronously; the host hears of the
   * end through `attemptEnded`, which may come before `start` returns (a
   * handler that throws synchronously).
   */
  /** @param acceptedAt when the job was accepted, on the runner's clock (for the `started` event's `waitMs`). */
  start(record: R, handler: RegisteredHandler, job: Job, timeout: number, holder: BucketHolder, acceptedAt: number): void {
    const slot = this.#free.length !== 0 ? this.#free.pop()! : this.#grow();
    this.#active++;
    this.#record[slot] = record;
    this.#job[slot] = job;
    this.#handler[slot] = handler;
    this.#timeout[slot] = timeout;
    this.#prev[slot] = this.#tail;
    this.#next[slot] = -1;
    if (this.#tail === -1) this.#head = slot;
    else this.#next[this.#tail] = slot;
    this.#tail = slot;

    const now = this.#clock.now();
    this.#startedAt[slot] = now;
    const bucket = (this.#bucket[slot] = this.#signals.acquire(now + timeout, holder));
    this.#monitor.started(job, now - acceptedAt);
    const schema = handler.schema;
    if (schema === undefined) {
      this.#invoke(slot, handler, job, bucket.signal);
      return;
    }
    // The stored payload is checked again: it may come from an older release or from outside.
    const check = checkPayload(schema, job.payload);
    if (!(check instanceof Promise)) {
      this.#invokeChecked(slot, handler, job, bucket.signal, check);
      return;
    }
    check.then((done) => {
      // Abandoned at shutdown while the schema ran: nothing to do.
      if (this.#job[slot] !== job) return;
      // Past its deadline while the schema ran: the attempt has failed (the settle reports the timeout).
      if (this.#timedOut[slot] === 1) this.#settle(slot, null, undefined);
      else this.#invokeChecked(slot, handler, job, bucket.signal, done);
    });
  }

  /** Invalid: fails the job for good without calling the handler. Valid: the handler gets the schema's output. */
  #invokeChecked(slot: number, handler: RegisteredHandler, job: Job, signal: AbortSignal, check: PayloadCheck): void {
    if (check.issues !== undefined) {
      const message = payloadNoLongerValid(handler.type, handler.name, describeIssues(check.issues));
      this.#settle(slot, new UnrecoverableJobError(message), undefined);
      return;
    }
    this.#invoke(slot, handler, check.value === job.payload ? job : withPayload(job, check.value), signal);
  }

  #invoke(slot: number, handler: RegisteredHandler, job: Job, signal: AbortSignal): void {
    let result: unknown;
    try {
      result = handler.invoke(job, signal);
    } catch (error) {
      this.#settle(slot, error, undefined);
      return;
    }
    // A promise settles the slot's callbacks; any other value (a sync handler) settles on a microtask, as `await` would.
    Promise.resolve(result).then(this.#onFulfilled[slot], this.#onRejected[slot]);
  }

  /**
   * Shutdown's deadline: aborts every running attempt's signal and gives the
   * attempts up. Each one's record and job go to `visit`; a late settle of
   * any of them reports nothing.
   */
  abandonRunning(reason: unknown, visit: (record: R, job: Job) => void): void {
    this.#signals.abortAll(reason);
    for (let slot = this.#head; slot !== -1; slot = this.#next[slot]) {
      const record = this.#record[slot]!;
      const job = this.#job[slot]!;
      this.#clear(slot);
      this.#free.push(slot);
      visit(record, job);
    }
    this.#head = this.#tail = -1;
    this.#active = 0;
    this.#stuck = 0;
  }

  /** The records of the running attempts, oldest start first. */
  running(): R[] {
    const out: R[] = [];
    for (let slot = this.#head; slot !== -1; slot = this.#next[slot]) out.push(this.#record[slot]!);
    return out;
  }

  /** Stops the deadline timer for good (after `abandonRunning`, or once nothing runs). */
  close(): void {
    this.#signals.close();
  }

  #grow(): number {
    const slot = this.#record.length;
    this.#record.push(null);
    this.#job.push(null);
    this.#handler.push(null);
    this.#bucket.push(null);
    this.#startedAt.push(0);
    this.#timeout.push(0);
    this.#timedOut.push(0);
    this.#prev.push(-1);
    this.#next.push(-1);
    this.#onFulfilled.push((value: unknown) => this.#settle(slot, SUCCESS, value));
    this.#onRejected.push((error: unknown) => this.#settle(slot, error, undefined));
    return slot;
  }

  #clear(slot: number): void {
    this.#record[slot] = null;
    this.#job[slot] = null;
    this.#handler[slot] = null;
    this.#bucket[slot] = null;
    this.#timedOut[slot] = 0;
  }

  #settle(slot: number, outcome: unknown, result: unknown): void {
    const record = this.#record[slot];
    // Abandoned at shutdown's deadline: a late settle reports nothing.
    if (record === null) return;
    const now = this.#clock.now();
    const job = this.#job[slot]!;
    const handler = this.#handler[slot]!;
    const durationMs = now - this.#startedAt[slot];
    this.#signals.release(this.#bucket[slot]!);
    if (this.#timedOut[slot] === 1) {
      // Past its deadline the attempt has failed, whatever the handler did since.
      this.#stuck--;
      outcome = new JobTimeoutError(attemptTimedOut(this.#timeout[slot]));
    }
    this.#clear(slot);
    this.#unlink(slot);
    this.#free.push(slot);
    this.#active--;

    const host = this.#host;
    if (outcome === SUCCESS) {
      host.attemptEnded(record, job, COMPLETED, result, now);
      this.#monitor.completed(job, durationMs);
    } else {
      const message = errorMessage(outcome);
      const failed = nextSnapshot(job, job.attempts, message);
      if (job.attempts >= job.maxRetries || isUnrecoverable(outcome)) {
        host.attemptEnded(record, failed, FAILED, undefined, now);
        this.#monitor.failed(failed, message, durationMs);
      } else {
        const delay = backoffDelay(handler.backoff, job.attempts + 1, this.#random);
        host.attemptEnded(record, failed, delay, undefined, now);
        this.#monitor.retrying(failed, message, durationMs, delay);
      }
    }
    host.workerFreed(record);
  }

  #unlink(slot: number): void {
    const prev = this.#prev[slot];
    const next = this.#next[slot];
    if (prev === -1) this.#head = next;
    else this.#next[prev] = next;
    if (next === -1) this.#tail = prev;
    else this.#prev[next] = prev;
  }

  readonly #onDeadline = (bucket: DeadlineBucket): void => {
    for (let slot = this.#head; slot !== -1; slot = this.#next[slot]) {
      if (this.#bucket[slot] !== bucket || this.#timedOut[slot] === 1) continue;
      this.#timedOut[slot] = 1;
      this.#stuck++;
    }
  };
}

/**
 * `instanceof` can throw (a revoked Proxy, a hostile `Symbol.hasInstance`
 * chain): a value that cannot even be asked is an ordinary failure.
 */
function isUnrecoverable(error: unknown): boolean {
  try {
    return error instanceof UnrecoverableJobError;
  } catch {
    return false;
  }
}
