import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { JobsDriver } from '../driver/jobs-driver.js';
import { JobQueue } from '../job.queue.js';
import { JOBS_DRIVER } from '../jobs.constants.js';
import { type JobsPrometheusMetrics, jobsMetricsFor } from './jobs-prometheus.metrics.js';

export const JOBS_PROMETHEUS_REGISTRY = Symbol('nestjs-jobs:prometheus-registry');

/** Feeds the registry's job metrics from `JobQueue.events$`, from module init until the drain is over. */
@Injectable()
export class JobsPrometheusCollector implements OnModuleInit, OnApplicationShutdown {
  readonly #metrics: JobsPrometheusMetrics;
  #subscription: Subscription | undefined;

  constructor(
    private readonly queue: JobQueue,
    @Inject(JOBS_PROMETHEUS_REGISTRY) registry: Registry,
    @Inject(JOBS_DRIVER) private readonly driver: JobsDriver,
  ) {
    this.#metrics = jobsMetricsFor(registry);
  }

  onModuleInit(): void {
    this.#metrics.bind(this.queue, this.driver);
    this.#subscription = this.queue.events$.subscribe((event) => this.#metrics.record(event, Date.now()));
  }

  // Not onModuleDestroy: the drain runs then, and its jobs must still be counted.
  onApplicationShutdown(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#metrics.unbind(this.queue);
  }
}
