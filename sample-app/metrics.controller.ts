import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';

export const METRICS_REGISTRY = Symbol('sample:metrics-registry');

/** GET /metrics: the Prometheus text exposition of the app's registry. */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
