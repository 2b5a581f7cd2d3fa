import type {
  Job,
  JobPage,
  JobRecord,
  JobsMetrics,
  JobStateCounts,
  RetryJobsOptions,
  SubmitOptions,
  TypeMetrics,
} from '../interfaces/job.interface.js';
import {
  invalidLookupId,
  invalidPayload,
  invalidSizeLimit,
  notAnObject,
  queueClosed,
  submitBeforeInit,
  unknownJobType,
} from './engine.messages.js';
import { isValidJobId, type JobRequest, jobRequest } from './job-request.js';
import { encodeCursor, readListQuery, readType } from './job-store.js';
import type { JobMonitor } from './job-monitor.js';
import type { DriverHealth, DriverOptions, HandlerLookup, JobsDriver } from './jobs-driver.js';
import { InvalidJobError, type JobsError, QueueClosedError, UnknownJobTypeError } from './jobs.errors.js';
import { isInteger } from './limits.js';
import { checkPayload, describeIssues, type PayloadCheck } from './payload-schema.js';
import type { ScheduleRecord } from '../interfaces/schedule.interface.js';
import { checkScheduleKey, declaredRequest, scheduleRequest } from './schedules.js';

/**
 * What `JobQueue` does, without Nest: the checks every submit gets whatever
 * the driver (type lookup, options read once, intake closed at shutdown),
 * refusal counting, and the metrics put together from the monitor's
 * counters and the driver's depths.
 */
export class JobKernel {
  readonly #options: DriverOptions;
  readonly #handlers: HandlerLookup;
  readonly #monitor: JobMonitor;
  readonly #driver: JobsDriver;
  #closing: Promise<void> | null = null;
  /** Set once the glue has found the handlers (module init): an unknown type before that is a submit made too early. */
  #handlersFound = false;

  constructor(options: DriverOptions, handlers: HandlerLookup, monitor: JobMonitor, driver: JobsDriver) {
    this.#options = options;
    this.#handlers = handlers;
    this.#monitor = monitor;
    this.#driver = driver;
  }

  get monitor(): JobMonitor {
    return this.#monitor;
  }

