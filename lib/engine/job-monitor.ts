import { Observable, type Subscriber } from 'rxjs';
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
 * someone subscribes, and a debug line only while debug logging is on. The
 * subscribers are kept here rather than in an rxjs Subject, whose `next`
 * allocates a closure and an iterator per event (a fifth of a job's cost with
 * three events per job); the behaviour is a Subject's: late subscribers after
 * `complete()` complete at once, and each event goes to the subscribers there
 * were when it was emitted.
 */
export class JobMonitor {
  processed = 0;
  failed = 0;
  retried = 0;
  abandoned = 0;
  rejected = 0;
  #completedDurationMs = 0;
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
    return this.processed === 0 ? 0 : this.#completedDurationMs / this.processed;
  }

  submitted(job: Job): void {
    if (this.#subscribers.length !== 0) this.#emit('submitted', job, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) submitted`);
  }

  started(job: Job): void {
    if (this.#subscribers.length !== 0) this.#emit('started', job, undefined, undefined);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) started, attempt ${job.attempts + 1}`);
  }

  completed(job: Job, durationMs: number): void {
    this.processed++;
    this.#completedDurationMs += durationMs;
    if (this.#subscribers.length !== 0) this.#emit('completed', job, undefined, durationMs);
    if (this.#debug) this.#logger.debug(`Job ${job.id} (${job.type}) completed in ${ms(durationMs)}`);
  }

  retrying(job: Job, error: string, durationMs: number, retryInMs: number): void {
    this.retried++;
    if (this.#subscribers.length !== 0) this.#emit('retrying', job, error, durationMs);
    this.#logger.warn(
      `Job ${job.id} (${job.type}) attempt ${job.attempts + 1} of ${job.maxRetries + 1} failed: ${error}. ` +
        `Retrying in ${ms(retryInMs)}.`,
    );
  }

  failedForGood(job: Job, error: string, durationMs: number): void {
    this.failed++;
    if (this.#subscribers.length !== 0) this.#emit('failed', job, error, durationMs);
    this.#logger.error(`Job ${job.id} (${job.type}) failed after ${job.attempts + 1} attempt(s): ${error}`);
  }

  /** Reports jobs given up at shutdown: an event each, and their ids in the log. */
  abandonedJobs(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    this.abandoned += jobs.length;
    if (this.#subscribers.length !== 0) for (const job of jobs) this.#emit('abandoned', job, undefined, undefined);
    for (let i = 0; i < jobs.length; i += IDS_PER_LINE) {
      this.#logger.error(abandonedJobs(jobs.slice(i, i + IDS_PER_LINE).map((job) => job.id)));
    }
  }

  refused(): void {
    this.rejected++;
  }

  /** Ends `events$` (the application is closing). */
  complete(): void {
    if (this.#completed) return;
    this.#completed = true;
    const subscribers = this.#subscribers;
    this.#subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  #emit(kind: JobEventKind, job: Job, error: string | undefined, durationMs: number | undefined): void {
    // One object shape for every event: cheap to build, monomorphic to read.
    const event: JobEvent = { kind, job, error, durationMs };
    const subscribers = this.#subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i].next(event);
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
