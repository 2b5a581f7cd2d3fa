import type { ScheduleRecord } from './schedule.interface.js';

/**
 * Maps job types to their payloads. Empty by default, so any type and payload
 * are accepted; augment it to have `submit` and handlers type-checked:
 *
 * ```ts
 * declare module 'nestjs-jobs' {
 *   interface JobTypes { email: { to: string } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface JobTypes {}

/** The job types `submit` accepts: the declared ones, or any string when none are declared. */
export type JobType = [keyof JobTypes] extends [never] ? string : Extract<keyof JobTypes, string>;

/** The payload of a job type: the declared one, or `any` for an undeclared type. */
export type PayloadOf<T extends string> = T extends keyof JobTypes ? JobTypes[T] : any;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** `Job<'email'>` reads the payload from `JobTypes`; `Job<{ to: string }>` takes it as given. */
export type JobPayload<P> = IsAny<P> extends true ? any : P extends keyof JobTypes ? JobTypes[P] : P;

/**
 * A job as handlers, `submit` and events see it: a frozen snapshot, never a
 * live object. `P` is the payload type, or a job type declared in `JobTypes`.
 */
export type Job<P = any> = JobSnapshot<JobPayload<P>>;

/** The shape behind `Job<P>`, with the payload type resolved. */
export interface JobSnapshot<Payload> {
  readonly id: string;
  readonly type: string;
  readonly payload: Payload;
  /** Higher runs first. */
  readonly priority: number;
  /** Attempts made before the one being run or reported: 0 on the first run. */
  readonly attempts: number;
  /** Retries allowed after the first failed attempt. */
  readonly maxRetries: number;
  /** When the job was accepted. */
  readonly createdAt: Date;
  /** The last failed attempt's error message, if an attempt has failed. */
  readonly error?: string;
}

/** What a job handler is: called with the job and the attempt's abort signal. */
export type JobHandlerFn<P = any> = (job: Job<P>, signal: AbortSignal) => unknown;

/** Options for one `submit`. They beat the handler's and the module's. */
export interface SubmitOptions {
  /**
   * The job's id, and an idempotency key: while a job with this id is waiting,
   * delayed or running, submitting it again returns that job and enqueues
   * nothing. 1–128 characters of `A-Z a-z 0-9 _ . -`, not all digits.
   */
  id?: string;
  /** -1 000 000 to 1 000 000; higher runs first. Default 0. */
  priority?: number;
  /** Retries after the first failed attempt (integer >= 0). */
  maxRetries?: number;
  /** Per-attempt timeout in ms (integer >= 1). */
  timeout?: number;
  /** Ms before the job may run (integer >= 0). */
  delay?: number;
}

export type JobEventKind = 'submitted' | 'started' | 'completed' | 'retrying' | 'failed' | 'abandoned' | 'removed';

/** Where a job is: a job waiting for its retry is `delayed`; `completed` and `failed` ones are kept records. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

/**
 * A job as the job store reports it (`getJob`, `listJobs`): the `Job` fields
 * plus where it is. On a finished record `attempts` is `attemptsMade − 1`, as
 * for the attempt it reports.
 */
export interface JobRecord<P = any> extends JobSnapshot<JobPayload<P>> {
  readonly state: JobState;
  /** Attempts started so far. */
  readonly attemptsMade: number;
  /** The last error message. */
  readonly error?: string;
  /** The handler's resolved value (JSON on BullMQ), on completed records. */
  readonly result?: unknown;
  /** When the job completed or failed for good (completed and failed records). */
  readonly finishedAt?: Date;
}

/** What `JobQueue.listJobs` lists: one state, optionally one type, a page at a time. */
export interface ListJobsOptions {
  state: JobState;
  /** Only jobs of this type (one this process handles). */
  type?: string;
  /** Jobs per page (integer from 1 to 1000). Default 50. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** One page of `listJobs`: pass `next` as `cursor` for the next page; absent on the last page. */
export interface JobPage<P = any> {
  jobs: Array<JobRecord<P>>;
  next?: string;
}

/** One job type's jobs per state, as `JobQueue.jobCounts()` returns them. */
export interface JobStateCounts {
  waiting: number;
  delayed: number;
  active: number;
  /** Kept completed records. */
  completed: number;
  /** Kept failed records. */
  failed: number;
}

/** What `JobQueue.retryJobs` retries: every kept failed job, or those of one type. */
export interface RetryJobsOptions {
  type?: string;
}

/** A lifecycle event of a job of this process, as `JobQueue.events$` emits it. */
export interface JobEvent<P = any> {
  readonly kind: JobEventKind;
  readonly job: Job<P>;
  /** The failed attempt's error message (`retrying`, `failed`). */
  readonly error?: string;
  /** How long the attempt ran, in ms (`completed`, `retrying`, `failed`). */
  readonly durationMs?: number;
  /** On `started`: ms since the job was accepted, on the driver's clock. */
  readonly waitMs?: number;
  /** On `submitted`: true when `retryJob` / `retryJobs` ran a failed job again. */
  readonly manual?: true;
}

/** This process's view of the queue, as `JobQueue.metrics()` returns it. */
export interface JobsMetrics {
  /** Jobs completed. */
  processed: number;
  /** Jobs failed for good. */
  failed: number;
  /** Retries scheduled. */
  retried: number;
  /** Failed jobs run again by `retryJob` / `retryJobs` (not counted in `retried`). */
  retriedManually: number;
  /** Jobs abandoned at shutdown. */
  abandoned: number;
  /** Submits refused. */
  rejected: number;
  /** Mean run time, in ms, of the attempts that completed jobs. */
  avgDurationMs: number;
  /** Jobs ready to run, waiting for a worker. */
  waiting: number;
  /** Jobs (and retries) waiting for their delay to pass. */
  delayed: number;
  /** Attempts running, including ones past their timeout that have not settled. */
  active: number;
  /** Attempts past their timeout whose handler has not settled (also counted in `active`). */
  stuck: number;
  /** Waiting jobs held back by their type's `rateLimit` (also counted in `waiting`). */
  rateLimited: number;
  /** The configured number of workers. */
  workers: number;
  /** The configured bound on waiting + delayed jobs. */
  queueSize: number;
}

/** One job type's depths in this process's view, as `JobQueue.metricsByType()` returns them. */
export interface TypeMetrics {
  waiting: number;
  delayed: number;
  /** Attempts of this type running in this process. */
  active: number;
  /** Waiting jobs of this type held back by its `rateLimit` (also counted in `waiting`). */
  rateLimited: number;
}

/** Where the queue is in its life: `running` between bootstrap and shutdown. */
export type JobsState = 'created' | 'running' | 'draining' | 'closed';

/** The queue's state, and with a distributed driver its broker's, as `JobQueue.status()` returns it. */
export interface JobsStatus {
  state: JobsState;
  /** Set by distributed drivers: whether the broker answers, and what else it reports (never payloads). */
  broker?: { status: 'up' | 'down'; [detail: string]: string | number | boolean };
  /** The schedules and their next tick, when there are any (on a distributed driver, as last read from the broker). */
  schedules?: ScheduleRecord[];
}
