import type {
  DriverContext,
  DriverHealth,
  DriverState,
  JobsDriver,
  HandlerLookup,
  QueueCounts,
  RegisteredHandler,
  TypeCounts,
} from '../driver/jobs-driver.js';
import type { Job, SubmitOptions } from '../interfaces/job.interface.js';
import { JobTimeoutError, QueueClosedError, QueueFullError, UnrecoverableJobError } from '../jobs.errors.js';
import { attemptTimedOut, queueClosed, queueFull, shuttingDownReason } from '../jobs.messages.js';
import { backoffDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { type BucketHolder, type DeadlineBucket, DeadlineSignals } from './deadline-signals.js';
import { errorMessage } from './error-message.js';
import { createIdGenerator } from './job-ids.js';
import { jobSnapshot, nextSnapshot } from './job-snapshot.js';
import type { JobMonitor } from './job-monitor.js';
import type { HeapEntry } from './min-heap.js';
import { type ReadyEntry, ReadyQueue } from './ready-queue.js';
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

/**
 * Schedules the pump on a microtask. Not queueMicrotask: Node wraps each of
 * those in an AsyncResource (async-hooks bookkeeping, a bound function), about
 * a microsecond; a reaction on a settled promise is a fraction of that.
 */
const SETTLED = Promise.resolve();

/** A job type's share of the engine: its handler, its running count, and the jobs parked while it is at its concurrency. */
class Lane implements BucketHolder {
  running = 0;
  /** This type's jobs in the ready queue or parked, and in the timer queue. */
  waiting = 0;
  delayed = 0;
  readonly limit: number;
  parked: ReadyQueue<JobRecord> | null = null;
  bucket: DeadlineBucket | null = null;

  constructor(readonly handler: RegisteredHandler) {
    this.limit = handler.concurrency;
  }
}

/**
 * The engine's record of one accepted job, from submit to its end. Kept
 * small, since a full queue holds one per job: what users see lives in the
 * snapshot (`job`), and what only a running attempt needs lives in the
 * engine's per-worker slot arrays.
 */
class JobRecord implements ReadyEntry {
  readonly priority: number;
  /** When it became ready: FIFO order within its priority. */
  seq = 0;
  state = WAITING;
  /** Attempts made before the one running or next to run. */
  attempts = 0;
  /** The worker slot of the running attempt. */
  slot = -1;

  constructor(
    /** The snapshot users see; rebuilt when `attempts` moves on. */
    public job: Job,
    readonly lane: Lane,
    readonly timeout: number,
    /** The id was the user's: it is an idempotency key. */
    readonly keyed: boolean,
  ) {
    this.priority = job.priority;
  }
}

/** A delayed job or a pending retry in the timer queue. */
class DelayedJob implements HeapEntry {
  key = 0;
  seq = 0;
  heapIndex = -1;
  constructor(readonly record: JobRecord) {}
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
 *
 * Hot path: a running attempt occupies one of `workers` slots, and everything
 * only a running attempt needs (start time, deadline bucket, its place in the
 * running list, the callbacks its handler's promise settles) lives in arrays
 * indexed by slot, made once: starting and settling an attempt allocates no
 * closure and no async frame.
 */
export class MemoryJobsEngine implements JobsDriver {
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #handlers: HandlerLookup;
  readonly #workers: number;
  readonly #queueSize: number;
  readonly #shutdownTimeout: number;
  readonly #random: () => number;
  readonly #nextId = createIdGenerator();

  readonly #ready = new ReadyQueue<JobRecord>();
  readonly #delayed: TimerQueue<DelayedJob>;
  readonly #signals: DeadlineSignals;
  readonly #lanes: Lane[] = [];
  readonly #byId = new Map<string, JobRecord>();
  #readySeq = 0;
  #parked = 0;

  // ---- worker slots: one per running attempt ------------------------------
  readonly #freeSlots: Int32Array;
  #freeCount: number;
  readonly #slotRecord: Array<JobRecord | null>;
  readonly #slotBucket: Array<DeadlineBucket | null>;
  readonly #slotStartedAt: Float64Array;
  /** When a timed-out attempt settles: the retry's due time, or -1 for none. */
  readonly #slotRetryDue: Float64Array;
  /** The attempt has passed its deadline and been reported failed. */
  readonly #slotTimedOut: Uint8Array;
  /** Running attempts, oldest first, as a list of slots (-1 ends it). */
  readonly #slotPrev: Int32Array;
  readonly #slotNext: Int32Array;
  #head = -1;
  #tail = -1;
  readonly #onFulfilled: Array<() => void>;
  readonly #onRejected: Array<(error: unknown) => void>;
  #active = 0;
  #stuck = 0;

  /** Jobs accepted in the same millisecond share their `createdAt` (a Date costs ~0.2 µs and ~110 bytes). */
  #dateMs = NaN;
  #date: Date | null = null;

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
    const { options, clock, monitor, handlers } = context;
    this.#clock = clock;
    this.#monitor = monitor;
    this.#handlers = handlers;
    const workers = (this.#workers = options.workers);
    this.#queueSize = options.queueSize;
    this.#shutdownTimeout = options.shutdownTimeout;
    this.#random = tuning.random ?? Math.random;
    this.#delayed = new TimerQueue(clock, this.#onDelayDue, true);
    this.#signals = new DeadlineSignals(clock, tuning.signalGranularityMs ?? 2, this.#onDeadline);

    this.#freeSlots = new Int32Array(workers);
    // Slot 0 on top, so a lightly loaded engine keeps reusing the same few.
    for (let i = 0; i < workers; i++) this.#freeSlots[i] = workers - 1 - i;
    this.#freeCount = workers;
    this.#slotRecord = new Array<JobRecord | null>(workers).fill(null);
    this.#slotBucket = new Array<DeadlineBucket | null>(workers).fill(null);
    this.#slotStartedAt = new Float64Array(workers);
    this.#slotRetryDue = new Float64Array(workers);
    this.#slotTimedOut = new Uint8Array(workers);
    this.#slotPrev = new Int32Array(workers);
    this.#slotNext = new Int32Array(workers);
    this.#onFulfilled = [];
    this.#onRejected = [];
    for (let slot = 0; slot < workers; slot++) {
      this.#onFulfilled.push(() => this.#settle(slot, SUCCESS));
      this.#onRejected.push((error: unknown) => this.#settle(slot, error));
    }
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
    if (this.#size() >= this.#queueSize) {
      return this.#refuse(new QueueFullError(queueFull(this.#queueSize)));
    }
    const lane = (this.#lanes[handler.index] ??= new Lane(handler));
    const now = this.#clock.now();
    const keyed = id !== undefined;
    const job = jobSnapshot(id ?? this.#nextId(), handler.type, payload, priority, 0, maxRetries, this.#dateAt(now), undefined);
    const record = new JobRecord(job, lane, timeout, keyed);
    if (keyed) this.#byId.set(job.id, record);
    this.#monitor.submitted(job);
    if (delay > 0) {
      record.state = DELAYED;
      this.#delay(record, now + delay);
    } else {
      this.#makeReady(record);
      // Handlers never run inside submit: the pump runs on a microtask.
      if (this.#active < this.#workers && !this.#pumpScheduled && this.#state === 'running') {
        this.#pumpScheduled = true;
        void SETTLED.then(this.#scheduledPump);
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

  countsByType(): TypeCounts[] {
    return this.#handlers.all().map(({ type, index }) => {
      const lane = this.#lanes[index];
      return { type, waiting: lane?.waiting ?? 0, delayed: lane?.delayed ?? 0, active: lane?.running ?? 0 };
    });
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

  #dateAt(now: number): Date {
    const ms = Math.floor(now);
    if (ms !== this.#dateMs || this.#date === null) {
      this.#dateMs = ms;
      this.#date = new Date(ms);
    }
    return this.#date;
  }

  #makeReady(record: JobRecord): void {
    record.state = WAITING;
    record.lane.waiting++;
    record.seq = ++this.#readySeq;
    this.#ready.push(record);
  }

  #delay(record: JobRecord, due: number): void {
    record.lane.delayed++;
    this.#delayed.add(new DelayedJob(record), due);
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
        (lane.parked ??= new ReadyQueue()).insert(record);
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
    lane.waiting--;
    lane.running++;
    const slot = this.#freeSlots[--this.#freeCount];
    record.slot = slot;
    this.#slotRecord[slot] = record;
    this.#slotPrev[slot] = this.#tail;
    this.#slotNext[slot] = -1;
    if (this.#tail === -1) this.#head = slot;
    else this.#slotNext[this.#tail] = slot;
    this.#tail = slot;

    const now = this.#clock.now();
    this.#slotStartedAt[slot] = now;
    const bucket = (this.#slotBucket[slot] = this.#signals.acquire(now + record.timeout, lane));
    const job = this.#current(record);
    this.#monitor.started(job);
    let result: unknown;
    try {
      result = lane.handler.invoke(job, bucket.signal);
    } catch (error) {
      this.#settle(slot, error);
      return;
    }
    // A promise settles the slot's callbacks; any other value (a sync handler) settles on a microtask, as `await` would.
    Promise.resolve(result).then(this.#onFulfilled[slot], this.#onRejected[slot]);
  }

  #settle(slot: number, outcome: unknown): void {
    const record = this.#slotRecord[slot];
    // Abandoned at shutdown's deadline: a late settle emits nothing.
    if (record === null || record.state !== RUNNING) return;
    const now = this.#clock.now();
    const lane = record.lane;
    const startedAt = this.#slotStartedAt[slot];
    this.#signals.release(this.#slotBucket[slot]!);
    this.#slotBucket[slot] = null;
    this.#slotRecord[slot] = null;
    this.#unlink(slot);
    this.#freeSlots[this.#freeCount++] = slot;
    record.slot = -1;
    this.#active--;
    lane.running--;

    if (this.#slotTimedOut[slot] === 1) {
      // Its failure was reported at the deadline; only now may its retry start.
      this.#slotTimedOut[slot] = 0;
      this.#stuck--;
      const retryDue = this.#slotRetryDue[slot];
      if (retryDue >= 0) {
        record.attempts++;
        this.#schedule(record, retryDue, now);
      } else {
        this.#finish(record);
      }
    } else if (outcome === SUCCESS) {
      this.#finish(record);
      this.#monitor.completed(record.job, now - startedAt);
    } else {
      this.#attemptFailed(record, slot, outcome, now - startedAt, now, false);
    }

    const parked = lane.parked;
    if (parked !== null && parked.size > 0) {
      this.#ready.insert(parked.pop()!);
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
  #attemptFailed(record: JobRecord, slot: number, error: unknown, durationMs: number, now: number, stillRunning: boolean): void {
    const message = errorMessage(error);
    const job = (record.job = nextSnapshot(record.job, record.attempts, message));
    if (error instanceof UnrecoverableJobError || record.attempts >= job.maxRetries) {
      if (!stillRunning) this.#finish(record);
      else this.#slotRetryDue[slot] = -1;
      this.#monitor.failedForGood(job, message, durationMs);
      return;
    }
    const delay = backoffDelay(record.lane.handler.backoff, record.attempts + 1, this.#random);
    this.#monitor.retrying(job, message, durationMs, delay);
    if (stillRunning) {
      this.#slotRetryDue[slot] = now + delay;
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
      this.#delay(record, due);
    }
  }

  #finish(record: JobRecord): void {
    record.state = DONE;
    if (record.keyed) this.#byId.delete(record.job.id);
  }

  #unlink(slot: number): void {
    const prev = this.#slotPrev[slot];
    const next = this.#slotNext[slot];
    if (prev === -1) this.#head = next;
    else this.#slotNext[prev] = next;
    if (next === -1) this.#tail = prev;
    else this.#slotPrev[next] = prev;
  }

  readonly #onDelayDue = (entry: DelayedJob): void => {
    entry.record.lane.delayed--;
    this.#makeReady(entry.record);
    this.#pump();
  };

  readonly #onDeadline = (bucket: DeadlineBucket): void => {
    const now = this.#clock.now();
    for (let slot = this.#head; slot !== -1; slot = this.#slotNext[slot]) {
      const record = this.#slotRecord[slot];
      // Null once a listener of the failure event closed the engine (shutdown abandons what still runs).
      if (record === null || this.#slotBucket[slot] !== bucket || this.#slotTimedOut[slot] === 1) continue;
      this.#slotTimedOut[slot] = 1;
      this.#stuck++;
      const durationMs = now - this.#slotStartedAt[slot];
      this.#attemptFailed(record, slot, new JobTimeoutError(attemptTimedOut(record.timeout)), durationMs, now, true);
    }
  };

  #current(record: JobRecord): Job {
    const job = record.job;
    if (job.attempts === record.attempts) return job;
    return (record.job = nextSnapshot(job, record.attempts, job.error));
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
    for (let slot = this.#head; slot !== -1; slot = this.#slotNext[slot]) {
      const record = this.#slotRecord[slot]!;
      // A timed-out attempt with no retry to come already ended its job as failed.
      if (this.#slotTimedOut[slot] === 0 || this.#slotRetryDue[slot] >= 0) abandoned.push(record);
      else record.state = DONE;
      // A late settle of this attempt finds its slot empty and emits nothing.
      this.#slotRecord[slot] = null;
    }
    this.#head = this.#tail = -1;
    this.#active = 0;
    this.#stuck = 0;
    // Loops, not push(...spread): a full queue may hold more jobs than a call takes arguments.
    for (const record of this.#ready.drain()) abandoned.push(record);
    for (const lane of this.#lanes) if (lane?.parked) for (const record of lane.parked.drain()) abandoned.push(record);
    this.#parked = 0;
    for (const entry of this.#delayed.drain()) abandoned.push(entry.record);
    for (const lane of this.#lanes) if (lane) lane.waiting = lane.delayed = lane.running = 0;
    this.#signals.close();

    const jobs: Job[] = [];
    for (const record of abandoned) {
      record.state = ABANDONED;
      if (record.keyed) this.#byId.delete(record.job.id);
      jobs.push(this.#current(record));
    }
    this.#monitor.abandonedJobs(jobs);

    if (this.#idleWaiters !== null) this.#checkIdle();
    if (this.#sizeWaiters !== null) this.#checkSize();
    this.#closed!();
  }
}
