import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../index.js';
import type { Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
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
  ) {
    this.#metrics = jobsMetricsFor(registry);
  }

  onModuleInit(): void {
    this.#metrics.bind(this.queue);
    this.#subscription = this.queue.events$.subscribe((event) => this.#metrics.record(event));
  }

  // Not onModuleDestroy: the drain runs then, and its jobs must still be counted.
  onApplicationShutdown(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#metrics.unbind(this.queue);
  }
}
