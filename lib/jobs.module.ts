import { Global, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { DriverContext, JobsDriver } from './driver/jobs-driver.js';
import { type Clock, systemClock } from './engine/clock.js';
import { JobMonitor } from './engine/job-monitor.js';
import { MemoryJobsEngine } from './engine/memory-engine.js';
import { JobQueue } from './job.queue.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import { JOBS_CLOCK, JOBS_DRIVER, JOBS_LOGGER_CONTEXT, JOBS_OPTIONS } from './jobs.constants.js';
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
    { provide: JobMonitor, useFactory: () => new JobMonitor(new Logger(JOBS_LOGGER_CONTEXT)) },
    {
      provide: JOBS_DRIVER,
      inject: [JOBS_OPTIONS, JobHandlerRegistry, JobMonitor, JOBS_CLOCK],
      useFactory: (options: ResolvedJobsOptions, handlers: JobHandlerRegistry, monitor: JobMonitor, clock: Clock): JobsDriver => {
        const context: DriverContext = { options, handlers, monitor, clock, logger: new Logger(JOBS_LOGGER_CONTEXT) };
        return options.driver ? options.driver.create(context) : new MemoryJobsEngine(context);
      },
    },
    JobHandlerRegistry,
    JobsExplorer,
    JobsOrchestrator,
    JobQueue,
  ],
  // The driver token is internal, but the subpaths (health) read the driver through it.
  exports: [JobQueue, JOBS_DRIVER],
})
export class JobsModule extends ConfigurableJobsModule {}
