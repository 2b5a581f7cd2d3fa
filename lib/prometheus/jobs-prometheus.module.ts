import { type DynamicModule, Module } from '@nestjs/common';
import { register, type Registry } from 'prom-client';
import { JOBS_PROMETHEUS_REGISTRY, JobsPrometheusCollector } from './jobs-prometheus.collector.js';

/** Options of `JobsPrometheusModule.register()`. */
export interface JobsPrometheusOptions {
  /** Where the metrics go; prom-client's default registry when absent. */
  registry?: Registry;
}

/**
 * Prometheus metrics of the jobs: `imports: [JobsPrometheusModule.register({ registry })]`
 * next to `JobsModule.forRoot()`, then serve `registry.metrics()`. Registering
 * on the same registry again (another app, a test) reuses its metrics.
 */
@Module({})
export class JobsPrometheusModule {
  static register(options: JobsPrometheusOptions = {}): DynamicModule {
    return {
      module: JobsPrometheusModule,
      providers: [{ provide: JOBS_PROMETHEUS_REGISTRY, useValue: options.registry ?? register }, JobsPrometheusCollector],
    };
  }
}
