import type { Job } from '../interfaces/job.interface.js';
import { type AttemptHost, AttemptRunner, COMPLETED, FAILED } from '../engine/attempt-runner.js';
import type { Clock, TimerHandle } from '../engine/clock.js';
import type { BucketHolder, DeadlineBucket } from '../engine/deadline-signals.js';
import { queueFull, shuttingDownReason } from '../engine/engine.messages.js';
import { createIdGenerator } from '../engine/job-ids.js';
import type { JobMonitor } from '../engine/job-monitor.js';
import type { JobRequest } from '../engine/job-request.js';
import { jobSnapshot, nextSnapshot } from '../engine/job-snapshot.js';
import type {
  DriverContext,
  DriverHealth,
  DriverState,
  HandlerLookup,
  JobsDriver,
  QueueCounts,
  RegisteredHandler,
  TypeCounts,
} from '../engine/jobs-driver.js';
import { QueueFullError } from '../engine/jobs.errors.js';
import type { HeapEntry } from '../engine/min-heap.js';
import { TimerQueue } from '../engine/timer-queue.js';
import { IdleWaiters, SizeWaiters } from '../engine/waiters.js';
import { RateLimiter, WINDOW_FULL, WINDOW_OPENED } from '../engine/rate-limiter.js';
import type { ScheduleRequest } from '../engine/schedules.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';
import { MemorySchedules, type TickHost } from './memory-schedules.js';
import { type ReadyEntry, ReadyQueue } from './ready-queue.js';

/** Engine knobs that are not module options: tests set them, users need not. */
export interface MemoryDriverTuning {
  /** Width of a deadline slot: signals abort at most this late. Default 2 ms. */
  signalGranularityMs?: number;
}

const WAITING = 0;
const DELAYED = 1;
const RUNNING = 2;
const DONE = 3;
const ABANDONED = 4;

/**
 * Schedules the pump on a microtask. Not queueMicrotask: Node wraps each of
 * those in an AsyncResource (async-hooks bookkeeping, a bound function); a
 * reaction on a settled promise costs a fraction of that.
 */
const SETTLED = Promise.resolve();

/** A job type's share of the engine: its running count, its depths, and the jobs parked while it is at its concurrency. */
class TypeState implements BucketHolder {
  running = 0;
  /** This type's jobs in the ready queue or parked, and in the timer queue. */
  waiting = 0;
  delayed = 0;
  readonly limit: number;
  parked: ReadyQueue<MemoryJob> | null = null;
  bucket: DeadlineBucket | null = null;
  /** The type's rate limit, or null (read once per type, so an unlimited type pays a null check per start). */
  readonly rate: RateLimiter | null;
  /** The close of the type's open rate-limit window, on the timer queue. */
  readonly windowEnd: RateWake | null;

  constructor(readonly handler: RegisteredHandler) {
    this.limit = handler.concurrency;
    this.rate = handler.rateLimit === undefined ? null : new RateLimiter(handler.rateLimit);
    this.windowEnd = this.rate === null ? null : new RateWake(this);
  }
}

/** A rate-limited type's wake-up on the timer queue, when its window closes. */
class RateWake implements HeapEntry {
  key = 0;
  seq = 0;
  heapIndex = -1;
  constructor(readonly type: TypeState) {}
}

/**
 * The engine's record of one accepted job, from submit to its end. Kept
 * small, since a full queue holds one per job: what users see lives in the
 * snapshot (`job`), and what only a running attempt needs lives in the
 * attempt runner's slots.
 */
class MemoryJob implements ReadyEntry {
  readonly priority: number;
  /** When it became ready: FIFO order within its priority. */
  seq = 0;
  state = WAITING;
  /** Attempts made before the one running or next to run. */
  attempts = 0;

