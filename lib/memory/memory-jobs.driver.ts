import type { Job, JobRecord, JobStateCounts } from '../interfaces/job.interface.js';
import { type AttemptHost, AttemptRunner, COMPLETED, FAILED } from '../engine/attempt-runner.js';
import type { Clock, TimerHandle } from '../engine/clock.js';
import type { BucketHolder, DeadlineBucket } from '../engine/deadline-signals.js';
import { jobNotFound, malformedCursor, notRemovable, notRetriable, queueFull, shuttingDownReason } from '../engine/engine.messages.js';
import { createIdGenerator } from '../engine/job-ids.js';
import type { JobMonitor } from '../engine/job-monitor.js';
import type { JobRequest } from '../engine/job-request.js';
import { jobRecord, jobSnapshot, nextSnapshot } from '../engine/job-snapshot.js';
import type { DriverPage, ListQuery, PagePosition } from '../engine/job-store.js';
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
import { InvalidJobError, JobNotFoundError, JobStateError, QueueFullError } from '../engine/jobs.errors.js';
import type { HeapEntry } from '../engine/min-heap.js';
import { TimerQueue } from '../engine/timer-queue.js';
import { IdleWaiters, SizeWaiters } from '../engine/waiters.js';
import { KeptJob, KeptJobs } from './kept-jobs.js';
import { RateLimiter, WINDOW_FULL, WINDOW_OPENED } from '../engine/rate-limiter.js';
import type { ScheduleRequest } from '../engine/schedules.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';
import { MemorySchedules, type TickHost } from './memory-schedules.js';
import { type ReadyEntry, ReadyQueue } from './ready-queue.js';

/** Engine knobs that are not module options: tests set them, users need not. */
export interface MemoryDriverTuning {
  /** Width of a deadline slot: signals abort at most this late. Default 2 ms. */
  signalGranularityMs?: number;
  /** Attempts start only through `runNext()`, never on their own (the tester's manual mode). */
  manual?: boolean;
  /** `close()` abandons at once what has not finished instead of draining on the clock (a test clock may never move). */
  abandonOnClose?: boolean;
}

