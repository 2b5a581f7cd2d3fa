import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { JobKernel } from './engine/job-kernel.js';
import type {
  Job,
  JobEvent,
  JobsMetrics,
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
