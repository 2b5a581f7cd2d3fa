import { Observable, type Subscriber } from 'rxjs';
import type { Job, JobEvent, JobEventKind, JobsMetrics } from '../interfaces/job.interface.js';
import { ABANDONED_IDS_LOGGED, abandonedJobs } from './engine.messages.js';
import type { JobsLogger } from './jobs-logger.js';

/** The counters behind `metrics()`, named as there, and the sum behind `avgDurationMs`. */
export type JobCounters = Pick<JobsMetrics, 'processed' | 'failed' | 'retried' | 'retriedManually' | 'abandoned' | 'rejected'> & {
  /** Total run time of the attempts that completed jobs, for `avgDurationMs`. */
  completedDurationMs: number;
};

/**
 * Where every driver reports what happens to jobs: the counters behind
 * `metrics()`, the `events$` stream and the logs. Each method is named after
 * the event (or counter) it feeds. Drivers call it once the job's state has
 * changed, so a subscriber that reads counts sees the job where it now is.
 *
 * Hot path: counters are plain fields; an event object is built only while
 * someone subscribes, and a debug line only while debug logging is on. The
 * subscribers are kept here rather than in an rxjs Subject, whose `next`
 * allocates a closure and an iterator per event; the behaviour is a Subject's:
 * late subscribers after `complete()` complete at once, and each event goes to
 * the subscribers there were when it was emitted.
 */
export class JobMonitor {
  readonly counters: JobCounters = { processed: 0, failed: 0, retried: 0, retriedManually: 0, abandoned: 0, rejected: 0, completedDurationMs: 0 };
  #debug = false;
  /** Replaced, never mutated, so an emit in progress keeps its list. */
  #subscribers: Array<Subscriber<JobEvent>> = [];
  #completed = false;
  readonly #logger: JobsLogger;

  /** Lifecycle events of this process's jobs. */
  readonly events$: Observable<JobEvent> = new Observable<JobEvent>((subscriber) => {
    if (this.#completed) {
      subscriber.complete();
      return undefined;
    }
    this.#subscribers = [...this.#subscribers, subscriber];
    return () => {
      this.#subscribers = this.#subscribers.filter((other) => other !== subscriber);
    };
  });

  constructor(logger: JobsLogger) {
    this.#logger = logger;
  }

  /** Turns the per-job debug lines on or off (they cost a string each). */
  setDebug(enabled: boolean): void {
    this.#debug = enabled;
  }

  get avgDurationMs(): number {
    const { processed, completedDurationMs } = this.counters;
    return processed === 0 ? 0 : completedDurationMs / processed;
  }

  submitted(job: Job): void {
    if (this.#subscribers.length !== 0) this.#emit('submitted', job, undefined, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) submitted`);
  }

  /** @param waitMs ms from the job's acceptance to this start, on the driver's clock. */
  started(job: Job, waitMs: number): void {
    if (this.#subscribers.length !== 0) this.#emit('started', job, undefined, undefined, waitMs);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) started, attempt ${job.attempts + 1}`);
  }

  completed(job: Job, durationMs: number): void {
    const counters = this.counters;
    counters.processed++;
    counters.completedDurationMs += durationMs;
    if (this.#subscribers.length !== 0) this.#emit('completed', job, undefined, durationMs, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) completed in ${ms(durationMs)}`);
  }

  retrying(job: Job, error: string, durationMs: number, retryInMs: number): void {
    this.counters.retried++;
    if (this.#subscribers.length !== 0) this.#emit('retrying', job, error, durationMs, undefined);
    this.#logger.warn(
      `Job ${job.id} (${job.type}) attempt ${job.attempts + 1} of ${job.maxRetries + 1} failed: ${error}. ` +
        `Retrying in ${ms(retryInMs)}.`,
    );
  }

  /** The job failed for good. */
  failed(job: Job, error: string, durationMs: number): void {
    this.counters.failed++;
    if (this.#subscribers.length !== 0) this.#emit('failed', job, error, durationMs, undefined);
    this.#logger.error(`Job ${job.id} (${job.type}) failed after ${job.attempts + 1} attempt(s): ${error}`);
  }

  /** Jobs given up at shutdown: an event each, and one log line with their count and a bounded sample of ids. */
  abandoned(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    this.counters.abandoned += jobs.length;
    if (this.#subscribers.length !== 0) for (const job of jobs) this.#emit('abandoned', job, undefined, undefined, undefined);
    const sample: string[] = [];
    for (let i = 0; i < jobs.length && i < ABANDONED_IDS_LOGGED; i++) sample.push(jobs[i].id);
    this.#logger.error(abandonedJobs(jobs.length, sample));
  }

  /** A kept failed job runs again (`retryJob`): counted apart from automatic retries, and `submitted` again. */
  retriedManually(job: Job): void {
    this.counters.retriedManually++;
    if (this.#subscribers.length !== 0) this.#emit('submitted', job, undefined, undefined, undefined, true);
    this.#logger.log(`Job ${job.id} (${job.type}) retried by hand`);
  }

  /** A job was removed by `removeJob`. */
  removed(job: Job): void {
    if (this.#subscribers.length !== 0) this.#emit('removed', job, undefined, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) removed`);
  }

  /** A submit was refused. */
  rejected(): void {
    this.counters.rejected++;
  }

  /** Ends `events$` (the application is closing). */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const subscribers = this.#subscribers;
    this.#subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  #emit(
    kind: JobEventKind,
    job: Job,
    error: string | undefined,
    durationMs: number | undefined,
    waitMs: number | undefined,
    manual: true | undefined = undefined,
  ): void {
    // One object shape for every event: cheap to build, monomorphic to read.
    const event: JobEvent = { kind, job, error, durationMs, waitMs, manual };
    const subscribers = this.#subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i].next(event);
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
