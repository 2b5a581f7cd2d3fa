import type { Job, JobHandlerFn, JobRecord, JobStateCounts, JobsState, JobsStatus } from '../interfaces/job.interface.js';
import type { JobSchema } from '../interfaces/job-schema.interface.js';
import type { BackoffOptions } from '../interfaces/jobs-options.interface.js';
import type { Clock } from './clock.js';
import type { JobMonitor } from './job-monitor.js';
import type { JobRequest } from './job-request.js';
import type { DriverPage, ListQuery } from './job-store.js';
import type { JobsLogger } from './jobs-logger.js';
import type { RateLimitOptions, ScheduleRecord } from '../interfaces/schedule.interface.js';
import type { DeclaredSchedule, ScheduleRequest } from './schedules.js';

/**
 * The seam between the kernel and a driver (the in-memory engine, BullMQ).
 * It declares what drivers read and implement; the Nest glue builds on it
 * and nothing here imports the glue. See docs/ARCHITECTURE.md.
 */

/** Brands a driver factory, so that `driver: anythingElse` fails the start. */
export const DRIVER_FACTORY_BRAND = Symbol.for('nestjs-jobs.driver');

/** What `JobsModule.forRoot({ driver })` takes: made by a subpath's factory, e.g. `bullmqDriver()`. */
export interface JobsDriverFactory {
  readonly [DRIVER_FACTORY_BRAND]: true;
  /** Short name for logs and health, e.g. `bullmq`. */
  readonly name: string;
  /** Called once per application, when the module's providers are created. */
  create(context: DriverContext): JobsDriver;
}

/** How many finished jobs of one state a type keeps, and for how long. */
export interface KeepPolicy {
  /** Newest records kept; 0 keeps none. */
  readonly count: number;
  /** Ms after `finishedAt` a record is kept; `Infinity` when unbounded. */
  readonly age: number;
}

/** A type's retention, every field resolved (handler over module over default). */
export interface RetentionPolicy {
  readonly completed: KeepPolicy;
  readonly failed: KeepPolicy;
}

/** The module options a driver reads, every default applied. */
export interface DriverOptions {
  readonly workers: number;
  readonly queueSize: number;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly backoff: Readonly<BackoffOptions>;
  readonly shutdownTimeout: number;
  readonly retention: RetentionPolicy;
}

/** One `@JobHandler`, bound once at start-up, with its options resolved over the module's. */
export interface RegisteredHandler {
  /** Dense index (0..n-1), so drivers can keep per-type state in an array. */
  readonly index: number;
  readonly type: string;
  /** `ClassName.method`, for messages. */
  readonly name: string;
  /** The method, pre-bound to its provider instance. */
  readonly invoke: JobHandlerFn;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly backoff: Readonly<BackoffOptions>;
  /** Max running attempts of this type; `Infinity` when unlimited. */
  readonly concurrency: number;
  /** The payload's Standard Schema, checked at submit and before each attempt; undefined for none. */
  readonly schema: JobSchema | undefined;
  /** Which finished jobs of this type are kept. */
  readonly retention: RetentionPolicy;
  /** The schedule `@JobHandler({ schedule })` declares (key = type), if any. */
  readonly schedule?: DeclaredSchedule;
  /** Starts per window of this type, if limited. */
  readonly rateLimit?: Readonly<RateLimitOptions>;
}

/** The handlers known to this process. Complete before `JobsDriver.start()` runs. */
export interface HandlerLookup {
  get(type: string): RegisteredHandler | undefined;
  all(): readonly RegisteredHandler[];
}

export interface DriverContext {
  readonly options: DriverOptions;
  readonly handlers: HandlerLookup;
  /** Where a driver reports what happens to jobs: metrics counters, events, logs. */
  readonly monitor: JobMonitor;
  readonly logger: JobsLogger;
  readonly clock: Clock;
  /** The one source of randomness (backoff jitter): tests inject their own. */
  readonly random: () => number;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  /** Attempts running in this process, including stuck ones. */
  active: number;
  /** Attempts past their timeout whose handler has not settled. */
  stuck: number;
  /** Waiting jobs held back by their type's rate limit (also counted in `waiting`). */
  rateLimited: number;
}

/** One job type's share of the counts, for per-type gauges. */
export interface TypeCounts {
  type: string;
  waiting: number;
  delayed: number;
  /** Attempts of this type running in this process. */
  active: number;
  /** Waiting jobs of this type held back by its rate limit (also counted in `waiting`). */
  rateLimited: number;
}

export type DriverState = JobsState;
export type DriverHealth = JobsStatus;

export interface JobsDriver {
  /** Starts running handlers (at application bootstrap). Jobs submitted before wait. */
  start(): void | Promise<void>;
  /**
   * Accepts a job the kernel has checked (known type, options read once).
   * Rejects (never throws) with QueueFullError, InvalidJobError or
   * QueueUnavailableError, counting the refusal on the monitor.
   */
  submit(request: JobRequest): Promise<Job>;
  /** Synchronous counts, this process's view. */
  counts(): QueueCounts;
  /** The same depths per handled job type (every type, zeros included), synchronously. */
  countsByType(): TypeCounts[];
  health(): DriverHealth;
  /** A job waiting, delayed, running or kept; undefined when there is none (or its record aged out). */
  getJob(id: string): Promise<JobRecord | undefined>;
  /** One page of a state's jobs, in that state's order, after `query.after`. */
  listJobs(query: ListQuery): Promise<DriverPage>;
  /** Per handled type (zeros included): this process's view, or the broker's for a distributed driver. */
  jobCounts(): Promise<Record<string, JobStateCounts>>;
  /**
   * Runs a kept failed job again from attempt 0 (emits `submitted` through
   * `monitor.retriedManually`). Rejects with JobNotFoundError, JobStateError
   * (not failed) or QueueFullError.
   */
  retryJob(id: string): Promise<JobRecord>;
  /** Retries every kept failed job (of one type); resolves how many run again. */
  retryJobs(type: RegisteredHandler | undefined): Promise<number>;
  /** Removes a waiting, delayed or kept job (emits `removed`); false when there is none; JobStateError when active. */
  removeJob(id: string): Promise<boolean>;
  /** Resolves when nothing waits, is delayed or runs (settles at close). */
  onIdle(): Promise<void>;
  /** Resolves when waiting + delayed < `limit`, an integer >= 1 (settles at close). */
  onSizeLessThan(limit: number): Promise<void>;
  /**
   * Stops intake, drains within `shutdownTimeout`, then aborts and abandons
   * what is left. Resolves by the deadline, whatever handlers do.
   */
  close(): Promise<void>;
  /** Creates or replaces the schedule `request.key` (checked by the kernel); resolves with it. */
  schedule(request: ScheduleRequest): Promise<ScheduleRecord>;
  /** Removes a schedule and its pending job; resolves false for an unknown key. */
  unschedule(key: string): Promise<boolean>;
  listSchedules(): Promise<ScheduleRecord[]>;
  /**
   * At start-up, after `start()`: applies the schedules the handlers declare
   * and removes declared schedules of handled types that are no longer declared.
   */
  reconcileSchedules(declared: readonly ScheduleRequest[]): Promise<void>;
}
