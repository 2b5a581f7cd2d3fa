import { Global, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { type Clock, systemClock } from './engine/clock.js';
import { JobKernel } from './engine/job-kernel.js';
import { JobMonitor } from './engine/job-monitor.js';
import type { DriverContext, JobsDriver } from './engine/jobs-driver.js';
import { memoryDriver } from './memory/index.js';
import { JobQueue } from './job.queue.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import {
  JOBS_CLOCK,
  JOBS_DRIVER,
  JOBS_DRIVER_CONTEXT,
  JOBS_KERNEL,
  JOBS_LOGGER_CONTEXT,
  JOBS_OPTIONS,
  JOBS_RANDOM,
} from './jobs.constants.js';
import { JobsExplorer } from './jobs.explorer.js';
import { JobsOrchestrator } from './jobs.orchestrator.js';
import { ConfigurableJobsModule, JOBS_MODULE_OPTIONS } from './jobs-module.definition.js';
import { type ResolvedJobsOptions, resolveJobsOptions } from './jobs-options.js';

/**
 * Background jobs for the whole application: `JobsModule.forRoot({ workers, queueSize })`
 * or `JobsModule.forRootAsync({ ... })`. Global: `JobQueue` is injectable everywhere,
 * and handlers are found in every module.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: JOBS_OPTIONS, useFactory: resolveJobsOptions, inject: [JOBS_MODULE_OPTIONS] },
    { provide: JOBS_CLOCK, useValue: systemClock },
    { provide: JOBS_RANDOM, useValue: Math.random },
    { provide: JobMonitor, useFactory: () => new JobMonitor(new Logger(JOBS_LOGGER_CONTEXT)) },
    {
      provide: JOBS_DRIVER_CONTEXT,
      inject: [JOBS_OPTIONS, JobHandlerRegistry, JobMonitor, JOBS_CLOCK, JOBS_RANDOM],
      useFactory: (
        options: ResolvedJobsOptions,
        handlers: JobHandlerRegistry,
        monitor: JobMonitor,
        clock: Clock,
        random: () => number,
      ): DriverContext => ({ options, handlers, monitor, clock, random, logger: new Logger(JOBS_LOGGER_CONTEXT) }),
    },
    // The configured driver is made here, and only here: the tester replaces this provider so a BullMQ app never connects.
    {
      provide: JOBS_DRIVER,
      inject: [JOBS_OPTIONS, JOBS_DRIVER_CONTEXT],
      useFactory: (options: ResolvedJobsOptions, context: DriverContext): JobsDriver => (options.driver ?? memoryDriver()).create(context),
    },
    {
      provide: JOBS_KERNEL,
      inject: [JOBS_OPTIONS, JobHandlerRegistry, JobMonitor, JOBS_DRIVER],
      useFactory: (options: ResolvedJobsOptions, handlers: JobHandlerRegistry, monitor: JobMonitor, driver: JobsDriver) =>
        new JobKernel(options, handlers, monitor, driver),
    },
    JobHandlerRegistry,
    JobsExplorer,
    JobsOrchestrator,
    JobQueue,
  ],
  exports: [JobQueue],
})
export class JobsModule extends ConfigurableJobsModule {}