const WAITING = 0;
const DELAYED = 1;
const RUNNING = 2;
const DONE = 3;
const ABANDONED = 4;
const REMOVED = 5;

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
  /** Read once per type, so a finish that keeps nothing costs one comparison. */
  readonly keepCompleted: boolean;
  readonly keepFailed: boolean;
  parked: ReadyQueue<MemoryJob> | null = null;
  bucket: DeadlineBucket | null = null;
  /** The type's rate limit, or null (read once per type, so an unlimited type pays a null check per start). */
  readonly rate: RateLimiter | null;
  /** The close of the type's open rate-limit window, on the timer queue. */
  readonly windowEnd: RateWake | null;

  constructor(readonly handler: RegisteredHandler) {
    this.limit = handler.concurrency;
    this.keepCompleted = handler.retention.completed.count > 0;
    this.keepFailed = handler.retention.failed.count > 0;
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
  /** When it became ready (FIFO order within its priority); while it runs, when it started. */
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
  readonly #manual: boolean;
  readonly #abandonOnClose: boolean;

  readonly #ready = new ReadyQueue<MemoryJob>();
  readonly #delayed: TimerQueue<DelayedJob>;
  readonly #types: TypeState[] = [];
  readonly #byId = new Map<string, MemoryJob>();
  /** Every kept finished job by id; the stores below keep it in step. */
  readonly #keptById = new Map<string, KeptJob>();
  readonly #completed = new KeptJobs('completed', this.#keptById);
  readonly #failed = new KeptJobs('failed', this.#keptById);
  #readySeq = 0;
  #parked = 0;
  readonly #schedules: MemorySchedules<MemoryJob>;
  /** Rate-limit window ends, made on first need: an app without rate limits has none. */
  #rateWakes: TimerQueue<RateWake> | null = null;

  /** Jobs accepted in the same millisecond share their `createdAt`: a Date per job is a measurable share of a submit's time and memory. */
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
    this.#manual = tuning.manual === true;
    this.#abandonOnClose = tuning.abandonOnClose === true;
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
    if (keyed && this.#keptById.size !== 0) {
      // A kept finished record of this id is replaced by the new job.
      const kept = this.#keptById.get(id);
      if (kept !== undefined) kept.store!.remove(kept);
    }
    const job = jobSnapshot(id ?? this.#nextId(), handler.type, request.payload, request.priority, 0, request.maxRetries, this.#dateAt(now), undefined);
    const record = new MemoryJob(job, type, request.timeout, keyed);
    this.#accept(record, request.delay, now);
    this.#monitor.submitted(job);
    return Promise.resolve(job);
  }

  /** Enqueues a new record: delayed, or ready with the pump scheduled. */
  #accept(record: MemoryJob, delay: number, now: number): void {
    if (record.keyed) this.#byId.set(record.job.id, record);
    if (delay > 0) {
      this.#delay(record, now + delay);
    } else {
      this.#makeReady(record);
      // Handlers never run inside submit: the pump runs on a microtask.
      if (!this.#pumpScheduled && this.#state === 'running' && !this.#runner.full && !this.#manual) {
        this.#pumpScheduled = true;
        void SETTLED.then(this.#scheduledPump);
      }
    }
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
    if (!this.#started || this.#abandonOnClose) {
      // Never bootstrapped: nothing may run now, so whatever was accepted is abandoned.
      this.#abandonAll();
    } else {
      this.#shutdownTimer = this.#clock.setTimeout(this.#onShutdownDeadline, this.#shutdownTimeout);
      this.#checkDrained();
    }
    return this.#closing;
  }

  // ---- the job store --------------------------------------------------------

  getJob(id: string): Promise<JobRecord | undefined> {
    const kept = this.#keptLookup(id);
    if (kept !== undefined) return Promise.resolve(this.#keptRecord(kept));
    const live = this.#findLive(id);
    return Promise.resolve(live === undefined ? undefined : this.#liveRecord(live));
  }

  listJobs(query: ListQuery): Promise<DriverPage> {
    const { state, type, limit, after } = query;
    const kept = state === 'completed' || state === 'failed';
    const shape = kept ? ['number', 'string'] : state === 'active' ? ['number'] : ['number', 'number'];
    if (after !== undefined && (after.length !== shape.length || after.some((part, i) => typeof part !== shape[i]))) {
      return Promise.reject(new InvalidJobError(malformedCursor('(a cursor of another driver)')));
    }
    if (kept) return Promise.resolve(this.#keptPage(state === 'completed' ? this.#completed : this.#failed, query));
    const wanted = limit + 1;
    const position = after as readonly number[] | undefined;
    let records: MemoryJob[];
    let keyOf: (record: MemoryJob) => PagePosition;
    if (state === 'waiting') {
      records = this.#waitingAfter(type, position as readonly [number, number] | undefined, wanted);
      keyOf = (record) => [record.priority, record.seq];
    } else if (state === 'delayed') {
      const entries = this.#delayedAfter(type, position as readonly [number, number] | undefined, wanted);
      const due = new Map<MemoryJob, DelayedJob>();
      for (const entry of entries) due.set(entry.record, entry);
      records = entries.map((entry) => entry.record);
      keyOf = (record) => [due.get(record)!.key, due.get(record)!.seq];
    } else {
      // Running attempts, oldest start first (few: at most `workers`).
      records = this.#runner.running().filter((record) => isOfType(record, type) && (position === undefined || record.seq > position[0]));
      keyOf = (record) => [record.seq];
    }
    const more = records.length > limit;
    const page = records.slice(0, limit);
    return Promise.resolve({ jobs: page.map((record) => this.#liveRecord(record)), next: more ? keyOf(page.at(-1)!) : undefined });
  }

  /** Kept records newest first; the cursor names the last one's `seq` and id. */
  #keptPage(store: KeptJobs, { type, limit, after }: ListQuery): DriverPage {
    store.prune(this.#clock.now(), type?.index);
    const page = store.page(type?.index, limit + 1, after?.[0] as number | undefined, after?.[1] as string | undefined);
    const more = page.length > limit;
    if (more) page.pop();
    const last = page.at(-1);
    return { jobs: page.map((kept) => this.#keptRecord(kept)), next: more && last !== undefined ? [last.seq, last.job.id] : undefined };
  }

  /** Up to `wanted` waiting jobs in run order after `[priority, seq]`: a page from the ready queue and each parked queue, merged. */
  #waitingAfter(type: RegisteredHandler | undefined, after: readonly [number, number] | undefined, wanted: number): MemoryJob[] {
    const records: MemoryJob[] = [];
    for (const state of this.#types) {
      if (state?.parked && (type === undefined || state.handler === type)) records.push(...state.parked.page(after, wanted));
    }
    if (type === undefined) {
      records.push(...this.#ready.page(after, wanted));
    } else {
      // Other types' jobs may come first in the ready queue: filter chunk by chunk.
      let cursor = after;
      for (let taken = 0; taken < wanted; ) {
        const chunk = this.#ready.page(cursor, wanted * 4);
        if (chunk.length === 0) break;
        for (const record of chunk) {
          if (taken < wanted && record.type.handler === type) {
            records.push(record);
            taken++;
          }
        }
        const last = chunk[chunk.length - 1];
        cursor = [last.priority, last.seq];
      }
    }
    return records.sort((a, b) => b.priority - a.priority || a.seq - b.seq).slice(0, wanted);
  }

  /** The soonest `wanted` delayed entries after `[due, seq]`: one pass over the timer heap, keeping a short sorted list. */
  #delayedAfter(type: RegisteredHandler | undefined, after: readonly [number, number] | undefined, wanted: number): DelayedJob[] {
    const best: DelayedJob[] = [];
    const before = (a: DelayedJob, b: DelayedJob) => a.key < b.key || (a.key === b.key && a.seq < b.seq);
    for (const entry of this.#delayed.values()) {
      if (!isOfType(entry.record, type)) continue;
      if (after !== undefined && !(entry.key > after[0] || (entry.key === after[0] && entry.seq > after[1]))) continue;
      if (best.length === wanted && !before(entry, best[wanted - 1])) continue;
      let at = best.length;
      while (at > 0 && before(entry, best[at - 1])) at--;
      best.splice(at, 0, entry);
      if (best.length > wanted) best.pop();
    }
    return best;
  }

  jobCounts(): Promise<Record<string, JobStateCounts>> {
    const now = this.#clock.now();
    this.#completed.prune(now);
    this.#failed.prune(now);
    const counts: Record<string, JobStateCounts> = {};
    for (const { type, index } of this.#handlers.all()) {
      const state = this.#types[index];
      counts[type] = {
        waiting: state?.waiting ?? 0,
        delayed: state?.delayed ?? 0,
        active: state?.running ?? 0,
        completed: this.#completed.size(index),
        failed: this.#failed.size(index),
      };
    }
    return Promise.resolve(counts);
  }

  retryJob(id: string): Promise<JobRecord> {
    const kept = this.#keptLookup(id);
    if (kept === undefined) {
      const live = this.#findLive(id);
      if (live === undefined) return Promise.reject(new JobNotFoundError(jobNotFound(id), id));
      const state = this.#liveState(live);
      return Promise.reject(new JobStateError(notRetriable(id, state), id, state));
    }
    if (kept.store !== this.#failed) return Promise.reject(new JobStateError(notRetriable(id, 'completed'), id, 'completed'));
    if (this.#size() >= this.#queueSize) return Promise.reject(new QueueFullError(queueFull(this.#queueSize)));
    return Promise.resolve(this.#liveRecord(this.#redrive(kept)));
  }

  retryJobs(type: RegisteredHandler | undefined): Promise<number> {
    this.#failed.prune(this.#clock.now(), type?.index);
    let retried = 0;
    // Oldest first, while there is room: what does not fit stays failed.
    for (const kept of this.#failed.values(type?.index).reverse()) {
      if (this.#size() >= this.#queueSize) break;
      this.#redrive(kept);
      retried++;
    }
    return Promise.resolve(retried);
  }

  removeJob(id: string): Promise<boolean> {
    const kept = this.#keptLookup(id);
    if (kept !== undefined) {
      kept.store!.remove(kept);
      this.#monitor.removed(kept.job);
      return Promise.resolve(true);
    }
    const record = this.#findLive(id);
    if (record === undefined) return Promise.resolve(false);
    const type = record.type;
    if (record.state === RUNNING) return Promise.reject(new JobStateError(notRemovable(id), id, 'active'));
    if (record.state === WAITING) {
      if (!this.#ready.remove(record)) {
        type.parked!.remove(record);
        this.#parked--;
      }
      type.waiting--;
    } else {
      this.#delayed.remove(this.#delayed.values().find((entry) => entry.record === record)!);
      type.delayed--;
    }
    record.state = REMOVED;
    if (record.keyed) this.#byId.delete(id);
    this.#monitor.removed(this.#current(record));
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#size());
    if (this.#state === 'draining') this.#checkDrained();
    if (this.#idleWaiters.pending && this.#isIdle()) this.#idleWaiters.settle();
    return Promise.resolve(true);
  }

  /** A kept failed job, enqueued again from attempt 0 with its id, payload and options. */
  #redrive(kept: KeptJob): MemoryJob {
    kept.store!.remove(kept);
    const old = kept.job;
    const type = this.#types[kept.typeIndex]!;
    const now = this.#clock.now();
    const job = jobSnapshot(old.id, old.type, old.payload, old.priority, 0, old.maxRetries, this.#dateAt(now), undefined);
    const record = new MemoryJob(job, type, kept.timeout, kept.keyed);
    this.#accept(record, 0, now);
    this.#monitor.retriedManually(job);
    return record;
  }

  /** A kept record within its age, or undefined (one past its age is evicted). */
  #keptLookup(id: string): KeptJob | undefined {
    const kept = this.#keptById.get(id);
    if (kept === undefined) return undefined;
    const store = kept.store!;
    const now = this.#clock.now();
    if (!store.expired(kept, now)) return kept;
    store.prune(now, kept.typeIndex);
    return undefined;
  }

  /** A job waiting, delayed or running: by its key, or (an id this process made) by a scan, since only keys are indexed. */
  #findLive(id: string): MemoryJob | undefined {
    const keyed = this.#byId.get(id);
    if (keyed !== undefined || !id.startsWith(this.#nextId.prefix)) return keyed;
    const match = (record: MemoryJob) => record.job.id === id;
    return (
      this.#runner.running().find(match) ??
      this.#ready.values().find(match) ??
      this.#types.map((type) => type?.parked?.values().find(match)).find((record) => record !== undefined) ??
      this.#delayed.values().find((entry) => entry.record.job.id === id)?.record
    );
  }

  #liveState(record: MemoryJob): 'waiting' | 'delayed' | 'active' {
    return record.state === RUNNING ? 'active' : record.state === DELAYED ? 'delayed' : 'waiting';
  }

  #liveRecord(record: MemoryJob): JobRecord {
    const job = this.#current(record);
    const state = this.#liveState(record);
    return jobRecord(job, state, state === 'active' ? record.attempts + 1 : record.attempts, undefined, undefined);
  }

  #keptRecord(kept: KeptJob): JobRecord {
    const job = kept.job;
    const state = kept.store === this.#completed ? 'completed' : 'failed';
    return jobRecord(job, state, job.attempts + 1, kept.result, new Date(kept.finishedAt));
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
    if (this.#pumping || this.#manual || this.#state === 'created' || this.#state === 'closed') return;
    this.#pumping = true;
    const runner = this.#runner;
    while (!runner.full && this.#startNext() !== undefined);
    this.#pumping = false;
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#size());
  }

  /**
   * Manual mode: starts one attempt of the next ready job (by priority, a
   * saturated type's jobs set aside) and returns the job it started;
   * undefined when nothing is ready, every worker is busy, or the driver is
   * not running.
   */
  runNext(): Job | undefined {
    if (this.#state !== 'running' && this.#state !== 'draining') return undefined;
    if (this.#runner.full) return undefined;
    const job = this.#startNext();
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#size());
    return job;
  }

  /** Pops ready jobs until one may start, and starts it: the job started, or undefined. */
  #startNext(): Job | undefined {
    for (;;) {
      const record = this.#ready.pop();
      if (record === undefined) return undefined;
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
      record.seq = ++this.#readySeq;
      type.waiting--;
      type.running++;
      const job = this.#current(record);
      this.#runner.start(record, type.handler, job, record.timeout, type, job.createdAt.getTime());
      return job;
    }
  }

  attemptEnded(record: MemoryJob, job: Job, verdict: number, result: unknown, now: number): void {
    record.job = job;
    const type = record.type;
    type.running--;
    if (verdict === COMPLETED || verdict === FAILED) {
      this.#finish(record);
      if (verdict === COMPLETED ? type.keepCompleted : type.keepFailed) this.#keep(verdict, record, type, result, now);
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

  /** Keeps a finished job (its type keeps that state), off the common path. */
  #keep(verdict: number, record: MemoryJob, type: TypeState, result: unknown, now: number): void {
    const { index, retention } = type.handler;
    if (verdict === COMPLETED) this.#completed.add(new KeptJob(record.job, index, record.timeout, record.keyed, result, now), retention.completed);
    else this.#failed.add(new KeptJob(record.job, index, record.timeout, record.keyed, undefined, now), retention.failed);
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

function isOfType(record: MemoryJob, type: RegisteredHandler | undefined): boolean {
  return type === undefined || record.type.handler === type;
}
