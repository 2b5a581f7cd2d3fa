import type { JobsDriverFactory } from '../engine/jobs-driver.js';
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
  /** A schedule with key `type`, applied at start-up (and removed at start-up once no longer declared). */
  schedule?: HandlerScheduleOptions;
  /** At most `max` attempts of this type start in each window of `duration` ms (across processes on a distributed driver). */
  rateLimit?: RateLimitOptions;
}

/** What `useClass` / `useExisting` of `forRootAsync` implement. */
export interface JobsOptionsFactory {
  createJobsOptions(): JobsModuleOptions | Promise<JobsModuleOptions>;
}
