import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobEvent, JobQueue, TypeMetrics } from '../index.js';

const WAIT_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The package's metrics on one registry. prom-client refuses a name
 * registered twice, so there is one set per registry (see `jobsMetricsFor`),
 * and the queue it reads at scrape time can be rebound to the app of the day.
 */
export class JobsPrometheusMetrics {
  #queue: JobQueue | undefined;
  #rejectedSeen = 0;
  readonly #completed: Counter<'type'>;
  readonly #failed: Counter<'type'>;
  readonly #retried: Counter<'type'>;
  readonly #retriedManually: Counter<'type'>;
  readonly #abandoned: Counter<'type'>;
  readonly #waitSeconds: Histogram<'type'>;
  readonly #runSeconds: Histogram<'type'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['type'], registers });
    this.#completed = counter('nestjs_jobs_completed_total', 'Jobs completed.');
    this.#failed = counter('nestjs_jobs_failed_total', 'Jobs failed for good (retries spent or unrecoverable).');
    this.#retried = counter('nestjs_jobs_retried_total', 'Failed attempts that were scheduled for a retry.');
    this.#retriedManually = counter('nestjs_jobs_retried_manually_total', 'Failed jobs run again by retryJob / retryJobs.');
    this.#abandoned = counter('nestjs_jobs_abandoned_total', 'Jobs given up at shutdown.');
    // A refusal happens before a job exists, often for a type no handler knows:
    // a type label would be unbounded, so this one counter has no label.
    const metrics = this;
    new Counter({
      name: 'nestjs_jobs_rejected_total',
      help: 'Submits refused (queue full, shutting down, unknown type, invalid job, broker unreachable).',
      registers,
      collect() {
        const rejected = metrics.#queue?.metrics().rejected ?? metrics.#rejectedSeen;
        if (rejected > metrics.#rejectedSeen) this.inc(rejected - metrics.#rejectedSeen);
        metrics.#rejectedSeen = rejected;
      },
    });
    // One series per handled type, read at scrape time.
    const gauge = (name: string, help: string, read: (counts: TypeMetrics) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          const byType = metrics.#queue?.metricsByType() ?? {};
          for (const type of Object.keys(byType)) this.set({ type }, read(byType[type]));
        },
      });
    gauge('nestjs_jobs_waiting', 'Jobs ready to run, waiting for a worker.', (counts) => counts.waiting);
    gauge('nestjs_jobs_delayed', 'Jobs waiting for their delay or retry backoff.', (counts) => counts.delayed);
    gauge('nestjs_jobs_active', 'Attempts running now in this process.', (counts) => counts.active);
    gauge('nestjs_jobs_rate_limited', 'Waiting jobs held back by their type\'s rate limit (also in nestjs_jobs_waiting).', (counts) => counts.rateLimited);
    this.#waitSeconds = new Histogram({
      name: 'nestjs_jobs_wait_seconds',
      help: 'Time from a job being accepted to its first attempt starting.',
      labelNames: ['type'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.#runSeconds = new Histogram({
      name: 'nestjs_jobs_run_seconds',
      help: 'Run time of each attempt that settled.',
      labelNames: ['type'],
      buckets: RUN_BUCKETS,
      registers,
    });
  }

  /** Makes the gauges and the rejected counter read this queue (the app now running). */
  bind(queue: JobQueue): void {
    this.#queue = queue;
    // A new app's counters start at zero.
    this.#rejectedSeen = queue.metrics().rejected;
  }

  /** False once the registry was cleared (`registry.clear()`, common between tests). */
  isRegisteredOn(registry: Registry): boolean {
    return registry.getSingleMetric('nestjs_jobs_completed_total') === this.#completed;
  }

  unbind(queue: JobQueue): void {
    if (this.#queue === queue) this.#queue = undefined;
  }

  record(event: JobEvent): void {
    const labels = { type: event.job.type };
    switch (event.kind) {
      case 'submitted':
        if (event.manual === true) this.#retriedManually.inc(labels);
        return;
      case 'started':
        if (event.job.attempts === 0 && event.waitMs !== undefined) this.#waitSeconds.observe(labels, event.waitMs / 1000);
        return;
      case 'completed':
        this.#completed.inc(labels);
        break;
      case 'retrying':
        this.#retried.inc(labels);
        break;
      case 'failed':
        this.#failed.inc(labels);
        break;
      case 'abandoned':
        this.#abandoned.inc(labels);
        return;
      default:
        return;
    }
    if (event.durationMs !== undefined) this.#runSeconds.observe(labels, event.durationMs / 1000);
  }
}

const byRegistry = new WeakMap<Registry, JobsPrometheusMetrics>();

/** The metric set of a registry, created on first use (and again after the registry was cleared). */
export function jobsMetricsFor(registry: Registry): JobsPrometheusMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics === undefined || !metrics.isRegisteredOn(registry)) {
    metrics = new JobsPrometheusMetrics(registry);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
