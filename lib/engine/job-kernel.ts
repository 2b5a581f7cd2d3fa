import type { Job, JobsMetrics, SubmitOptions, TypeMetrics } from '../interfaces/job.interface.js';
import { invalidSizeLimit, queueClosed, unknownJobType } from './engine.messages.js';
import { jobRequest } from './job-request.js';
import type { JobMonitor } from './job-monitor.js';
import type { DriverHealth, DriverOptions, HandlerLookup, JobsDriver } from './jobs-driver.js';
import { InvalidJobError, type JobsError, QueueClosedError, UnknownJobTypeError } from './jobs.errors.js';
import { isInteger } from './limits.js';
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
      const known = this.#handlers.all().map((h) => h.type);
      return this.refuse(new UnknownJobTypeError(unknownJobType(type, known), type));
    }
    const request = jobRequest(handler, payload, options);
    if (typeof request === 'string') return this.refuse(new InvalidJobError(request));
    return this.#driver.submit(request);
  }

  /** Counts a refused submit and rejects with its error. */
  refuse(error: JobsError): Promise<never> {
    this.#monitor.rejected();
    return Promise.reject(error);
  }

  metrics(): JobsMetrics {
    const { waiting, delayed, active, stuck, rateLimited } = this.#driver.counts();
    const monitor = this.#monitor;
    const { processed, failed, retried, abandoned, rejected } = monitor.counters;
    return {
      processed,
      failed,
      retried,
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
