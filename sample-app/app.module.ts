import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { JobsExceptionFilter, JobsModule } from 'nestjs-jobs';
import { JobsDashboardModule } from 'nestjs-jobs/dashboard';
import { JobsHealthIndicator } from 'nestjs-jobs/health';
import { JobsPrometheusModule } from 'nestjs-jobs/prometheus';
import { Registry } from 'prom-client';
import { DemoProducer } from './demo.producer.js';
import { HealthController } from './health.controller.js';
import { JobsController } from './jobs.controller.js';
import { METRICS_REGISTRY, MetricsController } from './metrics.controller.js';
import { ProgressReporter } from './progress.reporter.js';
import { SampleJobs } from './sample-jobs.service.js';
import { dashboardAuthorize } from './dashboard-auth.js';
import { randomToken, type ResolvedSampleOptions, SAMPLE_JOB_DEFAULTS, SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';
import { SampleWork } from './sample-work.js';

/** The sample service: `AppModule.register(options)`; `main.ts` adds HTTP, signals and the port. */
@Module({})
export class AppModule {
  static register(options: SampleOptions = {}): DynamicModule {
    const resolved: ResolvedSampleOptions = {
      jobs: { ...SAMPLE_JOB_DEFAULTS, ...options.jobs },
      demo: options.demo ?? false,
      progress: options.progress ?? false,
      trace: options.trace ?? false,
      registry: options.registry ?? new Registry(),
      print: options.print ?? ((line) => process.stdout.write(`${line}\n`)),
      dashboardToken: options.dashboardToken ?? randomToken(),
    };
    return {
      module: AppModule,
      imports: [
        JobsModule.forRoot(resolved.jobs),
        // Readiness is polled: a down check is an answer, not an error to log.
        TerminusModule.forRoot({ logger: false }),
        JobsPrometheusModule.register({ registry: resolved.registry }),
        // The live page at /dashboard (/jobs is the sample's own API): `main.ts` prints its address with the token.
        JobsDashboardModule.register({ path: 'dashboard', authorize: dashboardAuthorize(resolved.dashboardToken) }),
      ],
      controllers: [JobsController, HealthController, MetricsController],
      providers: [
        { provide: SAMPLE_OPTIONS, useValue: resolved },
        { provide: METRICS_REGISTRY, useValue: resolved.registry },
        // 503 + Retry-After for a full, closing or unreachable queue; 400 for an invalid job.
        { provide: APP_FILTER, useClass: JobsExceptionFilter },
        JobsHealthIndicator,
        SampleWork,
        SampleJobs,
        DemoProducer,
        ProgressReporter,
      ],
    };
  }
}
