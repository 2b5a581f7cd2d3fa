import { type Observable, Subject } from 'rxjs';
import type { Job, JobEvent, JobEventKind } from '../interfaces/job.interface.js';
import type { JobsLogger } from './jobs-logger.js';
import { abandonedJobs } from '../jobs.messages.js';

/** How many ids one "abandoned" log line names. */
const IDS_PER_LINE = 100;

/**
 * Where every driver reports what happens to jobs: the counters behind
 * `metrics()`, the `events$` stream and the logs. Shared by all drivers so
 * that switching engines changes none of them.
 *
 * Hot path: counters are plain fields; an event object is built only while
 * someone subscribes, and a debug line only while debug logging is on.
 */
export class JobMonitor {
  processed = 0;
  failed = 0;
  retried = 0;
  abandoned = 0;
  rejected = 0;
  #completedDurationMs = 0;
  #debug = false;
  readonly #events = new Subject<JobEvent>();
  readonly #logger: JobsLogger;

  /** Lifecycle events of this process's jobs. */
  readonly events$: Observable<JobEvent> = this.#events.asObservable();

  constructor(logger: JobsLogger) {
    this.#logger = logger;
  }

  /** Turns the per-job debug lines on or off (they cost a string each). */
  setDebug(enabled: boolean): void {
    this.#debug = enabled;
  }

  get avgDurationMs(): number {
    return this.processed === 0 ? 0 : this.#completedDurationMs / this.processed;
  }

  submitted(job: Job): void {
    if (this.#events.observed) this.#emit('submitted', job, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) submitted`);
  }

  started(job: Job): void {
    if (this.#events.observed) this.#emit('started', job, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) started, attempt ${job.attempts + 1}`);
  }

  completed(job: Job, durationMs: number): void {
    this.processed++;
    this.#completedDurationMs += durationMs;
    if (this.#events.observed) this.#emit('completed', job, undefined, durationMs);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) completed in ${ms(durationMs)}`);
  }

  retrying(job: Job, error: string, durationMs: number, retryInMs: number): void {
    this.retried++;
    if (this.#events.observed) this.#emit('retrying', job, error, durationMs);
    this.#logger.warn(
      `Job ${job.id} (${job.type}) attempt ${job.attempts + 1} of ${job.maxRetries + 1} failed: ${error}. ` +
        `Retrying in ${ms(retryInMs)}.`,
    );
  }

  failedForGood(job: Job, error: string, durationMs: number): void {
    this.failed++;
    if (this.#events.observed) this.#emit('failed', job, error, durationMs);
    this.#logger.error(`Job ${job.id} (${job.type}) failed after ${job.attempts + 1} attempt(s): ${error}`);
  }

  /** Reports jobs given up at shutdown: an event each, and their ids in the log. */
  abandonedJobs(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    this.abandoned += jobs.length;
    if (this.#events.observed) for (const job of jobs) this.#emit('abandoned', job, undefined, undefined);
    for (let i = 0; i < jobs.length; i += IDS_PER_LINE) {
      this.#logger.error(abandonedJobs(jobs.slice(i, i + IDS_PER_LINE).map((job) => job.id)));
    }
  }

  refused(): void {
    this.rejected++;
  }

  /** Ends `events$` (the application is closing). */
  complete(): void {
    this.#events.complete();
  }

  #emit(kind: JobEventKind, job: Job, error: string | undefined, durationMs: number | undefined): void {
    // One object shape for every event: cheap to build, monomorphic to read.
    this.#events.next({ kind, job, error, durationMs });
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
