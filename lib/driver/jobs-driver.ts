import type { Clock } from '../engine/clock.js';
import type { JobMonitor } from '../engine/job-monitor.js';
import type { JobsLogger } from '../engine/jobs-logger.js';
import type { Job, JobHandlerFn, SubmitOptions } from '../interfaces/job.interface.js';
import type { BackoffOptions } from '../interfaces/jobs-options.interface.js';
import type { ResolvedJobsOptions } from '../jobs-options.js';

/**
 * The seam between the Nest glue (decorator, `JobQueue`, lifecycle) and an
 * engine. The in-memory engine implements it; a distributed driver does too,
 * without any change above it. See docs/ARCHITECTURE.md.
 */

/** Marks a driver factory, so that `driver: anythingElse` fails the start. */
export const JOBS_DRIVER = Symbol.for('nestjs-jobs.driver');

/** What `JobsModule.forRoot({ driver })` takes: made by a subpath's factory, e.g. `bullmqDriver()`. */
export interface JobsDriverFactory {
  readonly [JOBS_DRIVER]: true;
  /** Short name for logs and health, e.g. `bullmq`. */
  readonly name: string;
  /** Called once per application, when the module's providers are created. */
  create(context: DriverContext): JobsDriver;
}

/** One `@JobHandler`, bound once at start-up, with its options resolved over the module's. */
export interface RegisteredHandler {
  /** Dense index (0..n-1), so engines can keep per-type state in an array. */
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
}

/** The handlers known to this process. Complete before `JobsDriver.start()` runs. */
export interface HandlerLookup {
  get(type: string): RegisteredHandler | undefined;
  all(): readonly RegisteredHandler[];
}

export interface DriverContext {
  readonly options: ResolvedJobsOptions;
  readonly handlers: HandlerLookup;
  /** Where a driver reports what happens to jobs: metrics counters, events, logs. */
  readonly monitor: JobMonitor;
  readonly logger: JobsLogger;
  readonly clock: Clock;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  /** Attempts past their timeout whose handler has not settled. */
  stuck: number;
}

/** One job type's share of the counts, for per-type gauges. */
export interface TypeCounts {
  type: string;
  waiting: number;
  delayed: number;
  /** Attempts of this type running in this process. */
  active: number;
}

export type DriverState = 'created' | 'running' | 'draining' | 'closed';

export interface DriverHealth {
  state: DriverState;
  /** Set by distributed drivers: whether the broker answers, and anything worth showing. */
  broker?: { status: 'up' | 'down'; [detail: string]: string | number | boolean };
}

export interface JobsDriver {
  /** Starts running handlers (at application bootstrap). Jobs submitted before wait. */
  start(): void | Promise<void>;
  /**
   * Accepts a job. The caller has checked the options and that the type is
   * known; `options` are the user's, to be applied over the handler's values.
   * Rejects (never throws) with QueueFullError, QueueClosedError,
   * InvalidJobError or QueueUnavailableError, and counts the refusal.
   */
  submit(handler: RegisteredHandler, payload: unknown, options: SubmitOptions | undefined): Promise<Job>;
  /** Synchronous counts, this process's view. */
  counts(): QueueCounts;
  /** The same depths per handled job type (every type, zeros included), synchronously. */
  countsByType(): TypeCounts[];
  health(): DriverHealth;
  onIdle(): Promise<void>;
  onSizeLessThan(limit: number): Promise<void>;
  /**
   * Stops intake, drains within `shutdownTimeout`, then aborts and abandons
   * what is left. Resolves by the deadline, whatever handlers do.
   */
  close(): Promise<void>;
}
