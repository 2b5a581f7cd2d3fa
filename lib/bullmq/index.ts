import { type DriverContext, DRIVER_FACTORY_BRAND, type JobsDriverFactory } from '../engine/jobs-driver.js';
import { type BullmqDriverOptions, resolveBullmqOptions } from './bullmq-driver.options.js';
import { BullmqJobsDriver } from './bullmq-jobs.driver.js';

export type { BullmqDriverOptions } from './bullmq-driver.options.js';

/**
 * The distributed driver: `JobsModule.forRoot({ workers, queueSize, driver: bullmqDriver({ connection }) })`
 * runs the same handlers on BullMQ queues in Redis, one queue per job type.
 */
export function bullmqDriver(options: BullmqDriverOptions): JobsDriverFactory {
  const resolved = resolveBullmqOptions(options);
  return Object.freeze({
    [DRIVER_FACTORY_BRAND]: true as const,
    name: 'bullmq',
    create: (context: DriverContext) => new BullmqJobsDriver(context, resolved),
  });
}
