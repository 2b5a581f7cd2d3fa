import type { Job, JobsMetrics, SubmitOptions, TypeMetrics } from '../interfaces/job.interface.js';
import { invalidPayload, invalidSizeLimit, queueClosed, submitBeforeInit, unknownJobType } from './engine.messages.js';
import { type JobRequest, jobRequest } from './job-request.js';
import type { JobMonitor } from './job-monitor.js';
import type { DriverHealth, DriverOptions, HandlerLookup, JobsDriver } from './jobs-driver.js';
import { InvalidJobError, type JobsError, QueueClosedError, UnknownJobTypeError } from './jobs.errors.js';
import { isInteger } from './limits.js';
import { checkPayload, describeIssues, type PayloadCheck } from './payload-schema.js';

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

  metrics(): JobsMetrics {
    const { waiting, delayed, active, stuck } = this.#driver.counts();
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
      workers: this.#options.workers,
      queueSize: this.#options.queueSize,
    };
  }

  metricsByType(): Record<string, TypeMetrics> {
    const byType: Record<string, TypeMetrics> = {};
    for (const { type, waiting, delayed, active } of this.#driver.countsByType()) byType[type] = { waiting, delayed, active };
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

  start(): void | Promise<void> {
    return this.#driver.start();
  }

  /** Stops intake at once, then drains the driver; pending waits settle, and `events$` completes. */
  close(): Promise<void> {
    return (this.#closing ??= this.#driver.close().then(() => this.#monitor.complete()));
  }
}