  submit(type: string, payload: unknown, options: SubmitOptions | undefined): Promise<Job> {
    if (this.#closing !== null) return this.refuse(new QueueClosedError(queueClosed()));
    const handler = this.#handlers.get(type);
    if (handler === undefined) {
      if (!this.#handlersFound) return this.refuse(new UnknownJobTypeError(submitBeforeInit(type), type));
      const known = this.#handlers.all().map((h) => h.type);
      return this.refuse(new UnknownJobTypeError(unknownJobType(type, known), type));
    }
    const request = jobRequest(handler, payload, options);
    if (typeof request === 'string') return this.refuse(new InvalidJobError(request));
    if (handler.schema === undefined) return this.#driver.submit(request);
    const check = checkPayload(handler.schema, payload);
    if (check instanceof Promise) return check.then((done) => this.#submitChecked(request, done));
    return this.#submitChecked(request, check);
  }

  /** The driver stores what was submitted (the schema's input); handlers get the output, checked again per attempt. */
  #submitChecked(request: JobRequest, check: PayloadCheck): Promise<Job> {
    const { handler } = request;
    if (check.issues !== undefined) {
      return this.refuse(new InvalidJobError(invalidPayload(handler.type, handler.name, describeIssues(check.issues)), check.issues));
    }
    // An async schema may resolve after shutdown began.
    if (this.#closing !== null) return this.refuse(new QueueClosedError(queueClosed()));
    return this.#driver.submit(request);
  }

  /** The handlers are all registered (the modules initialised). */
  handlersFound(): void {
    this.#handlersFound = true;
  }

  /** Counts a refused submit and rejects with its error. */
  refuse(error: JobsError): Promise<never> {
    this.#monitor.rejected();
    return Promise.reject(error);
  }

  // ---- the job store: arguments checked here, the work done by the driver ----

  getJob(id: string): Promise<JobRecord | undefined> {
    if (!isValidJobId(id)) return Promise.resolve(undefined);
    return this.#driver.getJob(id);
  }

  async listJobs(options: unknown): Promise<JobPage> {
    const query = readListQuery(options, this.#handlers);
    if (typeof query === 'string') throw new InvalidJobError(query);
    const page = await this.#driver.listJobs(query);
    return page.next === undefined ? { jobs: page.jobs } : { jobs: page.jobs, next: encodeCursor(query.state, query.type?.type, page.next) };
  }

  jobCounts(): Promise<Record<string, JobStateCounts>> {
    return this.#driver.jobCounts();
  }

  retryJob(id: string): Promise<JobRecord> {
    if (typeof id !== 'string' || id.length === 0) return Promise.reject(new InvalidJobError(invalidLookupId('retryJob', id)));
    if (this.#closing !== null) return Promise.reject(new QueueClosedError(queueClosed()));
    return this.#driver.retryJob(id);
  }

  retryJobs(options?: RetryJobsOptions): Promise<number> {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      return Promise.reject(new InvalidJobError(notAnObject('retryJobs', options)));
    }
    const type = readType('retryJobs', options?.type, this.#handlers);
    if (typeof type === 'string') return Promise.reject(new InvalidJobError(type));
    if (this.#closing !== null) return Promise.reject(new QueueClosedError(queueClosed()));
    return this.#driver.retryJobs(type);
  }

  removeJob(id: string): Promise<boolean> {
    if (!isValidJobId(id)) return Promise.resolve(false);
    return this.#driver.removeJob(id);
  }

  metrics(): JobsMetrics {
    const { waiting, delayed, active, stuck, rateLimited } = this.#driver.counts();
    const monitor = this.#monitor;
    const { processed, failed, retried, retriedManually, abandoned, rejected } = monitor.counters;
    return {
      processed,
      failed,
      retried,
      retriedManually,
      abandoned,
      rejected,
      avgDurationMs: monitor.avgDurationMs,
      waiting,
      delayed,
      active,
      stuck,
      rateLimited,
      workers: this.#options.workers,
      queueSize: this.#options.queueSize,
    };
  }

  metricsByType(): Record<string, TypeMetrics> {
    const byType: Record<string, TypeMetrics> = {};
    for (const { type, waiting, delayed, active, rateLimited } of this.#driver.countsByType()) {
      byType[type] = { waiting, delayed, active, rateLimited };
    }
    return byType;
  }

  status(): DriverHealth {
    return this.#driver.health();
  }

  onIdle(): Promise<void> {
    return this.#driver.onIdle();
  }

  onSizeLessThan(limit: number): Promise<void> {
    if (!isInteger(limit, 1)) return Promise.reject(new InvalidJobError(invalidSizeLimit(limit)));
    return this.#driver.onSizeLessThan(limit);
  }

  /** Creates or replaces the schedule `key`: each tick submits one job of `type` with `payload`. */
  schedule(key: string, type: string, payload: unknown, options: unknown): Promise<ScheduleRecord> {
    if (this.#closing !== null) return Promise.reject(new QueueClosedError(queueClosed()));
    const badKey = checkScheduleKey('schedule', key);
    if (badKey !== undefined) return Promise.reject(new InvalidJobError(badKey));
    const handler = this.#handlers.get(type);
    if (handler === undefined) {
      const known = this.#handlers.all().map((h) => h.type);
      return Promise.reject(new UnknownJobTypeError(unknownJobType(type, known), type));
    }
    const request = scheduleRequest(key, handler, payload, options);
    if (typeof request === 'string') return Promise.reject(new InvalidJobError(request));
    return this.#driver.schedule(request);
  }

  /** Removes the schedule `key` and its pending job; resolves false for an unknown key. */
  unschedule(key: string): Promise<boolean> {
    const badKey = checkScheduleKey('unschedule', key);
    if (badKey !== undefined) return Promise.reject(new InvalidJobError(badKey));
    return this.#driver.unschedule(key);
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    return this.#driver.listSchedules();
  }

  /** Starts the driver, then applies the declared schedules (and removes those no longer declared). */
  start(): void | Promise<void> {
    const started = this.#driver.start();
    const declared = this.#handlers.all().flatMap((handler) => (handler.schedule ? [declaredRequest(handler, handler.schedule)] : []));
    if (started === undefined) return this.#driver.reconcileSchedules(declared);
    return started.then(() => this.#driver.reconcileSchedules(declared));
  }

  /** Stops intake at once, then drains the driver; pending waits settle, and `events$` completes. */
  close(): Promise<void> {
    return (this.#closing ??= this.#driver.close().then(() => this.#monitor.complete()));
  }
}
