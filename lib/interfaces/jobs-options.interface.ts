import type { JobsDriverFactory } from '../engine/jobs-driver.js';
import type { JobSchema } from './job-schema.interface.js';
import type { HandlerScheduleOptions, RateLimitOptions } from './schedule.interface.js';

/** Retry n waits `min(delay * factor^(n-1), maxDelay)`, less a random share of up to `jitter` of it. */
export interface BackoffOptions {
  /** Ms before the first retry (integer >= 0). Default 1000. */
  delay: number;
  /** Growth per retry (>= 1). Default 2. */
  factor: number;
  /** Cap on any one wait, in ms (integer >= 0). Default 300 000. */
  maxDelay: number;
  /** Share of the wait (0..1) that may randomly be taken off. Default 0. */
  jitter: number;
}

/** How many finished jobs of one state are kept, and for how long. The newest are kept. */
export interface KeepOptions {
  /** How many to keep per job type (integer >= 0; 0 keeps none). */
  count?: number;
  /** Ms after `finishedAt` that a record is kept (integer from 1 to 2 147 483 647). */
  age?: number;
}

/**
 * Which finished jobs the job store keeps, per job type. Fields merge one by one:
 * the handler's over the module's over the defaults, completed `{ count: 0 }`
 * and failed `{ count: 1000, age: 7 days }`.
 */
export interface RetentionOptions {
  completed?: KeepOptions;
  failed?: KeepOptions;
}

/** Options of `JobsModule.forRoot`. */
export interface JobsModuleOptions {
  /** How many attempts run at once in this process (integer >= 1). */
  workers: number;
  /** How many accepted jobs may wait to run, waiting and delayed (integer >= 1). */
  queueSize: number;
  /** Retries after the first failed attempt (integer >= 0). Default 3. */
  maxRetries?: number;
  /** Per-attempt timeout in ms (integer >= 1). Default 30 000. */
  timeout?: number;
  /** Retry backoff. Default `{ delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 }`. */
  backoff?: Partial<BackoffOptions>;
  /** Ms that shutdown waits for the drain (integer >= 1). Default 30 000. */
  shutdownTimeout?: number;
  /** Finished jobs kept for `getJob`, `listJobs` and `retryJob`. Default: failed ones, 1000 per type for 7 days. */
  retention?: RetentionOptions;
  /** Absent: the in-memory engine. Otherwise a driver from its subpath, e.g. `bullmqDriver({...})`. */
  driver?: JobsDriverFactory;
}

/** Options of `@JobHandler(type, options)`: they beat the module's. */
export interface JobHandlerOptions {
  /** Retries after the first failed attempt (integer >= 0). */
  maxRetries?: number;
  /** Per-attempt timeout in ms (integer >= 1). */
  timeout?: number;
  /** Retry backoff, merged over the module's. */
  backoff?: Partial<BackoffOptions>;
  /** Max running attempts of this type at once (integer >= 1). */
  concurrency?: number;
  /**
   * A Standard Schema v1 object (zod, valibot, arktype, …) the payload must
   * match: checked at `submit` and again before each attempt; the handler
   * gets the schema's output.
   */
  schema?: JobSchema;
  /** Finished jobs of this type kept, merged field by field over the module's. */
  retention?: RetentionOptions;
  /** A schedule with key `type`, applied at start-up (and removed at start-up once no longer declared). */
  schedule?: HandlerScheduleOptions;
  /** At most `max` attempts of this type start in each window of `duration` ms (across processes on a distributed driver). */
  rateLimit?: RateLimitOptions;
}

/** What `useClass` / `useExisting` of `forRootAsync` implement. */
export interface JobsOptionsFactory {
  createJobsOptions(): JobsModuleOptions | Promise<JobsModuleOptions>;
}