  constructor(
    /** The snapshot users see; rebuilt when `attempts` moves on. */
    public job: Job,
    readonly type: TypeState,
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
  constructor(readonly record: MemoryJob) {}
}

/**
 * The in-memory driver: a bounded, stable priority queue feeding the
 * kernel's attempt runner, with per-type concurrency (a saturated type's jobs
 * are parked, so they never block other types), delays and retries on one
 * timer, and a bounded drain. Knows nothing of Nest; time comes from the
 * injected clock.
 */
export class MemoryJobsDriver implements JobsDriver, AttemptHost<MemoryJob>, TickHost<MemoryJob> {
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #handlers: HandlerLookup;
  readonly #queueSize: number;
  readonly #shutdownTimeout: number;
  readonly #nextId = createIdGenerator();
  readonly #runner: AttemptRunner<MemoryJob>;

  readonly #ready = new ReadyQueue<MemoryJob>();
  readonly #delayed: TimerQueue<DelayedJob>;
  readonly #types: TypeState[] = [];
  readonly #byId = new Map<string, MemoryJob>();
  #readySeq = 0;
  #parked = 0;
  readonly #schedules: MemorySchedules<MemoryJob>;
  /** Rate-limit window ends, made on first need: an app without rate limits has none. */
  #rateWakes: TimerQueue<RateWake> | null = null;

  /** Jobs accepted in the same millisecond share their `createdAt` (a Date costs ~0.2 µs and ~110 bytes). */
  #dateMs = NaN;
  #date: Date | null = null;

  #state: DriverState = 'created';
  #started = false;
  #pumping = false;
  #pumpScheduled = false;
  readonly #idleWaiters = new IdleWaiters();
  readonly #sizeWaiters = new SizeWaiters();
  #closing: Promise<void> | null = null;
  #closed: (() => void) | null = null;
  #shutdownTimer: TimerHandle | undefined;

  constructor(context: DriverContext, tuning: MemoryDriverTuning = {}) {
    const { options, clock, monitor, handlers, random } = context;
    this.#clock = clock;
    this.#monitor = monitor;
    this.#handlers = handlers;
    this.#queueSize = options.queueSize;
    this.#shutdownTimeout = options.shutdownTimeout;
    this.#delayed = new TimerQueue(clock, this.#onDelayDue, true);
    this.#schedules = new MemorySchedules(clock, this);
    this.#runner = new AttemptRunner(
      { clock, monitor, random, capacity: options.workers, signalGranularityMs: tuning.signalGranularityMs ?? 2 },
      this,
    );
  }

