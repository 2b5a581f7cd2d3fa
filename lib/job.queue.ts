import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { JobsDriver } from './driver/jobs-driver.js';
import { JobMonitor } from './engine/job-monitor.js';
import type { Job, JobEvent, JobsMetrics, JobType, PayloadOf, SubmitOptions } from './interfaces/job.interface.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import { JOBS_DRIVER, JOBS_OPTIONS } from './jobs.constants.js';
import { InvalidJobError, UnknownJobTypeError } from './jobs.errors.js';
import { unknownJobType } from './jobs.messages.js';
import { checkSubmitOptions, type ResolvedJobsOptions } from './jobs-options.js';

/** The queue of this application: submit jobs, read metrics and events, wait for room or idleness. */
@Injectable()
export class JobQueue {
  constructor(
    @Inject(JOBS_DRIVER) private readonly driver: JobsDriver,
    private readonly registry: JobHandlerRegistry,
    private readonly monitor: JobMonitor,
    @Inject(JOBS_OPTIONS) private readonly options: ResolvedJobsOptions,
  ) {}

  /** Lifecycle events of this process's jobs. */
  get events$(): Observable<JobEvent> {
    return this.monitor.events$;
  }

  /**
   * Accepts a job; resolves once it is queued (not when it finishes). Rejects —
   * never throws — with UnknownJobTypeError, QueueFullError, QueueClosedError,
   * InvalidJobError or QueueUnavailableError.
   */
  submit<T extends JobType>(type: T, payload: PayloadOf<T>, options?: SubmitOptions): Promise<Job<PayloadOf<T>>> {
    const handler = this.registry.get(type);
    if (handler === undefined) {
      return this.#refuse(new UnknownJobTypeError(unknownJobType(type, this.registry.types()), type));
    }
    if (options !== undefined) {
      const problem = checkSubmitOptions(options);
      if (problem !== undefined) return this.#refuse(new InvalidJobError(problem));
    }
    return this.driver.submit(handler, payload, options);
  }

  /** This process's counters and queue depths, synchronously. */
  metrics(): JobsMetrics {
    const { waiting, delayed, active } = this.driver.counts();
    const monitor = this.monitor;
    return {
      processed: monitor.processed,
      failed: monitor.failed,
      retried: monitor.retried,
      abandoned: monitor.abandoned,
      rejected: monitor.rejected,
      avgDurationMs: monitor.avgDurationMs,
      waiting,
      delayed,
      active,
      workers: this.options.workers,
      queueSize: this.options.queueSize,
    };
  }

  /** Resolves when nothing is waiting, delayed or running in this process. */
  onIdle(): Promise<void> {
    return this.driver.onIdle();
  }

  /** Resolves when waiting + delayed drops below `limit`: a producer's way to wait for room. */
  onSizeLessThan(limit: number): Promise<void> {
    return this.driver.onSizeLessThan(limit);
  }

  #refuse(error: Error): Promise<never> {
    this.monitor.refused();
    return Promise.reject(error);
  }
}
