import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { JobKernel } from './engine/job-kernel.js';
import type {
  Job,
  JobEvent,
  JobPage,
  JobRecord,
  JobsMetrics,
  JobStateCounts,
  ListJobsOptions,
  RetryJobsOptions,
  JobsStatus,
  JobType,
  PayloadOf,
  SubmitOptions,
  TypeMetrics,
} from './interfaces/job.interface.js';
import type { ScheduleOptions, ScheduleRecord } from './interfaces/schedule.interface.js';
import { JOBS_KERNEL } from './jobs.constants.js';

/** The queue of this application: submit jobs, read metrics and events, wait for room or idleness. */
@Injectable()
export class JobQueue {
  readonly #kernel: JobKernel;

  constructor(@Inject(JOBS_KERNEL) kernel: JobKernel) {
    this.#kernel = kernel;
  }

  /** Lifecycle events of this process's jobs. */
  get events$(): Observable<JobEvent> {
    return this.#kernel.monitor.events$;
  }

  /**
   * Accepts a job; resolves once it is queued (not when it finishes). Rejects —
   * never throws — with UnknownJobTypeError, QueueFullError, QueueClosedError,
   * InvalidJobError or QueueUnavailableError.
   */
  submit<T extends JobType>(type: T, payload: PayloadOf<T>, options?: SubmitOptions): Promise<Job<PayloadOf<T>>> {
    return this.#kernel.submit(type, payload, options);
  }

  /** A job waiting, delayed, running or kept (a finished record within its retention); undefined when there is none. */
  getJob<P = any>(id: string): Promise<JobRecord<P> | undefined> {
    return this.#kernel.getJob(id);
  }

  /**
   * One page of the jobs in a state: waiting in run order, delayed by due
   * time, active by start, completed and failed newest first. Pass `next` as
   * `cursor` for the next page. Rejects with InvalidJobError naming a bad field.
   */
  listJobs<P = any>(options: ListJobsOptions): Promise<JobPage<P>> {
    return this.#kernel.listJobs(options);
  }

  /** Jobs per state for every handled type; on a distributed driver, the broker's view (all processes). */
  jobCounts(): Promise<Record<string, JobStateCounts>> {
    return this.#kernel.jobCounts();
  }

  /**
   * Runs a kept failed job again, from attempt 0 with its whole retry budget.
   * Rejects with JobNotFoundError, JobStateError (it has not failed) or QueueFullError.
   */
  retryJob<P = any>(id: string): Promise<JobRecord<P>> {
    return this.#kernel.retryJob(id);
  }

  /** Runs every kept failed job (of `type`) again; resolves how many. */
  retryJobs(options?: RetryJobsOptions): Promise<number> {
    return this.#kernel.retryJobs(options);
  }

  /**
   * Removes a waiting, delayed, completed or failed job (a `removed` event);
   * false when there is none. Rejects with JobStateError for a running job.
   */
  removeJob(id: string): Promise<boolean> {
    return this.#kernel.removeJob(id);
  }

  /**
   * Creates or replaces (by `key`) a schedule: each tick submits one job of
   * `type` with `payload`, with exactly one of `cron` and `every`. On a
   * distributed driver a tick runs once across all processes. Rejects with
   * UnknownJobTypeError or InvalidJobError (naming the field).
   */
  schedule<T extends JobType>(key: string, type: T, payload: PayloadOf<T>, options: ScheduleOptions): Promise<ScheduleRecord> {
    return this.#kernel.schedule(key, type, payload, options);
  }

  /** Removes the schedule `key` and its pending job; resolves false when there is no such schedule. */
  unschedule(key: string): Promise<boolean> {
    return this.#kernel.unschedule(key);
  }

  /** Every schedule, with its next tick. */
  listSchedules(): Promise<ScheduleRecord[]> {
    return this.#kernel.listSchedules();
  }

  /** This process's counters and queue depths, synchronously. */
  metrics(): JobsMetrics {
    return this.#kernel.metrics();
  }

  /** Waiting, delayed and active per handled job type (every type, zeros included), synchronously. */
  metricsByType(): Record<string, TypeMetrics> {
    return this.#kernel.metricsByType();
  }

  /** The queue's lifecycle state and, with a distributed driver, whether its broker answers. */
  status(): JobsStatus {
    return this.#kernel.status();
  }

  /** Resolves when nothing is waiting, delayed or running in this process. */
  onIdle(): Promise<void> {
    return this.#kernel.onIdle();
  }

  /**
   * Resolves when waiting + delayed drops below `limit` (an integer >= 1): a
   * producer's way to wait for room. Settles when the application closes.
   */
  onSizeLessThan(limit: number): Promise<void> {
    return this.#kernel.onSizeLessThan(limit);
  }
}