  start(): void {
    if (this.#state !== 'created') return;
    this.#state = 'running';
    this.#started = true;
    this.#pump();
  }

  submit(request: JobRequest): Promise<Job> {
    const { handler, id } = request;
    if (id !== undefined) {
      const existing = this.#byId.get(id);
      if (existing !== undefined) return Promise.resolve(this.#current(existing));
    }
    if (this.#size() >= this.#queueSize) {
      this.#monitor.rejected();
      return Promise.reject(new QueueFullError(queueFull(this.#queueSize)));
    }
    const type = (this.#types[handler.index] ??= new TypeState(handler));
    const now = this.#clock.now();
    const keyed = id !== undefined;
    const job = jobSnapshot(id ?? this.#nextId(), handler.type, request.payload, request.priority, 0, request.maxRetries, this.#dateAt(now), undefined);
    const record = new MemoryJob(job, type, request.timeout, keyed);
    if (keyed) this.#byId.set(job.id, record);
    if (request.delay > 0) {
      this.#delay(record, now + request.delay);
    } else {
      this.#makeReady(record);
      // Handlers never run inside submit: the pump runs on a microtask.
      if (!this.#pumpScheduled && this.#state === 'running' && !this.#runner.full) {
        this.#pumpScheduled = true;
        void SETTLED.then(this.#scheduledPump);
      }
    }
    this.#monitor.submitted(job);
    return Promise.resolve(job);
  }

  counts(): QueueCounts {
    let rateLimited = 0;
    if (this.#rateWakes !== null) for (const type of this.#types) if (type !== undefined) rateLimited += this.#rateLimited(type);
    return {
      waiting: this.#ready.size + this.#parked,
      delayed: this.#delayed.size,
      active: this.#runner.active,
      stuck: this.#runner.stuck,
      rateLimited,
    };
  }

  countsByType(): TypeCounts[] {
    return this.#handlers.all().map(({ type, index }) => {
      const state = this.#types[index];
      return {
        type,
        waiting: state?.waiting ?? 0,
        delayed: state?.delayed ?? 0,
        active: state?.running ?? 0,
        rateLimited: state === undefined ? 0 : this.#rateLimited(state),
      };
    });
  }

  /** A type's parked jobs while its rate-limit window is full: they wait for the window, not for a worker. */
  #rateLimited(type: TypeState): number {
    return type.rate !== null && type.parked !== null && type.rate.isFull ? type.parked.size : 0;
  }

  // ---- schedules ----------------------------------------------------------

  schedule(request: ScheduleRequest): Promise<ScheduleRecord> {
    return Promise.resolve(this.#schedules.set(request));
  }

  unschedule(key: string): Promise<boolean> {
    return Promise.resolve(this.#schedules.delete(key));
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return Promise.resolve(this.#schedules.list());
  }

  reconcileSchedules(declared: readonly ScheduleRequest[]): Promise<void> {
    this.#schedules.reconcile(declared);
    return Promise.resolve();
  }

  /** A tick's job: accepted like a submit, but never refused (a schedule has at most one pending job). */
  enqueueTick(request: ScheduleRequest): MemoryJob {
    const { handler } = request;
    const type = (this.#types[handler.index] ??= new TypeState(handler));
    const now = this.#clock.now();
    const job = jobSnapshot(this.#nextId(), handler.type, request.payload, request.priority, 0, request.maxRetries, this.#dateAt(now), undefined);
    const record = new MemoryJob(job, type, request.timeout, false);
    this.#makeReady(record);
    this.#monitor.submitted(job);
    this.#pump();
    return record;
  }

  /** Not yet started: a retry is its tick's job running on, not a pending one. */
  isPending(record: MemoryJob): boolean {
    return record.state === WAITING && record.attempts === 0;
  }

  removePending(record: MemoryJob): void {
    const type = record.type;
    if (!this.#ready.remove(record)) {
      if (type.parked === null || !type.parked.remove(record)) return;
      this.#parked--;
    }
    type.waiting--;
    record.state = DONE;
    this.#monitor.removed(record.job);
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#size());
    if (this.#idleWaiters.pending && this.#isIdle()) this.#idleWaiters.settle();
    if (this.#state === 'draining') this.#checkDrained();
  }

  health(): DriverHealth {
    if (this.#schedules.size === 0) return { state: this.#state };
    return { state: this.#state, schedules: this.#schedules.list() };
  }

  onIdle(): Promise<void> {
    if (this.#isIdle() || this.#state === 'closed') return Promise.resolve();
    return this.#idleWaiters.wait();
  }

  onSizeLessThan(limit: number): Promise<void> {
    if (this.#size() < limit || this.#state === 'closed') return Promise.resolve();
    return this.#sizeWaiters.wait(limit);
  }

  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#state = 'draining';
    this.#schedules.close();
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

  #makeReady(record: MemoryJob): void {
    record.state = WAITING;
    record.type.waiting++;
    record.seq = ++this.#readySeq;
    this.#ready.push(record);
  }

  #delay(record: MemoryJob, due: number): void {
    record.state = DELAYED;
    record.type.delayed++;
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
    const runner = this.#runner;
    while (!runner.full) {
      const record = ready.pop();
      if (record === undefined) break;
      const type = record.type;
      if (type.running >= type.limit) {
        // Its type is saturated: set it aside so the jobs behind it can start.
        (type.parked ??= new ReadyQueue()).insert(record);
        this.#parked++;
        continue;
      }
      const rate = type.rate;
      if (rate !== null) {
        const taken = rate.tryStart();
        if (taken === WINDOW_FULL) {
          // Its window is full: set it aside until the window closes, without holding up other types.
          (type.parked ??= new ReadyQueue()).insert(record);
          this.#parked++;
          continue;
        }
        if (taken === WINDOW_OPENED) {
          (this.#rateWakes ??= new TimerQueue(this.#clock, this.#onWindowClosed, true)).add(type.windowEnd!, this.#clock.now() + rate.duration);
        }
      }
      record.state = RUNNING;
      type.waiting--;
      type.running++;
      const job = this.#current(record);
      runner.start(record, type.handler, job, record.timeout, type, job.createdAt.getTime());
    }
    this.#pumping = false;
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#size());
  }

  attemptEnded(record: MemoryJob, job: Job, verdict: number, _result: unknown, now: number): void {
    record.job = job;
    const type = record.type;
    type.running--;
    if (verdict === COMPLETED || verdict === FAILED) {
      this.#finish(record);
    } else {
      record.attempts++;
      if (verdict > 0) this.#delay(record, now + verdict);
      else this.#makeReady(record);
    }
    const parked = type.parked;
    if (parked !== null && parked.size > 0) {
      this.#ready.insert(parked.pop()!);
      this.#parked--;
    }
  }

  workerFreed(): void {
    this.#pump();
    if (this.#state === 'draining') this.#checkDrained();
    if (this.#idleWaiters.pending && this.#isIdle()) this.#idleWaiters.settle();
  }

  #finish(record: MemoryJob): void {
    record.state = DONE;
    if (record.keyed) this.#byId.delete(record.job.id);
  }

  /** A rate-limit window closed: up to `max` of the type's parked jobs go back to the ready queue. */
  readonly #onWindowClosed = (wake: RateWake): void => {
    const type = wake.type;
    type.rate!.close();
    const parked = type.parked;
    if (parked === null || parked.size === 0) return;
    for (let n = type.rate!.max; n > 0 && parked.size > 0; n--) {
      this.#ready.insert(parked.pop()!);
      this.#parked--;
    }
    this.#pump();
  };

  readonly #onDelayDue = (entry: DelayedJob): void => {
    entry.record.type.delayed--;
    this.#makeReady(entry.record);
    this.#pump();
  };

  #current(record: MemoryJob): Job {
    const job = record.job;
    if (job.attempts === record.attempts) return job;
    return (record.job = nextSnapshot(job, record.attempts, job.error));
  }

  // ---- waiting for states -------------------------------------------------

  #size(): number {
    return this.#ready.size + this.#parked + this.#delayed.size;
  }

  #isIdle(): boolean {
    return this.#runner.active === 0 && this.#size() === 0;
  }

  // ---- shutdown -----------------------------------------------------------

  /** Draining: once nothing waits or runs, the jobs still delayed are abandoned at once. */
  #checkDrained(): void {
    if (this.#runner.active === 0 && this.#ready.size === 0 && this.#parked === 0) this.#abandonAll();
  }

  readonly #onShutdownDeadline = (): void => {
    this.#shutdownTimer = undefined;
    this.#abandonAll();
  };

  /** Ends the drain: whatever still runs, waits or is delayed is abandoned, and every timer stops. */
  #abandonAll(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#shutdownTimer !== undefined) this.#clock.clearTimeout(this.#shutdownTimer);
    this.#shutdownTimer = undefined;

    const abandoned: MemoryJob[] = [];
    this.#runner.abandonRunning(new DOMException(shuttingDownReason(), 'AbortError'), (record) => abandoned.push(record));
    this.#runner.close();
    // Loops, not push(...spread): a full queue may hold more jobs than a call takes arguments.
    for (const record of this.#ready.drain()) abandoned.push(record);
    for (const type of this.#types) if (type?.parked) for (const record of type.parked.drain()) abandoned.push(record);
    this.#parked = 0;
    for (const entry of this.#delayed.drain()) abandoned.push(entry.record);
    this.#rateWakes?.drain();
    for (const type of this.#types) if (type) type.waiting = type.delayed = type.running = 0;

    const jobs: Job[] = [];
    for (const record of abandoned) {
      record.state = ABANDONED;
      if (record.keyed) this.#byId.delete(record.job.id);
      jobs.push(this.#current(record));
    }
    this.#monitor.abandoned(jobs);
    this.#idleWaiters.settle();
    this.#sizeWaiters.settleAll();
    this.#closed!();
  }
}
