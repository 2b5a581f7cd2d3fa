import type {
  DriverContext,
  DriverHealth,
  DriverState,
  JobsDriver,
  QueueCounts,
  RegisteredHandler,
} from '../driver/jobs-driver.js';
import type { Job, SubmitOptions } from '../interfaces/job.interface.js';
import { JobTimeoutError, QueueClosedError, QueueFullError, UnrecoverableJobError } from '../jobs.errors.js';
import { attemptTimedOut, queueClosed, queueFull, shuttingDownReason } from '../jobs.messages.js';
import { backoffDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { type BucketHolder, type DeadlineBucket, DeadlineSignals } from './deadline-signals.js';
import { errorMessage } from './error-message.js';
import { createIdGenerator } from './job-ids.js';
import type { JobMonitor } from './job-monitor.js';
import { type HeapEntry, MinHeap } from './min-heap.js';
import { TimerQueue } from './timer-queue.js';

/** Engine knobs that are not module options: tests set them, users need not. */
export interface MemoryEngineTuning {
  /** Width of a deadline slot: signals abort at most this late. Default 2 ms. */
  signalGranularityMs?: number;
  /** Source of jitter. Default `Math.random`. */
  random?: () => number;
}

const WAITING = 0;
const DELAYED = 1;
const RUNNING = 2;
const DONE = 3;
const ABANDONED = 4;

const SUCCESS: unique symbol = Symbol('success');

/** A job type's share of the engine: its handler, its running count, and the jobs parked while it is at its concurrency. */
class Lane implements BucketHolder {
  running = 0;
  readonly limit: number;
  parked: MinHeap<JobRecord> | null = null;
  bucket: DeadlineBucket | null = null;

  constructor(readonly handler: RegisteredHandler) {
    this.limit = handler.concurrency;
  }
}

/** The engine's record of one accepted job, from submit to its end. Heap entry and running-list node in one. */
class JobRecord implements HeapEntry {
  key = 0;
  seq = 0;
  heapIndex = -1;
  state = WAITING;
  /** Attempts made before the one running or next to run. */
  attempts = 0;
  error: string | undefined = undefined;
  /** The snapshot users see; rebuilt when `attempts` moves on. */
  job!: Job;
  bucket: DeadlineBucket | null = null;
  startedAt = 0;
  /** The running attempt has passed its deadline and been reported failed. */
  timedOut = false;
  /** When a timed-out attempt settles: the retry's due time, or -1 for none. */
  retryDue = -1;
  prev: JobRecord | null = null;
  next: JobRecord | null = null;

  constructor(
    readonly id: string,
    readonly lane: Lane,
    readonly payload: unknown,
    readonly priority: number,
    readonly maxRetries: number,
    readonly timeout: number,
    readonly createdAt: Date,
    /** The id was the user's: it is an idempotency key. */
    readonly keyed: boolean,
  ) {}
}

function snapshot(record: JobRecord): Job {
  return Object.freeze({
    id: record.id,
    type: record.lane.handler.type,
    payload: record.payload,
    priority: record.priority,
    attempts: record.attempts,
    maxRetries: record.maxRetries,
    createdAt: record.createdAt,
    error: record.error,
  });
}

interface SizeWaiter {
  limit: number;
  resolve: () => void;
}

/**
 * The in-memory engine: a bounded, stable priority queue feeding a pool of
 * concurrent attempts, with per-type concurrency, delays and retries on one
 * timer, per-attempt deadlines on shared signals, and a bounded drain.
 *
 * Knows nothing of Nest; time comes from the injected clock.
 */
export class MemoryJobsEngine implements JobsDriver {
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #workers: number;
  readonly #queueSize: number;
  readonly #shutdownTimeout: number;
  readonly #random: () => number;
  readonly #nextId = createIdGenerator();

  readonly #ready = new MinHeap<JobRecord>();
  readonly #delayed: TimerQueue<JobRecord>;
  readonly #signals: DeadlineSignals;
  readonly #lanes: Lane[] = [];
  readonly #byId = new Map<string, JobRecord>();
  #readySeq = 0;
  #parked = 0;

  /** Running attempts, oldest first. */
  #head: JobRecord | null = null;
  #tail: JobRecord | null = null;
  #active = 0;
  #stuck = 0;

  #state: DriverState = 'created';
  #started = false;
  #pumping = false;
  #pumpScheduled = false;
  #idleWaiters: Array<() => void> | null = null;
  #sizeWaiters: SizeWaiter[] | null = null;
  #closing: Promise<void> | null = null;
  #closed: (() => void) | null = null;
  #shutdownTimer: TimerHandle | undefined;

  constructor(context: DriverContext, tuning: MemoryEngineTuning = {}) {
    const { options, clock, monitor } = context;
    this.#clock = clock;
    this.#monitor = monitor;
    this.#workers = options.workers;
    this.#queueSize = options.queueSize;
    this.#shutdownTimeout = options.shutdownTimeout;
    this.#random = tuning.random ?? Math.random;
    this.#delayed = new TimerQueue(clock, this.#onDelayDue, true);
    this.#signals = new DeadlineSignals(clock, tuning.signalGranularityMs ?? 2, this.#onDeadline);
  }

  start(): void {
    if (this.#state !== 'created') return;
    this.#state = 'running';
    this.#started = true;
    this.#pump();
  }

  submit(handler: RegisteredHandler, payload: unknown, options: SubmitOptions | undefined): Promise<Job> {
    if (this.#state === 'draining' || this.#state === 'closed') {
      return this.#refuse(new QueueClosedError(queueClosed()));
    }
    let id: string | undefined;
    let priority = 0;
    let maxRetries = handler.maxRetries;
    let timeout = handler.timeout;
    let delay = 0;
    if (options !== undefined) {
      id = options.id;
      if (id !== undefined) {
        const existing = this.#byId.get(id);
        if (existing !== undefined) return Promise.resolve(this.#current(existing));
      }
      priority = options.priority ?? 0;
      maxRetries = options.maxRetries ?? maxRetries;
      timeout = options.timeout ?? timeout;
      delay = options.delay ?? 0;
    }
    if (this.#ready.size + this.#parked + this.#delayed.size >= this.#queueSize) {
      return this.#refuse(new QueueFullError(queueFull(this.#queueSize)));
    }
    const lane = (this.#lanes[handler.index] ??= new Lane(handler));
    const now = this.#clock.now();
    const keyed = id !== undefined;
    const record = new JobRecord(id ?? this.#nextId(), lane, payload, priority, maxRetries, timeout, new Date(now), keyed);
    const job = (record.job = snapshot(record));
    if (keyed) this.#byId.set(record.id, record);
    this.#monitor.submitted(job);
    if (delay > 0) {
      record.state = DELAYED;
      this.#delayed.add(record, now + delay);
    } else {
      this.#makeReady(record);
      // Handlers never run inside submit: the pump runs on a microtask.
      if (this.#active < this.#workers && !this.#pumpScheduled && this.#state === 'running') {
        this.#pumpScheduled = true;
        queueMicrotask(this.#scheduledPump);
      }
    }
    return Promise.resolve(job);
  }

  counts(): QueueCounts {
    return {
      waiting: this.#ready.size + this.#parked,
      delayed: this.#delayed.size,
      active: this.#active,
      stuck: this.#stuck,
    };
  }

  health(): DriverHealth {
    return { state: this.#state };
  }

  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => (this.#idleWaiters ??= []).push(resolve));
  }

  onSizeLessThan(limit: number): Promise<void> {
    if (this.#size() < limit) return Promise.resolve();
    return new Promise((resolve) => (this.#sizeWaiters ??= []).push({ limit, resolve }));
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state = 'draining';
    this.#closing = new Promise((resolve) => (this.#closed = resolve));
    if (!this.#started) {
      // Never bootstrapped: nothing may run now, so whatever was accepted is abandoned.
      this.#abandonAll();
    } else {
      this.#shutdownTimer = this.#clock.setTimeout(this.#onShutdownDeadline, this.#shutdownTimeout);
      this.#checkDrained();
    }
    return this.#closing;
  }

  // ---- the data path ------------------------------------------------------

  #makeReady(record: JobRecord): void {
    record.state = WAITING;
    record.key = -record.priority;
    record.seq = ++this.#readySeq;
    this.#ready.push(record);
  }

  readonly #scheduledPump = (): void => {
    this.#pumpScheduled = false;
    this.#pump();
  };

  /** Starts attempts while workers are free. Re-entrant calls (a handler that throws synchronously) fall through to the running loop. */
  #pump(): void {
    if (this.#pumping || this.#state === 'created' || this.#state === 'closed') return;
    this.#pumping = true;
    const ready = this.#ready;
    while (this.#active < this.#workers) {
      const record = ready.pop();
      if (record === undefined) break;
      const lane = record.lane;
      if (lane.running >= lane.limit) {
        // Its type is saturated: set it aside so the jobs behind it can start.
        (lane.parked ??= new MinHeap()).push(record);
        this.#parked++;
        continue;
      }
      this.#start(record, lane);
    }
    this.#pumping = false;
    if (this.#sizeWaiters !== null) this.#checkSize();
  }

  #start(record: JobRecord, lane: Lane): void {
    record.state = RUNNING;
    this.#active++;
    lane.running++;
    record.prev = this.#tail;
    if (this.#tail === null) this.#head = record;
    else this.#tail.next = record;
    this.#tail = record;

    const now = this.#clock.now();
    record.startedAt = now;
    const bucket = (record.bucket = this.#signals.acquire(now + record.timeout, lane));
    let job = record.job;
    if (job.attempts !== record.attempts) job = record.job = snapshot(record);
    this.#monitor.started(job);
    void this.#run(record, lane.handler, job, bucket.signal);
  }

  async #run(record: JobRecord, handler: RegisteredHandler, job: Job, signal: AbortSignal): Promise<void> {
    let outcome: unknown = SUCCESS;
    try {
      await handler.invoke(job, signal);
    } catch (error) {
      outcome = error;
    }
    this.#settle(record, outcome);
  }

  #settle(record: JobRecord, outcome: unknown): void {
    // Abandoned at shutdown's deadline: a late settle emits nothing.
    if (record.state !== RUNNING) return;
    const now = this.#clock.now();
    const lane = record.lane;
    this.#unlink(record);
    this.#active--;
    lane.running--;
    this.#signals.release(record.bucket!);
    record.bucket = null;

    if (record.timedOut) {
      // Its failure was reported at the deadline; only now may its retry start.
      record.timedOut = false;
      this.#stuck--;
      if (record.retryDue >= 0) {
        record.attempts++;
        this.#schedule(record, record.retryDue, now);
        record.retryDue = -1;
      } else {
        this.#finish(record);
      }
    } else if (outcome === SUCCESS) {
      this.#finish(record);
      this.#monitor.completed(record.job, now - record.startedAt);
    } else {
      this.#attemptFailed(record, outcome, now, false);
    }

    const parked = lane.parked;
    if (parked !== null && parked.size > 0) {
      this.#ready.push(parked.pop()!);
      this.#parked--;
    }
    this.#pump();
    if (this.#state === 'draining') this.#checkDrained();
    if (this.#idleWaiters !== null) this.#checkIdle();
  }

  /**
   * An attempt failed: report it, then either retry it after the backoff or
   * fail the job for good. A timed-out attempt is still running, so its retry
   * waits for it to settle (attempts of one job never overlap).
   */
  #attemptFailed(record: JobRecord, error: unknown, now: number, stillRunning: boolean): void {
    const message = errorMessage(error);
    const durationMs = now - record.startedAt;
    record.error = message;
    const job = (record.job = snapshot(record));
    if (error instanceof UnrecoverableJobError || record.attempts >= record.maxRetries) {
      if (!stillRunning) this.#finish(record);
      this.#monitor.failedForGood(job, message, durationMs);
      return;
    }
    const delay = backoffDelay(record.lane.handler.backoff, record.attempts + 1, this.#random);
    this.#monitor.retrying(job, message, durationMs, delay);
    if (stillRunning) {
      record.retryDue = now + delay;
    } else {
      record.attempts++;
      this.#schedule(record, now + delay, now);
    }
  }

  #schedule(record: JobRecord, due: number, now: number): void {
    if (due <= now) {
      this.#makeReady(record);
    } else {
      record.state = DELAYED;
      this.#delayed.add(record, due);
    }
  }

  #finish(record: JobRecord): void {
    record.state = DONE;
    if (record.keyed) this.#byId.delete(record.id);
  }

  #unlink(record: JobRecord): void {
    const { prev, next } = record;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    record.prev = record.next = null;
  }

  readonly #onDelayDue = (record: JobRecord): void => {
    this.#makeReady(record);
    this.#pump();
  };

  readonly #onDeadline = (bucket: DeadlineBucket): void => {
    const now = this.#clock.now();
    for (let record = this.#head; record !== null; record = record.next) {
      if (record.bucket !== bucket || record.timedOut) continue;
      record.timedOut = true;
      this.#stuck++;
      this.#attemptFailed(record, new JobTimeoutError(attemptTimedOut(record.timeout)), now, true);
    }
  };

  #current(record: JobRecord): Job {
    if (record.job.attempts !== record.attempts) record.job = snapshot(record);
    return record.job;
  }

  #refuse(error: Error): Promise<never> {
    this.#monitor.refused();
    return Promise.reject(error);
  }

  // ---- waiting for states -------------------------------------------------

  #size(): number {
    return this.#ready.size + this.#parked + this.#delayed.size;
  }

  #isIdle(): boolean {
    return this.#active === 0 && this.#size() === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters!;
    this.#idleWaiters = null;
    for (const resolve of waiters) resolve();
  }

  #checkSize(): void {
    const size = this.#size();
    const waiters = this.#sizeWaiters!;
    let kept: SizeWaiter[] | null = null;
    for (const waiter of waiters) {
      if (size < waiter.limit) waiter.resolve();
      else (kept ??= []).push(waiter);
    }
    this.#sizeWaiters = kept;
  }

  // ---- shutdown -----------------------------------------------------------

  /** Draining: once nothing waits or runs, the jobs still delayed are abandoned at once. */
  #checkDrained(): void {
    if (this.#active === 0 && this.#ready.size === 0 && this.#parked === 0) this.#abandonAll();
  }

  readonly #onShutdownDeadline = (): void => {
    this.#shutdownTimer = undefined;
    this.#signals.abortAll(new DOMException(shuttingDownReason(), 'AbortError'));
    this.#abandonAll();
  };

  /** Ends the drain: whatever still runs, waits or is delayed is abandoned, and every timer stops. */
  #abandonAll(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#shutdownTimer !== undefined) this.#clock.clearTimeout(this.#shutdownTimer);
    this.#shutdownTimer = undefined;

    const abandoned: JobRecord[] = [];
    for (let record = this.#head; record !== null; record = record.next) {
      // A timed-out attempt with no retry to come already ended its job as failed.
      if (!record.timedOut || record.retryDue >= 0) abandoned.push(record);
      else record.state = DONE;
    }
    this.#head = this.#tail = null;
    this.#active = 0;
    this.#stuck = 0;
    abandoned.push(...this.#ready.drain());
    for (const lane of this.#lanes) if (lane?.parked) abandoned.push(...lane.parked.drain());
    this.#parked = 0;
    abandoned.push(...this.#delayed.drain());
    this.#signals.close();

    const jobs: Job[] = [];
    for (const record of abandoned) {
      record.state = ABANDONED;
      if (record.keyed) this.#byId.delete(record.id);
      jobs.push(this.#current(record));
    }
    this.#monitor.abandonedJobs(jobs);

    if (this.#idleWaiters !== null) this.#checkIdle();
    if (this.#sizeWaiters !== null) this.#checkSize();
    this.#closed!();
  }
}
