import { type DriverContext, DRIVER_FACTORY_BRAND, type JobsDriverFactory } from '../engine/jobs-driver.js';
import { MemoryJobsDriver, type MemoryDriverTuning } from './memory-jobs.driver.js';

/**
 * The in-memory driver, the default when `forRoot` names no driver: jobs live
 * in this process, and end with it.
 */
export function memoryDriver(tuning: MemoryDriverTuning = {}): JobsDriverFactory {
  return Object.freeze({
    [DRIVER_FACTORY_BRAND]: true as const,
    name: 'memory',
    create: (context: DriverContext) => new MemoryJobsDriver(context, tuning),
  });
}
