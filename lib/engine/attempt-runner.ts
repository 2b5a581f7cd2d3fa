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
 * A worker's place in the runner: what its current attempt needs, in one
 * object (one or two cache lines, touched together at start and settle),
 * reused from attempt to attempt. Its two callbacks settle it.
 */
class AttemptSlot<R> {
  record: R | null = null;
  job: Job | null = null;
  handler: RegisteredHandler | null = null;
  bucket: DeadlineBucket | null = null;
  startedAt = 0;
  timeout = 0;
  /** Past its deadline: the attempt has failed, whatever the handler does now. */
  timedOut = false;
  /** Running attempts, oldest first. */
  prev: AttemptSlot<R> | null = null;
  next: AttemptSlot<R> | null = null;

  constructor(
    readonly onFulfilled: (value: unknown) => void,
    readonly onRejected: (error: unknown) => void,
  ) {}
}

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
 * Hot path: a running attempt occupies a slot object, reused from attempt to
 * attempt and created only as more attempts run at once (never past
 * `capacity`): starting and settling an attempt allocates no closure and no
 * async frame, and touches one object.
 */
export class AttemptRunner<R> {
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #random: () => number;
  readonly #capacity: number;
  readonly #signals: DeadlineSignals;
  readonly #host: AttemptHost<R>;

  readonly #free: Array<AttemptSlot<R>> = [];
  #head: AttemptSlot<R> | null = null;
  #tail: AttemptSlot<R> | null = null;
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
   *
   * @param acceptedAt when the job was accepted, on the runner's clock (for the `started` event's `waitMs`).
   */
  start(record: R, handler: RegisteredHandler, job: Job, timeout: number, holder: BucketHolder, acceptedAt: number): void {
    const slot = this.#free.length !== 0 ? this.#free.pop()! : this.#newSlot();
    this.#active++;
    slot.record = record;
    slot.job = job;
    slot.handler = handler;
    slot.timeout = timeout;
    const tail = this.#tail;
    slot.prev = tail;
    slot.next = null;
    if (tail === null) this.#head = slot;
    else tail.next = slot;
    this.#tail = slot;

    const now = this.#clock.now();
    slot.startedAt = now;
    const bucket = (slot.bucket = this.#signals.acquire(now + timeout, holder));
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
      if (slot.job !== job) return;
      // Past its deadline while the schema ran: the attempt has failed (the settle reports the timeout).
      if (slot.timedOut) this.#settle(slot, null, undefined);
      else this.#invokeChecked(slot, handler, job, bucket.signal, done);
    });
  }

  /** Invalid: fails the job for good without calling the handler. Valid: the handler gets the schema's output. */
  #invokeChecked(slot: AttemptSlot<R>, handler: RegisteredHandler, job: Job, signal: AbortSignal, check: PayloadCheck): void {
    if (check.issues !== undefined) {
      const message = payloadNoLongerValid(handler.type, handler.name, describeIssues(check.issues));
      this.#settle(slot, new UnrecoverableJobError(message), undefined);
      return;
    }
    this.#invoke(slot, handler, check.value === job.payload ? job : withPayload(job, check.value), signal);
  }

  #invoke(slot: AttemptSlot<R>, handler: RegisteredHandler, job: Job, signal: AbortSignal): void {
    let result: unknown;
    try {
      result = handler.invoke(job, signal);
    } catch (error) {
      this.#settle(slot, error, undefined);
      return;
    }
    // A promise settles the slot's callbacks; any other value (a sync handler) settles on a microtask, as `await` would.
    Promise.resolve(result).then(slot.onFulfilled, slot.onRejected);
  }

  /**
   * Shutdown's deadline: aborts every running attempt's signal and gives the
   * attempts up. Each one's record and job go to `visit`; a late settle of
   * any of them reports nothing.
   */
  abandonRunning(reason: unknown, visit: (record: R, job: Job) => void): void {
    this.#signals.abortAll(reason);
    for (let slot = this.#head; slot !== null; ) {
      const next = slot.next;
      const record = slot.record!;
      const job = slot.job!;
      this.#clear(slot);
      this.#free.push(slot);
      visit(record, job);
      slot = next;
    }
    this.#head = this.#tail = null;
    this.#active = 0;
    this.#stuck = 0;
  }

  /** The records of the running attempts, oldest start first. */
  running(): R[] {
    const out: R[] = [];
    for (let slot = this.#head; slot !== null; slot = slot.next) out.push(slot.record!);
    return out;
  }

  /** Stops the deadline timer for good (after `abandonRunning`, or once nothing runs). */
  close(): void {
    this.#signals.close();
  }

  #newSlot(): AttemptSlot<R> {
    const slot: AttemptSlot<R> = new AttemptSlot<R>(
      (value) => this.#settle(slot, SUCCESS, value),
      (error) => this.#settle(slot, error, undefined),
    );
    return slot;
  }

  #clear(slot: AttemptSlot<R>): void {
    slot.record = null;
    slot.job = null;
    slot.handler = null;
    slot.bucket = null;
    slot.timedOut = false;
    slot.prev = slot.next = null;
  }

  #settle(slot: AttemptSlot<R>, outcome: unknown, result: unknown): void {
    const record = slot.record;
    // Abandoned at shutdown's deadline: a late settle reports nothing.
    if (record === null) return;
    const now = this.#clock.now();
    const job = slot.job!;
    const handler = slot.handler!;
    const durationMs = now - slot.startedAt;
    this.#signals.release(slot.bucket!);
    if (slot.timedOut) {
      // Past its deadline the attempt has failed, whatever the handler did since.
      this.#stuck--;
      outcome = new JobTimeoutError(attemptTimedOut(slot.timeout));
    }
    this.#unlink(slot);
    this.#clear(slot);
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

  #unlink(slot: AttemptSlot<R>): void {
    const { prev, next } = slot;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
  }

  readonly #onDeadline = (bucket: DeadlineBucket): void => {
    for (let slot = this.#head; slot !== null; slot = slot.next) {
      if (slot.bucket !== bucket || slot.timedOut) continue;
      slot.timedOut = true;
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
