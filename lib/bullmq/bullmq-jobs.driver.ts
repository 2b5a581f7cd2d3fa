import { type Job as BullJob, type JobJson, type JobsOptions, type KeepJobs, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { type AttemptHost, AttemptRunner, COMPLETED, FAILED } from '../engine/attempt-runner.js';
import type { Clock, TimerHandle } from '../engine/clock.js';
import type { BucketHolder, DeadlineBucket } from '../engine/deadline-signals.js';
import { jobNotFound, malformedCursor, notRemovable, notRetriable, queueFull, shuttingDownReason } from '../engine/engine.messages.js';
import { errorMessage } from '../engine/error-message.js';
import { createIdGenerator } from '../engine/job-ids.js';
import type { JobMonitor } from '../engine/job-monitor.js';
import type { JobRequest } from '../engine/job-request.js';
import { jobRecord, jobSnapshot } from '../engine/job-snapshot.js';
import type { DriverPage, ListQuery, PagePosition } from '../engine/job-store.js';
import type {
  DriverContext,
  DriverHealth,
  DriverState,
  JobsDriver,
  KeepPolicy,
  QueueCounts,
  RegisteredHandler,
  TypeCounts,
} from '../engine/jobs-driver.js';
import type { JobsLogger } from '../engine/jobs-logger.js';
import {
  InvalidJobError,
  JobNotFoundError,
  JobsError,
  JobStateError,
  QueueFullError,
  QueueUnavailableError,
} from '../engine/jobs.errors.js';
import { IdleWaiters, SizeWaiters } from '../engine/waiters.js';
import type { Job, JobRecord, JobState, JobStateCounts } from '../interfaces/job.interface.js';
import type { ResolvedBullmqOptions } from './bullmq-driver.options.js';
import {
  brokerDown,
  brokerTimedOut,
  brokerUnavailable,
  brokerUp,
  malformedJob,
  payloadNotJson,
  payloadTooLarge,
  notReturnedToQueue,
  returnedToQueue,
  schedulesNotApplied,
  stalledTooOften,
} from './bullmq.messages.js';
import {
  checkName,
  checkJob,
  fromBullPriority,
  type JobMeta,
  keptResult,
  measurePayload,
  META_OPTION,
  metaOf,
  payloadOf,
  toBullPriority,
} from './job-codec.js';
import { TrackedRedis } from './tracked-redis.js';
import { BullmqSchedules } from './bullmq-schedules.js';
import type { ScheduleRequest } from '../engine/schedules.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';

/**
 * Width of a deadline slot: attempts ending in one slot share an AbortController
 * (one costs microseconds); signals abort at most this late, never early.
 */
const SIGNAL_GRANULARITY_MS = 5;
/** How often the Redis counts behind `metrics()` refresh in the background. */
const COUNTS_REFRESH_MS = 500;
/** How often `onIdle()` / `onSizeLessThan()` look at Redis while someone waits. */
const POLL_MS = 20;
/** After the shutdown deadline: how long returning unfinished jobs and closing connections may take. */
const CLOSE_GRACE_MS = 250;
/** The backoff type our jobs carry, so BullMQ asks our strategy for the retry delay. */
const BACKOFF_TYPE = 'nestjs-jobs';
/** A producer command unanswered this long fails the submit with QueueUnavailableError (unless `connection.commandTimeout` says otherwise). */
const PRODUCER_COMMAND_TIMEOUT_MS = 5000;

/** Jobs whose raw data in Redis could not even be parsed, with the reason. */
const unparsable = new WeakMap<object, string>();

/** A Worker that turns a job whose data is not JSON into one that fails for good, instead of an error in BullMQ's fetch loop. */
class GuardedWorker extends Worker {
  protected override createJob(data: JobJson, jobId: string): BullJob {
    try {
      return super.createJob(data, jobId);
    } catch (error) {
      const job = super.createJob({ ...data, data: 'null' }, jobId);
      unparsable.set(job, `its data is not JSON: ${errorMessage(error)}`);
      return job;
    }
  }

  /**
   * After the shutdown deadline, when `close()` has not finished (Redis away):
   * stops the timers it would have stopped, the lock extender and the stalled
   * checker, which would keep the process alive. The caller drops the connections.
   */
  halt(): void {
    void this.lockManager.close();
    // Pausing is what stops the stalled checker's loop; it sends nothing to Redis.
    this.pause(true).catch(() => undefined);
  }
}

/** A job type's BullMQ queue, and in worker processes its Worker and its deadline slot. */
class TypeQueue implements BucketHolder {
  bucket: DeadlineBucket | null = null;
  worker: GuardedWorker | null = null;
  /** This type's counts in Redis as last read, and its attempts running here. */
  waiting = 0;
  delayed = 0;
  active = 0;
  /** Retention as BullMQ options, read once per type: it travels with every job. */
  readonly removeOnComplete: boolean | KeepJobs;
  readonly removeOnFail: boolean | KeepJobs;
  /** Whether a completed job's result is kept (checked as JSON only then). */
  readonly keepsResults: boolean;
  /** Waiting jobs while the type's rate limit holds them (as last read). */
  rateLimited = 0;

  constructor(
    readonly handler: RegisteredHandler,
    readonly queue: Queue,
  ) {
    this.removeOnComplete = keepJobs(handler.retention.completed);
    this.removeOnFail = keepJobs(handler.retention.failed);
    this.keepsResults = handler.retention.completed.count > 0;
  }
}

/** A retention policy as BullMQ's `removeOnComplete` / `removeOnFail`: its `age` is in seconds, rounded up. */
function keepJobs(policy: KeepPolicy): boolean | KeepJobs {
  if (policy.count === 0) return true;
  return policy.age === Infinity ? { count: policy.count } : { count: policy.count, age: Math.ceil(policy.age / 1000) };
}

/** An attempt running in this process: the BullMQ job, its lock, and how its processor call ends. */
class BullAttempt {
  constructor(
    readonly bullJob: BullJob,
    readonly token: string | undefined,
    readonly queue: TypeQueue,
    /** The processor returns (the result BullMQ keeps): BullMQ completes the job. */
    readonly succeed: (result: unknown) => void,
    /** The processor throws: BullMQ retries or fails the job, or leaves it waiting (WaitingError). */
    readonly fail: (error: Error) => void,
  ) {}
}

/**
 * The distributed driver: one BullMQ queue per job type, on Redis. This
 * process's Workers run its handlers under both caps (per-type `concurrency`
 * as the Worker's, and `workers` as one semaphore across them), with our
 * deadlines, backoff and drain; `metrics()` reads counts that refresh in the
 * background.
 */
export class BullmqJobsDriver implements JobsDriver, AttemptHost<BullAttempt> {
  readonly #options: ResolvedBullmqOptions;
  readonly #clock: Clock;
  readonly #monitor: JobMonitor;
  readonly #logger: JobsLogger;
  readonly #context: DriverContext;
  readonly #workers: number;
  readonly #queueSize: number;
  readonly #shutdownTimeout: number;
  readonly #nextId = createIdGenerator();
  readonly #runner: AttemptRunner<BullAttempt>;

  /** Fails fast when Redis is away: submits must not queue up in memory. */
  readonly #producer: TrackedRedis;
  /** Waits out outages: Workers block on it and must not give up. */
  #workerClient: TrackedRedis | null = null;
  readonly #queues = new Map<string, TypeQueue>();
  readonly #schedules = new BullmqSchedules(
    () => this.#context.handlers.all().map((handler) => this.#queue(handler)),
    (priority, maxRetries) => ({
      priority: toBullPriority(priority),
      attempts: maxRetries + 1,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: true,
    }),
  );

  #state: DriverState = 'created';
  /** Permits of the process-wide `workers` cap held by fetched jobs. */
  #permits = 0;
  /** Jobs fetched by a Worker that wait for one of the `workers` permits. */
  readonly #permitWaiters: Array<() => void> = [];
  /** Ids this process is adding, and attempts of them fetched before the add answered. */
  readonly #submitting = new Set<string>();
  #startWaiters: Map<string, () => void> | null = null;
  /** Retry delays decided by an attempt, handed to BullMQ's backoff strategy. */
  readonly #retryDelays = new Map<string, number>();

  /** Counts in Redis as last read, and this process's adds (done when that read began, and in flight). */
  #waiting = 0;
  #delayed = 0;
  #redisActive = 0;
  #added = 0;
  #addedAtRead = 0;
  /** The delayed share of `#added`, so `metrics()` shows this process's own adds before the next read. */
  #addedDelayed = 0;
  #addedDelayedAtRead = 0;
  #inFlight = 0;
  /** The schedules as last read, for `status()`. */
  #scheduleList: ScheduleRecord[] = [];
  #refreshTimer: TimerHandle | undefined;
  #refreshing: Promise<void> | null = null;
  #pollTimer: TimerHandle | undefined;
  readonly #idleWaiters = new IdleWaiters();
  readonly #sizeWaiters = new SizeWaiters();
  #brokerError: string | null = null;
  #closing: Promise<void> | null = null;
  #lastTimestamp = NaN;
  #lastDate: Date | null = null;

  constructor(context: DriverContext, options: ResolvedBullmqOptions) {
    this.#context = context;
    this.#options = options;
    this.#clock = context.clock;
    this.#monitor = context.monitor;
    this.#logger = context.logger;
    this.#workers = context.options.workers;
    this.#queueSize = context.options.queueSize;
    this.#shutdownTimeout = context.options.shutdownTimeout;
    this.#runner = new AttemptRunner(
      {
        clock: context.clock,
        monitor: context.monitor,
        random: context.random,
        capacity: context.options.workers,
        signalGranularityMs: SIGNAL_GRANULARITY_MS,
      },
      this,
    );
    this.#producer = this.#client({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A Redis that holds the connection but answers nothing (paused, overloaded) must not hang submit.
      commandTimeout: options.connection.commandTimeout ?? PRODUCER_COMMAND_TIMEOUT_MS,
    });
  }

  async start(): Promise<void> {
    if (this.#state !== 'created') return;
    this.#state = 'running';
    const { role } = this.#options;
    for (const handler of this.#context.handlers.all()) this.#queue(handler);
    await this.#ready(this.#producer);
    if (role !== 'producer') await this.#ready(this.#startWorkers());
    this.#scheduleRefresh(0);
  }

  submit(request: JobRequest): Promise<Job> {
    const { handler, payload } = request;
    const size = measurePayload(payload);
    if (typeof size === 'string') return this.#refuse(new InvalidJobError(payloadNotJson(handler.type, size)));
    if (size > this.#options.maxPayloadBytes) {
      return this.#refuse(new InvalidJobError(payloadTooLarge(handler.type, size, this.#options.maxPayloadBytes)));
    }
    if (this.#producer.status !== 'ready') {
      return this.#refuse(new QueueUnavailableError(brokerUnavailable(this.#brokerError ?? `connection ${this.#producer.status}`)));
    }
    return this.#add(this.#queue(handler), request);
  }

  /** Redis's counts as last read, plus this process's adds since that read began: its own submits show at once. */
  counts(): QueueCounts {
    let rateLimited = 0;
    for (const typeQueue of this.#queues.values()) rateLimited += typeQueue.rateLimited;
    // This process's adds since the last read began count at once: a submit is seen in metrics() when it resolves.
    const delayedSince = this.#addedDelayed - this.#addedDelayedAtRead;
    const waitingSince = this.#added - this.#addedAtRead - delayedSince;
    return {
      waiting: this.#waiting + waitingSince,
      delayed: this.#delayed + delayedSince,
      active: this.#runner.active,
      stuck: this.#runner.stuck,
      rateLimited,
    };
  }

  countsByType(): TypeCounts[] {
    return [...this.#queues.values()].map(({ handler, waiting, delayed, active, rateLimited }) => ({
      type: handler.type,
      waiting,
      delayed,
      active,
      rateLimited,
    }));
  }

  // ---- schedules (BullMQ job schedulers) ----------------------------------

  schedule(request: ScheduleRequest): Promise<ScheduleRecord> {
    return this.#brokerCall(() => this.#schedules.set(this.#queue(request.handler), request));
  }

  unschedule(key: string): Promise<boolean> {
    return this.#brokerCall(() => this.#schedules.delete(key));
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return this.#brokerCall(() => this.#schedules.list());
  }

  reconcileSchedules(declared: readonly ScheduleRequest[]): Promise<void> {
    // A producer-only process applies its handlers' declared schedules too: any process may own them.
    if (this.#producer.status !== 'ready') {
      if (declared.length > 0) this.#logger.warn(schedulesNotApplied(this.#brokerError ?? `connection ${this.#producer.status}`));
      return Promise.resolve();
    }
    return this.#schedules.reconcile(declared).catch((error: unknown) => this.#logger.warn(schedulesNotApplied(errorMessage(error))));
  }

  /** A schedule call to Redis; a broker that is away rejects it with QueueUnavailableError. */
  async #brokerCall<T>(call: () => Promise<T>): Promise<T> {
    if (this.#producer.status !== 'ready') {
      throw new QueueUnavailableError(brokerUnavailable(this.#brokerError ?? `connection ${this.#producer.status}`));
    }
    try {
      return await call();
    } catch (error) {
      throw new QueueUnavailableError(brokerUnavailable(errorMessage(error)));
    }
  }

  health(): DriverHealth {
    const producer = this.#producer.status;
    const worker = this.#workerClient?.status ?? producer;
    const up = producer === 'ready' && worker === 'ready';
    const broker: NonNullable<DriverHealth['broker']> = {
      status: up ? 'up' : 'down',
      role: this.#options.role,
      prefix: this.#options.prefix,
      connection: producer,
    };
    if (!up && this.#brokerError !== null) broker.error = this.#brokerError;
    if (this.#scheduleList.length === 0) return { state: this.#state, broker };
    return { state: this.#state, broker, schedules: this.#scheduleList };
  }

  onIdle(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    const idle = this.#idleWaiters.wait();
    this.#poll();
    return idle;
  }

  onSizeLessThan(limit: number): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    // Always a fresh read: the cached count may predate this process's own adds.
    const room = this.#sizeWaiters.wait(limit);
    this.#poll();
    return room;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#shutdown());
  }

  // ---- submit -------------------------------------------------------------

  #queue(handler: RegisteredHandler): TypeQueue {
    let typeQueue = this.#queues.get(handler.type);
    if (typeQueue === undefined) {
      const queue = new Queue(queueName(handler.type), { connection: this.#producer, prefix: this.#options.prefix });
      queue.on('error', this.#onBrokerError);
      this.#queues.set(handler.type, (typeQueue = new TypeQueue(handler, queue)));
    }
    return typeQueue;
  }

  async #add(typeQueue: TypeQueue, request: JobRequest): Promise<Job> {
    const { handler, id, priority, maxRetries, timeout } = request;
    const meta: JobMeta = {};
    // The handler's timeout applies where the job runs unless this submit set another.
    if (timeout !== handler.timeout) meta.t = timeout;
    if (id !== undefined) meta.k = this.#nextId();
    if (this.#estimatedSize() >= this.#queueSize) {
      // The cached count says full: read the real one before refusing.
      await this.#refresh().catch(() => undefined);
      if (this.#estimatedSize() >= this.#queueSize) return this.#refuse(new QueueFullError(queueFull(this.#queueSize)));
    }
    const jobId = id ?? this.#nextId();
    this.#inFlight++;
    this.#submitting.add(jobId);
    try {
      const delay = request.delay;
      const opts = {
        jobId,
        priority: toBullPriority(priority),
        delay: delay > 0 ? delay : undefined,
        attempts: maxRetries + 1,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: typeQueue.removeOnComplete,
        removeOnFail: typeQueue.removeOnFail,
        [META_OPTION]: meta,
      } as JobsOptions;
      let added = await typeQueue.queue.add(handler.type, request.payload, opts);
      if (id !== undefined) {
        // BullMQ ignores an add whose id exists: tell ours from the one found by the nonce.
        const stored = await typeQueue.queue.getJob(id);
        if (stored !== undefined && stored !== null && this.#nonceOf(stored) !== meta.k) {
          const state = await stored.getState();
          if (state !== 'completed' && state !== 'failed') {
            return this.#snapshot(stored, handler.type, fromBullPriority(stored.priority), stored.attemptsMade, undefined);
          }
          // A kept finished record of this id is replaced by the new job.
          await stored.remove();
          added = await typeQueue.queue.add(handler.type, request.payload, opts);
        }
      }
      this.#added++;
      if (delay > 0) this.#addedDelayed++;
      const job = this.#snapshot(added, handler.type, priority, 0, undefined);
      this.#monitor.submitted(job);
      return job;
    } catch (error) {
      const reason = errorMessage(error);
      // A timed-out command may still have run: say so rather than promise "nothing written".
      const message = /timed out/i.test(reason) ? brokerTimedOut(reason) : brokerUnavailable(reason);
      return this.#refuse(new QueueUnavailableError(message));
    } finally {
      this.#inFlight--;
      this.#submitting.delete(jobId);
      const starting = this.#startWaiters?.get(jobId);
      if (starting !== undefined) {
        this.#startWaiters!.delete(jobId);
        starting();
      }
    }
  }

  /**
   * Waiting + delayed as last read from Redis, plus this process's adds since
   * (or during) that read: never below the truth for a lone producer.
   */
  #estimatedSize(): number {
    return this.#waiting + this.#delayed + this.#added - this.#addedAtRead + this.#inFlight;
  }

  #nonceOf(bullJob: BullJob): string | undefined {
    return checkJob(bullJob.data, bullJob.opts) === undefined ? metaOf(bullJob.data, bullJob.opts).k : undefined;
  }

  #snapshot(bullJob: BullJob, type: string, priority: number, attempts: number, error: string | undefined): Job {
    return jobSnapshot(
      bullJob.id ?? '',
      type,
      payloadOf(bullJob.data, bullJob.opts),
      priority,
      attempts,
      Math.max(0, (bullJob.opts.attempts ?? 1) - 1),
      this.#dateAt(bullJob.timestamp),
      error,
    );
  }

  /** Jobs added in the same millisecond share their `createdAt`, as on the in-memory driver. */
  #dateAt(timestamp: number): Date {
    if (timestamp !== this.#lastTimestamp || this.#lastDate === null) {
      this.#lastTimestamp = timestamp;
      this.#lastDate = new Date(timestamp);
    }
    return this.#lastDate;
  }

  #refuse(error: JobsError): Promise<never> {
    this.#monitor.rejected();
    return Promise.reject(error);
  }

  // ---- the job store ------------------------------------------------------

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.#broker(async () => {
      const found = await this.#find(id);
      return found === undefined ? undefined : this.#record(found.typeQueue, found.bullJob, found.state);
    });
  }

  listJobs(query: ListQuery): Promise<DriverPage> {
    return this.#broker(async () => {
      const { state, type, limit, after } = query;
      if (after !== undefined && !(after.length === 2 && typeof after[0] === 'number' && typeof after[1] === 'string')) {
        throw new InvalidJobError(malformedCursor('(a cursor of another driver)'));
      }
      const position = after as readonly [number, string] | undefined;
      const queues = type === undefined ? [...this.#queues.values()] : [this.#queues.get(type.type)!];
      const now = Date.now();
      const perQueue = await Promise.all(queues.map((typeQueue) => this.#candidates(typeQueue, state, position, limit + 1, now)));
      const descending = state === 'completed' || state === 'failed';
      const merged = perQueue.flat().sort((a, b) => compareEntries(a, b, descending));
      const more = merged.length > limit;
      const page = merged.slice(0, limit);
      const jobs = await Promise.all(page.map(({ typeQueue, id }) => typeQueue.queue.getJob(id)));
      const records: JobRecord[] = [];
      jobs.forEach((bullJob, i) => {
        if (bullJob !== undefined && bullJob !== null) records.push(this.#record(page[i].typeQueue, bullJob, state));
      });
      const last = page.at(-1);
      return { jobs: records, next: more && last !== undefined ? [last.score, last.id] : undefined };
    });
  }

  jobCounts(): Promise<Record<string, JobStateCounts>> {
    return this.#broker(async () => {
      const queues = [...this.#queues.values()];
      const now = Date.now();
      const counts = await Promise.all(
        queues.map(async (typeQueue) => {
          const client = this.#producer;
          const { queue, handler } = typeQueue;
          const [live, completed, failed] = await Promise.all([
            queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
            client.zcount(queue.keys.completed, keptSince(handler.retention.completed, now), '+inf'),
            client.zcount(queue.keys.failed, keptSince(handler.retention.failed, now), '+inf'),
          ]);
          return {
            waiting: (live.waiting ?? 0) + (live.prioritized ?? 0),
            delayed: live.delayed ?? 0,
            active: live.active ?? 0,
            completed,
            failed,
          };
        }),
      );
      const byType: Record<string, JobStateCounts> = {};
      queues.forEach((typeQueue, i) => (byType[typeQueue.handler.type] = counts[i]));
      return byType;
    });
  }

  retryJob(id: string): Promise<JobRecord> {
    return this.#broker(async () => {
      const found = await this.#find(id);
      if (found === undefined) throw new JobNotFoundError(jobNotFound(id), id);
      if (found.state !== 'failed') throw new JobStateError(notRetriable(id, found.state), id, found.state);
      return this.#redrive(found.typeQueue, found.bullJob);
    });
  }

  retryJobs(type: RegisteredHandler | undefined): Promise<number> {
    return this.#broker(async () => {
      const queues = type === undefined ? [...this.#queues.values()] : [this.#queues.get(type.type)!];
      let retried = 0;
      for (const typeQueue of queues) {
        const { queue, handler } = typeQueue;
        const client = this.#producer;
        // Oldest first, while there is room: what does not fit stays failed.
        const ids = await client.zrangebyscore(queue.keys.failed, keptSince(handler.retention.failed, Date.now()), '+inf');
        for (const id of ids) {
          const bullJob = await queue.getJob(id);
          if (bullJob === undefined || bullJob === null) continue;
          try {
            await this.#redrive(typeQueue, bullJob);
            retried++;
          } catch (error) {
            if (error instanceof QueueFullError) return retried;
            // Retried or removed by another process meanwhile.
            if (error instanceof JobStateError) continue;
            throw error;
          }
        }
      }
      return retried;
    });
  }

  removeJob(id: string): Promise<boolean> {
    return this.#broker(async () => {
      const found = await this.#find(id);
      if (found === undefined) return false;
      const { typeQueue, bullJob, state } = found;
      if (state === 'active') throw new JobStateError(notRemovable(id), id, state);
      try {
        await bullJob.remove();
      } catch (error) {
        // Locked: a worker fetched it meanwhile.
        if ((await bullJob.getState()) === 'active') throw new JobStateError(notRemovable(id), id, 'active');
        throw error;
      }
      const record = this.#record(typeQueue, bullJob, state);
      this.#monitor.removed(record);
      return true;
    });
  }

  /** Moves a failed job back to waiting from attempt 0, reporting it as submitted again. */
  async #redrive(typeQueue: TypeQueue, bullJob: BullJob): Promise<JobRecord> {
    const id = bullJob.id!;
    if (this.#estimatedSize() >= this.#queueSize) {
      await this.#refresh().catch(() => undefined);
      if (this.#estimatedSize() >= this.#queueSize) throw new QueueFullError(queueFull(this.#queueSize));
    }
    this.#submitting.add(id);
    try {
      try {
        await bullJob.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch (error) {
        const state = normalState(await bullJob.getState());
        if (state !== undefined && state !== 'failed') throw new JobStateError(notRetriable(id, state), id, state);
        throw error;
      }
      this.#added++;
      const job = this.#snapshot(bullJob, typeQueue.handler.type, fromBullPriority(bullJob.priority), 0, undefined);
      this.#monitor.retriedManually(job);
      return jobRecord(job, 'waiting', 0, undefined, undefined);
    } finally {
      this.#submitting.delete(id);
      const starting = this.#startWaiters?.get(id);
      if (starting !== undefined) {
        this.#startWaiters!.delete(id);
        starting();
      }
    }
  }

  /** A job of a handled type by id, with its state; undefined when there is none or its record is past its age. */
  async #find(id: string): Promise<{ typeQueue: TypeQueue; bullJob: BullJob; state: JobState } | undefined> {
    const queues = [...this.#queues.values()];
    const jobs = await Promise.all(queues.map(({ queue }) => queue.getJob(id)));
    for (let i = 0; i < queues.length; i++) {
      const bullJob = jobs[i];
      if (bullJob === undefined || bullJob === null) continue;
      const state = normalState(await bullJob.getState());
      if (state === undefined) continue;
      if ((state === 'completed' || state === 'failed') && pastAge(queues[i].handler.retention[state], bullJob.finishedOn, Date.now())) {
        return undefined;
      }
      return { typeQueue: queues[i], bullJob, state };
    }
    return undefined;
  }

  /**
   * Up to `count` ids of one queue in a state, in that state's order, after
   * `after` (`[score, id]`): completed and failed by `finishedOn` (newest
   * first, within their age), delayed by due time, waiting by BullMQ's
   * priority order (jobs without a priority first), active by start.
   */
  async #candidates(typeQueue: TypeQueue, state: JobState, after: readonly [number, string] | undefined, count: number, now: number): Promise<Entry[]> {
    const { queue, handler } = typeQueue;
    const client = this.#producer;
    const entries: Entry[] = [];
    const push = (id: string, score: number) => entries.push({ typeQueue, id, score });
    if (state === 'active') {
      const ids = await client.lrange(queue.keys.active, 0, -1);
      const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
      for (const bullJob of jobs) if (bullJob) push(bullJob.id!, bullJob.processedOn ?? bullJob.timestamp);
      return entries.filter((entry) => after === undefined || compareEntries(entry, { score: after[0], id: after[1] }, false) > 0);
    }
    if (state === 'waiting') {
      // Jobs written without a priority (by other tools) run first, from the list's right end. They are scored
      // below every prioritised job by their place in that order, shifted so a cursor's job keeps its score
      // while jobs ahead of it leave.
      const plain = (await client.lrange(queue.keys.wait, 0, -1)).reverse();
      const at = after !== undefined && after[0] < 0 ? plain.indexOf(after[1]) : -1;
      const shift = at === -1 ? 0 : after![0] - (WAIT_LIST_BASE + at);
      plain.forEach((id, i) => push(id, WAIT_LIST_BASE + i + shift));
    }
    const descending = state === 'completed' || state === 'failed';
    const key = state === 'waiting' ? queue.keys.prioritized : queue.keys[state];
    const bound = descending ? keptSince(handler.retention[state], now) : '+inf';
    let offset = 0;
    const batch = count + 16;
    for (;;) {
      const start = after === undefined ? (descending ? '+inf' : '-inf') : String(after[0]);
      const raw = descending
        ? await client.zrevrangebyscore(key, start, bound, 'WITHSCORES', 'LIMIT', offset, batch)
        : await client.zrangebyscore(key, start, bound, 'WITHSCORES', 'LIMIT', offset, batch);
      for (let i = 0; i < raw.length; i += 2) push(raw[i], Number(raw[i + 1]));
      offset += batch;
      if (raw.length < batch * 2) break;
      const kept = entries.filter((entry) => after === undefined || compareEntries(entry, { score: after[0], id: after[1] }, descending) > 0);
      if (kept.length >= count) break;
    }
    return entries.filter((entry) => after === undefined || compareEntries(entry, { score: after[0], id: after[1] }, descending) > 0);
  }

  #record(typeQueue: TypeQueue, bullJob: BullJob, state: JobState): JobRecord {
    const finished = state === 'completed' || state === 'failed';
    const made = bullJob.attemptsMade;
    const attemptsMade = finished ? Math.max(1, made) : state === 'active' ? made + 1 : made;
    const attempts = finished ? attemptsMade - 1 : made;
    const job = this.#snapshot(bullJob, typeQueue.handler.type, fromBullPriority(bullJob.priority), attempts, bullJob.failedReason || undefined);
    const result = state === 'completed' ? (bullJob.returnvalue ?? undefined) : undefined;
    const finishedAt = finished && bullJob.finishedOn !== undefined ? new Date(bullJob.finishedOn) : undefined;
    return jobRecord(job, state, attemptsMade, result, finishedAt);
  }

  /** Runs a store call; a broker failure rejects with QueueUnavailableError, our own errors as they are. */
  async #broker<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof JobsError) throw error;
      throw new QueueUnavailableError(brokerUnavailable(errorMessage(error)));
    }
  }

  // ---- workers ------------------------------------------------------------

  #startWorkers(): TrackedRedis {
    const client = (this.#workerClient = this.#client({ maxRetriesPerRequest: null }));
    const { prefix, lockDuration, stalledInterval, maxStalledCount } = this.#options;
    for (const typeQueue of this.#queues.values()) {
      const worker = new GuardedWorker(typeQueue.queue.name, (job, token) => this.#process(typeQueue, job, token), {
        connection: client,
        prefix,
        concurrency: Math.min(typeQueue.handler.concurrency, this.#workers),
        lockDuration,
        stalledInterval,
        maxStalledCount,
        // BullMQ's limiter counts in Redis: the limit holds across every process.
        limiter: typeQueue.handler.rateLimit,
        settings: { backoffStrategy: this.#backoff },
      });
      worker.on('error', this.#onBrokerError);
      worker.on('failed', (bullJob) => this.#onStalledTooOften(typeQueue, bullJob));
      typeQueue.worker = worker;
    }
    return client;
  }

  /**
   * A job whose worker died (lock lost) more than `maxStalledCount` times:
   * BullMQ's stalled check marks it, and the Worker that fetches it next
   * fails it without calling our processor. Nothing else would report it.
   * The job stays in the failed set as its retention says, like any failure.
   */
  #onStalledTooOften(typeQueue: TypeQueue, bullJob: BullJob | undefined): void {
    if (!bullJob?.deferredFailure) return;
    const message = stalledTooOften(bullJob.deferredFailure, this.#options.maxStalledCount);
    const attempts = Math.max(0, bullJob.attemptsMade - 1);
    this.#monitor.failed(this.#snapshot(bullJob, typeQueue.handler.type, fromBullPriority(bullJob.priority), attempts, message), message, 0);
  }

  /** BullMQ asks after a failed attempt; the attempt already decided (and reported) the delay. */
  readonly #backoff = (attemptsMade: number, _type?: string, _error?: Error, job?: { id?: string }): number => {
    const id = job?.id;
    const delay = id === undefined ? undefined : this.#retryDelays.get(id);
    if (delay === undefined) return 0;
    this.#retryDelays.delete(id!);
    return Math.max(0, Math.round(delay));
  };

  /**
   * BullMQ's processor. The common case — a well-formed job, a free permit,
   * a running driver, not this process's add still in flight — starts the
   * attempt at once, without an async frame; anything else takes the slow path.
   */
  #process(typeQueue: TypeQueue, bullJob: BullJob, token: string | undefined): Promise<unknown> {
    const handler = typeQueue.handler;
    const problem = unparsable.get(bullJob) ?? checkName(bullJob.name, handler.type) ?? checkJob(bullJob.data, bullJob.opts);
    if (problem !== undefined) return this.#failMalformed(handler, bullJob, problem);
    if (this.#permits < this.#workers && this.#state === 'running' && !this.#submitting.has(bullJob.id!)) {
      this.#permits++;
      return this.#run(typeQueue, bullJob, token);
    }
    return this.#processWhenReady(typeQueue, bullJob, token);
  }

  async #failMalformed(handler: RegisteredHandler, bullJob: BullJob, problem: string): Promise<never> {
    const message = malformedJob(bullJob.id, problem);
    this.#monitor.failed(this.#snapshot(bullJob, handler.type, 0, bullJob.attemptsMade, message), message, 0);
    throw new UnrecoverableError(message);
  }

  async #processWhenReady(typeQueue: TypeQueue, bullJob: BullJob, token: string | undefined): Promise<unknown> {
    // A permit of the process-wide `workers` cap; a released permit passes straight to the next waiter.
    if (this.#permits < this.#workers) this.#permits++;
    else await new Promise<void>((resolve) => this.#permitWaiters.push(resolve));
    if (this.#state !== 'running') {
      // Fetched but never started: back to the waiting list, no attempt spent.
      this.#releasePermit();
      await bullJob.moveToWait(token);
      throw new WaitingError();
    }
    const jobId = bullJob.id!;
    if (this.#submitting.has(jobId)) {
      // A worker here may fetch the job before its add has answered: `submitted` comes first.
      await new Promise<void>((resolve) => (this.#startWaiters ??= new Map()).set(jobId, resolve));
    }
    return this.#run(typeQueue, bullJob, token);
  }

  /** Runs one attempt on a permit already taken; settles as BullMQ should end the job. */
  #run(typeQueue: TypeQueue, bullJob: BullJob, token: string | undefined): Promise<unknown> {
    const handler = typeQueue.handler;
    const timeout = metaOf(bullJob.data, bullJob.opts).t ?? handler.timeout;
    const job = this.#snapshot(bullJob, handler.type, fromBullPriority(bullJob.priority), bullJob.attemptsMade, bullJob.failedReason || undefined);
    return new Promise<unknown>((succeed, fail) => {
      const attempt = new BullAttempt(bullJob, token, typeQueue, succeed, fail);
      typeQueue.active++;
      // Accepted by another process, maybe: its timestamp is that process's wall clock.
      this.#runner.start(attempt, handler, job, timeout, typeQueue, this.#clock.now() - (Date.now() - bullJob.timestamp));
    });
  }

  /** The kernel decided; BullMQ acts on how the processor call ends. */
  attemptEnded(attempt: BullAttempt, job: Job, verdict: number, result: unknown): void {
    attempt.queue.active--;
    if (verdict === COMPLETED) {
      attempt.succeed(attempt.queue.keepsResults ? keptResult(result) : undefined);
    } else if (verdict === FAILED) {
      attempt.fail(new UnrecoverableError(job.error));
    } else {
      // BullMQ asks our backoff strategy for the delay the kernel chose.
      this.#retryDelays.set(attempt.bullJob.id!, verdict);
      attempt.fail(new Error(job.error));
    }
  }

  workerFreed(): void {
    this.#releasePermit();
    if (this.#idleWaiters.pending) this.#poll();
  }

  #releasePermit(): void {
    const next = this.#permitWaiters.shift();
    if (next !== undefined) next();
    else this.#permits--;
  }

  // ---- counts, waiting for states -----------------------------------------

  /** Reads waiting + delayed + active across this process's queues (one round trip each, in parallel). */
  #refresh(): Promise<void> {
    return (this.#refreshing ??= this.#readCounts().finally(() => (this.#refreshing = null)));
  }

  async #readCounts(): Promise<void> {
    const addedAtStart = this.#added;
    const addedDelayedAtStart = this.#addedDelayed;
    const queues = [...this.#queues.values()];
    const now = Date.now();
    // The schedules are read alongside, not awaited: the counts keep their latency, and use the list read last time.
    void this.#schedules.list().then(
      (schedules) => (this.#scheduleList = schedules),
      () => undefined,
    );
    const [counts, limited] = await Promise.all([
      Promise.all(queues.map(({ queue }) => queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'))),
      Promise.all(queues.map(({ handler, queue }) => (handler.rateLimit === undefined ? 0 : queue.getRateLimitTtl(handler.rateLimit.max)))),
    ]);
    // A scheduler's upcoming tick is a delayed job in Redis, but not a job to the user: count it out.
    const ticks = new Map<string, number>();
    for (const { type, next } of this.#scheduleList) if (next.getTime() > now) ticks.set(type, (ticks.get(type) ?? 0) + 1);
    let waiting = 0;
    let delayed = 0;
    let active = 0;
    counts.forEach((count, i) => {
      const typeQueue = queues[i];
      typeQueue.waiting = (count.waiting ?? 0) + (count.prioritized ?? 0);
      typeQueue.delayed = Math.max(0, (count.delayed ?? 0) - (ticks.get(typeQueue.handler.type) ?? 0));
      typeQueue.rateLimited = limited[i] > 0 ? typeQueue.waiting : 0;
      waiting += typeQueue.waiting;
      delayed += typeQueue.delayed;
      active += count.active ?? 0;
    });
    this.#waiting = waiting;
    this.#delayed = delayed;
    this.#redisActive = active;
    this.#addedAtRead = addedAtStart;
    this.#addedDelayedAtRead = addedDelayedAtStart;
  }

  #scheduleRefresh(ms: number): void {
    if (this.#state === 'closed') return;
    this.#refreshTimer = this.#clock.setTimeout(this.#onRefreshTimer, ms, true);
  }

  readonly #onRefreshTimer = (): void => {
    this.#refreshTimer = undefined;
    if (this.#producer.status !== 'ready') return this.#scheduleRefresh(COUNTS_REFRESH_MS);
    this.#refresh().then(
      () => this.#scheduleRefresh(COUNTS_REFRESH_MS),
      () => this.#scheduleRefresh(COUNTS_REFRESH_MS),
    );
  };

  /** Looks at Redis until every `onIdle()` / `onSizeLessThan()` waiter is served. */
  #poll(): void {
    if (this.#pollTimer !== undefined || this.#state === 'closed') return;
    this.#pollTimer = this.#clock.setTimeout(this.#onPoll, 0, true);
  }

  readonly #onPoll = (): void => {
    const ready = this.#producer.status === 'ready' ? this.#refresh().catch(() => undefined) : Promise.resolve();
    void ready.then(() => {
      this.#pollTimer = undefined;
      this.#checkWaiters();
      if (this.#state !== 'closed' && (this.#idleWaiters.pending || this.#sizeWaiters.pending)) {
        this.#pollTimer = this.#clock.setTimeout(this.#onPoll, POLL_MS, true);
      }
    });
  };

  #checkWaiters(): void {
    if (this.#state === 'closed') {
      this.#idleWaiters.settle();
      this.#sizeWaiters.settleAll();
      return;
    }
    if (this.#idleWaiters.pending) {
      const idle =
        this.#permits === 0 &&
        this.#permitWaiters.length === 0 &&
        this.#waiting + this.#delayed + this.#redisActive + this.#added - this.#addedAtRead + this.#inFlight === 0 &&
        this.#producer.status === 'ready';
      if (idle) this.#idleWaiters.settle();
    }
    // Adds that answered after the read began count too: a read never hides this process's own jobs.
    if (this.#sizeWaiters.pending) this.#sizeWaiters.check(this.#estimatedSize() - this.#inFlight);
  }

  // ---- connections --------------------------------------------------------

  #client(overrides: { enableOfflineQueue?: boolean; maxRetriesPerRequest: number | null; commandTimeout?: number }): TrackedRedis {
    const client = new TrackedRedis({ ...this.#options.connection, ...overrides });
    client.on('error', this.#onBrokerError);
    client.on('ready', this.#onBrokerReady);
    return client;
  }

  /** Resolves once the client is ready, or has failed once (then submits refuse until it recovers). */
  #ready(client: TrackedRedis): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        client.off('ready', done);
        client.off('error', done);
        resolve();
      };
      client.once('ready', done);
      client.once('error', done);
    });
  }

  readonly #onBrokerError = (error: Error): void => {
    const message = errorMessage(error);
    if (this.#brokerError === null && this.#state !== 'closed') this.#logger.warn(brokerDown(message));
    this.#brokerError = message;
  };

  readonly #onBrokerReady = (): void => {
    if (this.#brokerError === null) return;
    this.#brokerError = null;
    this.#logger.log(brokerUp());
  };

  // ---- shutdown -----------------------------------------------------------

  /**
   * Stops intake, lets running attempts finish until `shutdownTimeout`, then
   * aborts them and gives their jobs back to Redis (no attempt spent) and
   * closes every connection — by the deadline plus a short grace, even when
   * Redis does not answer.
   */
  async #shutdown(): Promise<void> {
    const wasStarted = this.#state !== 'created';
    this.#state = 'draining';
    // Jobs fetched but waiting for a permit go straight back.
    for (const resume of this.#permitWaiters.splice(0)) {
      this.#permits++;
      resume();
    }
    const workers = [...this.#queues.values()].flatMap(({ worker }) => (worker === null ? [] : [worker]));
    const drained = Promise.allSettled(workers.map((worker) => worker.close()));
    const inTime = wasStarted ? await this.#within(drained, this.#shutdownTimeout) : true;
    if (!inTime) {
      const returns: Array<{ id: string; move: Promise<unknown> }> = [];
      const jobs: Job[] = [];
      this.#runner.abandonRunning(new DOMException(shuttingDownReason(), 'AbortError'), (attempt, job) => {
        jobs.push(job);
        attempt.queue.active--;
        this.#releasePermit();
        // The job goes back to Redis with no attempt spent; then BullMQ must not fail it.
        const move = attempt.bullJob.moveToWait(attempt.token);
        returns.push({ id: job.id, move });
        void move.then(
          () => attempt.fail(new WaitingError()),
          () => attempt.fail(new WaitingError()),
        );
      });
      this.#monitor.abandoned(jobs);
      const reported = this.#reportReturns(returns);
      if (!(await this.#within(drained, CLOSE_GRACE_MS))) this.#halt(workers);
      await reported;
    }
    this.#state = 'closed';
    if (this.#refreshTimer !== undefined) this.#clock.clearTimeout(this.#refreshTimer);
    if (this.#pollTimer !== undefined) this.#clock.clearTimeout(this.#pollTimer);
    this.#refreshTimer = this.#pollTimer = undefined;
    this.#runner.close();
    this.#checkWaiters();
    // Producers after workers: a handler may submit until its attempt ends.
    await this.#within(Promise.allSettled([...this.#queues.values()].map(({ queue }) => queue.close())), CLOSE_GRACE_MS);
    await Promise.all([this.#disconnect(this.#workerClient), this.#disconnect(this.#producer)]);
    for (const worker of workers) worker.removeAllListeners('error').on('error', () => undefined);
  }

  /**
   * Says what became of the jobs given back at the shutdown deadline, once
   * their moves answered (or the grace ran out): returned, or not confirmed,
   * and then when they run again.
   */
  async #reportReturns(moves: ReadonlyArray<{ id: string; move: Promise<unknown> }>): Promise<void> {
    if (moves.length === 0) return;
    const outcomes: Array<string | null | undefined> = moves.map(() => undefined);
    const answered = Promise.all(
      moves.map(({ move }, i) => move.then(() => (outcomes[i] = null), (error: unknown) => (outcomes[i] = errorMessage(error)))),
    );
    await this.#within(answered, CLOSE_GRACE_MS);
    const returned = moves.filter((_, i) => outcomes[i] === null).map(({ id }) => id);
    const notReturned = moves.filter((_, i) => outcomes[i] !== null).map(({ id }) => id);
    if (returned.length > 0) this.#logger.warn(returnedToQueue(returned));
    if (notReturned.length === 0) return;
    const reasons = new Set(outcomes.filter((outcome) => outcome !== null).map((outcome) => outcome ?? `no answer within ${CLOSE_GRACE_MS} ms`));
    const { lockDuration, maxStalledCount } = this.#options;
    this.#logger.error(notReturnedToQueue(notReturned, [...reasons].join('; '), lockDuration, maxStalledCount));
  }

  /** Workers whose `close()` did not finish (Redis away): stop their timers and drop their connections. */
  #halt(workers: readonly GuardedWorker[]): void {
    for (const worker of workers) worker.halt();
    this.#workerClient?.disconnectCopies();
  }

  /** Quits politely when Redis answers, else drops the connection. */
  async #disconnect(client: TrackedRedis | null): Promise<void> {
    if (client === null || client.status === 'end') return;
    if (client.status === 'ready' && (await this.#within(client.quit().catch(() => undefined), CLOSE_GRACE_MS))) return;
    client.disconnect();
  }

  /** Whether `promise` settled within `ms`. */
  #within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => resolve(false), ms);
      void promise.then(
        () => {
          this.#clock.clearTimeout(timer);
          resolve(true);
        },
        () => {
          this.#clock.clearTimeout(timer);
          resolve(true);
        },
      );
    });
  }
}

/** The score of the first job in a `wait` list: below every prioritised job's (those are >= 0). */
const WAIT_LIST_BASE = -1e15;

/** One job of a page being merged across queues: its queue, id and the score it is ordered by. */
interface Entry {
  readonly typeQueue: TypeQueue;
  readonly id: string;
  readonly score: number;
}

/** Order of a listing: by score, then id as Redis orders equal scores; `descending` for the newest-first states. */
function compareEntries(a: { score: number; id: string }, b: { score: number; id: string }, descending: boolean): number {
  const order = a.score !== b.score ? a.score - b.score : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return descending ? -order : order;
}

/** BullMQ's states as the job store names them; undefined for what it does not list. */
function normalState(state: string): JobState | undefined {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return undefined;
  }
}

/** The lowest `finishedOn` (exclusive) of a record still within its age, as a Redis score bound. */
function keptSince(policy: KeepPolicy, now: number): string {
  return policy.age === Infinity ? '-inf' : `(${now - policy.age}`;
}

function pastAge(policy: KeepPolicy, finishedOn: number | undefined, now: number): boolean {
  return finishedOn !== undefined && now - finishedOn >= policy.age;
}

/** BullMQ queue names may not contain ":"; any job type string maps to a distinct safe name. */
function queueName(type: string): string {
  return encodeURIComponent(type);
}
